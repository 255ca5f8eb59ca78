"""Real-browser tests of the heads and data lens widgets, in JupyterLab and headless Chromium.

For each of ``notebooks/02_heads.ipynb`` and ``notebooks/03_data.ipynb``, a JupyterLab server is
started on 127.0.0.1 (free port, random token) over a copy of the notebook without its stored
outputs, and Playwright drives Chromium through it (``tests/browser_support.py``, shared with
``tests/test_browser.py``): Run > Run All Cells (the whole notebook: 02 takes about 35 s on 2
cores, 03 about 15 s, so no cell is left out), then, in the widget the last cell shows:

- change controls: the Budget (lowered, to keep the Run short) and, in the heads widget, one head
  of the layer x head grid (L1H3 released: it always runs and is no player);
- press Run and wait for the plots and the status line (queries within the new budget);
- read the interactions in the "Interaction" chooser: the top one first; the heads widget must
  find the notebook's circuit (L0H1 × L1H2) without L1H3 anywhere, the data widget the two
  planted pairs (and_a × and_b, dup_1 × dup_2) among its interactions and its 16 groups;
- press "Check on the model" and parse its text "Removing A, B: surrogate predicts X, the model
  gives Y": the removed parts are the top interaction's, X and Y are finite numbers and agree
  loosely (a broken surrogate or check would be far off);
- screenshot the widget: ``browser_heads.png`` / ``browser_data.png`` in ``tmp_path`` and, when
  ``SPEXKIT_SCREENSHOT_DIR`` is set, there as well.

Only what the browser shows is used: the controls' labels, the buttons' captions and the texts.
Without Chromium or playwright these tests skip (fail with ``SPEXKIT_REQUIRE_BROWSER=1``), like
``tests/test_browser.py``, whose gate they use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from . import browser_support as bs
from . import test_browser

pytestmark = pytest.mark.browser

NOTEBOOKS = bs.ROOT / "notebooks"


@pytest.fixture(autouse=True)
def _require_browser():
    """Skip (or fail, with SPEXKIT_REQUIRE_BROWSER) before starting anything, as test_browser.py does."""
    reason = test_browser.browser_unavailable_reason()
    if reason is not None:
        test_browser.skip_or_fail(reason)


def _release_head(page, widget, expect, head: str = "L1H3") -> None:
    """Release one head on the grid (pressed heads are the players)."""
    button = widget.locator("button.widget-toggle-button", has_text=re.compile(r"^\s*%s\s*$" % head))
    expect(button).to_have_class(re.compile(r"\bmod-active\b"))
    button.click()
    expect(button).not_to_have_class(re.compile(r"\bmod-active\b"))


def _heads_result(page, widget, expect, options, names, predicted, actual) -> None:
    parts, _ = options[0]
    assert sorted(parts) == ["L0H1", "L1H2"], f"the top interaction should be the circuit, got {parts}"
    assert all(re.fullmatch(r"L\dH\d", p) for ps, _ in options for p in ps), options
    assert not any("L1H3" in ps for ps, _ in options), f"L1H3 was released but is a player: {options}"
    assert abs(predicted - actual) < 0.25, f"surrogate {predicted} vs model {actual}"  # seen: 0.01


def _data_result(page, widget, expect, options, names, predicted, actual) -> None:
    terms = [tuple(sorted(ps)) for ps, _ in options]
    assert all(p.startswith("source=") for t in terms for p in t), terms
    for pair in [("source=and_a", "source=and_b"), ("source=dup_1", "source=dup_2")]:
        assert pair in terms, f"the planted pair {' × '.join(pair)} is not among {terms}"
    expect(widget.locator(".widget-html", has_text="16 groups")).to_be_visible()
    assert abs(predicted - actual) < 0.5, f"surrogate {predicted} vs retrained model {actual}"  # seen: 0.1


@dataclass(frozen=True)
class Case:
    notebook: str
    screenshot: str
    budget: int  # below the widget's default: a short Run on 2 cores
    configure: Callable | None  # (page, widget, expect): the lens's own control to change
    verify: Callable  # (page, widget, expect, options, names, predicted, actual)


CASES = {
    "heads": Case("02_heads.ipynb", "browser_heads.png", 100, _release_head, _heads_result),
    "data": Case("03_data.ipynb", "browser_data.png", 100, None, _data_result),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_lens_widget_in_jupyterlab(case: Case, tmp_path):
    from playwright.sync_api import expect

    shot = tmp_path / case.screenshot
    with bs.jupyterlab(tmp_path, NOTEBOOKS / case.notebook) as lab, \
            bs.chromium_page(test_browser.CHROMIUM, lab.port) as page:
        try:
            _drive(page, expect, lab, case, shot)
        except Exception:
            page.screenshot(path=str(shot))  # what the browser showed when it failed
            raise
    bs.keep_screenshot(shot, case.screenshot)


def _drive(page, expect, lab: bs.Lab, case: Case, shot: Path) -> None:
    cells = bs.run_all_cells(page, expect, lab.url, lab.n_code)
    widget = bs.last_widget(page, expect, cells)

    if case.configure is not None:
        case.configure(page, widget, expect)
    old = bs.set_number(page, widget, expect, "Budget", case.budget)
    assert old > case.budget, "the test lowers the budget: the default should be above it"

    bs.run_and_wait(page, widget, expect, case.budget)
    options = bs.interactions(page, widget, expect)
    top, _ = options[0]

    names, predicted, actual = bs.check_on_model(page, widget, expect)
    assert names.split(", ") == top, f"the check removed {names!r}, the top interaction is {top}"
    case.verify(page, widget, expect, options, names, predicted, actual)

    widget.screenshot(path=str(shot))
