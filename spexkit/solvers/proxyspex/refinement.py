"""ProxySPEX step 6: refinement rounds — joins, screening, the residual scan — and the rounds' driver."""

from __future__ import annotations

import numpy as np

from ... import terms as _terms
from ...metrics import r2_score
from ...validation import check_positive_int
from .readout import initial_pool, subset_closure
from .selection import linear_fit, pairs_fit, pairs_fit_fits, select_terms

# Below this cross-validated R² the selected terms are compared with the raw tree spectrum
# and with the pairs model.
SELECTION_DOUBT = 0.9
# From this cross-validated R² on, the first selection's parts bound the second round's pool.
SCREEN_TRUST = 0.5
# From this cross-validated R² on, the linear candidate is not fitted.
LINEAR_NEEDLESS = 0.99


def check_refinement(rounds: int, residual_scan: int) -> None:
    """Validate the refinement arguments of :func:`~spexkit.solvers.proxyspex.proxyspex`."""
    check_positive_int(rounds, "rounds")  # 1 turns refinement off
    if int(residual_scan) != residual_scan or residual_scan < 0:
        raise ValueError(f"residual_scan must be a non-negative integer (0 turns it off), got {residual_scan!r}")


def joined_terms(terms: list[tuple[int, ...]], max_degree: int) -> list[tuple[int, ...]]:
    """Unions of two terms that share a part, up to ``max_degree`` parts (apriori's join).

    Trees often find pieces of a high-order interaction on different paths — (a, b, c) on
    one, (c, d) on another — but rarely the whole (a, b, c, d): its effect only shows when
    every part is present. Joining overlapping selected terms proposes the whole.

    >>> joined_terms([(0, 1), (1, 2), (5,)], 3)
    [(0, 1, 2)]
    """
    by_part: dict[int, list[tuple[int, ...]]] = {}
    for t in terms:
        for part in t:
            by_part.setdefault(part, []).append(t)
    seen = set(terms)
    out: list[tuple[int, ...]] = []
    for group in by_part.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                u = tuple(sorted(set(a).union(b)))
                if len(u) <= max_degree and u not in seen:
                    seen.add(u)
                    out.append(u)
    return out


def _standardised(masks: np.ndarray, residual: np.ndarray):
    """Centred ±1 masks scaled to unit variance, and the residual scaled so that a column
    unrelated to it scores about N(0, 1): the z-scores of the scan."""
    X = 1.0 - 2.0 * masks.astype(np.float64)
    X -= X.mean(axis=0)
    sd = X.std(axis=0)
    X /= np.where(sd > 0, sd, np.inf)  # a constant column scores 0
    r = residual - residual.mean()
    scale = np.sqrt(r.shape[0]) * r.std()
    return X, r / (scale if scale > 0 else np.inf)


def residual_pairs(masks: np.ndarray, residual: np.ndarray, count: int, block: int = 512,
                   z: float | None = None) -> np.ndarray:
    """Up to ``count`` pairs of parts whose interaction correlates most with the residual: (k, 2).

    Scores every one of the n(n-1)/2 pairs at once — the entries of ``Xᵀ diag(r) X`` with X the
    centred, standardised masks (so a part's own effect, under any keep probability, does not
    lift its pairs) — in column blocks, so memory stays O(block · n). A score is a z-score:
    about N(0, 1) for a pair unrelated to the residual. Only pairs above ``z`` come back
    (default ``sqrt(2 ln M)`` for M pairs, which the largest of M unrelated scores rarely
    exceeds), best first. Pairs without main effects, which greedy trees never split on, show
    up here as soon as the rest is fitted.

    >>> rng = np.random.default_rng(0)
    >>> masks = rng.random((400, 30)) < 0.5
    >>> residual = np.where(masks[:, 3] == masks[:, 17], 1.0, -1.0)  # a pure pair, no main effects
    >>> residual_pairs(masks, residual, 5).tolist()  # nothing else clears the bar
    [[3, 17]]
    """
    n = masks.shape[1]
    total = n * (n - 1) // 2
    count = int(min(count, total))
    if count <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    z = np.sqrt(2.0 * np.log(max(total, 2))) if z is None else float(z)
    X, r = _standardised(masks, residual)
    weighted = r[:, None] * X
    best_i, best_j, best_s = [], [], []
    for start in range(0, n, block):
        stop = min(start + block, n)
        score = np.abs(X[:, start:stop].T @ weighted)  # rows: i in the block, columns: j
        i, j = np.nonzero((np.arange(start, stop)[:, None] < np.arange(n)[None, :]) & (score > z))
        flat = score[i, j]
        top = np.argpartition(-flat, count - 1)[:count] if flat.size > count else np.arange(flat.size)
        best_i.append(i[top] + start), best_j.append(j[top]), best_s.append(flat[top])
    i, j, sc = (np.concatenate(v) for v in (best_i, best_j, best_s))
    order = np.argsort(-sc, kind="stable")[:count]
    return np.stack([i[order], j[order]], axis=1).astype(np.int64)


def residual_singles(masks: np.ndarray, residual: np.ndarray, count: int,
                     z: float | None = None) -> np.ndarray:
    """Up to ``count`` parts whose own effect correlates most with the residual: (k,).

    Same z-scores as :func:`residual_pairs`; the default bar is ``sqrt(2 ln n)``.

    >>> rng = np.random.default_rng(0)
    >>> masks = rng.random((400, 30)) < 0.5
    >>> residual_singles(masks, np.where(masks[:, 8], 1.0, -1.0), 3).tolist()
    [8]
    """
    n = masks.shape[1]
    count = int(min(max(count, 0), n))
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    z = np.sqrt(2.0 * np.log(max(n, 2))) if z is None else float(z)
    X, r = _standardised(masks, residual)
    score = np.abs(X.T @ r)
    order = np.argsort(-score, kind="stable")[:count]
    return order[score[order] > z].astype(np.int64)


def refined_pool(pool_idx: np.ndarray, chosen_idx: np.ndarray, extracted_idx: np.ndarray, n: int,
                 max_degree: int, screen: bool = False, proposals: np.ndarray | None = None,
                 closed: bool = True) -> tuple[np.ndarray, int]:
    """Candidates for the next selection round and how many joined terms they gained.

    The current pool plus the joins of the chosen terms (:func:`joined_terms`, with their
    subsets when ``closed``). With ``screen`` (after a selection that cross-validates well,
    which names the parts that matter) the pool is screened to terms over the chosen terms'
    parts and every extracted term over those parts comes in however small its tree
    coefficient (ranking by magnitude drops many true weak terms, while the trees' splits on
    noise fall outside). ``proposals`` (terms that explain the residual: a term matrix or
    tuples, from :func:`residual_pairs` and :func:`residual_singles`) are added last, with
    their subsets when ``closed``.
    """
    blocks = [pool_idx]
    new = joined_terms(_terms.to_tuples(chosen_idx, n), max_degree)
    if new:
        new_idx = _terms.as_term_matrix(new, n)
        blocks.append(subset_closure(new_idx, n) if closed else new_idx)
    merged = _terms.stack(blocks, n)
    merged, _ = _terms.aggregate(merged, np.zeros(merged.shape[0]), n)
    joined = int(merged.shape[0] - pool_idx.shape[0])
    if screen:
        relevant = np.zeros(n + 1, dtype=bool)
        relevant[chosen_idx.ravel()] = True
        relevant[n] = True  # the padding sentinel
        merged = _terms.stack([merged, extracted_idx[_terms.degrees(extracted_idx, n) > 0]], n)
        merged = merged[relevant[merged].all(axis=1)]
    if proposals is not None and len(proposals):
        extra = _terms.as_term_matrix(proposals, n)
        merged = _terms.stack([merged, subset_closure(extra, n) if closed else extra], n)
    merged, _ = _terms.aggregate(merged, np.zeros(merged.shape[0]), n)
    return merged, joined


def select_and_refit(masks, values, idx, coef, pool_size, max_terms, folds, rng, hierarchy, join=True,
                     rounds=4, residual_scan=50, raw_holdout=None, linear=True, pairs=True):
    """Select among the extracted terms ``(idx, coef)``, refine in rounds, refit by least squares.

    Returns the selected terms (constant first), their least-squares coefficients and the
    metadata of the selection. ``raw_holdout`` (a callable giving the booster's own held-out
    R²) is consulted when the first selection cross-validates below :data:`SELECTION_DOUBT`;
    ``info["selection"]`` then says which of the two should be returned, and ``info["cv_r2"]``
    is the held-out figure of that one (the selection's own is ``info["selection_cv_r2"]``).
    """
    n = masks.shape[1]
    # The booster's magnitudes rank the candidates; matching pursuit picks among them.
    # Closed under subsets so heredity never waits on a term it cannot pick.
    pool_idx = initial_pool(idx, coef, n, pool_size, closed=bool(hierarchy))
    N = masks.shape[0]
    cap = int(0.5 * N) if max_terms is None else int(max_terms)
    # Every round is cross-validated on the same folds, so that rounds are compared on equal
    # terms rather than on the luck of a new split.
    fold_seed = int(rng.integers(2**31 - 1))

    def select(pool):
        return select_terms(masks, values, pool, n, cap, folds, np.random.default_rng(fold_seed), hierarchy)

    chosen, sol, cv_r2, design = select(pool_idx)
    max_degree = int(_terms.degrees(idx, n).max(initial=0))
    info = {"pool_size": int(pool_idx.shape[0]), "joined_terms": 0, "screened": False,
            "selection_rounds": 1, "proposed_terms": 0}
    raw_r2 = None
    if cv_r2 < SELECTION_DOUBT and raw_holdout is not None:
        # With few samples, or much noise, the selection can overfit; then the booster's own
        # spectrum may generalise better. One extra fit on 3/4 of the samples tells which.
        # A trusted selection is judged before its rounds: they screen and scan with all the
        # samples, which flatters their cross-validation when noise dominates. An untrusted
        # one only gets a join round, judged after it as before.
        raw_r2 = info["raw_holdout_r2"] = raw_holdout()
        if raw_r2 > cv_r2 and cv_r2 >= SCREEN_TRUST:
            rounds = 1  # the raw spectrum wins: the check after the loop says so
    # The second selection is always taken (joins and screening rarely hurt a trusted first
    # one); from then on every round runs from the one before, and the best by cross-validation
    # is kept: a round that scores a little lower can still lead to a better one.
    best = None
    for extra in range(rounds - 1 if join else 0):
        # An untrusted first selection gets one unscreened join round at most (screening on a
        # poor selection loses terms).
        trusted = cv_r2 >= SCREEN_TRUST
        if not chosen or (extra > 0 and not trusted) or cv_r2 > 1 - 1e-4:
            break
        proposals = None
        if trusted and residual_scan:
            residual = values - design @ sol
            singles = residual_singles(masks, residual, max(1, residual_scan // 5))
            scanned = (residual_pairs(masks, residual, residual_scan) if max_degree >= 2
                       else np.zeros((0, 2), dtype=np.int64))
            proposals = _terms.stack([scanned, np.stack([singles, np.full(singles.size, n)], axis=1)], n)
        cand, joined = refined_pool(pool_idx, pool_idx[chosen], idx, n, max_degree, screen=trusted,
                                    proposals=proposals, closed=hierarchy is not None)
        if not joined and not trusted:
            break
        chosen, sol, cv_r2, design = select(cand)
        pool_idx = cand
        info["joined_terms"] += joined
        info["screened"] = info["screened"] or trusted
        info["proposed_terms"] += 0 if proposals is None else int(len(proposals))
        info["selection_rounds"] += 1
        if best is None or cv_r2 > best[2]:
            best = (chosen, sol, cv_r2, design, pool_idx, dict(info))
    if best is not None:
        chosen, sol, cv_r2, design, pool_idx, info = best
    train_r2 = r2_score(values, design @ sol)
    info.update({"pool_size": int(pool_idx.shape[0]), "selection_cv_r2": cv_r2, "selection_train_r2": train_r2})
    # The sparse linear model is always a candidate, judged on the same folds: on games with
    # strong main effects and few interactions, or budgets too small for interactions, the
    # tree pool's spurious terms cost more than the interactions they find. Above
    # LINEAR_NEEDLESS it could gain too little to pay for its fit (a LASSO path over all n
    # parts: the slowest step at n = 1000).
    # When the trees' selection is in doubt (below SELECTION_DOUBT), so is the sparse model
    # over all single parts and pairs (while its design is small): on games whose pairs do
    # nothing alone (parities) the trees never split on them, and the selection stays poor.
    # A selection that cross-validates well has found the structure, often of order 3 or
    # more; a pairs model that ties it truncates those orders and biases what they decide
    # (e.g. removing a pair from the full prompt). It must beat the others outright.
    selection = "raw spectrum" if raw_r2 is not None and raw_r2 > cv_r2 else "refit"
    best_cv = max(cv_r2, -np.inf if raw_r2 is None else raw_r2)
    if linear and best_cv < LINEAR_NEEDLESS:
        # at least one column: trees that never split leave a pool of constant terms only (width 0)
        lin_pool = np.full((n, max(idx.shape[1], 1)), n, dtype=np.int64)
        lin_pool[:, 0] = np.arange(n)
        lin_chosen, lin_sol, lin_cv, lin_design = linear_fit(masks, values, folds, np.random.default_rng(fold_seed), cap)
        info["linear_cv_r2"] = lin_cv
        if lin_cv >= best_cv:
            chosen, sol, cv_r2, design, pool_idx = lin_chosen, lin_sol, lin_cv, lin_design, lin_pool
            train_r2 = r2_score(values, design @ sol)
            selection, best_cv = "linear", lin_cv
    doubtful = info["selection_cv_r2"] < SELECTION_DOUBT
    if pairs and doubtful and best_cv < LINEAR_NEEDLESS and max_degree >= 2 and pairs_fit_fits(N, n):
        pair_idx, pair_sol, pair_cv, pair_design = pairs_fit(masks, values, folds, np.random.default_rng(fold_seed), cap)
        info["pairs_cv_r2"] = pair_cv
        if pair_cv > best_cv:
            pool_idx = pair_idx
            chosen, sol, cv_r2, design = np.arange(len(pair_idx)), pair_sol, pair_cv, pair_design
            train_r2 = r2_score(values, design @ sol)
            selection, best_cv = "pairs", pair_cv
    raw_wins = selection == "raw spectrum"
    info["selection"] = selection
    const = np.full((1, idx.shape[1]), n, dtype=np.int64)
    out_idx = _terms.stack([const, pool_idx[chosen]], n)
    # "cv_r2" describes what is returned: the raw spectrum's held-out R² when it wins (the
    # caller replaces "train_r2" then); the selection's own figures stay under their names.
    info.update({"refit_terms": int(len(chosen)), "cv_r2": raw_r2 if raw_wins else cv_r2, "train_r2": train_r2})
    return out_idx, sol, info
