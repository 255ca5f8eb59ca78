"""benchmarks/context.py (context attribution beside ContextCite and captum) and
benchmarks/document.py (document-scale faithfulness): the --quick runs end to end, and the
metric pieces on cases with known answers."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import spexkit
from spexkit.evaluation import greedy_removal_order

from .benchmark_support import run_quick

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "context.py"
DOCUMENT = ROOT / "benchmarks" / "document.py"


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def context():
    return load(SCRIPT, "context_benchmark")


def test_log_prob_inverts_the_log_odds(context):
    p = np.array([1e-9, 0.01, 0.5, 0.9, 1 - 1e-9])
    logit = np.log(p) - np.log1p(-p)
    np.testing.assert_allclose(context.log_prob(logit), np.log(p), rtol=1e-9)


def test_greedy_order_and_removals_follow_the_surrogate(context):
    # f = 3 x0 + 0.5 x1 + 2 x0 x2: removing 0 first (drops 3, and the pair), then 1, then 2
    res = spexkit.Interactions([(), (0,), (1,), (0, 2)], [0.0, 3.0, 0.5, 2.0], 4, basis="mobius")
    assert greedy_removal_order(res, 3) == [0, 1, 2]
    assert context.top_k(res.shapley(), 2) == [0, 2]  # Shapley: 4, 0.5, 1 (the pair split), 0
    masks = context.removal_masks(4, [[2, 0, 1, 3]])
    assert masks.shape == (3, 4) and masks[0].tolist() == [True, True, False, True]
    assert masks[2].sum() == 0  # k = 5 > n removes everything
    assert context.top_pair(res) == [0, 2]


def test_summary_and_pair_target_on_known_records(context):
    def rec(i, stratum, lds, hit, oracle_hit):
        methods = {"proxyspex": {"128": {"lds": lds, "r2": lds, "calls": 128, "seconds": 1.0,
                                         "drop": {"1": 1.0, "3": 2.0, "5": 3.0}, "recall": {"1": 1, "3": 1, "5": 1},
                                         "pair_hit": hit}},
                   "exact": {"512": {"lds": 1.0, "r2": 1.0, "calls": 512, "seconds": 2.0,
                                     "drop": {"1": 1.0, "3": 2.0, "5": 3.0}, "recall": {"1": 1, "3": 1, "5": 1},
                                     "pair_hit": oracle_hit}}}
        return {"id": f"pair-{i}", "stratum": stratum, "methods": methods}

    records = [rec(1, "pair", 0.5, True, True), rec(2, "pair", 0.7, False, True), rec(3, "pair", 0.9, True, False)]
    summary = context.summarise(records)
    entry = summary["all"]["proxyspex"]["128"]
    assert entry["items"] == 3 and entry["lds"][0] == pytest.approx(0.7)
    assert entry["lds"][1] == pytest.approx(np.std([0.5, 0.7, 0.9], ddof=1) / np.sqrt(3))
    assert entry["pair_hits"] == [2, 3]
    assert summary["pair"]["exact"]["own"]["items"] == 3
    target = context.pair_target(records, "128")
    assert (target["oracle_items"], target["eligible"], target["hits"]) == (3, 2, 1)  # pair-3: oracle disagrees


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("context") / "context_quick.json"
    return run_quick(SCRIPT, out, threads={"OMP_NUM_THREADS": "2"}, timeout=1500)


def test_quick_context_run(quick_report):
    report, stdout = quick_report
    assert report["quick"] and report["budgets"] == [32, 64] and report["test_masks"] == 32
    items = report["items"]
    assert len(items) == 6 and sorted({r["stratum"] for r in items}) == ["pair", "redundant", "single"]
    for r in items:
        assert r["n"] >= 8 and r["prompt_tokens"] > 100
        for name in ("proxyspex", "lasso"):
            for b in ("32", "64"):
                m = r["methods"][name][b]
                assert m["calls"] <= int(b) and -1 <= m["lds"] <= 1 and 0 <= m["recall"]["1"] <= 1
                assert set(m["drop"]) == {"1", "3", "5"} and "drop_greedy" in m
        loo = r["methods"]["loo"][str(r["n"] + 1)]
        assert loo["calls"] == r["n"] + 1
    oracle = [r for r in items if "exact" in r["methods"]]
    assert oracle and all(r["stratum"] == "pair" and r["n"] <= 8 for r in oracle)
    for r in oracle:
        exact = next(iter(r["methods"]["exact"].values()))
        assert exact["calls"] == 2 ** r["n"]
        assert exact["lds"] == pytest.approx(1.0) and exact["r2"] == pytest.approx(1.0, abs=1e-9)  # the game itself
    baseline = [r for r in items if "kernelshap" in r["methods"]]
    assert len(baseline) == 1 and set(baseline[0]["methods"]) >= {"kernelshap", "lime", "banzhaf"}
    # the surrogates beat chance on the held-out masks, on average
    assert report["summary"]["all"]["proxyspex"]["64"]["lds"][0] > 0.3
    assert "pair_target" in report and "== all ==" in stdout and "proxyspex" in stdout


def test_quick_document_run(tmp_path):
    report, _ = run_quick(DOCUMENT, tmp_path / "document_quick.json", threads={"OMP_NUM_THREADS": "1"}, timeout=600,
                          extra=("--lime-grid",))
    assert report["quick"] and len(report["items"]) == 2
    for r in report["items"]:
        assert r["words"] >= 500 and r["n_players"] >= 500
        # the stand-in model is sparse (two words, one pair): ProxySPEX recovers it
        assert r["methods"]["proxyspex"]["300"]["r2"] > 0.95
        assert r["methods"]["spex"]["300"]["calls"] <= 300
        # the LIME grid refits on the masks LIME already paid for, and its default is one of its points
        grid = r["lime_grid"]["300"]
        assert all(row["calls_paid"] == 0 for row in grid["rows"])
        points = len(report["lime_grid"]["kernel_width"]) * len(report["lime_grid"]["ridge"])
        assert len(grid["rows"]) == points and grid["best"]["r2"] >= r["methods"]["lime"]["300"]["r2"] - 1e-12
    assert set(report["summary"]) == {"proxyspex", "spex", "lime", "lime_best_of_grid"}
    # --only-texts runs a subset of the same texts (a slow method on a few of them)
    one, _ = run_quick(DOCUMENT, tmp_path / "document_one.json", threads={"OMP_NUM_THREADS": "1"}, timeout=600,
                       extra=("--only-texts", "1", "--methods", "lime"))
    assert [r["text_index"] for r in one["items"]] == [1] and one["only_texts"] == [1]
    assert one["items"][0]["words"] == report["items"][1]["words"]
    assert one["items"][0]["methods"]["lime"]["300"]["r2"] == report["items"][1]["methods"]["lime"]["300"]["r2"]


def test_mask_blocks_are_disjoint_consecutive_runs(context):
    masks = np.random.default_rng(0).random((100, 5)) < 0.5
    values = np.arange(100.0)
    blocks = context.mask_blocks(masks, values, 32)
    assert len(blocks) == 3  # the last 4 masks make no full block
    for j, (m, v) in enumerate(blocks):
        np.testing.assert_array_equal(m, masks[32 * j:32 * (j + 1)])
        np.testing.assert_array_equal(v, values[32 * j:32 * (j + 1)])


def test_score_blocks_reads_the_peer_solver_weights(context):
    """A peer fit with the true weights ranks every held-out mask right; ours, here a reversed
    prediction, ranks them backwards: LDS 1 and -1."""
    rng = np.random.default_rng(0)
    w = np.array([3.0, -1.0, 0.5, 2.0])
    test = rng.random((40, 4)) < 0.5
    tv = 1.0 + test @ w
    jobs = [{"key": "k", "id": "a", "stratum": "single", "budget": 32, "source": "our masks", "block": 0,
             "test": test, "test_values": tv, "ours_pred": [-tv, tv]}]
    row = context.score_blocks(jobs, {"k": {"weights": w.tolist(), "bias": 1.0}})[0]
    assert row["theirs"] == pytest.approx(1.0) and row["theirs_r2"] == pytest.approx(1.0)
    assert row["ours"] == pytest.approx([-1.0, 1.0])


def test_summarise_blocks_counts_each_item_once(context):
    """Item a has four blocks and item b one: the item means weigh them equally, the fit
    counts do not."""
    rows = [{"id": "a", "budget": 32, "source": "our masks", "block": j, "ours": [0.9, 0.7], "theirs": 0.7}
            for j in range(4)]
    rows.append({"id": "b", "budget": 32, "source": "contextcite masks", "block": 0, "ours": [0.5, 0.5],
                 "theirs": 0.6})
    out = context.summarise_blocks(rows)["32"]
    both = out["both"]
    assert both["items"] == 2 and both["blocks"] == 5 and both["fits"] == 10
    assert both["difference"][0] == pytest.approx((0.1 - 0.1) / 2)
    assert both["items_ahead"] == 1 and both["fits_ahead"] == 4
    assert both["block_difference_range"] == pytest.approx([-0.1, 0.1])
    assert out["our masks"]["items"] == 1 and out["contextcite masks"]["items"] == 1
    assert "| 32 | both | 2 | 5 | 10 |" in context.blocks_markdown({"lds": {"32": out}, "r2": {"32": out}})


def test_token_counts_bound_the_gain_of_shared_prefixes(context):
    # two bodies share their first three tokens; a perfect prefix tree runs them once
    bodies = [[1, 2, 3, 4], [1, 2, 3, 5], [9, 9]]
    counts = context.token_counts(2, bodies, keep=1, share=0.5)
    assert counts["flat"] == pytest.approx(10 / 3)
    assert counts["ideal"] == pytest.approx((3 + 1 + 1 + 2) / 3)
    assert counts["full"] == pytest.approx((6 + 6 + 4) * 1.5 / 3)  # prefix included, head at every position
    assert counts["full / ideal"] == pytest.approx(24 / 7)
    # with a cost per forward pass the planner may rather run the bodies flat
    assert counts["ideal"] <= counts["flat"] <= context.token_counts(2, bodies, keep=1, share=0.5, overhead=48)["planned"]


def test_head_share_counts_the_output_head_against_the_layers(context):
    from types import SimpleNamespace

    cfg = SimpleNamespace(hidden_size=4, intermediate_size=8, num_hidden_layers=2, num_attention_heads=2,
                          num_key_value_heads=1, vocab_size=10)
    # per layer: q and o 2*16, k and v 2*4*2, MLP 3*4*8 = 144; the head 10*4
    assert context.head_share(cfg) == pytest.approx(40 / 288)


def test_token_bound_run_counts_every_design_on_the_throughput_prompts(tmp_path):
    report, stdout = run_quick(SCRIPT, tmp_path / "bound.json", threads={"OMP_NUM_THREADS": "2"}, timeout=900,
                               extra=("--token-bound",))
    rows = report["rows"]
    assert len({r["id"] for r in rows}) == 3 and all(r["prompt_tokens"] >= 300 for r in rows)
    for r in rows:
        assert r["ideal"] <= r["flat"] < r["full"]  # a prefix tree never runs more than the flat path
        expected = {r["n"] + 1} if r["masks_kind"] == "leave-one-out" else {32, 128, 256}
        assert r["masks"] in expected
    assert {k for k in report if k.startswith("full / ideal")} == {
        "full / ideal, random 32", "full / ideal, random 128", "full / ideal, random 256", "full / ideal, leave-one-out"}
    assert "wrote" in stdout
