"""SPEX: sparse Fourier recovery by coded subsampling and peeling (docs/design.md section 6).

Design: C hash groups; group c has a random hash H_c ∈ F2^{b_c×n} and is queried at
m = H_cᵀℓ ⊕ p for every ℓ ∈ F2^{b_c} and every delay p. The delays are the zero vector and
the rows of a binary BCH parity-check matrix that corrects t = max_degree errors, so a
singleton bin's signs over the delays spell the BCH syndrome of its support k.

Decoding works in the bin domain only (never on the raw samples again):

1. every non-empty bin proposes candidate supports: the sign pattern of its residual over
   the delays is decoded by the BCH decoder, plus Chase-style variants that flip the least
   reliable signs (smallest magnitudes). In a bin holding several terms, the signs follow
   the dominant one, so the strongest term of a multiton is often decoded directly;
2. a candidate is verified by re-hashing: its own bin must match, and its coefficient,
   estimated separately in every group's bin it hashes to, must agree across groups and
   stand out of the noise;
3. accepted terms are refitted jointly by least squares (in the bin domain, which by
   Parseval equals least squares on the queried samples) and subtracted from every group:
   peeling. Repeat until no bin yields a new term.

That plain peeling is exact without noise. When it leaves energy it cannot explain (noise near
the smallest budget, or two terms sharing their bin in every group), a noise-robust stage
continues from its support, with no extra queries: a noise level from the lower quartile of the bins,
acceptance tests against it (including on the groups that did not propose a candidate),
longer Chase lists on significant bins, re-decoding of colliding bins from the groups' mean,
and a final least squares with backward elimination over every term accepted on the way.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from .. import masks as _masks
from .. import terms as _terms
from ..execution import as_evaluator
from ..interactions import Interactions
from ..transforms import fwht
from ..validation import check_budget, check_random_state, user_stacklevel
from . import register, warn_ignored_keep
from .bch import MAX_CODE_LENGTH, BCHCode

DEFAULT_MAX_DEGREE = 3
DEFAULT_GROUPS = 3
DEFAULT_BITS = 6


@dataclass
class SpexDesign:
    """The query design of one SPEX run: hash groups, delays and the BCH code."""

    n_players: int
    max_degree: int
    code: BCHCode
    hashes: list[np.ndarray]
    delays: np.ndarray = field(repr=False)

    @property
    def group_bits(self) -> tuple[int, ...]:
        return tuple(h.shape[0] for h in self.hashes)

    @property
    def n_delays(self) -> int:
        return self.delays.shape[0]

    @property
    def n_queries(self) -> int:
        return self.n_delays * sum(1 << b for b in self.group_bits)

    def masks(self) -> np.ndarray:
        """All masks of the run, group after group, delay-major within a group."""
        return np.concatenate(
            [_masks.coded_masks(h, self.delays).reshape(-1, self.n_players) for h in self.hashes]
        )


def queries_for(n_players: int, max_degree: int, group_bits) -> int:
    """Queries a design with the given bins per group needs: (1 + BCH checks) · Σ 2^b."""
    d = 1 + BCHCode(n_players, max_degree).n_checks
    return d * sum(1 << int(b) for b in group_bits)


def choose_group_bits(n_delays: int, budget: int, n_groups: int = DEFAULT_GROUPS) -> tuple[int, ...]:
    """Most bins that fit the budget: equal groups, then double some while the budget allows.

    Raises ValueError when not even one group of two bins fits.
    """
    total = budget // n_delays
    if total < 2:
        raise ValueError(f"a budget of {budget} with {n_delays} delays leaves {total} bin(s); one group needs 2")
    groups = min(n_groups, total // 2)
    b = int(np.floor(np.log2(total / groups)))
    bits = [b] * groups
    for i in range(groups):
        if sum(1 << x for x in bits) + (1 << bits[i]) <= total:
            bits[i] += 1
    return tuple(sorted(bits, reverse=True))


def make_design(n_players: int, budget: int | None, max_degree: int, seed=None,
                n_groups: int = DEFAULT_GROUPS) -> SpexDesign:
    """Choose b per group and the BCH code from the budget; raise a clear error if too small."""
    rng = check_random_state(seed)
    budget = check_budget(budget, name="spex's budget")
    code = BCHCode(n_players, max_degree)
    n_delays = 1 + code.n_checks
    if budget is None:
        bits = (DEFAULT_BITS,) * n_groups
    else:
        try:
            bits = choose_group_bits(n_delays, budget, n_groups)
        except ValueError:
            smallest = 2 * n_delays
            raise ValueError(
                f"budget={budget} is too small for SPEX with n={n_players} players and max_degree="
                f"{max_degree}: each group of bins costs {n_delays} delays (1 + {code.n_checks} BCH checks) "
                f"times its bins, so the smallest budget that works is {smallest}; a budget of "
                f"{n_delays * 24} gives 3 groups of 8 bins"
            ) from None
    hashes = [rng.random((b, n_players)) < 0.5 for b in bits]
    delays = np.vstack([np.zeros((1, n_players), dtype=bool), code.parity_check])
    return SpexDesign(n_players, max_degree, code, hashes, delays)


class _BinState:
    """Bin-domain observations U[c] (n_delays, 2^b_c) and the peeling state."""

    def __init__(self, design: SpexDesign, values: np.ndarray) -> None:
        self.design = design
        self.U: list[np.ndarray] = []
        start = 0
        for h in design.hashes:
            size = design.n_delays << h.shape[0]
            block = values[start : start + size].reshape(design.n_delays, 1 << h.shape[0])
            self.U.append(np.stack([fwht(row) for row in block]) / block.shape[1])
            start += size
        self.R = [u.copy() for u in self.U]
        self.sizes = np.array([1 << h.shape[0] for h in design.hashes], dtype=np.float64)
        self.n_samples = int(values.shape[0])

    def sample_energy(self, arrays) -> float:
        """Σ over queried samples of the squared residual (Parseval: M_c Σ U²)."""
        return float(sum(m * np.sum(a * a) for m, a in zip(self.sizes, arrays)))

    def fit(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Joint least squares of the terms ``idx`` on all bins; updates the residual."""
        d = self.design
        s = idx.shape[0]
        chi = 1.0 - 2.0 * _masks.parity(d.delays, idx)  # (D, s)
        gram = np.zeros((s, s))
        rhs = np.zeros(s)
        bins = [_masks.hash_bins(h, idx) for h in d.hashes]
        for m, u, j in zip(self.sizes, self.U, bins):
            same = j[:, None] == j[None, :]
            gram += m * (chi.T @ chi) * same
            rhs += m * np.einsum("ps,ps->s", chi, u[:, j])
        coef = np.linalg.lstsq(gram, rhs, rcond=None)[0] if s else np.zeros(0)
        for c, (u, j) in enumerate(zip(self.U, bins)):
            r = u.copy()
            contrib = chi * coef[None, :]  # (D, s)
            for row in range(r.shape[0]):  # loops over delays only (tens)
                r[row] -= np.bincount(j, weights=contrib[row], minlength=r.shape[1])
            self.R[c] = r
        return coef, chi


def _chase_syndromes(res: np.ndarray, chase_bits: int) -> np.ndarray:
    """Hard syndromes of the bins plus variants with the least reliable signs flipped.

    res: (B, D) residual of each bin over the delays (delay 0 is the reference).
    Returns bool (B, 2^L, D-1).
    """
    neg = res < 0
    bits = neg[:, 1:] ^ neg[:, :1]
    B, D = res.shape
    L = min(chase_bits, D)
    if L == 0:
        return bits[:, None, :]
    weakest = np.argsort(np.abs(res), axis=1)[:, :L]  # (B, L)
    patterns = _masks.all_masks(L)  # (2^L, L)
    flips = np.zeros((B, patterns.shape[0], D), dtype=bool)
    rows = np.arange(B)[:, None, None]
    flips[rows, np.arange(patterns.shape[0])[None, :, None], weakest[:, None, :]] = patterns[None, :, :]
    # Flipping the reference sign (delay 0) flips every syndrome bit.
    out = bits[:, None, :] ^ flips[:, :, 1:]
    return out ^ flips[:, :, :1]


@register("spex")
def spex(
    game,
    budget: int | None = None,
    max_degree: int | None = None,
    seed=None,
    *,
    n_groups: int = DEFAULT_GROUPS,
    chase_bits: int = 3,
    z_threshold: float = 5.0,
    agreement: float = 0.5,
    max_rounds: int = 50,
    robust: bool = True,
    keep: float | None = None,
) -> Interactions:
    """Sparse Fourier transform of a game by SPEX.

    Parameters
    ----------
    game : Game (or an evaluator from :func:`spexkit.explain`)
    budget : int, optional
        Most queries to spend; b per hash group is chosen to fit (default 3 groups of 64 bins).
        Too small a budget raises ValueError naming the smallest that works.
    max_degree : int, optional
        Highest interaction order t (the BCH code corrects t errors); default 3.
    seed : int or Generator
        Seeds the random hashes.
    n_groups : number of hash groups C (default 3).
    chase_bits : the L least reliable signs of a bin are flipped in all 2^L ways.
    z_threshold : a term is accepted when its coefficient exceeds z standard errors of the
        current residual.
    agreement : largest relative disagreement between the per-group estimates of a term.
    max_rounds : most peeling rounds per stage.
    robust : when plain peeling leaves energy it cannot explain (noise, or terms colliding in
        every group), continue with the noise-robust stage: noise-aware acceptance tests,
        longer Chase lists, re-decoding of colliding bins and a final least squares over every
        term accepted on the way (docs/design.md section 6). No extra queries; results that
        plain peeling gets exactly are returned unchanged.
    keep : unused (SPEX masks keep each part with probability 1/2 by design); giving it warns.

    Returns
    -------
    Interactions in the Fourier basis; metadata holds queries, the design, bins resolved per
    round (``rounds``, each marked with its stage), residual energy, timings and ``robust``:
    whether the robust stage ran, its rounds, collisions re-decoded, its noise estimate and
    the final regression (``pool``: terms ever accepted, ``kept``, ``pruned``).

    Examples
    --------
    >>> from spexkit.planted import planted_game
    >>> game = planted_game(200, n_terms=5, max_degree=2, seed=0)
    >>> res = spex(game, budget=600, max_degree=2, seed=0)
    >>> sorted(res.terms) == sorted(game.truth.terms)
    True
    """
    ev = as_evaluator(game)
    n = ev.game.n_players
    if n > MAX_CODE_LENGTH:
        raise ValueError(f"spex handles at most {MAX_CODE_LENGTH} players (its BCH codes' length), got {n}: "
                         "use method='proxyspex', or group the players")
    warn_ignored_keep("spex", keep, "its coded masks keep each part with probability 1/2 by design")
    t = DEFAULT_MAX_DEGREE if max_degree is None else int(max_degree)
    t = min(t, n)
    rng = check_random_state(seed)
    t0 = time.perf_counter()
    design = make_design(n, budget, t, rng, n_groups=n_groups)
    masks = design.masks()
    t1 = time.perf_counter()
    values = ev(masks)
    t2 = time.perf_counter()
    state = _BinState(design, values)
    # Decoding works on small matrices: one BLAS thread is faster than contended many.
    with threadpool_limits(1):
        idx, coef, rounds, robust_info = _peel(state, design, chase_bits, z_threshold, agreement, max_rounds,
                                               robust=robust)
    t3 = time.perf_counter()

    resid = state.sample_energy(state.R)
    centred = float(np.sum((values - values.mean()) ** 2))
    fraction = resid / centred if centred > 0 else 0.0
    meta = {
        "method": "spex",
        "queries": ev.queries,
        "max_degree": t,
        "design": {
            "group_bits": list(design.group_bits),
            "n_delays": design.n_delays,
            "bch_checks": design.code.n_checks,
            "bch_m": design.code.m,
        },
        "rounds": rounds,
        "robust": robust_info,
        "residual_energy": resid,
        "residual_fraction": fraction,
        "noise_std_estimate": float(np.sqrt(resid / max(state.n_samples - len(coef), 1))),
        "time_design": t1 - t0,
        "time_sampling": t2 - t1,
        "time_decoding": (t1 - t0) + (t3 - t2),
    }
    if fraction > 0.05:
        warnings.warn(
            f"SPEX explained only {100 * (1 - fraction):.1f}% of the variance of the queried values: "
            "the game may not be sparse or low-degree enough for this budget and max_degree "
            "(see metadata['rounds'])",
            stacklevel=user_stacklevel(),
        )
    return Interactions(idx, coef, n, basis="fourier", labels=ev.game.labels, metadata=meta)


# Noise-robust decoding (docs/design.md section 6). Plain peeling (``_peel_plain``) runs first
# and is untouched: it is exact without noise. Only when it leaves energy it cannot explain does
# the robust stage (``_peel_robust``) continue from its support.

#: z of the tests that compare one group's estimate, or one bin's energy, with the noise.
Z_NOISE = 3.0
#: Extra Chase bits of the robust stage's levels, tried in turn while no term is accepted.
ROBUST_CHASE_LEVELS = (0, 3, 6)
#: Most keys re-decoded per stall by _resolve_collisions, and the least cosine between their
#: groups' vectors (a mixture of terms that share the key is the same in every group).
MAX_KEYS = 8
MIN_KEY_COSINE = 0.5
#: The robust stage stops when its residual has not dropped 1 % in this many rounds.
STAGNATION_ROUNDS = 10


def _peel(state: _BinState, design: SpexDesign, chase_bits: int, z: float, agreement: float,
          max_rounds: int, robust: bool = True) -> tuple[np.ndarray, np.ndarray, list, dict]:
    """Plain peeling, then (if energy is left and ``robust``) the noise-robust stage."""
    start_energy = state.sample_energy(state.U)
    support, coef, rounds = _peel_plain(state, design, chase_bits, z, agreement, max_rounds)
    info: dict = {"ran": False}
    if robust and state.sample_energy(state.R) > 1e-24 * max(start_energy, 1e-300):
        support, coef, more, info = _peel_robust(state, design, support, chase_bits, z, agreement, max_rounds)
        rounds += more
    if support.shape[0]:
        # Exactly-fitted ghosts end at round-off level; drop them with the noise-level terms.
        sigma = np.sqrt(state.sample_energy(state.R) / max(state.n_samples, 1))
        floor = 1e-9 * np.abs(coef).max() + z * sigma / np.sqrt(state.n_samples)
        keep = np.abs(coef) > floor
        if not keep.all():
            support = support[keep]
            coef, _ = state.fit(support)
    return support, coef, rounds, info


def _peel_plain(state: _BinState, design: SpexDesign, chase_bits: int, z: float, agreement: float,
                max_rounds: int):
    """Peeling with thresholds set by the RMS of the residual (exact on noiseless sparse games)."""
    n = design.n_players
    code = design.code
    support = np.zeros((0, 0), dtype=np.int64)
    coef = np.zeros(0)
    rounds = []
    pruned: dict[tuple[int, ...], int] = {}
    start_energy = state.sample_energy(state.U)
    for _ in range(max_rounds):
        resid = state.sample_energy(state.R)
        sigma = np.sqrt(resid / max(state.n_samples, 1))
        if resid <= 1e-24 * max(start_energy, 1e-300):
            break
        threshold = z * sigma / np.sqrt(state.n_samples)
        cand, _ = _candidates(state, design, code, chase_bits, threshold**2)
        if cand.shape[0]:
            # Terms already in the support, or pruned twice, are not proposed again: a pruned
            # term re-accepted every round would otherwise cycle until max_rounds. (Once is
            # forgiven: early thresholds are high while much signal is still unexplained.)
            blocked = {t for t, times in pruned.items() if times >= 2}
            known = set(_terms.to_tuples(support, n)) | blocked
            fresh = np.array([t not in known for t in _terms.to_tuples(cand, n)], dtype=bool)
            cand = cand[fresh]
        accepted = _verify_plain(state, design, cand, threshold, agreement) if cand.shape[0] else cand
        unresolved = int(sum((np.mean(r * r, axis=0) > (threshold**2)).sum() for r in state.R))
        rounds.append({"stage": "plain", "accepted": int(accepted.shape[0]), "bins_above_noise": unresolved,
                       "residual_energy": resid})
        if accepted.shape[0] == 0:
            break
        support = np.unique(_terms.stack([support, accepted], n), axis=0)
        coef, _ = state.fit(support)
        # Prune terms the joint fit drives into the noise (ghosts of earlier mistakes).
        resid = state.sample_energy(state.R)
        sigma = np.sqrt(resid / max(state.n_samples, 1))
        weak = np.abs(coef) <= z * sigma / np.sqrt(state.n_samples)
        if weak.any() and not weak.all():
            for t in _terms.to_tuples(support[weak], n):
                pruned[t] = pruned.get(t, 0) + 1
            support = support[~weak]
            coef, _ = state.fit(support)
    return support, coef, rounds


def _noise_sigma(state: _BinState) -> float:
    """Std of one sample's noise, from the lower quartile of the bins' energies.

    Under noise alone each weighted bin energy M_c * mean_p R_c[p, j]^2 is sigma^2 chi2_D / D,
    so the lower quartile over all bins, divided by that of chi2_D / D, estimates sigma^2 as
    long as a quarter of the bins hold no unexplained term; bins that still do only raise it.
    (The median was too high on crowded designs: 100 terms in 96 bins, two thirds of them
    unexplained after plain peeling.) Capped by the RMS of the residual.
    """
    d = state.R[0].shape[0]
    rms = np.sqrt(state.sample_energy(state.R) / max(state.n_samples, 1))
    e = np.concatenate([m * np.mean(r * r, axis=0) for m, r in zip(state.sizes, state.R)])
    a = 2.0 / (9.0 * d)
    quartile_chi2 = (1.0 - a - 0.6745 * np.sqrt(a)) ** 3  # of chi2_D / D (Wilson-Hilferty)
    return float(min(rms, np.sqrt(np.quantile(e, 0.25) / quartile_chi2)))


def _group_estimates(state: _BinState, design: SpexDesign, idx: np.ndarray,
                     coef: np.ndarray | None = None) -> np.ndarray:
    """Per-group estimates (C, s) of each term's coefficient from its own bin in each group.

    With ``coef`` (terms already fitted) a group's estimate is coef + the term's projection
    of that group's residual: what the group alone would say, every other term held fixed.
    """
    chi = 1.0 - 2.0 * _masks.parity(design.delays, idx)  # (D, s)
    est = np.stack([np.einsum("ps,ps->s", chi, r[:, _masks.hash_bins(h, idx)]) / chi.shape[0]
                    for h, r in zip(design.hashes, state.R)])
    return est if coef is None else est + coef[None, :]


def _consistency(state: _BinState, per_group: np.ndarray, est: np.ndarray, sigma: float,
                 agreement: float) -> np.ndarray:
    """How far each term's per-group estimates stray from ``est`` (> 1: too far).

    Allowed: a relative disagreement ``agreement`` (terms sharing a bin leak into each other's
    estimates) plus Z_NOISE standard errors of one group's estimate under the noise alone. A
    group that sees the opposite sign disagrees however small the term.
    """
    d = state.R[0].shape[0]
    se = sigma / np.sqrt(d * state.sizes)[:, None]  # (C, 1)
    allowed = agreement * np.abs(est)[None, :] + Z_NOISE * se + 1e-300
    ratio = np.abs(per_group - est[None, :]) / allowed
    ratio[np.sign(per_group) != np.sign(est)[None, :]] = np.inf
    return ratio.max(axis=0)


def _peel_robust(state: _BinState, design: SpexDesign, support: np.ndarray, chase_bits: int, z: float,
                 agreement: float, max_rounds: int):
    """Continue peeling from ``support`` with noise-aware tests, longer Chase lists, collision
    re-decoding and a final regression over every term accepted on the way."""
    n = design.n_players
    code = design.code
    d = design.n_delays
    root_n = np.sqrt(state.n_samples)
    start_energy = state.sample_energy(state.U)
    coef = state.fit(support)[0] if support.shape[0] else np.zeros(0)
    rounds: list[dict] = []
    info = {"ran": True, "start_terms": int(support.shape[0]), "collisions_resolved": 0,
            "final_regression": None}
    pruned: dict[tuple[int, ...], tuple[int, float]] = {}
    ever = [support]
    level = 0
    history: list[float] = []
    for _ in range(max_rounds):
        resid = state.sample_energy(state.R)
        if resid <= 1e-24 * max(start_energy, 1e-300):
            break
        # Stop when accepting and pruning no longer lowers the residual (1 % in 10 rounds).
        history.append(resid)
        if len(history) > STAGNATION_ROUNDS and \
                min(history[-STAGNATION_ROUNDS:]) > 0.99 * min(history[:-STAGNATION_ROUNDS]):
            info["stopped"] = "stagnated"
            break
        sigma = _noise_sigma(state)
        threshold = z * sigma / root_n
        # A bin is worth decoding when its energy is significantly above the noise's
        # (chi2_D / D has sd sqrt(2 / D)). The first level decodes every bin above the
        # coefficient threshold, as plain peeling does: the noise estimate is inflated while
        # most bins still hold terms. Longer Chase lists go to the significant bins only.
        noisy_bin = sigma**2 / state.sizes * (1.0 + Z_NOISE * np.sqrt(2.0 / d))
        floors = np.full(len(state.sizes), threshold**2) if level == 0 else noisy_bin
        bits = chase_bits + ROBUST_CHASE_LEVELS[level]
        cand, source = _candidates(state, design, code, bits, floors)
        if cand.shape[0]:
            # A term pruned twice is blocked until the residual has halved since (by then the
            # picture that pruned it has changed).
            blocked = {t for t, (times, e) in pruned.items() if times >= 2 and resid > 0.5 * e}
            known = set(_terms.to_tuples(support, n)) | blocked
            fresh = np.array([t not in known for t in _terms.to_tuples(cand, n)], dtype=bool)
            cand, source = cand[fresh], source[fresh]
        accepted = _verify(state, design, cand, source, sigma, z, agreement) if cand.shape[0] else cand
        significant = int(sum((np.mean(r * r, axis=0) > f).sum() for r, f in zip(state.R, noisy_bin)))
        rounds.append({"stage": "robust", "chase_bits": bits, "accepted": int(accepted.shape[0]),
                       "bins_above_noise": significant, "residual_energy": resid, "noise_std": sigma})
        if accepted.shape[0] == 0:
            if level + 1 < len(ROBUST_CHASE_LEVELS) and significant:
                level += 1
                continue
            # Stalled: re-decode colliding terms, else refit everything ever accepted.
            if support.shape[0]:
                new = _resolve_collisions(state, design, support, coef, chase_bits, sigma, z, agreement)
                if new is not None:
                    info["collisions_resolved"] += 1
                    support = new
                    ever.append(support)
                    coef, _ = state.fit(support)
                    level = 0
                    continue
                new, new_coef, final = _final_regression(state, _terms.stack(ever + [support], n), support, z)
                info["final_regression"] = final
                changed = set(_terms.to_tuples(new, n)) != set(_terms.to_tuples(support, n))
                support, coef = new, new_coef
                if changed:
                    level = 0
                    continue
            break
        level = 0
        ever.append(accepted)
        support = np.unique(_terms.stack([support, accepted], n), axis=0)
        coef, _ = state.fit(support)
        # Prune terms the joint fit drives into the noise, and the one term whose groups
        # disagree most (a ghost: its source bin wants it, the other groups do not).
        sigma = _noise_sigma(state)
        drop = np.abs(coef) <= z * sigma / root_n
        if support.shape[0] > 1:
            bad = _consistency(state, _group_estimates(state, design, support, coef), coef, sigma, agreement)
            worst = int(np.argmax(bad))
            drop[worst] |= bool(bad[worst] > 1)
        if drop.any() and not drop.all():
            energy = state.sample_energy(state.R)
            for t in _terms.to_tuples(support[drop], n):
                pruned[t] = (pruned.get(t, (0, 0.0))[0] + 1, energy)
            support = support[~drop]
            coef, _ = state.fit(support)
    if support.shape[0] and info["final_regression"] is None:  # stopped before stalling
        support, coef, info["final_regression"] = _final_regression(
            state, _terms.stack(ever + [support], n), support, z)
    info["rounds"] = len(rounds)
    info["noise_std"] = _noise_sigma(state)
    return support, coef, rounds, info


def _resolve_collisions(state: _BinState, design: SpexDesign, support: np.ndarray, coef: np.ndarray,
                        chase_bits: int, sigma: float, z: float, agreement: float) -> np.ndarray | None:
    """Re-decode the bins of terms that collide in every group; an improved support, or None.

    Two terms that share their bin in every group (likely when there are few bins) are seen
    only as one mixture a·χ1 + b·χ2 over the delays. Without noise the signs follow the larger
    term, which peeling then removes; with noise, when |a| ≈ |b|, half the delays carry
    |a ± b| ≈ 0 and their signs are coin flips, so near-miss terms (ghosts) get accepted in
    their place and the pair is never decoded. Each suspect key of bins (one that holds
    several support terms, or whose bins all still hold significant energy) is decoded afresh
    by :func:`_decode_key`, with its terms put back (and the terms that share all of its bins
    but one, where their groups disagree: ghosts of the key's terms). The new set replaces
    them when the fit's residual energy + (z σ)² per term drops by more than (z σ)².
    """
    import itertools

    n = design.n_players
    n_groups = len(design.hashes)
    d = design.n_delays
    keys = np.stack([_masks.hash_bins(h, support) for h in design.hashes], axis=1)
    uniq, counts = np.unique(keys, axis=0, return_counts=True)
    todo = [tuple(k) for k in uniq[counts >= 2].tolist()]
    noisy_bin = sigma**2 / state.sizes * (1.0 + Z_NOISE * np.sqrt(2.0 / d))
    energy = [m * np.mean(r * r, axis=0) for m, r in zip(state.sizes, state.R)]
    # Keys whose bins all hold significant energy (the 16 most energetic bins of each group).
    hot = [np.flatnonzero(e > m * f) for e, m, f in zip(energy, state.sizes, noisy_bin)]
    hot = [h[np.argsort(-e[h], kind="stable")[:16]] for h, e in zip(hot, energy)]
    if all(h.size for h in hot):
        todo += [k for k in itertools.product(*[h.tolist() for h in hot]) if k not in todo]
    if not todo:
        return None
    chi = 1.0 - 2.0 * _masks.parity(design.delays, support)
    shaky = _consistency(state, _group_estimates(state, design, support, coef), coef, sigma, agreement) > 1
    margin = (z * sigma) ** 2
    score0 = state.sample_energy(state.R) + margin * support.shape[0]
    need = n_groups - 1 if n_groups >= 3 else n_groups
    # Terms that share a key are seen alike by every group: only keys whose groups' vectors
    # point the same way (cosine >= MIN_KEY_COSINE for every pair) are decoded, the most
    # energetic first, at most MAX_KEYS of them (each costs a few thousand decodes).
    work = []
    for key in todo:
        match = keys == np.array(key)[None, :]  # (s, C)
        near = match.all(axis=1) | ((match.sum(axis=1) >= need) & shaky)
        back = np.stack([chi[:, near & match[:, c]] @ coef[near & match[:, c]] for c in range(n_groups)])
        vec = np.stack([r[:, j] for r, j in zip(state.R, key)]) + back
        unit = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-300)
        if n_groups > 1 and (unit @ unit.T).min() < MIN_KEY_COSINE:
            continue
        work.append((-float(state.sizes @ np.sum(vec * vec, axis=1)), key, near, vec))
    work.sort(key=lambda w: w[0])
    for _, key, near, vec in work[:MAX_KEYS]:
        chosen = _decode_key(design, state.sizes, vec, np.array(key), set(_terms.to_tuples(support[~near], n)),
                             chase_bits + 3, chase_bits + 6, min(chase_bits + 9, (d - 1) // 2), margin)
        if chosen is None:
            continue
        trial = np.unique(_terms.stack([support[~near], chosen], n), axis=0)
        tcoef, _ = state.fit(trial)
        weak = np.abs(tcoef) <= z * sigma / np.sqrt(state.n_samples)
        while weak.any() and not weak.all():
            trial = trial[~weak]
            tcoef, _ = state.fit(trial)
            weak = np.abs(tcoef) <= z * sigma / np.sqrt(state.n_samples)
        if state.sample_energy(state.R) + margin * trial.shape[0] < score0 - margin:
            return trial
        state.fit(support)
    return None


def _decode_key(design: SpexDesign, sizes: np.ndarray, vec: np.ndarray, key: np.ndarray, known: set,
                chase_bits: int, group_chase_bits: int, mean_chase_bits: int, margin: float,
                beam: int = 4) -> np.ndarray | None:
    """The set of at most t + 1 terms of one bin key that best explains its groups' vectors.

    ``vec`` (C, D) holds the key's bin in every group over the delays. Terms that share the
    key are seen alike by every group, so their weighted least squares fit on all the groups
    is the fit of the groups' weighted mean vector, which also has the least noise. A beam
    search grows sets one term at a time: each set's residual mean vector is decoded for the
    next term, and only decoded terms that hash to ``key`` in every group (and are not in
    ``known``) count. The first step decodes the mean with the longest Chase list
    (``mean_chase_bits``: when two terms nearly cancel on half the delays every pattern over
    those may be needed) and each group's vector with ``group_chase_bits``, and keeps every
    single term (one term of such a pair explains little alone); later steps keep ``beam``
    sets. Returns the set minimising residual energy + ``margin`` per term, or None when no
    set beats the empty one.
    """
    n = design.n_players
    code = design.code
    d = design.n_delays
    total = sizes.sum()
    mean = sizes @ vec / total  # (D,)
    best_set, best_score = None, total * float(mean @ mean)
    nodes = [(np.zeros((0, 0), dtype=np.int64), mean)]
    seen: set = set()
    for depth in range(design.max_degree + 1):
        if depth == 0:
            synd = np.concatenate([_chase_syndromes(mean[None, :], mean_chase_bits).reshape(-1, d - 1),
                                   _chase_syndromes(vec, group_chase_bits).reshape(-1, d - 1)])
        else:
            synd = _chase_syndromes(np.stack([res for _, res in nodes]), chase_bits).reshape(-1, d - 1)
        errors, ok = code.decode(synd)
        if not ok.any():
            break
        cand = np.unique(_terms.as_term_matrix(errors[ok], n), axis=0)
        hb = np.stack([_masks.hash_bins(h, cand) for h in design.hashes], axis=1)
        fresh = np.array([t not in known for t in _terms.to_tuples(cand, n)], dtype=bool)
        cand = cand[(hb == key[None, :]).all(axis=1) & fresh]
        if not cand.shape[0]:
            break
        ctup = _terms.to_tuples(cand, n)
        children = []
        for members, _ in nodes:
            have = set(_terms.to_tuples(members, n))
            for g in range(cand.shape[0]):
                tkey = tuple(sorted(have | {ctup[g]}))
                if ctup[g] in have or tkey in seen:
                    continue
                seen.add(tkey)
                trial = _terms.stack([members, cand[g : g + 1]], n)
                x = 1.0 - 2.0 * _masks.parity(design.delays, trial)  # (D, k)
                res = mean - x @ np.linalg.lstsq(x, mean, rcond=None)[0]
                children.append((total * float(res @ res), trial, res))
        if not children:
            break
        children.sort(key=lambda c: c[0])
        width = 32 if depth == 0 else beam
        for rss, trial, _ in children[:width]:
            if rss + margin * trial.shape[0] < best_score:
                best_set, best_score = trial, rss + margin * trial.shape[0]
        nodes = [(trial, res) for _, trial, res in children[:width]]
    return best_set


def _final_regression(state: _BinState, pool: np.ndarray, support: np.ndarray,
                      z: float) -> tuple[np.ndarray, np.ndarray, dict]:
    """Least squares over every term ever accepted, then backward elimination of the weak ones.

    Uses the samples already queried (in the bin domain); the noise level comes from the
    residual of the model being pruned. With a pool of more than half as many terms as
    samples, ``support`` is kept as it is.
    """
    pool = np.unique(pool, axis=0)
    info = {"pool": int(pool.shape[0]), "kept": None, "pruned": None}
    if pool.shape[0] > state.n_samples // 2:
        info["skipped"] = "pool too large for the samples"
        return support, state.fit(support)[0], info
    coef, _ = state.fit(pool)
    idx = pool
    root_n = np.sqrt(state.n_samples)
    while idx.shape[0]:
        sigma = np.sqrt(state.sample_energy(state.R) / max(state.n_samples - idx.shape[0], 1))
        keep = np.abs(coef) > 1e-9 * np.abs(coef).max() + z * sigma / root_n
        if keep.all():
            break
        idx = idx[keep]
        if not idx.shape[0]:
            state.R = [u.copy() for u in state.U]
            coef = np.zeros(0)
            break
        coef, _ = state.fit(idx)
    info["kept"] = int(idx.shape[0])
    info["pruned"] = info["pool"] - info["kept"]
    return idx, coef, info


def _candidates(state: _BinState, design: SpexDesign, code: BCHCode, chase_bits: int,
                floors) -> tuple[np.ndarray, np.ndarray]:
    """Decode every bin above the noise; return unique supports that re-hash to their own bin.

    Returns (cand, source): the padded index matrix and a bool (s, C) matrix telling which
    groups proposed each candidate (their estimates are biased: the decoder matched them).
    """
    n = design.n_players
    n_groups = len(design.hashes)
    found, groups = [], []
    floors = np.broadcast_to(np.asarray(floors, dtype=np.float64), (n_groups,))
    for c, (h, r) in enumerate(zip(design.hashes, state.R)):
        energy = np.mean(r * r, axis=0)
        bins = np.flatnonzero(energy > floors[c])
        if bins.size == 0:
            continue
        synd = _chase_syndromes(r[:, bins].T, chase_bits)  # (B, V, D-1)
        B, V, _ = synd.shape
        errors, ok = code.decode(synd.reshape(B * V, -1))
        if not ok.any():
            continue
        rows = np.flatnonzero(ok)
        idx = _terms.as_term_matrix(errors[rows], n)
        # Re-hash: the candidate must land in the bin that proposed it.
        own = bins[rows // V]
        good = _masks.hash_bins(h, idx) == own
        found.append(idx[good])
        groups.append(np.full(int(good.sum()), c))
    if not found:
        return np.zeros((0, 0), dtype=np.int64), np.zeros((0, n_groups), dtype=bool)
    stacked = _terms.stack(found, n)
    if not stacked.shape[0]:
        return stacked, np.zeros((0, n_groups), dtype=bool)
    cand, inverse = np.unique(stacked, axis=0, return_inverse=True)
    source = np.zeros((cand.shape[0], n_groups), dtype=bool)
    source[inverse.ravel(), np.concatenate(groups)] = True
    return cand, source


def _verify(state: _BinState, design: SpexDesign, cand: np.ndarray, source: np.ndarray, sigma: float,
            z: float, agreement: float) -> np.ndarray:
    """Keep candidates whose per-group estimates agree and stand out of the noise (robust stage).

    ``source`` (s, C) marks the groups whose bins proposed each candidate. The decoder fitted
    those bins' signs, noise included, so a candidate's estimate there is biased away from
    zero (a ghost decoded from pure noise still "explains" its own bin). Its significance is
    therefore also tested on the other groups alone, Z_NOISE standard errors; with every group
    a source, on all of them.
    """
    d = state.R[0].shape[0]
    per_group = _group_estimates(state, design, cand)  # (C, s)
    est = state.sizes @ per_group / state.sizes.sum()  # the least squares estimate over its bins
    bad = _consistency(state, per_group, est, sigma, agreement)
    held = ~source.T  # (C, s)
    held[:, ~held.any(axis=0)] = True
    m = state.sizes[:, None] * held
    est_held = (m * per_group).sum(axis=0) / m.sum(axis=0)
    se_held = sigma / np.sqrt(d * m.sum(axis=0))
    ok = ((np.abs(est) > z * sigma / np.sqrt(state.n_samples)) & (np.abs(est_held) > Z_NOISE * se_held)
          & (bad <= 1))
    if not ok.any():
        return cand[:0]
    chosen = cand[ok]
    # Strongest (in its weakest group) first, and at most one new term per bin key: two
    # candidates from one multiton are often the true term and a ghost of it.
    order = np.argsort(-np.abs(per_group[:, ok]).min(axis=0), kind="stable")
    chosen = chosen[order]
    key = np.stack([_masks.hash_bins(h, chosen) for h in design.hashes], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    return chosen[np.sort(first)]


def _verify_plain(state: _BinState, design: SpexDesign, cand: np.ndarray, threshold: float,
            agreement: float) -> np.ndarray:
    """Keep candidates whose per-group coefficient estimates agree and exceed the threshold."""
    chi = 1.0 - 2.0 * _masks.parity(design.delays, cand)  # (D, s)
    per_group = np.stack(
        [np.einsum("ps,ps->s", chi, r[:, _masks.hash_bins(h, cand)]) / chi.shape[0]
         for h, r in zip(design.hashes, state.R)]
    )  # (C, s)
    est = per_group.mean(0)
    spread = np.abs(per_group - est[None, :]).max(0)
    ok = (np.abs(est) > threshold) & (spread <= agreement * np.abs(est) + threshold)
    if not ok.any():
        return cand[:0]
    chosen = cand[ok]
    # Strongest first, and at most one new term per bin of the first group: two candidates
    # from one multiton are often the true term and a ghost of it.
    order = np.argsort(-np.abs(est[ok]), kind="stable")
    chosen = chosen[order]
    key = np.stack([_masks.hash_bins(h, chosen) for h in design.hashes], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    return chosen[np.sort(first)]
