"""Why ProxySPEX misses at 500 queries on the hierarchical game: a selection oracle.

At n = 1000 the hierarchical planted game of ``benchmarks/proxyspex.py`` has about 220 Fourier
terms. This script asks how far sparse selection itself can go with N samples, whatever the
trees propose:

* ``true support``: least squares on exactly the true Fourier support (the best case);
* ``true + trees``: matching pursuit (path length by 4-fold CV, no heredity) over a pool
  holding the true support and the 3,000 largest terms of the trees' spectrum;
* ``true + trees (AND)``: the same, in the basis where this game is sparsest: the pool holds
  the true Möbius support (about 120 AND terms) plus the trees' terms read as AND terms, and
  matching pursuit selects 0/1 products instead of parities;
* ``true + trees (AND, lasso)``: the same pool, fitted by an ℓ1 path (scikit-learn's
  ``LassoCV``, 4 folds, 40 penalties) instead of matching pursuit;
* ``proxyspex``: the solver as shipped.

Usage:
    .venv/bin/python benchmarks/proxyspex_oracle.py [--budgets 500,1000] [--seeds 3]

Writes benchmarks/results/proxyspex_oracle.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spexkit import terms as T  # noqa: E402
from spexkit.masks import uniform_masks  # noqa: E402
from spexkit.metrics import r2_score, sample_masks  # noqa: E402
from spexkit.solvers import proxyspex as P  # noqa: E402
from proxyspex import make_game  # noqa: E402  (the same games as the main benchmark)


def fit_on_pool(masks, values, test, pool_idx, rng, select: bool) -> np.ndarray:
    """Held-out predictions of least squares on the pool, or on matching pursuit's choice in it."""
    if select:  # the solver's own selection step, without heredity
        chosen, sol, _, _ = P._select(masks, values, pool_idx, masks.shape[1], masks.shape[0] // 2, 4, rng, None)
    else:
        chosen = list(range(pool_idx.shape[0]))
        design = np.hstack([np.ones((masks.shape[0], 1)), P.parity_features(masks, pool_idx)])
        sol, *_ = np.linalg.lstsq(design, values, rcond=None)
    return np.hstack([np.ones((test.shape[0], 1)), P.parity_features(test, pool_idx[chosen])]) @ sol


def and_features(masks: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Unanimity features: 1 where every part of the term is kept (padding counts as kept)."""
    kept = np.hstack([masks.astype(bool), np.ones((masks.shape[0], 1), dtype=bool)])
    return kept[:, idx].all(axis=2).astype(np.float64)


def fit_and_pool(masks, values, test, pool_idx, rng) -> np.ndarray:
    """Held-out predictions of matching pursuit over AND features (4-fold CV), then least squares."""
    chosen, sol, _, _ = P.select_columns(and_features(masks, pool_idx), values, masks.shape[0] // 2, 4, rng)
    return np.hstack([np.ones((test.shape[0], 1)), and_features(test, pool_idx[chosen])]) @ sol


def lasso_and_pool(masks, values, test, pool_idx) -> np.ndarray:
    """Held-out predictions of a cross-validated lasso over AND features."""
    from sklearn.linear_model import LassoCV

    model = LassoCV(cv=4, alphas=40, max_iter=5000, random_state=0).fit(and_features(masks, pool_idx), values)
    return model.predict(and_features(test, pool_idx))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--budgets", default="500,1000")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "proxyspex_oracle.json"))
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    rows = []
    print("| n | budget | seed | true terms | true support (LS) | true + trees (OMP) | true + trees (AND, OMP) "
          "| true + trees (AND, lasso) | proxyspex |")
    print("|---|---|---|---|---|---|---|---|---|")
    for budget in [int(b) for b in args.budgets.split(",")]:
        for seed in range(args.seeds):
            game = make_game(args.n, seed)
            truth = game.truth.to("fourier")
            rng = np.random.default_rng(seed)
            masks = uniform_masks(args.n, budget, keep=0.5, seed=rng)
            values = game(masks)
            test = sample_masks(args.n, 3000, seed=10_000 + seed)
            y = game.noiseless(test)
            true_idx = T.as_term_matrix([t for t in truth.terms if t], args.n)
            booster = P.fit_booster(masks, values, P.default_booster_params(4, budget, seed))
            idx, coef = P.paths_to_fourier(*P.lightgbm_paths(booster), args.n)
            top = P.largest_terms(idx, coef, args.n, 3000)
            pool, _ = T.aggregate(T.stack([true_idx, top], args.n), np.zeros(len(true_idx) + len(top)), args.n)
            mobius_idx = T.as_term_matrix([t for t in game.truth.terms if t], args.n)
            and_pool, _ = T.aggregate(T.stack([mobius_idx, top], args.n), np.zeros(len(mobius_idx) + len(top)), args.n)
            row = {"n": args.n, "budget": budget, "seed": seed, "true_terms": int(len(true_idx)),
                   "true_support_ls": r2_score(y, fit_on_pool(masks, values, test, true_idx, rng, False)),
                   "true_plus_trees_omp": r2_score(y, fit_on_pool(masks, values, test, pool, rng, True)),
                   "mobius_terms": int(len(mobius_idx)),
                   "true_plus_trees_and_omp": r2_score(y, fit_and_pool(masks, values, test, and_pool, rng)),
                   "true_plus_trees_and_lasso": r2_score(y, lasso_and_pool(masks, values, test, and_pool)),
                   "proxyspex": r2_score(y, P.fit_samples(masks, values, 4, seed=seed).predict(test))}
            rows.append(row)
            print(f"| {args.n} | {budget} | {seed} | {row['true_terms']} | {row['true_support_ls']:.4f} "
                  f"| {row['true_plus_trees_omp']:.4f} | {row['true_plus_trees_and_omp']:.4f} "
                  f"| {row['true_plus_trees_and_lasso']:.4f} "
                  f"| {row['proxyspex']:.4f} |", flush=True)
    Path(args.out).write_text(json.dumps({"rows": rows}, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
