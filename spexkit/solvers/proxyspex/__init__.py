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

The steps live in submodules: :mod:`~spexkit.solvers.proxyspex.booster` (the LightGBM fit),
:mod:`~spexkit.solvers.proxyspex.readout` (the exact read-out and the candidate pool),
:mod:`~spexkit.solvers.proxyspex.selection` (matching pursuit and least squares) and
:mod:`~spexkit.solvers.proxyspex.refinement` (the refinement rounds).
"""

from __future__ import annotations

import time

import numpy as np

from ...execution import as_evaluator
from ...interactions import Interactions, mean_of
from ...masks import uniform_masks
from ...metrics import r2_score
from ...trees import lightgbm_paths, paths_to_fourier  # noqa: F401  (used by benchmarks/proxyspex_oracle.py)
from ...validation import check_budget, check_positive_int, check_probability, check_random_state, check_samples
from .. import register
from ..omp import Heredity, cv_path_length, omp_path  # noqa: F401
from .booster import TUNING_GRID, default_booster_params, fit_booster, raw_holdout_r2, tune_booster
from .readout import initial_pool, largest_terms, read_out, subset_closure
from .refinement import (SCREEN_TRUST, SELECTION_DOUBT, check_refinement, joined_terms, refined_pool,
                         residual_pairs, residual_singles, select_and_refit)
from .refinement import _standardised  # noqa: F401
from .selection import HEREDITY_STRENGTH, parity_features, select_columns, select_terms

__all__ = [
    "DEFAULT_BUDGET", "SCREEN_TRUST", "SELECTION_DOUBT", "TUNING_GRID", "default_booster_params",
    "fit_booster", "fit_samples", "initial_pool", "joined_terms", "largest_terms", "parity_features",
    "proxyspex", "raw_holdout_r2", "read_out", "refined_pool", "residual_pairs", "residual_singles",
    "select_and_refit", "select_columns", "select_terms", "subset_closure", "tune_booster",
]

# The names these steps had before the module became a package (benchmarks use ``_select``).
_HEREDITY_STRENGTH = HEREDITY_STRENGTH
_check_refinement = check_refinement
_raw_holdout_r2 = raw_holdout_r2
_subset_closure = subset_closure
_select = select_terms
_select_and_refit = select_and_refit

DEFAULT_BUDGET = 1000

#: folds of the cross-validation that picks the kept terms; fit_samples needs 2 samples per fold
CV_FOLDS = 4

# Below this many samples one boosted fit varies a lot with its own randomness (folds, row and
# column subsampling): on the context benchmark's 32-call games, LDS 0.83-0.86 across fit seeds
# on the same samples. Averaging ENSEMBLE_FITS fits there costs little (a fit on a few hundred
# samples takes ~0.2 s) and gains about 0.01 in LDS and R² (benchmarks/context.py --mask-blocks).
ENSEMBLE_FITS = 5
ENSEMBLE_MAX_SAMPLES = 256
# Above ENSEMBLE_MAX_SAMPLES one fit is kept when it cross-validates at ENSEMBLE_BELOW_CV or
# better (more fits of a faithful model change little and cost ENSEMBLE_FITS times the time: the
# dense 30-player game at 500 calls, 0.25 s -> 1.4 s). Below it the fit is unsure and the
# average helps as on small budgets: on SmolLM2's 270-head games at 500 calls (CV R² 0.7-0.9)
# held-out R² 0.863 -> 0.888 over ten draws. ENSEMBLE_MAX_CELLS (samples x parts, the size of the
# booster's input; 256 samples x 1,000 parts is what the small-budget rule already averages)
# bounds the extra time on large games.
ENSEMBLE_BELOW_CV = 0.95
ENSEMBLE_MAX_CELLS = 300_000


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
    cv_folds: int = CV_FOLDS,
    tune: bool = False,
    join: bool = True,
    rounds: int = 4,
    residual_scan: int = 50,
    linear: bool = True,
    pairs: bool = True,
    fits: int | None = None,
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
    linear : bool
        Also fit the sparse linear model (the single parts only, chosen by the same matching
        pursuit) on the same cross-validation folds, and return it when it cross-validates at
        least as well as the interaction model: on games with strong main effects and few
        interactions, or budgets too small for interactions, it is the more faithful one. No
        extra queries. ``metadata["selection"]`` says ``"linear"`` then.
    pairs : bool
        Also fit the sparse model over every single part and every pair (matching pursuit,
        no heredity) on the same folds, while its design has at most
        :data:`~spexkit.solvers.proxyspex.selection.PAIRS_MAX_ENTRIES` entries (about 100
        parts at 1,000 samples), the trees go at least two deep and their selection
        cross-validates below :data:`~spexkit.solvers.proxyspex.refinement.SELECTION_DOUBT`
        (a trusted selection often holds orders above 2 that a pairs model would truncate);
        it is returned when it cross-validates better than every other candidate. The trees
        never split on a pair whose parts do nothing alone (a parity), so their pool misses
        it. No extra queries. ``metadata["selection"]`` says ``"pairs"`` then.
    fits : int, optional
        Independent fits averaged on the same samples (no extra queries); by default
        :data:`ENSEMBLE_FITS` when the budget is at most :data:`ENSEMBLE_MAX_SAMPLES`; above
        it one, or :data:`ENSEMBLE_FITS` when that one cross-validates below
        :data:`ENSEMBLE_BELOW_CV` and budget x n is at most :data:`ENSEMBLE_MAX_CELLS`. Small
        budgets and hard games leave one fit at the mercy of its own randomness; the average
        of several is steadier and usually more faithful. ``metadata["selection"]`` is
        ``"ensemble"`` then (or the fits' common choice when they agree), with each fit's
        selection under ``metadata["members"]``.
    residual_scan : int
        Most pairs of parts proposed per round from the residual of the selection
        (:func:`residual_pairs`: all n(n-1)/2 pairs scored by one matrix product, only
        those above the level that unrelated pairs reach), with a fifth as many single parts
        (:func:`residual_singles`); 0 turns the scan off. Pairs are proposed only when the
        trees go at least two deep.

    Notes
    -----
    Metadata: ``queries``, ``selection`` (``"refit"``, ``"linear"``, ``"pairs"`` or ``"raw spectrum"``), ``cv_r2`` (the
    held-out R² of what is returned: the selection's cross-validated R², or for the raw
    spectrum the booster's R² on a held-out quarter, ``raw_holdout_r2``), ``train_r2`` (of
    what is returned, on the samples), ``selection_cv_r2`` and ``selection_train_r2`` (the
    selection's, also when it was rejected), ``linear_cv_r2`` and ``pairs_cv_r2`` (the linear
    and pairs candidates', when fitted), ``terms_extracted``, ``terms_kept``,
    ``pool_size``, ``selection_rounds``, ``joined_terms`` and ``proposed_terms`` (candidates
    the joins and the residual scan added over the kept rounds), ``screened``, and the time
    spent sampling, fitting, extracting and selecting.

    Examples
    --------
    >>> from spexkit.planted import planted_game
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
    budget = DEFAULT_BUDGET if budget is None else check_budget(budget, minimum=2 * cv_folds,
                                                                 name="proxyspex's budget")
    check_refinement(rounds, residual_scan)  # before any query is paid for (fit_samples checks too)
    p_keep = check_probability(ev.game.keep if keep is None else keep, "keep")
    t0 = time.perf_counter()
    masks = uniform_masks(n, budget, keep=p_keep, seed=rng)
    values = ev(masks)
    t1 = time.perf_counter()
    res = fit_samples(masks, values, max_degree, rng, booster_params=booster_params, refit=refit,
                      pool_size=pool_size, hierarchy=hierarchy, max_terms=max_terms, cv_folds=cv_folds,
                      tune=tune, join=join, rounds=rounds, residual_scan=residual_scan,
                      linear=linear, pairs=pairs, fits=fits, labels=ev.game.labels)
    res.metadata.update({"queries": ev.queries, "keep": p_keep, "time_sampling": t1 - t0})
    return res


def fit_samples(masks: np.ndarray, values: np.ndarray, max_degree: int | None, seed=None, *,
                fits: int | None = None, labels=None, **options) -> Interactions:
    """ProxySPEX on samples already queried: fit, extract, select, refit (no queries).

    Used by :func:`proxyspex` and by ``method="auto"``, which grows its sample set in stages.
    ``fits`` independent fits (each with its own draws of the fit's randomness) are averaged;
    by default :data:`ENSEMBLE_FITS` on at most :data:`ENSEMBLE_MAX_SAMPLES` samples, else one,
    and :data:`ENSEMBLE_FITS` after all when that one cross-validates below
    :data:`ENSEMBLE_BELOW_CV` on at most :data:`ENSEMBLE_MAX_CELLS` samples x parts.
    The average of expansions in one basis is exact: its coefficients are the mean of theirs.
    ``options`` are :func:`proxyspex`'s fitting options (``booster_params`` to ``linear``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> masks = rng.random((64, 8)) < 0.5
    >>> values = 2.0 * masks[:, 0] - masks[:, 3] + 0.5 * (masks[:, 1] & masks[:, 2])
    >>> res = fit_samples(masks, values, 2, seed=0)
    >>> res.metadata["fits"], round(r2_score(values, res.predict(masks)), 3)
    (5, 1.0)
    """
    masks, values = check_samples(masks, values)
    if max_degree is not None:
        max_degree = check_positive_int(max_degree, "max_degree")
    folds = options.get("cv_folds", CV_FOLDS)
    if masks.shape[0] < 2 * folds:  # the same floor as proxyspex's budget: each fold needs samples to score
        raise ValueError(f"fit_samples needs at least {2 * folds} samples ({folds} cross-validation folds), "
                         f"got {masks.shape[0]}")
    rng = check_random_state(seed)
    k = (ENSEMBLE_FITS if masks.shape[0] <= ENSEMBLE_MAX_SAMPLES else 1) if fits is None else \
        check_positive_int(fits, "fits")
    members = [_fit_once(masks, values, max_degree, rng, labels=labels, **options) for _ in range(k)]
    if fits is None and k == 1 and members[0].metadata.get("cv_r2", 1.0) < ENSEMBLE_BELOW_CV \
            and masks.size <= ENSEMBLE_MAX_CELLS:
        k = ENSEMBLE_FITS  # an unsure fit: average it with more (the first one is kept)
        members += [_fit_once(masks, values, max_degree, rng, labels=labels, **options) for _ in range(k - 1)]
    if k == 1:
        members[0].metadata["fits"] = 1
        return members[0]
    avg = mean_of(members, labels=labels)
    meta = dict(members[0].metadata)  # figures not set below (tree depth, pool size, ...) are the first fit's
    cv = [m.metadata["cv_r2"] for m in members if "cv_r2" in m.metadata]
    meta.update({
        "fits": k, "members": [{key: m.metadata.get(key) for key in ("selection", "cv_r2", "terms_kept")}
                               for m in members],
        # The members' mean: the average usually predicts better than its members, so this is
        # a conservative estimate of its held-out R².
        "cv_r2": float(np.mean(cv)) if cv else meta.get("cv_r2"),
        "train_r2": r2_score(values, avg.predict(masks)), "terms_kept": len(avg),
        # One name when every fit chose the same kind of model (e.g. all "linear").
        "selection": sel.pop() if len(sel := {m.metadata.get("selection") for m in members}) == 1 else "ensemble",
        **{t: float(sum(m.metadata.get(t, 0.0) for m in members))
           for t in ("time_fit", "time_extraction", "time_refit", "time_decoding")},
    })
    avg.metadata = meta
    return avg


def _fit_once(masks: np.ndarray, values: np.ndarray, max_degree: int | None, rng, *,
              booster_params: dict | None = None, refit: bool = True, pool_size: int = 3000,
              hierarchy: str | None = "weak", max_terms: int | None = None, cv_folds: int = CV_FOLDS,
              tune: bool = False, join: bool = True, rounds: int = 4, residual_scan: int = 50,
              linear: bool = True, pairs: bool = True, labels=None) -> Interactions:
    """One fit: boost, read the trees' spectrum out, select and refit."""
    check_refinement(rounds, residual_scan)
    n = masks.shape[1]
    t1 = time.perf_counter()
    params = default_booster_params(max_degree, masks.shape[0], int(rng.integers(2**31 - 1)))
    params.update(booster_params or {})
    tuning = None
    if tune:
        params, tuning = tune_booster(masks, values, params, rng)
    booster = fit_booster(masks, values, params)
    t2 = time.perf_counter()
    idx, coef = read_out(booster, n)
    t3 = time.perf_counter()
    n_extracted = int(idx.shape[0])

    meta: dict = {"method": "proxyspex", "n_trees": int(booster.num_trees()),
                  "max_depth": int(params["max_depth"]), "terms_extracted": n_extracted}
    if tuning is not None:
        meta["tuning"] = tuning
    if refit and n_extracted:
        sel_idx, sel_coef, info = select_and_refit(
            masks, values, idx, coef, pool_size, max_terms, cv_folds, rng, hierarchy, join=join,
            rounds=rounds, residual_scan=residual_scan, linear=linear, pairs=pairs,
            raw_holdout=lambda: raw_holdout_r2(masks, values, params, rng))
        meta.update(info)
        if meta["selection"] in ("refit", "linear", "pairs"):
            idx, coef = sel_idx, sel_coef
        else:  # the raw spectrum is the booster itself: its fit, not the rejected selection's
            meta["train_r2"] = r2_score(values, booster.predict(masks.astype(np.float32)))
    t4 = time.perf_counter()
    meta.update({"terms_kept": int(idx.shape[0]), "time_fit": t2 - t1, "time_extraction": t3 - t2,
                 "time_refit": t4 - t3, "time_decoding": t4 - t1})
    return Interactions(idx, coef, n, basis="fourier", labels=labels, metadata=meta)
