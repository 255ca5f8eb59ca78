"""Saving a figure to a file must not switch the process's matplotlib backend (issue 16).

A notebook runs the inline backend; ``plot_result(path=...)`` used to call
``matplotlib.use("Agg")``, after which inline figures no longer appeared. Each case runs in a
fresh interpreter started with ``MPLBACKEND`` set, because this test process is pinned to Agg
by conftest.py.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

# The last is the backend a notebook uses; without matplotlib-inline that case skips with the reason.
BACKENDS = ["svg", "pdf", "module://matplotlib_inline.backend_inline"]

SCRIPT = textwrap.dedent(
    """
    import os, sys
    import matplotlib
    import matplotlib.pyplot as plt
    from spexkit import Interactions, plots

    before = matplotlib.get_backend()
    assert before.lower() == os.environ["MPLBACKEND"].lower(), before
    res = Interactions([(0,), (1,), (0, 1), (1, 2)], [1.0, -0.5, 0.75, 0.25], 3, basis="mobius",
                       labels=["the", "movie", "the"], metadata={"method": "test"})
    fig = plots.plot_result(res, k=3, path=sys.argv[1])
    after = matplotlib.get_backend()
    assert after == before, f"backend switched from {before} to {after}"
    # The saved figure is not left open in pyplot either (it would show up in the next cell).
    assert plt.get_fignums() == [], plt.get_fignums()
    assert len(fig.axes) == 2
    # Without a path the figure is pyplot's, so a notebook shows it inline.
    shown = plots.plot_result(res, k=3)
    assert plt.get_fignums() == [shown.number]
    assert matplotlib.get_backend() == before
    print("ok")
    """
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_plot_result_to_a_file_keeps_the_backend(backend, tmp_path):
    if "inline" in backend and importlib.util.find_spec("matplotlib_inline") is None:
        pytest.skip("matplotlib-inline (the notebook backend, installed with jupyterlab) is not installed")
    out = tmp_path / "result.png"
    env = dict(os.environ, MPLBACKEND=backend)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(out)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # still written, as a PNG
