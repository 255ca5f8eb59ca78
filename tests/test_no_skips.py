"""conftest.py's SPEXKIT_NO_SKIPS: with it set (CI), a skip, xfail or xpass anywhere fails the run;
without it, skips pass with their reason shown. Runs small pytest sessions in a temporary folder."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NO_SKIPS = "SPEXKIT_NO_SKIPS"

CASES = {
    "passes": "def test_ok():\n    assert 1 + 1 == 2\n",
    "skip_in_test": "import pytest\n\ndef test_s():\n    pytest.skip('needs a GPU here')\n",
    "skipif": "import pytest\n\n@pytest.mark.skipif(True, reason='not on this OS')\ndef test_s():\n    pass\n",
    "importorskip_module": "import pytest\npytest.importorskip('no_such_module_spexkit')\n\ndef test_s():\n    pass\n",
    "xfail": "import pytest\n\n@pytest.mark.xfail(reason='known bug', strict=False)\ndef test_x():\n    assert False\n",
    "xpass": "import pytest\n\n@pytest.mark.xfail(reason='known bug', strict=False)\ndef test_x():\n    assert True\n",
}


NOT_RUN = ["skip_in_test", "skipif", "importorskip_module", "xfail", "xpass"]


def _pytest(folder: Path, cases: list[str], no_skips: str | None) -> tuple[int, str]:
    folder.mkdir()
    for case in cases:
        (folder / f"test_{case}.py").write_text(CASES[case])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop(NO_SKIPS, None)
    if no_skips is not None:
        env[NO_SKIPS] = no_skips
    # -p conftest loads the repository's conftest.py as a plugin (the temporary folder has none).
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "conftest", "-p", "no:cacheprovider",
                          str(folder)], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    return out.returncode, out.stdout + out.stderr


def test_every_kind_of_not_run_fails_the_run_when_set(tmp_path):
    code, text = _pytest(tmp_path / "run", ["passes", *NOT_RUN], "1")
    assert code == 1, text
    assert f"{NO_SKIPS} is set: {len(NOT_RUN)} test(s) did not run as written" in text, text
    for case in NOT_RUN:
        assert f"test_{case}.py" in text.split(f"{NO_SKIPS} is set")[1], (case, text)
    assert "needs a GPU here" in text, text  # the reason is shown


@pytest.mark.parametrize("value", [None, "0"])
def test_not_run_passes_with_its_reason_when_unset(tmp_path, value):
    code, text = _pytest(tmp_path / "run", ["passes", *NOT_RUN], value)
    assert code == 0, text
    assert NO_SKIPS not in text and "needs a GPU here" in text, text


def test_a_clean_run_passes_when_set(tmp_path):
    code, text = _pytest(tmp_path / "run", ["passes"], "1")
    assert code == 0 and "1 passed" in text, text
