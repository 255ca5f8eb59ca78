"""ProxySPEX step 2: the LightGBM proxy (settings, fit, optional tuning, held-out check)."""

from __future__ import annotations

import numpy as np

from ...metrics import r2_score


def default_booster_params(max_degree: int | None, n_samples: int, seed: int) -> dict:
    """LightGBM settings for binary features.

    Depth bounds the interaction order a path can express; few leaves per tree (depth + 1,
    enough for one full-depth chain) with many trees and a small learning rate spread the
    splits over many features, so the extracted spectrum contains more of the true terms.
    """
    depth = 4 if max_degree is None else int(np.clip(max_degree, 1, 8))
    return {
        "objective": "regression",
        "n_estimators": 1000,
        "learning_rate": 0.05,
        "max_depth": depth,
        "num_leaves": depth + 1,
        "min_child_samples": 5,
        "min_child_weight": 1e-6,
        "reg_lambda": 0.0,
        "max_bin": 2,  # features are 0/1: one threshold is all there is
        "min_data_in_bin": 1,
        # None: chosen by fit_booster from the problem's size. With deterministic=True and a
        # forced histogram layout LightGBM gives the same trees for any thread count (its
        # documented guarantee, and bit-identical terms and coefficients here for 1, 2 and all
        # threads), so the choice changes speed only.
        "n_jobs": None,
        "random_state": seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }


#: Below this many mask entries (samples x parts) the booster runs on one thread. Idle, two
#: threads gain at most 1.4x there (0.21 s against 0.15 s at 1,000 x 270; nothing below
#: 300 x 30); with the cores busy elsewhere (a model in another process, a second job)
#: LightGBM's OpenMP threads wait on each other and a fit takes 3-60x longer than on one
#: thread (60 x 8: 3.7 s against 0.06 s). Above it, every core (1.6x idle at 1,000 x 1,000).
#: ``benchmarks/booster_threads.py`` measures both.
PARALLEL_MIN_ENTRIES = 300_000


def booster_threads(masks: np.ndarray, params: dict) -> dict:
    """``params`` with ``n_jobs`` chosen when it is None: 1 below :data:`PARALLEL_MIN_ENTRIES`."""
    if params.get("n_jobs") is not None:
        return params
    return dict(params, n_jobs=1 if masks.size < PARALLEL_MIN_ENTRIES else None)


def fit_booster(masks: np.ndarray, values: np.ndarray, params: dict):
    """Fit a LightGBM regressor on 0/1 features and return its booster.

    ``params["n_jobs"] = None`` lets :func:`booster_threads` pick the thread count.
    """
    import lightgbm as lgb

    model = lgb.LGBMRegressor(**booster_threads(masks, params))
    model.fit(masks.astype(np.float32), values)
    return model.booster_


TUNING_GRID = (
    {"max_depth": 3, "num_leaves": 4},
    {"max_depth": 4, "num_leaves": 5},
    {"max_depth": 5, "num_leaves": 6},
)


def tune_booster(masks: np.ndarray, values: np.ndarray, params: dict, rng,
                 grid=TUNING_GRID) -> tuple[dict, list[dict]]:
    """Pick booster settings by held-out R² on a quarter of the samples already queried.

    One fit per grid point on three quarters of the data (no new queries); returns the best
    settings merged into ``params`` and the score of every point.
    """
    N = masks.shape[0]
    order = rng.permutation(N)
    val, train = order[: N // 4], order[N // 4 :]
    scores = []
    for point in grid:
        trial = dict(params, **point)
        booster = fit_booster(masks[train], values[train], trial)
        pred = booster.predict(masks[val].astype(np.float32))
        scores.append({**point, "holdout_r2": r2_score(values[val], pred)})
    best = max(range(len(grid)), key=lambda i: scores[i]["holdout_r2"])
    return dict(params, **grid[best]), scores


def raw_holdout_r2(masks, values, params, rng) -> float:
    """Held-out R² of the booster itself: one fit on 3/4 of the samples, scored on the rest."""
    order = rng.permutation(masks.shape[0])
    val, train = order[: masks.shape[0] // 4], order[masks.shape[0] // 4 :]
    booster = fit_booster(masks[train], values[train], params)
    return r2_score(values[val], booster.predict(masks[val].astype(np.float32)))
