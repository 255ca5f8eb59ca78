"""Running a benchmark script's ``--quick`` mode from a test, as a user would from the shell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_quick(script: Path, out: Path, *, threads: dict[str, str], timeout: float,
              extra: tuple[str, ...] = ()) -> tuple[dict, str]:
    """``python script --quick --out out [extra]`` with these thread limits; its JSON report and stdout.

    A failing run fails the test with the end of its stderr.
    """
    proc = subprocess.run([sys.executable, str(script), "--quick", "--out", str(out), *extra], capture_output=True,
                          text=True, env=dict(os.environ, **threads), timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(Path(out).read_text()), proc.stdout
