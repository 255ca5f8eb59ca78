"""``method="auto"``: spend a budget where it helps most, and say what was done.

Small games (2^n within the budget, n <= 12 by default) are solved exactly. Games played near
the full set (``keep >= 0.85``, e.g. a model's components with a tenth of them ablated) go to
``additive_plus`` when the budget covers the n single removals with a fifth to spare: the
single removals are the strongest start there, and interactions are added only where
cross-validation says they pay. Otherwise:

1. ProxySPEX on a first slice of the budget (a quarter); its cross-validated R² estimates
   held-out faithfulness for free;
2. if the proxy is poor (cross-validated R² < 0.9: the game is not hierarchical, e.g. pure
   parities) and enough budget is left for a SPEX design, run SPEX with the rest and keep
   whichever result is more faithful on the proxy's samples (which SPEX never saw: a free
   held-out test);
   (when SPEX loses, the proxy is refitted on its samples and SPEX's together);
3. otherwise, while budget remains and faithfulness is below target (the cross-validated R²,
   confirmed by the previous stage's fit on the new stage's rows): double the proxy's
   samples and refit; the fit on all samples is returned. The stages take their masks from
   one draw of the whole budget, ProxySPEX's own, so spending the budget this way returns
   :func:`~spexkit.solvers.proxyspex.proxyspex`'s result at the same budget and seed;
4. except when, at a stage after the first that still leaves room for them, the proxy chose
   its linear model (most of its averaged fits did) and that model explains a good share
   (cross-validated R² times the share of fits that chose it >= 0.25): main effects carry
   the game at this budget, and the rest buys the full set, the n single removals and
   random masks, fitted as ``additive_plus`` does (its candidates include ProxySPEX on every
   sample). ``singles=False`` keeps to random masks.

Each ProxySPEX fit also considers the sparse linear model and, when the trees' selection is
in doubt and the design is small (about 140 parts at 1,000 samples), the sparse model over
all pairs, on the same folds
(:func:`~spexkit.solvers.proxyspex.fit_samples`): ``auto`` is never less faithful than a
linear fit by more than cross-validation can tell, and finds pairs that do nothing alone (which
trees never split on) at budgets too small for SPEX. ``pairs=False`` leaves the pairs model out.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np

from ..cache import lookup_sorted, pack_masks
from ..execution import as_evaluator
from ..masks import distinct_masks, uniform_masks
from ..metrics import r2_score
from ..validation import check_budget, check_probability, check_random_state, user_stacklevel
from . import register
from .additive_plus import additive_plus, fit_additive_plus, single_removal_masks
from .bch import MAX_CODE_LENGTH
from .exact import EXACT_MAX_PLAYERS, exact
from .proxyspex import fit_samples
from .spex import queries_for, spex

DEFAULT_BUDGET = 2000
#: below this (and short of all 2^n masks) the proxy's cross-validation (4 folds, 2 samples a fold
#: at least) has too few samples to tell models apart
AUTO_MIN_BUDGET = 10
#: SPEX's masks keep each part with probability 1/2; the fallback to SPEX is for games whose
#: ``keep`` is within this of 1/2 (for a prompt at keep 0.8 its masks are off the distribution
#: the user asked about, and refitting the proxy on them costs faithfulness where it matters)
SPEX_KEEP_SLACK = 0.1
#: games whose masks keep at least this share of parts are "near the full set"
NEAR_FULL_KEEP = 0.85
#: folds of additive_plus's cross-validation when auto switches to the single removals
SINGLES_CV_FOLDS = 5
#: auto switches to the single removals only when the linear model it chose explains at least
#: this share (cross-validated R²): the singles pin main effects down, and pay when those carry
#: much of the game; a poor linear fit chosen because nothing else fits yet (parities at a small
#: budget) needs the uniform samples for its interactions. On the planted classes of
#: benchmarks/real_games.py at 300 calls (stage of 150 masks), the parity runs that chose linear
#: scored 0.11 and 0.17, the hierarchical Möbius runs 0.33-0.71. When ProxySPEX averaged
#: several fits, the R² is weighed by the share that chose linear (:func:`linear_share`).
SINGLES_MIN_LINEAR_R2 = 0.25


def values_reusing(ev, known_masks: np.ndarray, known_values: np.ndarray, new_masks: np.ndarray) -> np.ndarray:
    """Values of ``new_masks``, asking ``ev`` only for masks not among ``known_masks``.

    The stages take growing prefixes of one draw, and on small games a mask drawn in an earlier
    stage comes again in a later one: paying for it twice would spend budget on nothing new
    (the evaluator merges repeats only within one call).

    Examples
    --------
    >>> import spexkit
    >>> from spexkit.execution import Evaluator
    >>> ev = Evaluator(spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=3), progress=False)
    >>> known = np.array([[1, 1, 0]], bool)
    >>> values_reusing(ev, known, np.array([2.0]), np.array([[1, 1, 0], [0, 0, 1]], bool)).tolist(), ev.queries
    ([2.0, 1.0], 1)
    """
    keys = pack_masks(known_masks)
    order = np.argsort(keys)
    found, out = lookup_sorted(keys[order], known_values[order], pack_masks(new_masks))
    if not found.all():
        out[~found] = ev(new_masks[~found])
    return out


def linear_share(metadata: dict) -> float:
    """The share of a ProxySPEX result's fits that chose its linear model: 1 or 0 for one fit,
    the fraction of the averaged fits for ``selection == "ensemble"``.

    ``auto`` weighs the linear model's cross-validated R² by this share before it buys the
    single removals: five fits of which three chose linear say "main effects" less firmly than
    five of five.

    Examples
    --------
    >>> linear_share({"selection": "ensemble", "members": [{"selection": "linear"}] * 3 + [{"selection": "refit"}] * 2})
    0.6
    >>> linear_share({"selection": "linear"}), linear_share({"selection": "refit"})
    (1.0, 0.0)
    """
    members = metadata.get("members")
    if metadata.get("selection") != "ensemble" or not members:
        return float(metadata.get("selection") == "linear")
    return sum(m.get("selection") == "linear" for m in members) / len(members)


@register("auto")
def auto(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
         keep: float | None = None, target_r2: float = 0.99, first_slice: float = 0.25,
         min_gain: float | None = None, pairs: bool = True, singles: bool = True):
    """Exact for small games, else ProxySPEX in growing stages, with a SPEX fallback.

    ``metadata["auto"]`` lists every stage (samples, cross-validated R², decision).

    Examples
    --------
    >>> from spexkit.planted import planted_game
    >>> game = planted_game(60, n_terms=5, max_degree=2, basis="mobius", seed=0)
    >>> res = auto(game, budget=1200, max_degree=2, seed=0)
    >>> res.metadata["auto"]["chosen"]
    'proxyspex'
    """
    if min_gain is not None:
        warnings.warn("auto's min_gain is deprecated and ignored: auto now spends its whole budget "
                      "unless the target R² is reached", DeprecationWarning, stacklevel=user_stacklevel())
    ev = as_evaluator(game)
    start = ev.asked

    def spent() -> int:
        # masks asked, cached or not: a warm cache must not stretch the budget (or change the result)
        return ev.asked - start

    n = ev.game.n_players
    rng = check_random_state(seed)
    budget = DEFAULT_BUDGET if budget is None else check_budget(budget, name="auto's budget")
    if n <= EXACT_MAX_PLAYERS and (1 << n) <= budget:
        res = exact(ev, max_degree=max_degree)
        res.metadata["auto"] = {"chosen": "exact", "stages": [], "reason": f"2^{n} <= budget"}
        return res
    if budget < AUTO_MIN_BUDGET:  # the proxy's cross-validation needs two samples a fold
        raise ValueError(f"auto's budget must be at least {AUTO_MIN_BUDGET} (or cover all 2^{n} masks), "
                         f"got {budget}")
    p_keep = check_probability(ev.game.keep if keep is None else keep, "keep")
    if p_keep >= NEAR_FULL_KEEP and budget >= 1.2 * (n + 1) and budget >= n + 11:
        res = additive_plus(ev, budget=budget, max_degree=max_degree, seed=rng, keep=p_keep)
        res.metadata["auto"] = {"chosen": "additive_plus", "stages": [],
                                "reason": f"keep={p_keep:g} >= {NEAR_FULL_KEEP}: single removals first",
                                "estimated_r2": float(res.metadata["cv_r2"])}
        return res
    size = max(int(budget * first_slice), 50)
    masks = np.zeros((0, n), dtype=bool)
    values = np.zeros(0)
    t = 3 if max_degree is None else int(max_degree)
    # past SPEX's longest BCH code its stage is never possible
    spex_floor = queries_for(n, min(t, n), (3, 3, 3)) if n <= MAX_CODE_LENGTH else np.inf  # 3 groups of 8 bins
    stages = []
    res = None  # the previous stage's fit
    # The stages take their masks from one draw of the whole budget, as ProxySPEX draws them, and
    # the fit on all of it uses the generator's state right after that draw: when auto spends its
    # budget on the proxy, its result is ProxySPEX's at the same budget and seed, not a second
    # sample of it (as faithful on average, 0.07 below it on one class of benchmarks/real_games.py).
    plan = uniform_masks(n, budget, keep=p_keep, seed=rng)
    whole_budget_rng = copy.deepcopy(rng)
    while True:
        # The plan's rows are the budget (a mask drawn twice in one call is paid once, as in
        # ProxySPEX): counting queries instead would wait forever for rows the plan lacks.
        new = min(size, budget) - masks.shape[0]
        if new > 0:
            masks = plan[:masks.shape[0] + new]  # the samples so far are always the plan's first rows
            values = np.concatenate([values, values_reusing(ev, masks[:-new], values, masks[-new:])])
        fit_rng = whole_budget_rng if masks.shape[0] == budget else rng
        previous = res
        res = fit_samples(masks, values, max_degree, fit_rng, labels=ev.game.labels, pairs=pairs)
        cv = float(res.metadata.get("cv_r2", 0.0))
        stages.append({"method": "proxyspex", "samples": int(masks.shape[0]), "cv_r2": cv,
                       "selection": res.metadata.get("selection")})
        if "members" in res.metadata:  # an average of fits: what each chose (see linear_share)
            stages[-1]["member_selections"] = [m.get("selection") for m in res.metadata["members"]]
        left = budget - masks.shape[0]
        if cv >= target_r2 and previous is not None and new > 0:
            # Stopping early trusts the estimate, and cross-validation on a few dozen samples can
            # be optimistic (a tabular game at 300 calls stopped at 75 samples on 0.99 and scored
            # 0.87 held out). So the stop is confirmed on rows no fit had seen: the previous
            # stage's fit must predict this stage's new rows as well.
            fresh_r2 = r2_score(values[-new:], previous.predict(masks[-new:]))
            stages[-1]["previous_fit_r2_on_new_rows"] = fresh_r2
            if fresh_r2 >= target_r2:
                stages[-1]["decision"] = "target reached"
                break
        if len(stages) == 1 and cv < 0.9 and left >= spex_floor and abs(p_keep - 0.5) <= SPEX_KEEP_SLACK:
            stages[-1]["decision"] = "not hierarchical enough: SPEX with the rest"
            break
        if left <= 0:
            stages[-1]["decision"] = "budget spent"
            break
        # Not on the first stage: a quarter of a small budget is too few samples to tell whether
        # interactions pay (tabular games at 100 calls lost up to 0.2 when it decided there).
        # And only at the last stage that leaves room for the singles (its samples are at least
        # half of the random masks that design would hold): a later doubling may still find
        # interactions, and it should have the chance while the budget allows it.
        share = linear_share(res.metadata)
        if (singles and len(stages) >= 2 and share > 0.5 and share * cv >= SINGLES_MIN_LINEAR_R2
                and masks.shape[0] >= (budget - (n + 1)) / 2 and left >= n + 1 + 2 * SINGLES_CV_FOLDS):
            stages[-1]["decision"] = "main effects dominate: single removals, then random masks"
            break
        # Every stage refits on all samples so far; the last one, on the whole budget, is
        # returned: a cross-validated R² that stalls between stages is no reason to leave
        # budget unspent (the estimate is noisy, and more samples rarely hurt the fit).
        size = masks.shape[0] + min(masks.shape[0], left)
    best, chosen = (res, cv), "proxyspex"
    decision = stages[-1]["decision"]
    if decision.startswith("main effects"):
        # The rest of the budget buys the n single removals and random masks as additive_plus
        # does; its fit cross-validates the additive candidates against ProxySPEX on every sample.
        single_masks = single_removal_masks(n)
        single_values = ev(single_masks)
        fresh = distinct_masks(n, budget - spent(), p_keep, rng, avoid=np.vstack([single_masks, masks]))
        masks = np.vstack([masks, fresh])
        values = np.concatenate([values, ev(fresh)])
        res = fit_additive_plus(single_values, masks, values, seed=rng, cv_folds=SINGLES_CV_FOLDS,
                                max_degree=max_degree, proxy_pairs=pairs, labels=ev.game.labels)
        cv = float(res.metadata["cv_r2"])
        stages.append({"method": "additive_plus", "samples": int(masks.shape[0]) + n + 1, "cv_r2": cv,
                       "selection": res.metadata["additive_plus"]["chosen"]})
        best, chosen = (res, cv), "additive_plus"
    left = budget - spent()
    if decision.startswith("not hierarchical"):
        with ev.recording() as asked:
            res_spex = spex(ev, budget=left, max_degree=t, seed=rng)
        held_out = r2_score(values, res_spex.predict(masks))
        stages.append({"method": "spex", "queries": int(res_spex.metadata["queries"]),
                       "r2_on_proxy_samples": held_out})
        if held_out > cv:
            best, chosen = (res_spex, held_out), "spex"
        elif asked:
            # SPEX lost: its masks are samples of the game all the same, so the proxy is
            # refitted on everything queried rather than on the first slice alone.
            all_masks = np.vstack([masks] + [m for m, _ in asked])
            all_values = np.concatenate([values] + [v for _, v in asked])
            res = fit_samples(all_masks, all_values, max_degree, rng, labels=ev.game.labels, pairs=pairs)
            cv = float(res.metadata.get("cv_r2", 0.0))
            stages.append({"method": "proxyspex", "samples": int(all_masks.shape[0]), "cv_r2": cv,
                           "selection": res.metadata.get("selection"),
                           "decision": "refit on the proxy's and SPEX's samples"})
            best = (res, cv)
    result = best[0]
    result.metadata["queries"] = ev.queries
    result.metadata["auto"] = {"chosen": chosen, "stages": stages, "estimated_r2": best[1]}
    return result
