"""``method="additive_plus"``: the single removals first, interactions only where they pay.

For games played near the full set — a model's components, where a user asks what happens
when about a tenth of the heads are ablated — the n single removals are the strongest start:
they measure every part's own effect exactly at the point of interest, and their additive
surrogate is often already good. What it misses is how effects combine. This method

1. queries the full set and the n single removals (n + 1 queries): drops d_i, and the
   additive surrogate s(z) = f(full) - Σ d_i z_i over the removal indicators z = 1 - m;
2. spends the rest of the budget on random masks at the game's ``keep``;
3. fits, on those masks, nested candidates in this order and keeps the one that cross-validates best
   (a richer one only when it gains at least ``min_gain`` R²):

   - ``"additive"``: s itself (nothing fitted);
   - ``"rescaled"``: a + b·s (effects that shrink or grow together when many parts go);
   - ``"focused"``: the rescaled model plus ridge corrections for the k parts with the largest
     drops and the pairs among the first k' of them: the average of the ``FOCUSED_AVERAGE``
     (k, k', ridge strength) settings that cross-validate best. On component games the parts
     that matter alone are the ones whose effect shifts when a tenth of the others are gone; a
     few hundred random masks can estimate a correction for each of them, not for all n (the
     lasso spreads itself over all n and all pairs);
   - ``"sparse"``: the rescaled model plus a cross-validated lasso over main-effect
     corrections and the pairs among the ``pair_pool`` parts with the largest drops;
     it comes after ``"focused"`` and must beat it by ``min_gain``: when both fit, the
     averaged ridge varies less between fold splits and solver seeds than the lasso's one path;
   - ``"trees"`` (``trees=True``, the default): ProxySPEX on the single removals and the random masks
     together, for games whose interactions no pair model captures (cross-validated on the
     random masks like the others; the model kept averages ``TREE_FITS`` fits on all of them,
     a few seconds in all).

The result is exact in the Möbius basis (a product of removal indicators expands over the
kept set), so Shapley values and interaction indices follow as for any other method.
``metadata["additive_plus"]`` lists every candidate's cross-validated R² and the choice.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..execution import as_evaluator
from ..interactions import Interactions
from ..masks import distinct_masks
from ..validation import check_budget, check_positive_int, check_probability, check_random_state, check_samples, first_non_finite
from . import register
from .exact import EXACT_MAX_PLAYERS, exact

CANDIDATES = ("additive", "rescaled", "focused", "sparse", "trees")

# (k, k') grid of the "focused" candidate: corrections for the k largest drops, pairs among k'.
FOCUSED_PARTS = (5, 10, 20, 30, 45, 60, 90)
FOCUSED_PAIR_PARTS = (0, 5, 10, 15, 20)
FOCUSED_ALPHAS = np.logspace(-2, 3, 11)
# The focused candidate averages this many of its best-cross-validated (k, k', strength) settings.
FOCUSED_AVERAGE = 5
# A winning trees candidate averages this many ProxySPEX fits on all masks.
TREE_FITS = 5


def single_removal_masks(n: int) -> np.ndarray:
    """The full mask followed by the n masks that remove one part each, shape (n + 1, n).

    Examples
    --------
    >>> single_removal_masks(3).astype(int)
    array([[1, 1, 1],
           [0, 1, 1],
           [1, 0, 1],
           [1, 1, 0]])
    """
    masks = np.ones((n + 1, n), dtype=bool)
    masks[np.arange(1, n + 1), np.arange(n)] = False
    return masks


def _cv_r2(y: np.ndarray, predictions: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - predictions) ** 2).sum()) / ss if ss > 0 else 0.0


def _folds(n_samples: int, k: int, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(n_samples) % k


def _rescale_fit(s: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least squares y ≈ a + b·s (b = 1 when s is constant)."""
    s_c = s - s.mean()
    denom = float(s_c @ s_c)
    b = float(s_c @ (y - y.mean())) / denom if denom > 0 else 1.0
    return float(y.mean() - b * s.mean()), b


def _pair_features(z: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    if len(pairs) == 0:
        return np.zeros((z.shape[0], 0))
    return z[:, pairs[:, 0]] * z[:, pairs[:, 1]]


def choose_candidate(cv_r2: dict[str, float], min_gain: float = 0.005) -> str:
    """The candidate kept: walking ``CANDIDATES`` in order, each replaces the current choice only
    when its cross-validated R² is at least ``min_gain`` above it.

    Examples
    --------
    >>> choose_candidate({"additive": 0.80, "rescaled": 0.801, "focused": 0.90, "sparse": 0.903})
    'focused'
    >>> choose_candidate({"additive": 0.80, "rescaled": 0.801, "focused": 0.90, "sparse": 0.91})
    'sparse'
    """
    chosen = "additive"
    for name in CANDIDATES[1:]:
        if name in cv_r2 and cv_r2[name] >= cv_r2[chosen] + min_gain:
            chosen = name
    return chosen


def fit_additive_plus(single_values, masks, values, *, seed=None, pair_pool: int = 40,
                      cv_folds: int = 5, min_gain: float = 0.005, max_degree: int | None = 2,
                      trees: bool = True, proxy_pairs: bool = True, labels=None) -> Interactions:
    """Fit the additive-plus model from values already paid for (no queries).

    Parameters
    ----------
    single_values : (n + 1,) values of :func:`single_removal_masks` (full set first).
    masks, values : random masks (True = kept) and their values.
    pair_pool : pairs are proposed among this many parts with the largest single drops.
    cv_folds : folds of the cross-validation that chooses the candidate.
    min_gain : cross-validated R² a richer candidate must add to be chosen.
    max_degree : 1 keeps the model additive (no pairs).
    trees : also consider ProxySPEX on all samples (the ``"trees"`` candidate).
    proxy_pairs : let that ProxySPEX fit consider its all-pairs model (``fit_samples``'s ``pairs``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 30
    >>> def f(m):  # additive drops, and parts 0 and 1 that matter only together
    ...     return m @ np.linspace(0.1, 1.0, n) - 2.0 * (~m[:, 0] & ~m[:, 1])
    >>> masks = rng.random((200, n)) < 0.8
    >>> res = fit_additive_plus(f(single_removal_masks(n)), masks, f(masks), seed=0)
    >>> res.metadata["additive_plus"]["chosen"]
    'sparse'
    >>> round(float(res.predict(np.array([[False, False] + [True] * 28]))[0] - f(np.array([[False, False] + [True] * 28]))[0]), 6)
    0.0
    """
    rng = check_random_state(seed)
    masks, values = check_samples(masks, values)
    n = masks.shape[1]
    single_values = np.asarray(single_values, dtype=np.float64)
    if single_values.shape != (n + 1,):
        raise ValueError(f"single_values must hold the full set and the {n} single removals: shape ({n + 1},), "
                         f"got {single_values.shape}")
    bad = first_non_finite(single_values)
    if bad is not None:
        raise ValueError(f"single_values must be finite, got {single_values[bad]}")
    if masks.shape[0] < 2 * cv_folds:
        raise ValueError(f"need at least {2 * cv_folds} random masks with one value each, got "
                         f"{masks.shape[0]} masks and {values.shape[0]} values")
    full = single_values[0]
    drops = full - single_values[1:]
    z = (~masks).astype(np.float64)
    s = full - z @ drops
    folds = _folds(masks.shape[0], cv_folds, rng)

    # Candidate 1 and 2: closed forms, cross-validated fold by fold.
    cv = {"additive": _cv_r2(values, s)}
    pred_rescaled = np.empty_like(values)
    for k in range(cv_folds):
        train, test = folds != k, folds == k
        a, b = _rescale_fit(s[train], values[train])
        pred_rescaled[test] = a + b * s[test]
    cv["rescaled"] = _cv_r2(values, pred_rescaled)
    a, b = _rescale_fit(s, values)

    # Candidate 3: lasso on the rescaled model's residual (main-effect corrections + pairs).
    pool = np.argsort(-np.abs(drops))[: min(int(pair_pool), n)]
    pairs = np.array(sorted(itertools.combinations(sorted(pool.tolist()), 2)), dtype=np.int64).reshape(-1, 2)
    if max_degree is not None and max_degree < 2:
        pairs = pairs[:0]
    features = np.hstack([z, _pair_features(z, pairs)])
    used = features.std(0) > 0
    lasso_coef = np.zeros(features.shape[1])
    lasso_intercept = 0.0
    if used.any():
        from sklearn.linear_model import LassoCV

        X = features[:, used]
        scale = X.std(0)
        residual = values - (a + b * s)
        model = LassoCV(cv=[(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in range(cv_folds)],
                        alphas=40, max_iter=5000, random_state=0)
        model.fit(X / scale, residual)
        best = int(np.argmin(model.mse_path_.mean(1)))
        mse = float(model.mse_path_.mean(1)[best])
        cv["sparse"] = 1.0 - mse / float(values.var()) if values.var() > 0 else 0.0
        lasso_coef[used] = model.coef_ / scale
        lasso_intercept = float(model.intercept_)
    else:
        cv["sparse"] = cv["rescaled"]

    # Candidate 4: ridge corrections focused on the parts with the largest drops.
    focused = None
    if np.any(drops != 0.0):
        with_pairs = max_degree is None or max_degree >= 2
        cv["focused"], focused = _fit_focused(z, s, values, drops, folds, cv_folds, with_pairs=with_pairs)

    singles_m = single_removal_masks(n)
    if trees and (max_degree is None or max_degree >= 2):
        from .proxyspex import ENSEMBLE_MAX_SAMPLES, fit_samples

        pred_trees = np.empty_like(values)
        for k in range(cv_folds):
            train, test = folds != k, folds == k
            fold_masks = np.vstack([singles_m, masks[train]])
            # Only the ranking of candidates rests on these fits: above ProxySPEX's small-sample
            # cap one fit each (averaging unsure ones too cost 2-5x the solver time on the
            # 270-head games and changed no choice in benchmarks/real_games.py).
            fold_model = fit_samples(fold_masks, np.concatenate([single_values, values[train]]), max_degree, rng,
                                     pairs=proxy_pairs,
                                     fits=1 if fold_masks.shape[0] > ENSEMBLE_MAX_SAMPLES else None)
            pred_trees[test] = fold_model.predict(masks[test])
        cv["trees"] = _cv_r2(values, pred_trees)

    chosen = choose_candidate(cv, min_gain)

    pairs_kept = 0
    if chosen == "focused":
        c1 = -focused["rescale"] * drops + focused["main"]
        c2 = focused["pair"]
        pairs_kept = int(np.count_nonzero(c2))
        result = _removal_to_mobius(focused["intercept"] + focused["rescale"] * full, c1, focused["pairs"], c2, n,
                                    labels)
    elif chosen == "trees":
        # An average of TREE_FITS fits on all masks, not one: a single tree fit on a few hundred
        # masks varies with its random draws (on the 270-head games one refit ranged 0.63-0.76
        # in held-out R² across fit seeds on the same masks).
        result = fit_samples(np.vstack([singles_m, masks]), np.concatenate([single_values, values]), max_degree,
                             rng, fits=TREE_FITS, labels=labels, pairs=proxy_pairs)
        result.metadata["proxyspex"] = {k: result.metadata[k] for k in ("fits", "cv_r2", "train_r2")
                                        if k in result.metadata}
    else:
        # The chosen model in removal indicators: c0 + Σ c_i z_i + Σ c_ij z_i z_j.
        if chosen == "additive":
            c0, c1, c2 = full, -drops, np.zeros(len(pairs))
        else:
            c0, c1 = a + b * full, -b * drops
            c2 = np.zeros(len(pairs))
            if chosen == "sparse":
                c0 = c0 + lasso_intercept
                c1 = c1 + lasso_coef[:n]
                c2 = lasso_coef[n:]
        pairs_kept = int(np.count_nonzero(c2))
        result = _removal_to_mobius(c0, c1, pairs, c2, n, labels)
    result.metadata.update({
        "method": "additive_plus",
        "additive_plus": {"chosen": chosen, "cv_r2": cv, "pairs_proposed": int(len(pairs)), "pairs_kept": pairs_kept,
                          "random_masks": int(masks.shape[0]), "rescale": b,
                          **({"focused": focused["grid"]} if focused is not None else {})},
        "cv_r2": float(cv[chosen]),
    })
    return result


def _focused_features(z: np.ndarray, order: np.ndarray, k: int, k_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """Removal indicators of the k largest-drop parts and products of pairs among the first k_pairs."""
    pairs = np.array(list(itertools.combinations(np.sort(order[:k_pairs]), 2)), dtype=np.int64).reshape(-1, 2)
    return np.hstack([z[:, order[:k]], _pair_features(z, pairs)]), pairs


def _partial_out(X: np.ndarray, s: np.ndarray, y: np.ndarray):
    """Residualise X and y on [1, s]: ridge with s and the intercept unpenalised equals ridge on the
    residuals (Frisch–Waugh), so one eigendecomposition serves every ridge strength."""
    A = np.column_stack([np.ones_like(s), s])
    proj = np.linalg.lstsq(A, np.column_stack([y, X]), rcond=None)[0]
    resid = np.column_stack([y, X]) - A @ proj
    return resid[:, 1:], resid[:, 0], proj


def _ridge_path(X: np.ndarray, s: np.ndarray, y: np.ndarray, alphas: np.ndarray):
    """Coefficients (intercept, on s, on X) of y ≈ c + β s + X w with penalty α·len(y)·||w / sd||²,
    for every α. The columns of X are standardised, so one α means the same for every feature."""
    sd = X.std(0)
    sd[sd == 0] = 1.0
    Xr, yr, proj = _partial_out(X / sd, s, y)
    evals, evecs = np.linalg.eigh(Xr.T @ Xr)
    rhs = evecs.T @ (Xr.T @ yr)
    out = []
    for alpha in alphas:
        w = evecs @ (rhs / (evals + alpha * len(y)))
        # Undo the partialling out: [c, β] = proj_y - proj_X @ w.
        cb = proj[:, 0] - proj[:, 1:] @ w
        out.append((float(cb[0]), float(cb[1]), w / sd))
    return out


def _fit_focused(z, s, values, drops, folds, cv_folds, *, with_pairs: bool = True):
    """Cross-validate the focused candidate over its grid and average the FOCUSED_AVERAGE settings
    that cross-validate best; returns (cv R² of that average, model)."""
    order = np.argsort(-np.abs(drops), kind="stable")
    n = z.shape[1]
    settings, scores, cv_preds = [], [], []
    for k in sorted({min(k, n) for k in FOCUSED_PARTS}):
        for k_pairs in sorted({min(k, kp) for kp in (FOCUSED_PAIR_PARTS if with_pairs else (0,))}):
            X, pairs = _focused_features(z, order, k, k_pairs)
            preds = np.empty((len(FOCUSED_ALPHAS), len(values)))
            for f in range(cv_folds):
                train, test = folds != f, folds == f
                for a, (c, beta, w) in enumerate(_ridge_path(X[train], s[train], values[train], FOCUSED_ALPHAS)):
                    preds[a, test] = c + beta * s[test] + X[test] @ w
            for a, p in enumerate(preds):
                settings.append((k, k_pairs, a))
                scores.append(_cv_r2(values, p))
                cv_preds.append(p)
    # Neighbouring settings score within noise of each other on a few hundred masks; which one
    # wins moves with the folds. Their average is steadier and, on the component games, more
    # faithful than any one of them.
    best = np.argsort(-np.asarray(scores), kind="stable")[:FOCUSED_AVERAGE]
    cv = _cv_r2(values, np.mean([cv_preds[i] for i in best], axis=0))
    intercept = rescale = 0.0
    main = np.zeros(n)
    pair_coef: dict[tuple[int, int], float] = {}
    for i in best:
        k, k_pairs, a = settings[i]
        X, pairs = _focused_features(z, order, k, k_pairs)
        c, beta, w = _ridge_path(X, s, values, FOCUSED_ALPHAS[a:a + 1])[0]
        intercept += c / len(best)
        rescale += beta / len(best)
        main[order[:k]] += w[:k] / len(best)
        for (p, q), coef in zip(pairs.tolist(), w[k:]):
            pair_coef[(p, q)] = pair_coef.get((p, q), 0.0) + coef / len(best)
    pairs = np.array(sorted(pair_coef), dtype=np.int64).reshape(-1, 2)
    model = {"intercept": intercept, "rescale": rescale, "main": main, "pairs": pairs,
             "pair": np.array([pair_coef[tuple(pq)] for pq in pairs.tolist()], dtype=np.float64),
             "grid": {"settings": [{"parts": int(settings[i][0]), "pair_parts": int(settings[i][1]),
                                    "alpha": float(FOCUSED_ALPHAS[settings[i][2]]),
                                    "cv_r2": float(scores[i])} for i in best]}}
    return cv, model


def _removal_to_mobius(c0: float, c1: np.ndarray, pairs: np.ndarray, c2: np.ndarray, n: int,
                       labels) -> Interactions:
    """c0 + Σ c1_i (1 - m_i) + Σ c2_ij (1 - m_i)(1 - m_j) in the Möbius basis over kept parts."""
    const = c0 + c1.sum() + c2.sum()
    linear = -c1.copy()
    for (i, j), w in zip(pairs, c2):
        linear[i] -= w
        linear[j] -= w
    terms = [()] + [(i,) for i in range(n)]
    coefs = [const] + linear.tolist()
    for (i, j), w in zip(pairs, c2):
        if w != 0.0:
            terms.append((int(i), int(j)))
            coefs.append(float(w))
    return Interactions(terms, coefs, n, basis="mobius", labels=labels)


@register("additive_plus")
def additive_plus(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
                  keep: float | None = None, pair_pool: int = 40, cv_folds: int = 5,
                  min_gain: float = 0.005, trees: bool = True) -> Interactions:
    """The n single removals, then random masks; an additive model with interactions where they pay.

    Needs a budget of at least n + 1 + 2·``cv_folds`` queries (default: 2(n + 1), at least
    that); a budget that covers all 2^n masks (n <= 12) gets the exact expansion instead.

    Examples
    --------
    >>> import spexkit
    >>> game = spexkit.Game(lambda m: m.sum(1) - 3.0 * (~m[:, 0] & ~m[:, 1]), n_players=20, keep=0.8)
    >>> res = spexkit.explain(game, method="additive_plus", budget=150, seed=0)
    >>> res.metadata["queries"], res.metadata["additive_plus"]["chosen"]
    (150, 'focused')
    >>> round(dict(res.top(3))[(0, 1)], 1)  # the planted pair, -3 (ridge shrinks it a little)
    -2.9
    """
    ev = as_evaluator(game)
    n = ev.game.n_players
    rng = check_random_state(seed)
    cv_folds = check_positive_int(cv_folds, "cv_folds")
    floor = n + 1 + 2 * cv_folds
    budget = max(2 * (n + 1), floor) if budget is None else check_budget(budget, name="additive_plus's budget")
    if n <= EXACT_MAX_PLAYERS and (1 << n) <= budget:  # every mask fits in the budget: no surrogate needed
        res = exact(ev, max_degree=max_degree)
        res.metadata["additive_plus"] = {"chosen": "exact", "reason": f"2^{n} <= budget"}
        return res
    if budget < floor:
        raise ValueError(f"additive_plus needs a budget of at least n + 1 + 2*cv_folds = {floor} "
                         f"(the full set, the {n} single removals, then random masks); got {budget}")
    p_keep = check_probability(ev.game.keep if keep is None else keep, "keep")
    single_masks = single_removal_masks(n)
    singles = ev(single_masks)
    masks = distinct_masks(n, budget - (n + 1), p_keep, rng, avoid=single_masks)
    values = ev(masks)
    return fit_additive_plus(singles, masks, values, seed=rng, pair_pool=pair_pool, cv_folds=cv_folds,
                             min_gain=min_gain, max_degree=max_degree, trees=trees, labels=ev.game.labels)
