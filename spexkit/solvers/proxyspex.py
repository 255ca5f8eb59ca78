"""ProxySPEX: a gradient-boosted-tree proxy whose trees are read out exactly (docs/design.md section 7).

1. Draw masks (each part kept with probability ``keep``) and query the game once, in batches.
2. Fit LightGBM on (mask -> value). Trees capture hierarchical interactions (a strong
   high-order term with its lower-order subsets) from few samples.
3. Expand every leaf exactly into parity terms (:mod:`spexkit.trees`) and sum over trees.
4. Rank the terms by magnitude, keep a pool of the largest, and select among them by
   orthogonal matching pursuit on the samples already queried (path length chosen by
   cross-validation).
5. Refine in rounds: join overlapping selected terms into higher-order candidates and, when
   the selection cross-validates well, screen the pool to the parts it used, add every
   extracted term over them and the pairs of parts that best explain the residual; select
   again while cross-validation improves. Refit the selected terms by least squares. No
   extra queries.
"""

from __future__ import annotations

import time

import numpy as np

from .. import terms as _terms
from ..execution import as_evaluator
from ..interactions import Interactions
from ..masks import parity, uniform_masks
from ..metrics import r2_score
from ..trees import lightgbm_paths, paths_to_fourier
from ..validation import check_probability, check_random_state
from . import register
from .omp import Heredity, cv_path_length, omp_path

DEFAULT_BUDGET = 1000
# Below this cross-validated R² the selected terms are compared with the raw tree spectrum.
SELECTION_DOUBT = 0.9
# From this cross-validated R² on, the first selection's parts bound the second round's pool.
SCREEN_TRUST = 0.5
_HEREDITY_STRENGTH = {"weak": 0.0, "strong": 1.0}


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
        "n_jobs": 1,
        "random_state": seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }


def fit_booster(masks: np.ndarray, values: np.ndarray, params: dict):
    """Fit a LightGBM regressor on 0/1 features and return its booster."""
    import lightgbm as lgb

    model = lgb.LGBMRegressor(**params)
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


def parity_features(masks: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Fourier features χ_k(m) = (-1)^{<m, k>} for every mask and term: (N, K) float64."""
    return 1.0 - 2.0 * parity(masks, idx)


@register("proxyspex")
def proxyspex(
    game,
    budget: int | None = None,
    max_degree: int | None = None,
    seed=None,
    *,
    keep: float | None = None,
    booster_params: dict | None = None,
    refit: bool = True,
    pool_size: int = 3000,
    hierarchy: str | None = "weak",
    max_terms: int | None = None,
    cv_folds: int = 4,
    tune: bool = False,
    join: bool = True,
    rounds: int = 4,
    residual_scan: int = 50,
) -> Interactions:
    """Sparse Fourier expansion of a game through a LightGBM proxy.

    Suited to hierarchical games (AND-like interactions that come with their subsets, as in
    LLMs); pure parities without lower-order structure are invisible to greedy trees, so use
    :func:`~spexkit.solvers.spex.spex` for those.

    Parameters
    ----------
    game : Game (or an evaluator from :func:`spexkit.explain`)
    budget : int, optional
        Number of masks to query (default 1000).
    max_degree : int, optional
        Tree depth, hence the highest interaction order (default 4).
    seed : int or Generator
    keep : float, optional
        Probability that a part is kept in a sampled mask (default ``game.keep``). Values
        above 1/2 bias the masks towards keeping most parts, as suits LLM prompts.
    booster_params : dict, optional
        Overrides for :func:`default_booster_params` (any LightGBM parameter).
    refit : bool
        Select terms among the ``pool_size`` largest extracted ones by orthogonal matching
        pursuit (path length by cross-validation) and refit them by least squares. Without
        it the raw tree spectrum is returned.
    pool_size : int
        Candidates handed to the selection (default 3000), closed under subsets.
    hierarchy : ``"weak"``, ``"strong"`` or None
        Heredity in the selection: a term of degree >= 2 is eligible once at least one
        (``"weak"``, the default) or all (``"strong"``) of its one-smaller subsets are chosen.
        The Fourier support of a game is closed under subsets (the down-closure of its Möbius
        support), so this removes implausible isolated high-order picks; weak heredity
        tolerates subsets whose coefficients nearly cancel.
    max_terms : int, optional
        Most terms the selection may keep (default: half the samples).
    cv_folds : int
        Folds for choosing how many terms to keep.
    tune : bool
        Choose the tree depth from :data:`TUNING_GRID` by held-out R² on the queried samples
        (three extra fits, no extra queries). Off by default: the defaults suit hierarchical
        games and the selection step already adapts to the data.
    join : bool
        Refine the first selection in further rounds (up to ``rounds`` selections in all).
        Each round adds the unions of selected terms that share a part (up to the largest
        extracted order, with their subsets): trees often find pieces of a high-order
        interaction on different paths but not the whole. When the selection cross-validates
        at R² >= :data:`SCREEN_TRUST`, the round also screens the pool to the parts it used,
        takes in every extracted term over them (not only the ``pool_size`` largest) and the
        pairs and single parts that clearly explain the residual (``residual_scan``). All
        rounds use the same folds; of the rounds after the first, the one that
        cross-validates best is kept. When the first selection cross-validates below
        :data:`SELECTION_DOUBT` and the booster's own spectrum does better on held-out
        samples, that spectrum is returned and no round runs.
    rounds : int
        Most selection rounds, the first included (default 4; 1 turns refinement off).
    residual_scan : int
        Most pairs of parts proposed per round from the residual of the selection
        (:func:`residual_pairs`: all n(n-1)/2 pairs scored by one matrix product, only
        those above the level that unrelated pairs reach), with a fifth as many single parts
        (:func:`residual_singles`); 0 turns the scan off. Pairs are proposed only when the
        trees go at least two deep.

    Notes
    -----
    Metadata: ``queries``, ``cv_r2`` (cross-validated R² of the returned selection),
    ``selection`` (``"refit"`` or ``"raw spectrum"``), ``terms_extracted``, ``terms_kept``,
    ``pool_size``, ``selection_rounds``, ``joined_terms`` and ``proposed_terms`` (candidates
    the joins and the residual scan added over the kept rounds), ``screened``, and the time
    spent sampling, fitting, extracting and selecting.

    Examples
    --------
    >>> from spexkit.games import planted_game
    >>> game = planted_game(100, n_terms=5, max_degree=2, basis="mobius", seed=0)
    >>> res = proxyspex(game, budget=500, max_degree=2, seed=0)
    >>> res.metadata["cv_r2"] > 0.99
    True
    """
    ev = as_evaluator(game)
    n = ev.game.n_players
    rng = check_random_state(seed)
    if hierarchy not in (None, "weak", "strong"):
        raise ValueError(f"hierarchy must be 'weak', 'strong' or None, got {hierarchy!r}")
    budget = DEFAULT_BUDGET if budget is None else int(budget)
    _check_refinement(rounds, residual_scan)  # before any query is paid for (fit_samples checks too)
    if budget < 2 * cv_folds:
        raise ValueError(f"proxyspex needs a budget of at least {2 * cv_folds} queries, got {budget}")
    p_keep = check_probability(ev.game.keep if keep is None else keep, "keep")
    t0 = time.perf_counter()
    masks = uniform_masks(n, budget, keep=p_keep, seed=rng)
    values = ev(masks)
    t1 = time.perf_counter()
    res = fit_samples(masks, values, max_degree, rng, booster_params=booster_params, refit=refit,
                      pool_size=pool_size, hierarchy=hierarchy, max_terms=max_terms, cv_folds=cv_folds,
                      tune=tune, join=join, rounds=rounds, residual_scan=residual_scan,
                      labels=ev.game.labels)
    res.metadata.update({"queries": ev.queries, "keep": p_keep, "time_sampling": t1 - t0})
    return res


def fit_samples(masks: np.ndarray, values: np.ndarray, max_degree: int | None, seed=None, *,
                booster_params: dict | None = None, refit: bool = True, pool_size: int = 3000,
                hierarchy: str | None = "weak", max_terms: int | None = None, cv_folds: int = 4,
                tune: bool = False, join: bool = True, rounds: int = 4, residual_scan: int = 50,
                labels=None) -> Interactions:
    """ProxySPEX on samples already queried: fit, extract, select, refit (no queries).

    Used by :func:`proxyspex` and by ``method="auto"``, which grows its sample set in stages.
    """
    rng = check_random_state(seed)
    _check_refinement(rounds, residual_scan)
    n = masks.shape[1]
    t1 = time.perf_counter()
    params = default_booster_params(max_degree, masks.shape[0], int(rng.integers(2**31 - 1)))
    params.update(booster_params or {})
    tuning = None
    if tune:
        params, tuning = tune_booster(masks, values, params, rng)
    booster = fit_booster(masks, values, params)
    t2 = time.perf_counter()
    leaf_values, features, sides = lightgbm_paths(booster)
    idx, coef = paths_to_fourier(leaf_values, features, sides, n)
    t3 = time.perf_counter()
    n_extracted = int(idx.shape[0])

    meta: dict = {"method": "proxyspex", "n_trees": int(booster.num_trees()),
                  "max_depth": int(params["max_depth"]), "terms_extracted": n_extracted}
    if tuning is not None:
        meta["tuning"] = tuning
    if refit and n_extracted:
        sel_idx, sel_coef, info = _select_and_refit(
            masks, values, idx, coef, pool_size, max_terms, cv_folds, rng, hierarchy, join=join,
            rounds=rounds, residual_scan=residual_scan,
            raw_holdout=lambda: _raw_holdout_r2(masks, values, params, rng))
        meta.update(info)
        if meta["selection"] == "refit":
            idx, coef = sel_idx, sel_coef
    t4 = time.perf_counter()
    meta.update({"terms_kept": int(idx.shape[0]), "time_fit": t2 - t1, "time_extraction": t3 - t2,
                 "time_refit": t4 - t3, "time_decoding": t4 - t1})
    return Interactions(idx, coef, n, basis="fourier", labels=labels, metadata=meta)


def _check_refinement(rounds: int, residual_scan: int) -> None:
    if int(rounds) != rounds or rounds < 1:
        raise ValueError(f"rounds must be a positive integer (1 turns refinement off), got {rounds!r}")
    if int(residual_scan) != residual_scan or residual_scan < 0:
        raise ValueError(f"residual_scan must be a non-negative integer (0 turns it off), got {residual_scan!r}")


def _raw_holdout_r2(masks, values, params, rng) -> float:
    order = rng.permutation(masks.shape[0])
    val, train = order[: masks.shape[0] // 4], order[masks.shape[0] // 4 :]
    booster = fit_booster(masks[train], values[train], params)
    return r2_score(values[val], booster.predict(masks[val].astype(np.float32)))


def _subset_closure(idx: np.ndarray, n: int) -> np.ndarray:
    """Every non-empty subset of the given terms, once: (K, d) padded index matrix."""
    _, sub, _, sub_deg = _terms.expand_subsets(idx, n)
    return _terms.aggregate(sub[sub_deg > 0], np.zeros(int((sub_deg > 0).sum())), n)[0]


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


def largest_terms(idx: np.ndarray, coef: np.ndarray, n: int, count: int) -> np.ndarray:
    """The ``count`` non-constant terms of largest magnitude, largest first (ties: input order)."""
    rest = np.flatnonzero(_terms.degrees(idx, n) > 0)
    return idx[rest[np.argsort(-np.abs(coef[rest]), kind="stable")][:count]]


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
        blocks.append(_subset_closure(new_idx, n) if closed else new_idx)
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
        merged = _terms.stack([merged, _subset_closure(extra, n) if closed else extra], n)
    merged, _ = _terms.aggregate(merged, np.zeros(merged.shape[0]), n)
    return merged, joined


def _select(masks, values, pool_idx, n, cap, folds, rng, hierarchy):
    """Matching pursuit over the pool's parity features, then least squares on the choice."""
    heredity = Heredity(_terms.to_tuples(pool_idx, n), _HEREDITY_STRENGTH[hierarchy]) if hierarchy else None
    return select_columns(parity_features(masks, pool_idx), values, cap, folds, rng, heredity)


def select_columns(X: np.ndarray, values: np.ndarray, cap: int, folds: int, rng,
                   heredity: Heredity | None = None):
    """Matching pursuit over the columns of X (path length by CV), then least squares.

    Returns the chosen columns, the least-squares solution (intercept first), the
    cross-validated R² and the design matrix (a column of ones, then the chosen columns).
    """
    k, cv_r2 = cv_path_length(X, values, cap, folds, rng, heredity=heredity)
    chosen, _ = omp_path(X, values, k, heredity=heredity)
    design = np.hstack([np.ones((X.shape[0], 1)), X[:, chosen]])
    sol, *_ = np.linalg.lstsq(design, values, rcond=None)
    return chosen, sol, float(cv_r2), design


def _select_and_refit(masks, values, idx, coef, pool_size, max_terms, folds, rng, hierarchy, join=True,
                      rounds=4, residual_scan=50, raw_holdout=None):
    n = masks.shape[1]
    # The booster's magnitudes rank the candidates; matching pursuit picks among them.
    pool_idx = largest_terms(idx, coef, n, pool_size)
    # Closed under subsets so heredity never waits on a term it cannot pick.
    pool_idx = _subset_closure(pool_idx, n) if hierarchy else pool_idx
    N = masks.shape[0]
    cap = int(0.5 * N) if max_terms is None else int(max_terms)
    # Every round is cross-validated on the same folds, so that rounds are compared on equal
    # terms rather than on the luck of a new split.
    fold_seed = int(rng.integers(2**31 - 1))

    def select(pool):
        return _select(masks, values, pool, n, cap, folds, np.random.default_rng(fold_seed), hierarchy)

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
            pairs = (residual_pairs(masks, residual, residual_scan) if max_degree >= 2
                     else np.zeros((0, 2), dtype=np.int64))
            proposals = _terms.stack([pairs, np.stack([singles, np.full(singles.size, n)], axis=1)], n)
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
    info["selection"] = "raw spectrum" if raw_r2 is not None and raw_r2 > cv_r2 else "refit"
    const = np.full((1, idx.shape[1]), n, dtype=np.int64)
    out_idx = _terms.stack([const, pool_idx[chosen]], n)
    info.update({"pool_size": int(pool_idx.shape[0]), "refit_terms": int(len(chosen)), "cv_r2": cv_r2,
                 "train_r2": r2_score(values, design @ sol)})
    return out_idx, sol, info
