"""Run code in a fresh interpreter with the Hugging Face hub switched off.

``HF_HUB_OFFLINE`` is read when huggingface_hub is imported, so a test that needs the hub off
must start a new process.
"""

from __future__ import annotations

import os
import subprocess
import sys


def run_offline(code: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """``python -c code`` with ``HF_HUB_OFFLINE=1``; stdout and stderr captured as text."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, HF_HUB_OFFLINE="1"))
