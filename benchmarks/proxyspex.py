"""ProxySPEX benchmark: spexkit's ProxySPEX against shapiq.ProxySPEX, and every method at
equal small budgets, on hierarchical planted games.

Games: ``planted_game(n, 30, 4, basis="mobius", hierarchical=True)``: 30 AND-terms of degree
<= 4, each with about half of its proper subsets (coefficients uniform in [1, 2], subterms
scaled by 0.25-0.5). R² is held out: 3,000 fresh uniform masks, against the noiseless truth.
Time is the whole call: sampling + (tuning) + fit + extraction + selection/refit.

Usage:
    .venv/bin/python benchmarks/proxyspex.py                       # spexkit only
    .venv/bin/python benchmarks/proxyspex.py --peer-python .peer-venvs/shapiq/bin/python
    .venv/bin/python benchmarks/proxyspex.py --quick               # 2 seeds
    .venv/bin/python benchmarks/proxyspex.py --peer-from benchmarks/results/proxyspex.json
        # rerun spexkit only; the peer's rows (slow: ~1 min a call) are carried over

Writes benchmarks/results/proxyspex.json. The peer runs in a separate Python (shapiq 1.4.1
and lightgbm installed there; spexkit is imported from this checkout via PYTHONPATH).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spexkit  # noqa: E402
from spexkit.planted import planted_game  # noqa: E402
from spexkit.metrics import r2_score, sample_masks  # noqa: E402

CASES = [
    {"n": 300, "budget": 500}, {"n": 300, "budget": 1000},
    {"n": 1000, "budget": 500}, {"n": 1000, "budget": 1000}, {"n": 1000, "budget": 2000},
    {"n": 300, "budget": 1000, "snr_db": 20}, {"n": 1000, "budget": 1000, "snr_db": 20},
]
EQUAL_BUDGET = {"n": 300, "budget": 1000}
METHODS_AT_EQUAL_BUDGET = ["proxyspex", "spex", "kernelshap", "lime", "banzhaf"]


def make_game(n: int, seed: int, snr_db=None):
    return planted_game(n, 30, 4, basis="mobius", hierarchical=True, seed=seed, snr_db=snr_db)


def held_out_r2(res, game, seed: int) -> float:
    masks = sample_masks(game.n_players, 3000, seed=10_000 + seed)
    return r2_score(game.noiseless(masks), res.predict(masks))


def run_ours(case, seed, method="proxyspex"):
    game = make_game(case["n"], seed, case.get("snr_db"))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kwargs = {"max_degree": 4} if method in ("proxyspex", "spex") else {}
        try:
            res = spexkit.explain(game, method=method, budget=case["budget"], seed=seed, progress=False, **kwargs)
        except ValueError as exc:  # e.g. SPEX below its smallest budget
            return {"error": str(exc).split(";")[0]}
    wall = time.perf_counter() - t0
    return {"r2": held_out_r2(res, game, seed), "time": wall, "queries": res.metadata["queries"],
            "terms": len(res)}


def run_peer(case, seed):
    """Runs inside the peer's Python: shapiq.ProxySPEX through approximate(budget, game)."""
    import shapiq
    from shapiq.approximator.sparse import base

    captured = {}
    original = base.fourier_to_moebius

    def capture(fourier):  # a pass-through: records the Fourier transform it decodes
        captured.clear()
        captured.update(fourier)
        return original(fourier)

    base.fourier_to_moebius = capture
    game = make_game(case["n"], seed, case.get("snr_db"))
    queries = {"n": 0}

    def value(coalitions):
        x = np.asarray(coalitions).astype(bool)
        queries["n"] += x.shape[0]
        return game(x)

    np.random.seed(seed)
    t0 = time.perf_counter()
    approx = shapiq.ProxySPEX(n=case["n"], max_order=4, random_state=seed)
    approx.approximate(case["budget"], value)
    wall = time.perf_counter() - t0
    terms = [tuple(int(i) for i in k) for k in captured]
    coefs = [float(np.real(v)) for v in captured.values()]
    res = spexkit.Interactions(terms, coefs, n_players=case["n"], basis="fourier")
    return {"r2": held_out_r2(res, game, seed), "time": wall, "queries": queries["n"], "terms": len(res)}


def peer_call(python: str, case, seed, timeout=600):
    spec = json.dumps({"case": case, "seed": seed})
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="2")
    try:
        out = subprocess.run([python, __file__, "--worker", spec], capture_output=True, text=True,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout} s"}
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def mean(rows, key):
    vals = [r[key] for r in rows if key in r]
    return float(np.mean(vals)) if vals else None


def fmt(x, f="{:.4f}"):
    return "–" if x is None else f.format(x)


def equal_budget_table(report: dict, seeds) -> None:
    case = EQUAL_BUDGET
    print(f"\nAll methods at an equal budget of {case['budget']} queries, n = {case['n']} (held-out R²)")
    print("| method | mean R² | queries | time (s) |")
    print("|---|---|---|---|")
    for method in METHODS_AT_EQUAL_BUDGET:
        rows = [run_ours(case, s, method) for s in seeds]
        report["equal_budget"][method] = rows
        err = next((r["error"] for r in rows if "error" in r), None)
        print(f"| {method} | {fmt(mean(rows, 'r2')) if not err else err} | {fmt(mean(rows, 'queries'), '{:.0f}')} "
              f"| {fmt(mean(rows, 'time'), '{:.2f}')} |", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--peer-python", default=None, help="a Python with shapiq==1.4.1 and lightgbm")
    p.add_argument("--quick", action="store_true", help="2 seeds instead of 3")
    p.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 3; --quick 2)")
    p.add_argument("--cases", default=None, help="comma-separated indices into CASES (default all)")
    p.add_argument("--no-equal-budget", action="store_true", help="skip the all-methods table")
    p.add_argument("--peer-from", default=None,
                   help="carry the shapiq rows over from an earlier results file (same cases and seeds)")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "proxyspex.json"))
    args = p.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(run_peer(spec["case"], spec["seed"])))
        return 0
    seeds = list(range(args.seeds)) if args.seeds else ([0, 1] if args.quick else [0, 1, 2])
    cases = [CASES[int(i)] for i in args.cases.split(",")] if args.cases else CASES
    report = {"seeds": seeds, "cases": [], "equal_budget": {}}
    carried = {}
    if args.peer_from:
        old = json.loads(Path(args.peer_from).read_text())
        if old.get("seeds") != seeds:
            raise SystemExit(f"{args.peer_from} used seeds {old.get('seeds')}, this run {seeds}")
        carried = {json.dumps(r["case"], sort_keys=True): r["shapiq"] for r in old["cases"]}
        report["peer_from"] = str(args.peer_from)
    print(f"ProxySPEX on hierarchical planted games (30 AND-terms of degree <= 4 with sub-terms), seeds {seeds}")
    print("| n | budget | noise | spexkit R² | spexkit time (s) | shapiq R² | shapiq time (s) |")
    print("|---|---|---|---|---|---|---|")
    for case in cases:
        ours = [run_ours(case, s) for s in seeds]
        peer = ([peer_call(args.peer_python, case, s) for s in seeds] if args.peer_python
                else carried.get(json.dumps(case, sort_keys=True), []))
        row = {"case": case, "spexkit": ours, "shapiq": peer}
        report["cases"].append(row)
        noise = f"{case['snr_db']} dB" if case.get("snr_db") else "none"
        peer_err = next((r["error"] for r in peer if "error" in r), None)
        print(f"| {case['n']} | {case['budget']} | {noise} | {fmt(mean(ours, 'r2'))} (min {fmt(min(r['r2'] for r in ours))}) "
              f"| {fmt(mean(ours, 'time'), '{:.2f}')} | "
              f"{fmt(mean(peer, 'r2')) if not peer_err else peer_err} | {fmt(mean(peer, 'time'), '{:.1f}')} |",
              flush=True)
    if not args.no_equal_budget:
        equal_budget_table(report, seeds)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
