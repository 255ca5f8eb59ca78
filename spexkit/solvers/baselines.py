"""Baselines (docs/design.md section 9): the methods SPEX and ProxySPEX are compared with.

Each is a function ``(game, budget, max_degree, seed, ...) -> Interactions`` and states its
cost in queries. First-order methods return a degree-1 expansion whose ``shapley()`` or
``banzhaf()`` is the method's estimate.
"""

from __future__ import annotations

import time
import warnings
from itertools import combinations
from math import comb

import numpy as np

from ..execution import as_evaluator
from ..interactions import Interactions
from ..masks import all_masks, bit_patterns, draw_distinct, masks_with_sizes, uniform_masks
from ..validation import check_budget, check_positive_int, check_probability, check_random_state, user_stacklevel
from . import register, warn_ignored_keep, warn_main_effects_only

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

    Cost: ``budget`` independent draws (default 2000) of uniform masks, at most that many
    queries (a mask drawn twice is paid once; see ``docs/solvers.md``). Only for small n: the
    design has Σ_d C(n, d) columns. ``basis``: ``"fourier"`` (parities) or ``"mobius"`` (unanimities).
    """
    from sklearn.linear_model import LassoCV

    ev = as_evaluator(game)
    n = ev.game.n_players
    d = 2 if max_degree is None else int(max_degree)
    if basis not in ("fourier", "mobius"):
        raise ValueError(f"basis must be 'fourier' or 'mobius', got {basis!r}")
    cv_folds = check_positive_int(cv_folds, "cv_folds")
    budget = 2000 if budget is None else check_budget(budget, minimum=cv_folds, name="lasso's budget")
    terms = _all_terms(n, d)
    rng = check_random_state(seed)
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


# ---------------------------------------------------------------- coalition designs
#
# KernelSHAP and LIME both fit a weighted linear model whose weights depend only on a
# coalition's size. Their sampled designs share one scheme (docs/design.md section 9): the
# sizes whose coalitions carry the most weight each are enumerated completely while the
# budget's proportional share covers them; the remaining budget is split over the other sizes
# in proportion to their weight, drawn as distinct coalitions (for KernelSHAP a coalition and
# its complement together), and each size's weight is shared equally among the coalitions
# drawn from it, so that every size keeps exactly its weight.

LIME_KERNEL_WIDTH = 0.25
LIME_RIDGE = 1e-3
_COUNT_CAP = 1 << 62  # C(n, k) beyond this is never enumerated nor exhausted


def _masks_of_size(n: int, k: int, first: bool = False) -> np.ndarray:
    """Every coalition of size k (with ``first``: every one that contains player 0)."""
    rest, width = (range(1, n), k - 1) if first else (range(n), k)
    idx = np.array(list(combinations(rest, width)), dtype=np.int64).reshape(-1 if width else 1, width)
    masks = np.zeros((idx.shape[0], n), dtype=bool)
    masks[np.arange(idx.shape[0])[:, None], idx] = True
    if first:
        masks[:, 0] = True
    return masks


def _distinct_of_size(n: int, k: int, count: int, rng, *, halves: bool = False) -> np.ndarray:
    """``count`` distinct coalitions of size k, a uniform sample without replacement.

    With ``halves`` (k = n/2, sampled with complements), each coalition stands for the pair
    {S, complement of S} and is drawn as the member that contains player 0, so that no pair
    is drawn twice.
    """
    capacity = min(comb(n - 1, k - 1) if halves else comb(n, k), _COUNT_CAP)
    if capacity <= max(4 * count, 64):  # small or nearly exhausted: choose among all of them
        every = _masks_of_size(n, k, first=halves)
        return every[rng.choice(every.shape[0], size=count, replace=False)]  # in random order

    def draw(m, r):
        s = masks_with_sizes(n, np.full(m, k), r)
        if halves:
            s[~s[:, 0]] = ~s[~s[:, 0]]
        return s

    return draw_distinct(n, count, draw, rng)


def _size_strata(n: int, mass: np.ndarray, paired: bool) -> list[tuple[int, ...]]:
    """Coalition sizes with positive weight, grouped {k, n-k} when ``paired``, extremes first."""
    sizes = [int(k) for k in np.flatnonzero(mass > 0)]
    strata, seen = [], set()
    for k in sorted(sizes, key=lambda k: (min(k, n - k), k)):
        if k in seen:
            continue
        group = (k, n - k) if paired and n - k != k and mass[n - k] > 0 else (k,)
        seen.update(group)
        strata.append(group)
    return strata


def stratified_coalitions(n: int, size_mass, budget: int, seed=None, *, paired: bool = True):
    """Distinct coalitions and weights for a weighted sum over coalitions, by size.

    The target is Σ_z w(z) g(z) where every coalition of size k weighs ``size_mass[k] /
    C(n, k)`` (the Shapley kernel and LIME's sampling distribution have this form). The
    design spends at most ``budget`` distinct coalitions:

    1. sizes (grouped k with n - k when ``paired``) in decreasing order of the weight of one
       coalition are enumerated completely, each at its own weight, as long as the size's
       share of the remaining budget (in proportion to its mass) covers all its coalitions;
    2. the rest of the budget is split over the remaining sizes in proportion to their mass
       (largest remainders; pairs of sizes get whole pairs) and each size's coalitions are
       drawn uniformly without replacement, with their complements when ``paired``;
    3. a sampled size's mass is shared equally among its drawn coalitions, so every size
       keeps exactly its mass (rescaled when the budget leaves a size without a coalition).

    Parameters
    ----------
    n : number of players.
    size_mass : n + 1 non-negative weights, the total weight of each coalition size.
    budget : the most coalitions to return.
    seed : int, Generator or None.
    paired : draw a coalition and its complement together (antithetic pairs).

    Returns
    -------
    masks : bool (m, n), m <= budget, all distinct.
    weights : float (m,), summing to the total mass (less the mass of sizes left over when
        enumeration spends the whole budget).
    complete : the sizes enumerated completely.

    Examples
    --------
    >>> k = np.arange(1, 5)
    >>> mass = np.zeros(6)
    >>> mass[1:5] = 4 / (k * (5 - k))  # the Shapley kernel's weight per size, n = 5
    >>> masks, w, complete = stratified_coalitions(5, mass, 20, seed=0)
    >>> masks.shape[0], len(np.unique(masks, axis=0)), complete
    (20, 20, [1, 4])
    >>> bool(np.isclose(w.sum(), mass.sum()))
    True
    """
    rng = check_random_state(seed)
    mass = np.asarray(size_mass, dtype=np.float64)
    if mass.shape != (n + 1,) or (mass < 0).any() or not np.isfinite(mass).all():
        raise ValueError(f"size_mass must hold n + 1 = {n + 1} finite non-negative weights")
    strata = _size_strata(n, mass, paired)
    counts = [min(sum(comb(n, k) for k in g), _COUNT_CAP) for g in strata]
    masses = [float(mass[list(g)].sum()) for g in strata]
    order = sorted(range(len(strata)), key=lambda s: -masses[s] / counts[s])  # stable: extremes first
    blocks, weights, complete = [], [], []
    left = int(budget)
    # A size is enumerated when its share of the budget covers it (1e-12: rounding of the sums).
    while order and counts[order[0]] * sum(masses[s] for s in order) <= left * masses[order[0]] * (1 + 1e-12):
        s = order.pop(0)
        for k in strata[s]:
            blocks.append(_masks_of_size(n, k))
            weights.append(np.full(blocks[-1].shape[0], mass[k] / comb(n, k)))
            complete.append(k)
        left -= counts[s]
    if order and left > 0:
        blocks_s, weights_s = _sample_strata(n, mass, [strata[s] for s in order], [counts[s] for s in order],
                                             [masses[s] for s in order], left, rng, paired)
        blocks += blocks_s
        weights += weights_s
    if not blocks:
        return np.zeros((0, n), dtype=bool), np.zeros(0), sorted(complete)
    return np.vstack(blocks), np.concatenate(weights), sorted(complete)


def _sample_strata(n, mass, strata, counts, masses, budget, rng, paired):
    """Step 2 and 3 of :func:`stratified_coalitions` on the sizes not enumerated."""
    halves = [paired and g == (n - g[0],) and 2 * g[0] == n for g in strata]
    unit = np.array([2 if (len(g) == 2 or h) else 1 for g, h in zip(strata, halves)])
    cap = np.array(counts) // unit  # whole units (pairs or single coalitions) available
    share = budget * np.asarray(masses) / sum(masses)
    units = np.minimum(np.floor(share / unit).astype(np.int64), cap)
    left = budget - int((units * unit).sum())
    order = np.argsort(-(share / unit - units), kind="stable")
    for s in order:  # largest remainders first, whole units
        if unit[s] <= left and units[s] < cap[s]:
            units[s] += 1
            left -= int(unit[s])
    singles = np.zeros(len(strata), dtype=np.int64)
    for s in order:  # an odd budget: one coalition without its complement
        if left > 0 and units[s] * unit[s] < counts[s]:
            singles[s] = 1
            left -= 1
    blocks, sizes = [], []
    for s, g in enumerate(strata):
        m = int(units[s] + singles[s])
        if m == 0:
            continue
        k = g[0]
        base = _distinct_of_size(n, k, m, rng, halves=halves[s])
        pairs = int(units[s]) if unit[s] == 2 else m
        blocks += [base[:pairs]]
        sizes += [k]
        if unit[s] == 2:
            blocks += [~base[:pairs]]
            sizes += [n - k]
        if singles[s]:
            # A lone coalition takes either side of its pair, by the sides' weights (a half
            # drawn as the side holding player 0 would otherwise always hold it).
            other = n - k if len(g) == 2 or halves[s] else k
            flip = rng.random() * (mass[k] + mass[other]) < mass[other]
            blocks += [~base[pairs:] if flip else base[pairs:]]
            sizes += [other if flip else k]
    blocks, sizes = zip(*[(b, k) for b, k in zip(blocks, sizes) if b.shape[0]])
    drawn: dict[int, int] = {}
    for size, block in zip(sizes, blocks):
        drawn[size] = drawn.get(size, 0) + block.shape[0]
    weights = [np.full(block.shape[0], mass[size] / drawn[size]) for size, block in zip(sizes, blocks)]
    # Sizes the budget could not reach lose their mass; the others carry it in proportion.
    scale = sum(masses) / sum(mass[size] for size in drawn)
    return list(blocks), [w * scale for w in weights]


# ---------------------------------------------------------------- KernelSHAP and LIME

def _shapley_kernel_mass(n: int) -> np.ndarray:
    """The Shapley kernel's total weight per coalition size: (n-1) / (k (n-k)), 0 at 0 and n."""
    mass = np.zeros(n + 1)
    k = np.arange(1, n)
    mass[1:n] = (n - 1) / (k * (n - k))
    return mass


@register("kernelshap")
def kernelshap(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
               keep: float | None = None) -> Interactions:
    """KernelSHAP Shapley values: a linear fit under the Shapley kernel, with exact efficiency.

    Cost: at most ``budget`` distinct queries (default 2n + 2048): the empty and full
    coalitions, fitted exactly through the efficiency constraint Σφ = v(N) - v(∅), and
    ``budget - 2`` distinct coalitions from :func:`stratified_coalitions` under the Shapley
    kernel — the smallest and largest sizes enumerated completely while the budget covers
    them, the other sizes sampled in proportion to the kernel with complements paired. With
    ``budget >= 2^n`` every coalition is used once at its kernel weight, which gives the
    exact Shapley values. Returns a Möbius expansion of degree <= 1: the constant v(∅) and
    φ_i per player. ``keep`` is unused (giving it warns).

    ``metadata``: ``queries`` (distinct calls), ``exhaustive``, ``complete_sizes`` (the
    sizes enumerated completely).

    Examples
    --------
    >>> import spexkit
    >>> game = spexkit.Game(lambda m: 1.0 * m[:, 0] + 2.0 * (m[:, 1] & m[:, 2]), n_players=6)
    >>> res = spexkit.explain(game, method="kernelshap", budget=40, seed=0)
    >>> res.shapley().round(6).tolist(), res.metadata["queries"]
    ([1.0, 1.0, 1.0, 0.0, 0.0, 0.0], 40)
    """
    ev = as_evaluator(game)
    n = ev.game.n_players
    warn_ignored_keep("kernelshap", keep, "its coalition sizes follow the Shapley kernel")
    warn_main_effects_only("kernelshap", max_degree)
    rng = check_random_state(seed)
    if n < 2:
        raise ValueError(f"kernelshap needs at least 2 players, got {n}")
    budget = 2 * n + 2048 if budget is None else check_budget(budget, minimum=3, name="kernelshap's budget")
    t0 = time.perf_counter()
    inner, weights, complete = stratified_coalitions(n, _shapley_kernel_mass(n), budget - 2, rng)
    masks = np.vstack([np.zeros((1, n), bool), np.ones((1, n), bool), inner])
    values = ev(masks)
    t1 = time.perf_counter()
    v0, v1 = values[0], values[1]
    sw = np.sqrt(weights)[:, None]
    Z = inner.astype(np.float64)
    y = values[2:] - v0
    # Efficiency (Σφ = v(N) - v(∅)) is imposed exactly by eliminating the last coefficient.
    total = v1 - v0
    A = Z[:, :-1] - Z[:, -1:]
    b = y - Z[:, -1] * total
    phi_head, *_ = np.linalg.lstsq(A * sw, b * sw[:, 0], rcond=None)
    phi = np.append(phi_head, total - phi_head.sum())
    terms = [()] + [(i,) for i in range(n)]
    return _result(ev, terms, np.concatenate([[v0], phi]), "mobius", "kernelshap", t0, t1,
                   exhaustive=len(complete) == n - 1, complete_sizes=complete)


def _lime_design(n: int, budget: int, rng, kernel_width: float = LIME_KERNEL_WIDTH):
    """LIME's masks (the full input first) and row weights (sampling weight × kernel)."""
    # LIME's distribution: a uniformly drawn number r in 1..n of parts removed, then the parts
    # uniformly; i.e. mass 1/n on each kept size 0..n-1, scaled to the draws it replaces so
    # that the ridge keeps its strength relative to the data.
    mass = np.zeros(n + 1)
    mass[:n] = (budget - 1) / n
    sampled, weights, complete = stratified_coalitions(n, mass, budget - 1, rng, paired=False)
    masks = np.vstack([np.ones((1, n), bool), sampled])
    dist = 1.0 - masks.mean(1)
    kernel = np.exp(-(dist**2) / kernel_width**2)
    return masks, np.concatenate([[1.0], weights]) * kernel, complete


@register("lime")
def lime(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
         keep: float | None = None, kernel_width: float = LIME_KERNEL_WIDTH,
         ridge: float = LIME_RIDGE) -> Interactions:
    """LIME-style local linear surrogate around the full input, with an unpenalised intercept.

    Cost: at most ``budget`` distinct queries (default 1000): the full input, and masks from
    LIME's distribution (a uniformly drawn number of parts removed, the parts uniform), laid
    out by :func:`stratified_coalitions`: whole sizes while the budget covers them, the rest
    drawn without repeats, the same number of each size. Complements are not paired: the
    complement of a mask near the input lies far from it, where the kernel gives it almost
    no weight, so a pair would waste half its cost. Each mask is weighted by
    exp(-d²/width²), d the fraction removed (``kernel_width``). The ridge penalty (``ridge``)
    applies to the per-player weights only: the design and the values are centred first, so
    adding a constant to the game moves the intercept and nothing else. Returns a Möbius
    expansion of degree <= 1 (intercept and one weight per player). ``keep`` is unused
    (giving it warns).

    Examples
    --------
    >>> import spexkit
    >>> w = np.array([1.0, -0.5, 0.0, 2.0])
    >>> a = spexkit.explain(spexkit.Game(lambda m: m @ w, 4), method="lime", budget=12, seed=0)
    >>> b = spexkit.explain(spexkit.Game(lambda m: m @ w + 1e3, 4), method="lime", budget=12, seed=0)
    >>> bool(np.allclose(a.shapley(), b.shapley(), atol=1e-9)), a.shapley().round(3).tolist()
    (True, [1.0, -0.5, 0.0, 2.0])
    """
    ev = as_evaluator(game)
    n = ev.game.n_players
    warn_ignored_keep("lime", keep, "its masks remove a uniformly drawn number of parts")
    warn_main_effects_only("lime", max_degree)
    rng = check_random_state(seed)
    if n < 2:  # one player: the empty mask's kernel weight is tiny and the ridge shrinks the one slope
        raise ValueError(f"lime needs at least 2 players, got {n} (method='exact' solves one player with 2 calls)")
    budget = 1000 if budget is None else check_budget(budget, minimum=2, name="lime's budget")
    if not kernel_width > 0 or not ridge >= 0:
        raise ValueError(f"lime needs kernel_width > 0 and ridge >= 0, got {kernel_width} and {ridge}")
    t0 = time.perf_counter()
    masks, w, complete = _lime_design(n, budget, rng, kernel_width)
    values = ev(masks)
    t1 = time.perf_counter()
    X = masks.astype(np.float64)
    # Centre on the weighted means: the intercept leaves the penalised system altogether.
    x_mean = w @ X / w.sum()
    y_mean = w @ values / w.sum()
    Xc = X - x_mean
    gram = (Xc * w[:, None]).T @ Xc + ridge * np.eye(n)
    coef = np.linalg.lstsq(gram, (Xc * w[:, None]).T @ (values - y_mean), rcond=None)[0]
    intercept = y_mean - x_mean @ coef
    terms = [()] + [(i,) for i in range(n)]
    return _result(ev, terms, np.concatenate([[intercept], coef]), "mobius", "lime", t0, t1,
                   kernel_width=kernel_width, ridge=ridge, complete_sizes=complete)


def distinct_uniform_masks(n: int, count: int, seed=None) -> np.ndarray:
    """``count`` distinct masks, each a uniform draw over all 2^n (every mask once if count >= 2^n).

    Examples
    --------
    >>> m = distinct_uniform_masks(3, 20, seed=0)
    >>> m.shape, len(np.unique(m, axis=0))
    ((8, 3), 8)
    """
    rng = check_random_state(seed)
    if n <= 20 and count >= (1 << n):
        return all_masks(n)
    if n <= 20 and 4 * count >= (1 << n):  # dense: choose among all of them
        return bit_patterns(np.sort(rng.choice(1 << n, size=count, replace=False)), n)
    return draw_distinct(n, count, lambda m, r: uniform_masks(n, m, keep=0.5, seed=r), rng)


@register("banzhaf")
def banzhaf(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
            keep: float | None = None) -> Interactions:
    """Monte-Carlo Banzhaf values by maximum sample reuse.

    Cost: at most ``budget`` distinct queries (default 1000) of masks drawn uniformly (each
    part kept with probability 1/2) without repeats (:func:`distinct_uniform_masks`; every
    mask once when ``budget >= 2^n``, which gives the exact Banzhaf values); β_i = mean of f
    over masks keeping i minus the mean over masks removing i. Returned as a Fourier
    expansion of degree <= 1 (F(i) = -β_i / 2), so ``banzhaf()`` gives the estimates back.
    ``keep`` is unused: the estimator needs masks that keep each part with probability 1/2
    (giving it warns).

    Examples
    --------
    >>> import spexkit
    >>> game = spexkit.Game(lambda m: 1.0 * (m[:, 0] & m[:, 1]), n_players=5)
    >>> res = spexkit.explain(game, method="banzhaf", budget=32)  # all 2^5 masks: exact
    >>> res.banzhaf().tolist(), res.metadata["queries"]
    ([0.5, 0.5, 0.0, 0.0, 0.0], 32)
    """
    ev = as_evaluator(game)
    n = ev.game.n_players
    warn_ignored_keep("banzhaf", keep, "its estimator needs masks that keep each part with probability 1/2")
    warn_main_effects_only("banzhaf", max_degree)
    rng = check_random_state(seed)
    budget = 1000 if budget is None else check_budget(budget, minimum=2, name="banzhaf's budget")
    t0 = time.perf_counter()
    masks = distinct_uniform_masks(n, budget, rng)
    values = ev(masks)
    t1 = time.perf_counter()
    kept = masks.astype(np.float64)
    n_in = kept.sum(0)
    n_out = masks.shape[0] - n_in
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = (values @ kept) / n_in - (values @ (1 - kept)) / n_out
    unseen = np.flatnonzero((n_in == 0) | (n_out == 0))
    if unseen.size:  # never (or always) kept: no difference to take
        shown = unseen[:10].tolist() + (["..."] if unseen.size > 10 else [])
        warnings.warn(f"banzhaf: players {shown} were kept in all or none of the {masks.shape[0]} masks, so their "
                      "Banzhaf values are unknown and set to 0; raise the budget", UserWarning, stacklevel=user_stacklevel())
    beta = np.nan_to_num(beta)
    terms = [()] + [(i,) for i in range(n)]
    coefs = np.concatenate([[values.mean()], -beta / 2])
    return _result(ev, terms, coefs, "fourier", "banzhaf", t0, t1)
