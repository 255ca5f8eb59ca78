"""The complete lens of docs/writing-a-lens.md, copied out of the page, passes the tests the page gives."""

import os
import re
import subprocess
import sys
from pathlib import Path

from .plugin_support import install_lens_entry_points

DOC = Path(__file__).resolve().parents[1] / "docs" / "writing-a-lens.md"
FILES = ("my_lenses/columns.py", "my_lenses/columns_widget.py", "tests/test_columns.py")


def test_the_documented_lens_passes_the_documented_tests(tmp_path):
    blocks = {b.splitlines()[0].removeprefix("# ").strip(): b
              for b in re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)}
    missing = [f for f in FILES if f not in blocks]
    assert not missing, f"the page no longer has a code block starting with '# {missing[0]}'"
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(blocks[name])
    (tmp_path / "my_lenses" / "__init__.py").write_text("")
    # installed as the page's pyproject.toml would install it: the entry point in the metadata
    install_lens_entry_points(tmp_path, "my-lenses", {"columns": "my_lenses.columns:ColumnLens"})
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_columns.py"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=600,
                       env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": str(tmp_path)})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "4 passed" in r.stdout
