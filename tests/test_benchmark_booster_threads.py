"""benchmarks/booster_threads.py: the --quick run end to end, and its rows follow the rule."""

from pathlib import Path

from spexkit.solvers.proxyspex.booster import PARALLEL_MIN_ENTRIES

from .benchmark_support import run_quick

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "booster_threads.py"


def test_quick_run_times_both_thread_counts(tmp_path):
    report, stdout = run_quick(SCRIPT, tmp_path / "threads.json", threads={}, timeout=300)
    assert report["quick"] and report["parallel_min_entries"] == PARALLEL_MIN_ENTRIES
    assert [(r["samples"], r["parts"]) for r in report["idle"]] == [(60, 8), (300, 30)]
    for row in report["idle"]:
        assert row["one_thread_s"] > 0 and row["every_core_s"] > 0
        assert row["chosen"] == "one thread"  # both sizes lie below the threshold
    assert "seconds per fit" in stdout and "busy" not in report
