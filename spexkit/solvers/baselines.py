"""Baselines (docs/design.md section 9): the methods SPEX and ProxySPEX are compared with.

Each is a function ``(game, budget, max_degree, seed, ...) -> Interactions`` and states its
cost in queries. First-order methods return a degree-1 expansion whose ``shapley()`` or
``banzhaf()`` is the method's estimate.
"""

from __future__ import annotations

import time
from itertools import combinations
from math import comb

import numpy as np

from ..execution import as_evaluator
from ..interactions import Interactions
from ..masks import all_masks, masks_with_sizes, uniform_masks
from ..validation import check_probability, check_random_state
from . import register, warn_ignored_keep

MAX_LASSO_FEATURES = 200_000


def _result(ev, terms, coefs, basis, method, t0, t1, **meta) -> Interactions:
    n = ev.game.n_players
    info = {"method": method, "queries": ev.queries, "time_sampling": t1 - t0,
            "time_decoding": time.perf_counter() - t1, **meta}
    return Interactions(terms, coefs, n, basis=basis, labels=ev.game.labels, metadata=info)


def _all_terms(n: int, max_degree: int) -> list[tuple[int, ...]]:
    count = sum(comb(n, d) for d in range(1, max_degree + 1))
    if count > MAX_LASSO_FEATURES:
        raise ValueError(
            f"lasso over all terms up to degree {max_degree} of {n} players needs {count} features "
            f"(limit {MAX_LASSO_FEATURES}); lower max_degree or use method='spex' / 'proxyspex'"
        )
    return [t for d in range(1, max_degree + 1) for t in combinations(range(n), d)]


@register("lasso")
def lasso(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
          keep: float | None = None, basis: str = "fourier", cv_folds: int = 5) -> Interactions:
    """LASSO over every term up to ``max_degree`` (default 2), penalty by cross-validation.

    Cost: ``budget`` queries (default 2000) of uniform masks. Only for small n: the design has
    Σ_d C(n, d) columns. ``basis``: ``"fourier"`` (parities) or ``"mobius"`` (unanimities).
    """
    from sklearn.linear_model import LassoCV

    ev = as_evaluator(game)
    n = ev.game.n_players
    d = 2 if max_degree is None else int(max_degree)
    if basis not in ("fourier", "mobius"):
        raise ValueError(f"basis must be 'fourier' or 'mobius', got {basis!r}")
    terms = _all_terms(n, d)
    rng = check_random_state(seed)
    budget = 2000 if budget is None else int(budget)
    p = check_probability(ev.game.keep if keep is None else keep, "keep")
    t0 = time.perf_counter()
    masks = uniform_masks(n, budget, keep=p, seed=rng)
    values = ev(masks)
    t1 = time.perf_counter()
    from ..terms import as_term_matrix
    from .proxyspex import parity_features

    idx = as_term_matrix(terms, n)
    if basis == "fourier":
        X = parity_features(masks, idx)
    else:
        ext = np.ones((budget, n + 1), dtype=bool)
        ext[:, :n] = masks
        X = ext[:, idx].all(2).astype(np.float64)
    model = LassoCV(cv=cv_folds, random_state=int(rng.integers(2**31 - 1)), alphas=30, max_iter=5000)
    model.fit(X, values)
    nz = np.flatnonzero(model.coef_)
    out_terms = [()] + [terms[i] for i in nz]
    out_coef = np.concatenate([[model.intercept_], model.coef_[nz]])
    return _result(ev, out_terms, out_coef, basis, "lasso", t0, t1, alpha=float(model.alpha_),
                   n_features=len(terms))


def _shapley_kernel_sizes(n: int, count: int, rng) -> np.ndarray:
    """Coalition sizes 1..n-1 drawn with the Shapley kernel's size weights (n-1)/(k(n-k))."""
    k = np.arange(1, n)
    w = (n - 1) / (k * (n - k))
    return rng.choice(k, size=count, p=w / w.sum())


@register("kernelshap")
def kernelshap(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
               keep: float | None = None) -> Interactions:
    """KernelSHAP-style Shapley values: a linear fit under the Shapley kernel.

    Cost: ``budget`` queries (default 2n + 2048): the empty and full coalitions (fitted exactly
    through the efficiency constraint) plus coalitions whose sizes follow the Shapley kernel.
    Returns a Möbius expansion of degree <= 1: the constant v(∅) and φ_i per player. When
    the budget covers all 2^n coalitions, every coalition is queried once and weighted by
    the kernel, which gives the exact Shapley values. ``keep`` is unused (giving it warns).
    """
    ev = as_evaluator(game)
    n = ev.game.n_players
    warn_ignored_keep("kernelshap", keep, "its coalition sizes follow the Shapley kernel")
    rng = check_random_state(seed)
    budget = 2 * n + 2048 if budget is None else int(budget)
    if budget < 3 or n < 2:
        raise ValueError("kernelshap needs at least 2 players and a budget of 3 queries")
    t0 = time.perf_counter()
    exhaustive = n <= 20 and budget >= (1 << n)
    if exhaustive:
        inner = all_masks(n)[1:-1]
        masks = np.vstack([np.zeros((1, n), bool), np.ones((1, n), bool), inner])
        k = inner.sum(1)
        weights = (n - 1) / (np.array([comb(n, int(x)) for x in k]) * k * (n - k))
    else:
        sizes = _shapley_kernel_sizes(n, budget - 2, rng)
        masks = np.vstack([np.zeros((1, n), bool), np.ones((1, n), bool), masks_with_sizes(n, sizes, rng)])
        weights = np.ones(budget - 2)
    values = ev(masks)
    t1 = time.perf_counter()
    v0, v1 = values[0], values[1]
    sw = np.sqrt(weights)[:, None]
    Z = masks[2:].astype(np.float64)
    y = values[2:] - v0
    # Sampling by the kernel's size weights makes the regression unweighted. Efficiency
    # (Σφ = v(N) - v(∅)) is imposed by eliminating the last player's coefficient.
    total = v1 - v0
    A = Z[:, :-1] - Z[:, -1:]
    b = y - Z[:, -1] * total
    phi_head, *_ = np.linalg.lstsq(A * sw, b * sw[:, 0], rcond=None)
    phi = np.append(phi_head, total - phi_head.sum())
    terms = [()] + [(i,) for i in range(n)]
    return _result(ev, terms, np.concatenate([[v0], phi]), "mobius", "kernelshap", t0, t1,
                   exhaustive=exhaustive)


@register("lime")
def lime(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
         keep: float | None = None, kernel_width: float = 0.25, ridge: float = 1e-3) -> Interactions:
    """LIME-style local linear surrogate around the full input.

    Cost: ``budget`` queries (default 1000) of masks that each remove a uniformly drawn number
    of parts, weighted by exp(-d²/width²) with d the fraction removed. Returns a Möbius
    expansion of degree <= 1 (intercept and one weight per player). ``keep`` is unused
    (giving it warns).
    """
    ev = as_evaluator(game)
    n = ev.game.n_players
    warn_ignored_keep("lime", keep, "its masks remove a uniformly drawn number of parts")
    rng = check_random_state(seed)
    budget = 1000 if budget is None else int(budget)
    t0 = time.perf_counter()
    removed = rng.integers(1, n + 1, size=budget - 1)
    masks = np.vstack([np.ones((1, n), bool), masks_with_sizes(n, n - removed, rng)])
    values = ev(masks)
    t1 = time.perf_counter()
    dist = 1.0 - masks.mean(1)
    w = np.exp(-(dist**2) / kernel_width**2)
    X = np.hstack([np.ones((budget, 1)), masks.astype(np.float64)])
    sw = np.sqrt(w)[:, None]
    gram = (X * sw).T @ (X * sw) + ridge * np.eye(n + 1)
    coef = np.linalg.solve(gram, (X * sw).T @ (values * sw[:, 0]))
    terms = [()] + [(i,) for i in range(n)]
    return _result(ev, terms, coef, "mobius", "lime", t0, t1, kernel_width=kernel_width)


@register("banzhaf")
def banzhaf(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
            keep: float | None = None) -> Interactions:
    """Monte-Carlo Banzhaf values by maximum sample reuse.

    Cost: ``budget`` queries (default 1000) of masks drawn uniformly (each part kept with
    probability 1/2); β_i = mean of f over masks keeping i minus the mean over masks
    removing i. Returned as a Fourier expansion of degree <= 1 (F(i) = -β_i / 2), so
    ``banzhaf()`` gives the estimates back. ``keep`` is unused: the estimator needs masks
    that keep each part with probability 1/2 (giving it warns).
    """
    ev = as_evaluator(game)
    n = ev.game.n_players
    warn_ignored_keep("banzhaf", keep, "its estimator needs masks that keep each part with probability 1/2")
    rng = check_random_state(seed)
    budget = 1000 if budget is None else int(budget)
    t0 = time.perf_counter()
    masks = uniform_masks(n, budget, keep=0.5, seed=rng)
    values = ev(masks)
    t1 = time.perf_counter()
    kept = masks.astype(np.float64)
    n_in = kept.sum(0)
    n_out = budget - n_in
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = (values @ kept) / n_in - (values @ (1 - kept)) / n_out
    beta = np.nan_to_num(beta)  # a player never (or always) kept has no estimate
    terms = [()] + [(i,) for i in range(n)]
    coefs = np.concatenate([[values.mean()], -beta / 2])
    return _result(ev, terms, coefs, "fourier", "banzhaf", t0, t1)
