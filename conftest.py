"""Shared pytest setup for every run (tests, doctests, lens tests, the notebooks under nbval).

- Headless matplotlib everywhere.
- ``SPEXKIT_NO_SKIPS=1`` (``.ci/run`` sets it) turns every skip, xfail and xpass into a failed
  run: a test that cannot run on a user's machine says why by skipping, and CI must not pass
  with it unrun. The check counts reports, so it covers ``pytest.skip`` inside tests,
  ``importorskip`` in fixtures and modules, ``skipif`` markers, doctests and nbval cells alike.
"""

import os

import matplotlib
import pytest

matplotlib.use("Agg")

NO_SKIPS = "SPEXKIT_NO_SKIPS"
_not_run: list[str] = []


def _no_skips() -> bool:
    return os.environ.get(NO_SKIPS, "0").strip().lower() not in ("", "0", "false", "no")


def _record(report) -> None:
    xfail = hasattr(report, "wasxfail")
    if report.skipped:
        what = "xfailed" if xfail else "skipped"
    elif report.passed and xfail:
        what = "xpassed"
    else:
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else getattr(report, "wasxfail", "")
    _not_run.append(f"{what}: {report.nodeid}: {reason}")


def pytest_runtest_logreport(report):
    if report.when == "call" or report.skipped:
        _record(report)


def pytest_collectreport(report):
    if report.skipped:
        _record(report)


def pytest_sessionfinish(session, exitstatus):
    if not (_no_skips() and _not_run):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"{NO_SKIPS} is set: {len(_not_run)} test(s) did not run as written, so the run fails:",
                            red=True)
        for line in _not_run:
            reporter.write_line(f"  {line}", red=True)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
