"""Real-browser test: the quickstart notebook and its widget, in JupyterLab and headless Chromium.

A JupyterLab server is started on 127.0.0.1 (free port, random token) over a copy of
``notebooks/00_quickstart.ipynb``; Playwright drives Debian's Chromium (``/usr/bin/chromium``)
through it: Run > Run All Cells, change the widget's budget, press Run, wait for the plots, read
the top interaction in the widget's chooser, check it on the model, and save a screenshot.

Needs the ``chromium`` Debian package (``make test`` installs it as root where apt-get exists)
and ``playwright`` (the ``dev`` extra). Without either, every test here skips and says why;
with ``SPEXKIT_REQUIRE_BROWSER=1`` (``.ci/run`` sets it) it fails instead, so CI never skips
silently. ``SPEXKIT_CHROMIUM`` points at another browser binary (``make test CHROMIUM=...``).
The screenshot goes to ``tmp_path``; set ``SPEXKIT_SCREENSHOT_DIR`` to keep a copy
(``browser_quickstart.png``) there as well.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NoReturn

import pytest

from . import browser_support as bs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "00_quickstart.ipynb"
CHROMIUM = os.environ.get("SPEXKIT_CHROMIUM") or "/usr/bin/chromium"
REQUIRE_BROWSER = "SPEXKIT_REQUIRE_BROWSER"
BUDGET = 100  # the widget's default is 500: a smaller budget keeps the Run short on 2 cores


def browser_unavailable_reason(chromium: str | None = None) -> str | None:
    """Why the browser tests cannot run here (no Chromium, no playwright), or None if they can."""
    chromium = chromium or CHROMIUM
    if not os.access(chromium, os.X_OK):
        return (f"{chromium} is missing: install Debian's chromium package "
                "(as root, `make test` does: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is missing ({exc}): pip install -e '.[dev]'"
    return None


def skip_or_fail(reason: str) -> NoReturn:
    """Skip with ``reason``; fail with it instead when SPEXKIT_REQUIRE_BROWSER is set (CI)."""
    if os.environ.get(REQUIRE_BROWSER, "") not in ("", "0"):
        pytest.fail(f"{reason} [{REQUIRE_BROWSER} is set: the browser tests must run]", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _require_browser():
    """Every test in this module needs the browser: skip (or fail, in CI) before it starts."""
    reason = browser_unavailable_reason()
    if reason is not None:
        skip_or_fail(reason)


def test_quickstart_widget_in_jupyterlab(tmp_path):
    from playwright.sync_api import expect

    # The server, the browser and the widget steps: tests/browser_support.py.
    shot = tmp_path / "browser_quickstart.png"
    with bs.jupyterlab(tmp_path, NOTEBOOK) as lab, bs.chromium_page(CHROMIUM, lab.port) as page:
        try:
            _drive(page, expect, lab)
        except Exception:
            page.screenshot(path=str(shot))  # what the browser showed when it failed
            raise
        page.screenshot(path=str(shot))
    bs.keep_screenshot(shot, "browser_quickstart.png")


def _drive(page, expect, lab: bs.Lab) -> None:
    """Run the notebook and use the widget (the last cell's output)."""
    cells = bs.run_all_cells(page, expect, lab.url, lab.n_code)
    widget = bs.last_widget(page, expect, cells)

    # Change a control: the budget.
    old = bs.set_number(page, widget, expect, "Budget", BUDGET)
    assert old > BUDGET, "the test lowers the budget: the default should be above it"

    # Run: the figure with the segments, the top interactions and the network; the status line
    # counts the queries (within the new budget).
    bs.run_and_wait(page, widget, expect, BUDGET)

    # The top interaction's label is shown in the interaction chooser.
    parts, _ = bs.interactions(page, widget, expect)[0]
    # Two text areas (Prompt and Template): pick the prompt by its label.
    prompt = bs.labelled(page, widget, "widget-textarea", "Prompt").input_value()
    for part in parts:
        segment = re.sub(r" \(\d+\)$", "", part)  # a repeated word is shown with its index: "what (19)"
        assert segment in prompt, f"top interaction {parts}: {segment!r} is not a segment of the prompt"

    # The counterfactual check on the model, for the chosen interaction: it removes exactly the
    # interaction chosen (the top one) and shows two numbers.
    names, predicted, actual = bs.check_on_model(page, widget, expect)
    assert names.split(", ") == parts, f"the check removed {names!r}, the top interaction is {parts}"
    widget.locator(".widget-output img").first.scroll_into_view_if_needed()
