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

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NoReturn

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "00_quickstart.ipynb"
CHROMIUM = os.environ.get("SPEXKIT_CHROMIUM") or "/usr/bin/chromium"
REQUIRE_BROWSER = "SPEXKIT_REQUIRE_BROWSER"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BUDGET = 100  # the widget's default is 500: a smaller budget keeps the Run short on 2 cores

# User settings for this server only: every cell stays in the DOM (no windowing), and no news
# or update checks (they would reach the internet).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
}


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_notebook(dest: Path) -> Path:
    """The quickstart without its stored outputs and widget state: what the browser shows is fresh."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb["metadata"].pop("widgets", None)
    path = dest / NOTEBOOK.name
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server by its process id (its own process group: kernels go with it)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def _wait_for_server(proc: subprocess.Popen, port: int, token: str, log: Path, timeout: float = 90) -> None:
    url = f"http://127.0.0.1:{port}/api/status"
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def test_quickstart_widget_in_jupyterlab(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "notebooks"
    root.mkdir()
    notebook = _copy_notebook(root)
    n_code = sum(c["cell_type"] == "code" for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"])
    home = tmp_path / "jupyter"
    settings = home / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp_path / "jupyterlab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly"]
    if os.geteuid() == 0:  # CI runs as root
        cmd.append("--allow-root")

    with open(log, "wb") as log_file:
        server = subprocess.Popen(cmd, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for_server(server, port, token, log)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1400})
                # The page may talk to this server only: anything else is refused.
                page.route(re.compile(r"^(?!https?://127\.0\.0\.1:%d/|wss?://127\.0\.0\.1:%d/|data:|blob:)" % (port, port)),
                           lambda route: route.abort())
                shot = _drive(page, expect, f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}?token={token}",
                              n_code, tmp_path)
            finally:
                browser.close()
    finally:
        _stop(server)
    assert server.returncode is not None

    keep = os.environ.get("SPEXKIT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "browser_quickstart.png")


def _drive(page, expect, url: str, n_code: int, tmp_path: Path) -> Path:
    """Run the notebook, use the widget, and return the screenshot's path."""
    shot = tmp_path / "browser_quickstart.png"
    try:
        page.goto(url, wait_until="domcontentloaded", timeout=90_000)
        # The kernel is up once the status bar names it and calls it idle (the toolbar's
        # indicator already says "idle" while the session still has no kernel).
        kernel = page.locator("#jp-main-statusbar .jp-StatusBar-TextItem", has_text=re.compile(r"^Python 3.*\| Idle$"))
        expect(kernel).to_be_visible(timeout=120_000)
        indicator = page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator")
        expect(indicator).to_have_attribute("data-status", "idle", timeout=60_000)
        cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-CodeCell")
        expect(cells).to_have_count(n_code, timeout=60_000)  # all rendered (no windowing)

        # Run > Run All Cells, through the menu bar.
        page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        run_all = page.locator('.lm-Menu-item[data-command="runmenu:run-all"]')
        expect(run_all).to_have_text(re.compile("Run All Cells"))
        run_all.click()
        # Every code cell gets an execution count ("[7]:"), none left running ("[*]:").
        page.wait_for_function(
            """n => {
                const prompts = [...document.querySelectorAll(
                    '.jp-NotebookPanel .jp-Notebook .jp-CodeCell .jp-InputArea-prompt')];
                return prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", arg=n_code, timeout=300_000, polling=500)
        errors = page.locator(".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                              has_text="Traceback")
        assert errors.count() == 0, f"a cell raised: {errors.first.inner_text()[:2000]}"

        # The widget is the last cell's output.
        widget = cells.last.locator(".jp-OutputArea-output .widget-vbox", has=page.locator("h3")).first
        expect(widget).to_be_visible(timeout=60_000)
        widget.scroll_into_view_if_needed()

        # Change a control: the budget (a BoundedIntText syncs on Enter).
        budget = widget.locator(".widget-inline-hbox", has=page.locator("label", has_text="Budget")).locator("input")
        expect(budget).to_have_value(re.compile(r"^\d+$"))
        assert int(budget.input_value()) > BUDGET, "the test lowers the budget: the default should be above it"
        budget.fill(str(BUDGET))
        budget.press("Enter")
        expect(budget).to_have_value(str(BUDGET))

        widget.locator("button.widget-button", has_text=re.compile(r"^\s*Run\s*$")).click()

        # The results panel: the figure with the segments, the top interactions and the network.
        plot = widget.locator(".widget-output img")
        expect(plot.first).to_be_visible(timeout=300_000)
        status = widget.locator(".widget-label", has_text=" queries, ")
        expect(status).to_be_visible(timeout=30_000)
        match = re.search(r"(\w+): (\d+) queries", status.inner_text())
        assert match, status.inner_text()
        assert int(match.group(2)) <= BUDGET, f"the budget change did not reach the kernel: {match.group(0)}"

        # The top interaction's label is shown in the interaction chooser.
        choice = widget.locator(".widget-dropdown", has=page.locator("label", has_text="Interaction")).locator("select")
        expect(choice).to_be_visible()
        expect(choice.locator("option").first).to_have_text(re.compile(r"\S.*\([+-]\d+\.\d{3}\)"), timeout=30_000)
        # ipywidgets shows the option's spaces as no-break spaces.
        top = choice.evaluate("s => s.options[s.selectedIndex].text").replace("\xa0", " ")
        label = re.match(r"^(.*\S)\s+\(([+-]\d+\.\d{3})\)$", top)
        assert label, f"unexpected top interaction {top!r}"
        # Two text areas (Prompt and Template): pick the prompt by its label.
        prompt = widget.locator(".widget-textarea", has=page.locator("label", has_text="Prompt")).locator(
            "textarea").input_value()
        for part in label.group(1).split(" × "):
            assert part in prompt, f"top interaction {top!r}: {part!r} is not a segment of the prompt"

        # The counterfactual check on the model, for the chosen interaction.
        widget.locator("button.widget-button", has_text="Check on the model").click()
        expect(widget.locator(".widget-html", has_text="surrogate predicts")).to_be_visible(timeout=60_000)

        plot.first.scroll_into_view_if_needed()
        page.screenshot(path=str(shot))
        return shot
    except Exception:
        page.screenshot(path=str(shot))  # what the browser showed when it failed
        raise
