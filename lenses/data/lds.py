"""Linear datamodeling score (LDS): does the surrogate rank unseen retrainings correctly?

Draw random subsets of groups (each kept with probability ``keep``), retrain on each, and
compare the surrogate's predictions with the actual values by Spearman rank correlation
(Ilyas et al., *Datamodels*, 2022; Park et al., *TRAK*, 2023). :func:`lds_comparison` fits,
on the *same* retrainings, ProxySPEX's interaction surrogate (:mod:`spexkit.solvers.proxyspex`)
and a first-order *linear datamodel* (ridge regression on the mask, the usual datamodel),
then scores both on held-out subsets: interactions earn their keep when their LDS is higher.
"""

from __future__ import annotations

import time

import numpy as np

import spexkit
from spexkit.execution import Evaluator
from spexkit.game import Game
from spexkit.interactions import Interactions
from spexkit.masks import uniform_masks
from spexkit.metrics import r2_score
from spexkit.validation import check_budget, check_masks, check_probability, check_random_state, check_samples

RIDGE_ALPHAS = tuple(np.logspace(-3, 3, 13))


def linear_datamodel(masks, values, *, labels=None, alphas=RIDGE_ALPHAS) -> Interactions:
    """First-order datamodel: value ≈ a0 + Σ_i a_i m_i, by ridge regression (alpha by CV).

    Returns a Möbius expansion with the constant and one term per player, so it predicts,
    plots and compares like any other result.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> m = rng.random((200, 4)) < 0.5
    >>> lin = linear_datamodel(m, 1.0 + 2.0 * m[:, 0] - m[:, 3])
    >>> np.round(lin.predict([[True, False, False, False]]), 2)
    array([3.])
    """
    from sklearn.linear_model import RidgeCV

    masks, values = check_samples(masks, values)
    n = masks.shape[1]
    model = RidgeCV(alphas=alphas).fit(masks.astype(np.float64), values)
    terms = [()] + [(i,) for i in range(n)]
    coefs = np.concatenate([[model.intercept_], model.coef_])
    return Interactions(terms, coefs, n, basis="mobius", labels=labels,
                        metadata={"method": "linear_datamodel", "alpha": float(model.alpha_),
                                  "samples": int(masks.shape[0])})


def linear_datamodeling_score(surrogate, masks, values) -> float:
    """Spearman correlation between ``surrogate.predict(masks)`` and the actual ``values``.

    ``surrogate`` is an :class:`~spexkit.Interactions` or any callable on masks. Returns 0.0
    when either side is constant (no ranking to compare).

    Examples
    --------
    >>> res = Interactions([(0,), (0, 1)], [1.0, 2.0], n_players=2, basis="mobius")
    >>> m = np.array([[0, 0], [1, 0], [1, 1]], dtype=bool)
    >>> linear_datamodeling_score(res, m, [0.0, 0.5, 4.0])
    1.0
    """
    from scipy.stats import spearmanr

    masks, actual = check_samples(masks, values)
    predict = surrogate.predict if hasattr(surrogate, "predict") else surrogate
    pred = np.asarray(predict(masks), dtype=np.float64)
    if pred.shape != actual.shape:
        raise ValueError(f"predictions {pred.shape} and values {actual.shape} differ in shape")
    if not np.isfinite(pred).all():
        raise ValueError("the surrogate's predictions must be finite")
    if pred.size < 2 or np.ptp(pred) == 0 or np.ptp(actual) == 0:
        return 0.0
    return float(spearmanr(pred, actual).statistic)


def lds_comparison(game: Game, budget: int, *, n_holdout: int = 200, max_degree: int | None = 3,
                   keep: float | None = None, seed=0, n_jobs: int = 1, backend: str | None = None,
                   cache=None, batch_size: int | None = None, progress=False, holdout=None) -> dict:
    """LDS of the interaction surrogate and of the linear datamodel, on the same retrainings.

    Parameters
    ----------
    game : spexkit.Game (e.g. from :meth:`DataLens.game`)
    budget : int
        Retrainings used to fit both surrogates.
    n_holdout : int
        Further retrainings on fresh random subsets, used only to score.
    max_degree : int, optional
        Highest interaction order of the ProxySPEX surrogate.
    keep : float, optional
        Probability that a group is kept in a subset (default ``game.keep``).
    seed : int or Generator
    n_jobs, backend, cache, batch_size, progress
        As in :func:`spexkit.explain`: retrainings run through the engine (parallel, on a
        Dask cluster, cached and resumable).
    holdout : tuple (masks, values), optional
        Held-out retrainings already paid for (e.g. shared by several budgets); then
        ``n_holdout`` is ignored.

    Returns
    -------
    dict
        ``lds_interactions``, ``lds_linear`` (Spearman on the held-out subsets),
        ``r2_interactions``, ``r2_linear`` (R² there), ``budget``, ``n_holdout``,
        ``queries`` (retrainings paid for by this call), ``seconds``, ``interactions`` and
        ``linear`` (the two fitted :class:`~spexkit.Interactions`), and ``holdout``.

    Examples
    --------
    >>> from spexkit.planted import planted_game
    >>> game = planted_game(12, n_terms=6, max_degree=2, basis="mobius", seed=0)
    >>> out = lds_comparison(game, budget=300, n_holdout=100, max_degree=2, seed=0)
    >>> out["lds_interactions"] > out["lds_linear"]
    True
    """
    if not isinstance(game, Game):
        raise TypeError(f"lds_comparison needs a spexkit.Game, got {type(game).__name__}")
    budget = check_budget(budget, minimum=8)
    rng = check_random_state(seed)
    p_keep = check_probability(game.keep if keep is None else keep, "keep")
    n = game.n_players
    if holdout is None:
        n_holdout = check_budget(n_holdout, minimum=2, name="n_holdout")
    ev = Evaluator(game, batch_size=batch_size, progress=progress, desc="retrainings", cache=cache,
                   n_jobs=n_jobs, backend=backend)
    try:
        t0 = time.perf_counter()
        train = uniform_masks(n, budget, keep=p_keep, seed=rng)
        if holdout is None:
            held = uniform_masks(n, n_holdout, keep=p_keep, seed=rng)
            values = ev(np.vstack([train, held]))
            y_train, y_held = values[:budget], values[budget:]
        else:
            held = check_masks(holdout[0], n)
            y_held = np.asarray(holdout[1], dtype=np.float64)
            y_train = ev(train)
        seconds = time.perf_counter() - t0
    finally:
        if ev.cache is not None and ev.cache is not cache:  # opened here from a path: close it here
            ev.cache.close()
    queries = int(ev.queries)
    inter = spexkit.fit_samples(train, y_train, max_degree, rng, labels=game.labels)
    # One count everywhere: the retrainings this call paid for (cache hits are free).
    inter.metadata.update({"queries": queries, "train_samples": int(budget)})
    linear = linear_datamodel(train, y_train, labels=game.labels)
    linear.metadata.update({"queries": queries, "train_samples": int(budget)})
    return {
        "budget": int(budget),
        "n_holdout": int(held.shape[0]),
        "lds_interactions": linear_datamodeling_score(inter, held, y_held),
        "lds_linear": linear_datamodeling_score(linear, held, y_held),
        "r2_interactions": r2_score(y_held, inter.predict(held)),
        "r2_linear": r2_score(y_held, linear.predict(held)),
        "queries": queries,
        "seconds": seconds,
        "interactions": inter,
        "linear": linear,
        "holdout": (held, y_held),
    }
