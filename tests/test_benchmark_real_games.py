"""benchmarks/real_games.py: the --quick run end to end, and the pieces a rerun relies on."""

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .benchmark_support import run_quick

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "real_games.py"


def load_module():
    spec = importlib.util.spec_from_file_location("real_games", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["real_games"] = mod  # its dataclasses look their module up while it loads
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("real_games") / "real_games.json"
    return run_quick(SCRIPT, out, threads={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                           "MKL_NUM_THREADS": "1"}, timeout=300)


def test_quick_report_structure(quick_report):
    report, stdout = quick_report
    meta = report["meta"]
    assert meta["quick"] and meta["budgets"] == [100, 300] and meta["peers"] == []
    assert len(meta["load_average_start"]) == 3 and meta["total_s"] > 0
    classes = {g["class"] for g in report["games"]}
    assert classes == {"tabular", "planted_fourier", "additive"}
    assert sum(g["class"] == "tabular" for g in report["games"]) == 3
    for g in report["games"]:
        assert set(g["methods"]) == set(meta["methods"])
        for method, per_budget in g["methods"].items():
            assert set(per_budget) == {"100", "300"}
            for budget, entry in per_budget.items():
                if "r2" not in entry:  # a method below its smallest budget says why
                    assert entry["na"].startswith(("n/a", "not run")), (g["key"], method, entry)
                    continue
                for key in ("r2", "solver_s", "wall_s", "calls"):
                    assert math.isfinite(entry[key]), (g["key"], method, budget, key)
                assert 0 <= entry["solver_s"] <= entry["wall_s"] + 1e-9
                # distinct model calls never exceed the budget
                assert 0 < entry["calls"] <= int(budget), (g["key"], method, budget, entry["calls"])
                assert entry["r2"] <= 1 + 1e-9
    assert "| tabular (3) | proxyspex |" in report["tables_markdown"]
    assert "Targets:" in stdout


def test_quick_additive_game_is_fit_exactly_by_linear_fits(quick_report):
    report, _ = quick_report
    game = next(g for g in report["games"] if g["class"] == "additive")
    for method in ("linear", "kernelshap", "lasso"):
        for budget in ("100", "300"):
            assert game["methods"][method][budget]["r2"] > 0.999, (method, budget)
    # the summary's margin over the best linear fit is zero there, never below
    margin = report["summary"]["linear_margin"]["additive"]["proxyspex"]["300"]
    assert margin["games"] == 1 and abs(margin["mean"]) < 1e-3


def test_quick_summary_matches_the_games(quick_report):
    report, _ = quick_report
    tab = [g for g in report["games"] if g["class"] == "tabular"]
    for method in ("proxyspex", "linear"):
        mean = np.mean([g["methods"][method]["300"]["r2"] for g in tab])
        # the JSON keeps 6 significant digits
        assert report["summary"]["mean_r2"]["tabular"][method]["300"]["r2"] == pytest.approx(mean, abs=1e-5)
    best = report["summary"]["auto_vs_best"]["tabular"]["300"]
    assert best["gap"] == pytest.approx(best["best_r2"] - best["auto"], abs=1e-5)


def test_value_store_cache_makes_a_rerun_free(tmp_path):
    mod = load_module()
    calls = []

    def model(masks):
        calls.append(masks.shape[0])
        return masks.sum(1) * 1.5

    masks = np.random.default_rng(0).random((40, 9)) < 0.5
    masks[5] = masks[3]  # a repeated mask is evaluated once
    path = tmp_path / "values.sqlite"
    store = mod.ValueStore(model, 9, path, "demo-game")
    first = store(masks)
    store.close()
    assert store.model_calls == len(np.unique(masks, axis=0))
    again = mod.ValueStore(model, 9, path, "demo-game")
    rec = mod.Recorder(again)
    np.testing.assert_array_equal(rec(masks), first)
    again.close()
    assert again.model_calls == 0 and rec.calls == len(np.unique(masks, axis=0))


def test_peer_protocol_masks_round_trip():
    mod = load_module()
    masks = np.random.default_rng(1).random((7, 270)) < 0.9
    np.testing.assert_array_equal(mod.unpack(mod.pack(masks), 7, 270), masks)


def test_tables_rebuilt_from_json_without_running(quick_report, tmp_path):
    report, _ = quick_report
    path = tmp_path / "copy.json"
    report = dict(report, summary={}, targets=[], tables_markdown="")
    path.write_text(json.dumps(report))
    proc = subprocess.run([sys.executable, str(SCRIPT), "--from-json", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    again = json.loads(path.read_text())
    assert again["summary"]["mean_r2"]["tabular"]["proxyspex"]["300"]["games"] == 3
    assert again["tables_markdown"] and "| tabular (3) | proxyspex |" in proc.stdout


def test_spex_vs_lime_scores_both_held_out_distributions(monkeypatch):
    """Each SPEX/LIME pair is scored at the game's keep and on uniform masks; targets and table show both."""
    mod = load_module()
    spec = mod.planted_specs("planted_fourier", 1, n=20, holdout=100)[0]
    spec.keep = 0.8  # as the review games: held-out masks off SPEX's own distribution
    fits = []
    run_method = mod.run_method
    monkeypatch.setattr(mod, "run_method", lambda method, *a, **k: fits.append(method) or run_method(method, *a, **k))
    sv = mod.spex_vs_lime([spec], seeds=[0], factor=2)
    # one fit per method and budget, scored on both held-out sets (not one fit per set)
    assert sorted(fits) == ["lime", "lime", "spex", "spex"]
    row = sv["games"][0]
    for label in ("smallest", "x2"):
        assert {"spex", "lime", "spex_uniform", "lime_uniform"} <= set(row[label])
        assert row[label]["spex"]["calls"] == row[label]["spex_uniform"]["calls"]
        assert row[label]["lime"]["r2"] != row[label]["lime_uniform"]["r2"]
        # the planted game is exactly sparse: SPEX recovers it, whichever masks it is scored on
        assert row[label]["spex"]["r2"] > 0.99 and row[label]["spex_uniform"]["r2"] > 0.99
    # the recorded full run supplies the rest of a report around these rows
    report = dict(json.loads((ROOT / "benchmarks" / "results" / "real_games.json").read_text()),
                  extras={"spex_vs_lime": sv})
    rows = [t for t in mod.targets(report) if t["target"].startswith("SPEX ≥ LIME")]
    assert len(rows) == 4 and sum("uniform masks" in t["target"] for t in rows) == 2
    assert "SPEX R² (uniform)" in mod.tables_markdown(dict(report, targets=rows))
