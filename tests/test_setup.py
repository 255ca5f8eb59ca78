"""The README's two commands, as a new user (and CI) runs them."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_gives_exactly_two_setup_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Set up and go.*?```bash\n(.*?)```", text, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command():
    lines = [l.strip() for l in (ROOT / ".ci/run").read_text().splitlines()]
    body = [l for l in lines if l and not l.startswith("#") and not l.startswith(("set ", "cd "))]
    assert body[-1] == "make test"


def test_make_demo_in_a_clean_copy(tmp_path):
    """Copy the tracked files (a clean checkout) and run `make demo` with this environment."""
    if shutil.which("make") is None:
        raise AssertionError("make is required by the README commands")
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_file():
            dst = tmp_path / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    venv = Path(sys.executable).parents[1]
    # Reuse this interpreter's environment (the stamp says it is installed) so the test does
    # not reinstall; python -m runs the copy's package since the copy's root is the cwd.
    stamp = tmp_path / "stamp"
    stamp.touch()
    # A small budget keeps the test short; the real demo uses the default (300 queries).
    out = subprocess.run(["make", "demo", f"VENV={venv}", f"STAMP={stamp}", "DEMO_ARGS=--budget 40 --max-degree 2"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "proxyspex: 40 queries" in out.stdout and "Counterfactual" in out.stdout
    png = tmp_path / "demo.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
