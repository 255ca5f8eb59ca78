"""What the real-browser tests share: a JupyterLab server, headless Chromium, and the widget steps.

``tests/test_browser.py`` (the quickstart) and ``tests/test_browser_widgets.py`` (the heads and
data lens widgets) drive a notebook the same way:

- :func:`jupyterlab` copies the notebook without its stored outputs and widget state (what the
  browser shows is fresh) into a temporary folder and starts JupyterLab over it, on 127.0.0.1 with
  a free port, a random token, its own settings and no news or update checks; the server runs in
  its own process group and is stopped by its process id (its kernels go with it);
- :func:`chromium_page` launches Chromium through Playwright and lets the page talk to that server
  only;
- :func:`run_all_cells` opens the notebook, waits for its kernel, runs Run > Run All Cells from
  the menu bar and waits until every code cell has run without a traceback;
- the rest reads and works the controls of a spexkit widget by what the browser shows: the
  controls' labels ("Budget", "Interaction", ...), the buttons' captions ("Run", "Check on the
  model") and the check's text ("surrogate predicts X, the model gives Y").
"""

from __future__ import annotations

import json
import math
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1600, "height": 1400}

# User settings for this server only: every cell stays in the DOM (no windowing), and no news
# or update checks (they would reach the internet).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
}

# The check's text: "<b>Removing A, B</b>: surrogate predicts X, the model gives Y (...)".
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
CHECK_TEXT = re.compile(r"Removing (?P<names>.+?):\s*surrogate predicts (?P<predicted>%s),\s*"
                        r"the model gives (?P<actual>%s)" % (_NUMBER, _NUMBER))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_notebook(source: Path, dest: Path) -> Path:
    """``source`` without its stored outputs and widget state, written into the folder ``dest``."""
    nb = json.loads(Path(source).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb["metadata"].pop("widgets", None)
    path = dest / Path(source).name
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def stop(proc: subprocess.Popen) -> None:
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


def wait_for_server(proc: subprocess.Popen, port: int, token: str, log: Path, timeout: float = 90) -> None:
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


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server and the notebook copy it serves."""

    port: int
    token: str
    notebook: Path

    @property
    def url(self) -> str:
        """The notebook's page (the token logs the browser in)."""
        return f"http://127.0.0.1:{self.port}/lab/tree/{self.notebook.name}?token={self.token}"

    @property
    def n_code(self) -> int:
        """How many code cells the notebook has."""
        cells = json.loads(self.notebook.read_text(encoding="utf-8"))["cells"]
        return sum(c["cell_type"] == "code" for c in cells)


@contextmanager
def jupyterlab(tmp_path: Path, notebook: Path):
    """JupyterLab over a fresh copy of ``notebook`` (in ``tmp_path``); yields a :class:`Lab`.

    The server's log is ``tmp_path / "jupyterlab.log"``; the kernel finds this checkout's
    packages through ``PYTHONPATH``.
    """
    root = tmp_path / "notebooks"
    root.mkdir()
    copy = copy_notebook(notebook, root)
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
    port, token = free_port(), secrets.token_hex(16)
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
        wait_for_server(server, port, token, log)
        yield Lab(port, token, copy)
    finally:
        stop(server)
    assert server.returncode is not None


@contextmanager
def chromium_page(executable: str, port: int):
    """A Chromium page (Playwright) that may talk to the server on ``port`` only."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            # Anything but this server (and inline data) is refused.
            page.route(re.compile(r"^(?!https?://127\.0\.0\.1:%d/|wss?://127\.0\.0\.1:%d/|data:|blob:)" % (port, port)),
                       lambda route: route.abort())
            yield page
        finally:
            browser.close()


def run_all_cells(page, expect, url: str, n_code: int, timeout_ms: int = 300_000):
    """Open the notebook, Run > Run All Cells, wait for every cell; returns the code cells' locator."""
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
        }""", arg=n_code, timeout=timeout_ms, polling=500)
    errors = page.locator(".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                          has_text="Traceback")
    assert errors.count() == 0, f"a cell raised: {errors.first.inner_text()[:2000]}"
    return cells


def last_widget(page, expect, cells):
    """The spexkit widget shown by the last code cell (the box with the ``<h3>`` title)."""
    widget = cells.last.locator(".jp-OutputArea-output .widget-vbox", has=page.locator("h3")).first
    expect(widget).to_be_visible(timeout=60_000)
    widget.scroll_into_view_if_needed()
    return widget


def labelled(page, widget, kind: str, label: str):
    """The input of the widget's control of CSS class ``kind`` whose description is ``label``."""
    tag = {"widget-dropdown": "select", "widget-textarea": "textarea"}.get(kind, "input")
    exact = page.locator("label", has_text=re.compile(r"^\s*%s\s*$" % re.escape(label)))
    return widget.locator(f".{kind}", has=exact).locator(tag)


def set_number(page, widget, expect, label: str, value: int) -> int:
    """Type ``value`` into the int box labelled ``label`` and press Enter; returns the old value."""
    box = labelled(page, widget, "widget-inline-hbox", label)
    expect(box).to_have_value(re.compile(r"^-?\d+$"))
    old = int(box.input_value())
    box.fill(str(value))
    box.press("Enter")  # a BoundedIntText / IntText syncs on Enter
    expect(box).to_have_value(str(value))
    return old


def option_texts(select) -> list[str]:
    """The options of a dropdown as shown (ipywidgets shows spaces as no-break spaces)."""
    return [t.replace("\xa0", " ") for t in select.evaluate("s => [...s.options].map(o => o.text)")]


def choose(page, widget, expect, label: str, option: str) -> None:
    """Pick ``option`` (by its shown text) in the dropdown labelled ``label``."""
    select = labelled(page, widget, "widget-dropdown", label)
    expect(select).to_be_visible()
    texts = option_texts(select)
    assert option in texts, f"{label}: no option {option!r} in {texts}"
    select.select_option(index=texts.index(option))
    expect(select).to_have_js_property("selectedIndex", texts.index(option))


def press(widget, caption: str) -> None:
    """Click the widget's button whose caption is ``caption``."""
    widget.locator("button.widget-button", has_text=re.compile(r"^\s*%s\s*$" % re.escape(caption))).click()


def run_and_wait(page, widget, expect, budget: int, timeout_ms: int = 300_000):
    """Press Run, wait for the plots and the status line; returns (method, queries) from the status."""
    press(widget, "Run")
    plot = widget.locator(".widget-output img")
    expect(plot.first).to_be_visible(timeout=timeout_ms)
    status = widget.locator(".widget-label", has_text=" queries, ")
    expect(status).to_be_visible(timeout=30_000)
    match = re.search(r"(\w+): (\d+) queries", status.inner_text())
    assert match, status.inner_text()
    assert int(match.group(2)) <= budget, f"the budget change did not reach the kernel: {match.group(0)}"
    return match.group(1), int(match.group(2))


def interactions(page, widget, expect) -> list[tuple[list[str], float]]:
    """The interaction chooser's options, best first: (parts of the label, coefficient)."""
    choice = labelled(page, widget, "widget-dropdown", "Interaction")
    expect(choice).to_be_visible()
    expect(choice.locator("option").first).to_have_text(re.compile(r"\S.*\([+-]\d+\.\d{3}\)"), timeout=30_000)
    out = []
    for text in option_texts(choice):
        label = re.match(r"^(.*\S)\s+\(([+-]\d+\.\d{3})\)$", text)
        assert label, f"unexpected interaction {text!r}"
        out.append((label.group(1).split(" × "), float(label.group(2))))
    selected = choice.evaluate("s => s.selectedIndex")
    assert selected == 0, f"the chooser should start on the top interaction, not option {selected}"
    return out


def check_on_model(page, widget, expect) -> tuple[str, float, float]:
    """Press "Check on the model" and parse its text: (names removed, surrogate's value, model's value)."""
    press(widget, "Check on the model")
    result = widget.locator(".widget-html", has_text="surrogate predicts")
    expect(result).to_be_visible(timeout=120_000)
    text = " ".join(result.inner_text().split())
    match = CHECK_TEXT.search(text)
    assert match, f"unexpected check result {text!r}"
    predicted, actual = float(match.group("predicted")), float(match.group("actual"))
    assert math.isfinite(predicted) and math.isfinite(actual), f"the check shows a non-number: {text!r}"
    return match.group("names"), predicted, actual


def keep_screenshot(shot: Path, name: str) -> None:
    """Copy ``shot`` to ``$SPEXKIT_SCREENSHOT_DIR/name`` when that variable is set."""
    keep = os.environ.get("SPEXKIT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / name)
