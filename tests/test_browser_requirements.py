"""The browser tests' gate: skip with a reason on a machine without Chromium or playwright, fail
with that reason when SPEXKIT_REQUIRE_BROWSER is set (CI), run otherwise. Needs no browser."""

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from . import test_browser
from .test_browser import REQUIRE_BROWSER, browser_unavailable_reason, skip_or_fail

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_chromium(tmp_path):
    path = tmp_path / "chromium"
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def with_playwright(monkeypatch):
    """A stand-in playwright package, so the 'available' path does not depend on this machine."""
    pkg = types.ModuleType("playwright")
    pkg.__path__ = []
    monkeypatch.setitem(sys.modules, "playwright", pkg)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", types.ModuleType("playwright.sync_api"))


@pytest.fixture
def without_playwright(monkeypatch):
    """``import playwright.sync_api`` raises ImportError (a None entry in sys.modules does that)."""
    monkeypatch.setitem(sys.modules, "playwright", None)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)


def test_no_reason_when_chromium_and_playwright_are_there(fake_chromium, with_playwright):
    assert browser_unavailable_reason(fake_chromium) is None


def test_missing_chromium_is_the_reason(tmp_path, with_playwright):
    missing = str(tmp_path / "no-chromium")
    reason = browser_unavailable_reason(missing)
    assert reason is not None and missing in reason and "chromium" in reason


def test_chromium_that_is_not_executable_is_missing(tmp_path, with_playwright):
    path = tmp_path / "chromium"
    path.write_text("")
    path.chmod(0o644)
    if os.access(path, os.X_OK):  # root may execute anything with an x bit; none is set here
        pytest.skip("this filesystem reports a file without x bits as executable")
    assert str(path) in browser_unavailable_reason(str(path))


def test_missing_playwright_is_the_reason(fake_chromium, without_playwright):
    reason = browser_unavailable_reason(fake_chromium)
    assert reason is not None and "playwright" in reason


def test_default_path_is_the_module_setting(monkeypatch, tmp_path, fake_chromium, with_playwright):
    """The gate reads CHROMIUM when called (SPEXKIT_CHROMIUM / `make test CHROMIUM=...` set it)."""
    monkeypatch.setattr(test_browser, "CHROMIUM", str(tmp_path / "elsewhere"))
    assert str(tmp_path / "elsewhere") in browser_unavailable_reason()
    monkeypatch.setattr(test_browser, "CHROMIUM", fake_chromium)
    assert browser_unavailable_reason() is None


def _outcome(reason: str) -> BaseException:
    """What skip_or_fail raised: caught here, so that a skip cannot turn a test into a skip."""
    try:
        skip_or_fail(reason)
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        return exc
    raise AssertionError("skip_or_fail returned instead of skipping or failing")


@pytest.mark.parametrize("value", [None, "", "0"])
def test_skips_unless_required(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(REQUIRE_BROWSER, raising=False)
    else:
        monkeypatch.setenv(REQUIRE_BROWSER, value)
    exc = _outcome("no chromium here")
    assert isinstance(exc, pytest.skip.Exception), repr(exc)
    assert str(exc) == "no chromium here"


@pytest.mark.parametrize("value", ["1", "yes"])
def test_fails_when_required(monkeypatch, value):
    monkeypatch.setenv(REQUIRE_BROWSER, value)
    exc = _outcome("no chromium here")
    assert isinstance(exc, pytest.fail.Exception), repr(exc)
    assert "no chromium here" in str(exc) and REQUIRE_BROWSER in str(exc)


def _run_browser_tests(tmp_path, require: bool) -> subprocess.CompletedProcess:
    """tests/test_browser.py in a fresh pytest, pointed at a Chromium that does not exist."""
    env = dict(os.environ, SPEXKIT_CHROMIUM=str(tmp_path / "no-chromium"))
    env.pop(REQUIRE_BROWSER, None)
    env.pop("SPEXKIT_NO_SKIPS", None)  # the skip itself is what the first test checks
    if require:
        env[REQUIRE_BROWSER] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "tests/test_browser.py", "-q", "-rfEs"],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_browser_module_skips_with_its_reason(tmp_path):
    out = _run_browser_tests(tmp_path, require=False)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert "1 skipped" in text and "passed" not in text and "failed" not in text, text
    assert f"{tmp_path / 'no-chromium'} is missing" in text, text


def test_browser_module_fails_when_required(tmp_path):
    out = _run_browser_tests(tmp_path, require=True)
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "skipped" not in text, text
    assert f"{tmp_path / 'no-chromium'} is missing" in text and REQUIRE_BROWSER in text, text
