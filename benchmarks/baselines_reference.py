#!/usr/bin/env python
"""Baselines against their reference packages, on identical value tables.

KernelSHAP: spexkit's ``kernelshap`` and shap's ``KernelExplainer`` estimate the Shapley
values of the same games (value tables over all 2^n coalitions, n = 8, 10, 12) at the same
number of model calls, over several seeds. The error of one run is the relative L2 error
||phi_hat - phi|| / ||phi|| against the exact Shapley values; the table gives its mean and
standard deviation over the seeds.

Equal budget: spexkit's ``budget`` counts every distinct call, the empty and full coalitions
included; shap evaluates those two outside ``nsamples``, so it gets ``nsamples = budget - 2``.
shap runs with ``l1_reg=False`` (a plain constrained least-squares fit over all features, the
estimator spexkit implements; shap's default ``num_features(10)`` would drop features at
n = 12). Its sampler uses numpy's global generator, seeded with the run's seed.

LIME: lime's ``LimeTabularExplainer`` draws its perturbations from training-data statistics,
not from coalitions, so it does not fit a value table naturally. What is compared instead is
the regression itself: lime's ``LimeBase`` (its ridge, ``fit_intercept=True``) is given the
very masks, values and weights spexkit's ``lime`` uses, with the same ridge strength; the two
must agree, and adding a constant c = 1e3 to the game must leave both sets of attributions
unchanged.

Usage (from the repository root)::

    .venv/bin/python benchmarks/baselines_reference.py --peer-python .peer-venvs/shap-lime/bin/python
    .venv/bin/python benchmarks/baselines_reference.py --no-peer   # spexkit only, peer rows kept

The peer Python needs ``shap lime numpy scikit-learn`` (``python3 -m venv .peer-venvs/shap-lime &&
.peer-venvs/shap-lime/bin/pip install shap lime numpy scikit-learn``); it never imports spexkit.
Writes ``benchmarks/results/baselines_reference.json``, which ``tests/test_baselines.py``
reads: it reruns spexkit's ``kernelshap`` on the same games and seeds and checks that its mean
error stays within 1.2x of the shap errors recorded here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "baselines_reference.json"

# Fixed games: (kind, n). "hierarchical": planted_game(n, n, 3, basis="mobius",
# hierarchical=True, seed=GAME_SEED), the shape of LLM games; "dense": dense_game(n,
# seed=GAME_SEED), i.i.d. Gaussian values on every coalition (nothing sparse).
GAME_SEED = 0
KINDS = ("hierarchical", "dense")
BUDGETS = {8: (32, 64, 128), 10: (64, 128, 256), 12: (64, 128, 256)}
SEEDS = tuple(range(20))
RATIO_TARGET = 1.2
LIME_CASE = {"kind": "hierarchical", "n": 10, "budget": 300, "seed": 0, "offset": 1e3}


# ---------------------------------------------------------------- games (spexkit side)

def make_game(kind: str, n: int):
    """The fixed game of one (kind, n): a PlantedGame whose ``truth`` gives exact indices."""
    from spexkit.planted import dense_game, planted_game

    if kind == "hierarchical":
        return planted_game(n, n, 3, basis="mobius", hierarchical=True, seed=GAME_SEED)
    if kind == "dense":
        return dense_game(n, seed=GAME_SEED)
    raise ValueError(f"unknown game kind {kind!r}")


def value_table(game) -> np.ndarray:
    """Values on all 2^n coalitions, bit i of the index = player i kept."""
    from spexkit.masks import all_masks

    return np.asarray(game.noiseless(all_masks(game.n_players)), dtype=np.float64)


def table_checksum(values: np.ndarray) -> list[float]:
    """Three numbers that a reader compares (to rounding) to check it rebuilt the same table."""
    probe = np.cos(np.arange(values.shape[0]))
    return [float(values.mean()), float(values.std()), float(values @ probe)]


def table_game(values: np.ndarray):
    """A spexkit Game that looks its values up in a table."""
    import spexkit

    n = values.shape[0].bit_length() - 1
    weights = 1 << np.arange(n)
    return spexkit.Game(lambda m: values[m.astype(np.int64) @ weights], n_players=n)


def relative_error(estimate, exact) -> float:
    return float(np.linalg.norm(np.asarray(estimate) - exact) / np.linalg.norm(exact))


def ours_kernelshap(values: np.ndarray, budget: int, seed: int) -> tuple[np.ndarray, int]:
    """spexkit's sampled KernelSHAP on a value table: (Shapley estimates, distinct calls)."""
    import spexkit

    res = spexkit.explain(table_game(values), method="kernelshap", budget=budget, seed=seed, progress=False)
    return res.shapley(), int(res.metadata["queries"])


# ---------------------------------------------------------------- the peer (its own Python)

def peer_worker(inp: str, out: str) -> None:
    """Runs under the peer's Python (numpy, shap, lime, scikit-learn; no spexkit)."""
    import warnings

    import shap
    import sklearn
    from lime.lime_base import LimeBase
    from sklearn.linear_model import Ridge

    data = np.load(inp, allow_pickle=False)
    tasks = json.loads(str(data["tasks"]))
    result: dict[str, np.ndarray] = {}
    for t in tasks:
        values = data[f"table_{t['game']}"]
        n = values.shape[0].bit_length() - 1
        bits = 1 << np.arange(n)

        def model(x, values=values, bits=bits):
            # shap hands over rows of the instance (ones) with removed features set to the
            # background (zeros): exactly a coalition's mask.
            return values[np.rint(x).astype(np.int64) @ bits]

        np.random.seed(t["seed"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            explainer = shap.KernelExplainer(model, np.zeros((1, n)))
            phi = explainer.shap_values(np.ones((1, n)), nsamples=t["budget"] - 2, l1_reg=False, silent=True)
        result[t["key"]] = np.asarray(phi, dtype=np.float64).reshape(-1)[:n]
    if "lime_masks" in data.files:
        masks, weights, y = data["lime_masks"], data["lime_weights"], data["lime_values"]
        offset, ridge = float(data["lime_offset"]), float(data["lime_ridge"])
        n = masks.shape[1]
        base = LimeBase(kernel_fn=lambda d: d)  # "distances" passed in are the weights themselves
        for name, target in (("lime_plain", y), ("lime_offset", y + offset)):
            intercept, exp, _, _ = base.explain_instance_with_data(
                masks.astype(np.float64), target[:, None], weights, 0, n, feature_selection="none",
                model_regressor=Ridge(alpha=ridge, fit_intercept=True))
            coef = np.zeros(n)
            for i, w in exp:
                coef[i] = w
            result[name] = np.concatenate([[intercept], coef])
    import lime

    versions = {"shap": shap.__version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__,
                "lime": getattr(lime, "__version__", _dist_version("lime")), "python": platform.python_version()}
    result["versions"] = np.array(json.dumps(versions))
    np.savez(out, **result)


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


# ---------------------------------------------------------------- main

def lime_design(case: dict):
    """The masks, row weights and values spexkit's ``lime`` fits on, and its result, on one game."""
    import spexkit
    from spexkit.solvers.baselines import LIME_RIDGE, _lime_design

    game = make_game(case["kind"], case["n"])
    values = value_table(game)
    rng = np.random.default_rng(case["seed"])
    masks, weights, _ = _lime_design(case["n"], case["budget"], rng)
    bits = 1 << np.arange(case["n"])
    y = values[masks.astype(np.int64) @ bits]
    plain = spexkit.explain(table_game(values), method="lime", budget=case["budget"], seed=case["seed"],
                            progress=False)
    shifted = spexkit.explain(table_game(values + case["offset"]), method="lime", budget=case["budget"],
                              seed=case["seed"], progress=False)
    return masks, weights, y, LIME_RIDGE, plain, shifted


def summarise(errors: list[float]) -> dict:
    a = np.asarray(errors)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if a.size > 1 else 0.0, "errors": a.tolist()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--peer-python", default=None, help="a Python with shap, lime, numpy and scikit-learn")
    p.add_argument("--no-peer", action="store_true",
                   help="spexkit only; the peer's rows are carried over from --out if it exists")
    p.add_argument("--out", default=str(DEFAULT_OUT))
    p.add_argument("--worker", nargs=2, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        peer_worker(*args.worker)
        return 0
    sys.path.insert(0, str(ROOT))

    previous = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else None
    games, tables = [], {}
    for kind in KINDS:
        for n in BUDGETS:
            game = make_game(kind, n)
            values = value_table(game)
            gid = f"{kind}-{n}"
            tables[gid] = values
            games.append({"id": gid, "kind": kind, "n": n, "game_seed": GAME_SEED, "checksum": table_checksum(values),
                          "exact_shapley": game.truth.shapley().tolist()})
    tasks = [{"key": f"{g['id']}|{b}|{s}", "game": g["id"], "budget": b, "seed": s}
             for g in games for b in BUDGETS[g["n"]] for s in SEEDS]

    lime_masks, lime_weights, lime_y, ridge, lime_plain, lime_shifted = lime_design(LIME_CASE)

    peer, versions = None, None
    if not args.no_peer:
        python = (args.peer_python or os.environ.get("SPEXKIT_PEER_PYTHON")
                  or str(ROOT / ".peer-venvs" / "shap-lime" / "bin" / "python"))
        if not Path(python).exists():
            p.error(f"no peer Python at {python}: pass --peer-python, or --no-peer to keep the recorded peer rows")
        with tempfile.TemporaryDirectory() as tmp:
            inp, out = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
            np.savez(inp, tasks=np.array(json.dumps(tasks)), lime_masks=lime_masks, lime_weights=lime_weights,
                     lime_values=lime_y, lime_offset=np.array(LIME_CASE["offset"]), lime_ridge=np.array(ridge),
                     **{f"table_{k}": v for k, v in tables.items()})
            t0 = time.perf_counter()
            subprocess.run([python, __file__, "--worker", str(inp), str(out)], check=True)
            print(f"peer: {time.perf_counter() - t0:.1f} s")
            got = np.load(out, allow_pickle=False)
            peer = {k: got[k] for k in got.files}
            versions = json.loads(str(peer.pop("versions")))
    elif previous is None:
        p.error("--no-peer needs a previous result at --out to carry the peer's rows over")

    rows = []
    for g in games:
        exact = np.asarray(g["exact_shapley"])
        for b in BUDGETS[g["n"]]:
            ours, calls = [], []
            t0 = time.perf_counter()
            for s in SEEDS:
                phi, q = ours_kernelshap(tables[g["id"]], b, s)
                ours.append(relative_error(phi, exact))
                calls.append(q)
            t_ours = (time.perf_counter() - t0) / len(SEEDS)
            if peer is not None:
                shap_row = summarise([relative_error(peer[f"{g['id']}|{b}|{s}"], exact) for s in SEEDS])
            else:
                shap_row = next(r["shap"] for r in previous["kernelshap"]
                                if r["game"] == g["id"] and r["budget"] == b)
            row = {"game": g["id"], "kind": g["kind"], "n": g["n"], "budget": b,
                   "ours": summarise(ours), "shap": shap_row, "ours_calls_max": max(calls),
                   "ours_time_s": t_ours}
            row["ratio"] = row["ours"]["mean"] / max(shap_row["mean"], 1e-300)
            rows.append(row)

    lime_out = {"case": LIME_CASE, "ridge": ridge,
                "ours_offset_change": float(np.max(np.abs(lime_shifted.shapley() - lime_plain.shapley()))),
                "ours_queries": int(lime_plain.metadata["queries"])}
    if peer is not None:
        n = LIME_CASE["n"]  # a degree-1 Möbius expansion: the constant is its value at the empty mask
        ours_coef = np.concatenate([lime_plain.predict(np.zeros((1, n), bool)), lime_plain.shapley()])
        lime_out["max_abs_diff_vs_lime"] = float(np.max(np.abs(peer["lime_plain"] - ours_coef)))
        lime_out["lime_offset_change"] = float(np.max(np.abs(peer["lime_offset"][1:] - peer["lime_plain"][1:])))
    elif previous is not None:
        for k in ("max_abs_diff_vs_lime", "lime_offset_change"):
            if k in previous.get("lime", {}):
                lime_out[k] = previous["lime"][k]

    result = {"metric": "relative L2 error of the Shapley estimates, mean and std over seeds",
              "seeds": list(SEEDS), "budgets": {str(k): list(v) for k, v in BUDGETS.items()},
              "games": games,
              "ratio_target": RATIO_TARGET, "kernelshap": rows, "lime": lime_out,
              "peer_versions": versions or (previous or {}).get("peer_versions"),
              "machine": {"python": platform.python_version(), "numpy": np.__version__}}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result))
    print(f"wrote {args.out}")
    return 0


def markdown(result: dict) -> str:
    lines = ["| game | n | budget | spexkit kernelshap | shap KernelExplainer | ratio |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in result["kernelshap"]:
        o, s = r["ours"], r["shap"]
        lines.append(f"| {r['kind']} | {r['n']} | {r['budget']} | {o['mean']:.4f} ± {o['std']:.4f} | "
                     f"{s['mean']:.4f} ± {s['std']:.4f} | {r['ratio']:.2f} |")
    lime = result["lime"]
    lines.append("")
    lines.append(f"lime (n = {lime['case']['n']}, budget {lime['case']['budget']}): attributions move by "
                 f"{lime['ours_offset_change']:.1e} when c = {lime['case']['offset']:g} is added "
                 + (f"(lime's LimeBase on the same rows: {lime['lime_offset_change']:.1e}); "
                    f"largest difference from LimeBase: {lime['max_abs_diff_vs_lime']:.1e}"
                    if "max_abs_diff_vs_lime" in lime else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
