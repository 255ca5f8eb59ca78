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
from ..validation import check_random_state
from . import register, warn_ignored_keep
from .bch import BCHCode

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
        raise ValueError
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
    keep : unused (SPEX masks keep each part with probability 1/2 by design); giving it warns.

    Returns
    -------
    Interactions in the Fourier basis; metadata holds queries, the design, bins resolved per
    round, residual energy and timings.

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
        idx, coef, rounds = _peel(state, design, chase_bits, z_threshold, agreement, max_rounds)
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
            stacklevel=2,
        )
    return Interactions(idx, coef, n, basis="fourier", labels=ev.game.labels, metadata=meta)


def _peel(state: _BinState, design: SpexDesign, chase_bits: int, z: float, agreement: float,
          max_rounds: int):
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
        cand = _candidates(state, design, code, chase_bits, threshold)
        if cand.shape[0]:
            # Drop candidates already in the support.
            # Terms already in the support, or pruned twice, are not proposed again: a pruned
            # term re-accepted every round would otherwise cycle until max_rounds. (Once is
            # forgiven: early thresholds are high while much signal is still unexplained.)
            blocked = {t for t, times in pruned.items() if times >= 2}
            known = set(_terms.to_tuples(support, n)) | blocked
            cand_t = _terms.to_tuples(cand, n)
            fresh = np.array([t not in known for t in cand_t], dtype=bool)
            cand = cand[fresh]
        accepted = _verify(state, design, cand, threshold, agreement) if cand.shape[0] else cand
        unresolved = int(sum((np.mean(r * r, axis=0) > (threshold**2)).sum() for r in state.R))
        rounds.append({"accepted": int(accepted.shape[0]), "bins_above_noise": unresolved,
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
    if support.shape[0]:
        # Exactly-fitted ghosts end at round-off level; drop them with the noise-level terms.
        sigma = np.sqrt(state.sample_energy(state.R) / max(state.n_samples, 1))
        floor = 1e-9 * np.abs(coef).max() + z * sigma / np.sqrt(state.n_samples)
        keep = np.abs(coef) > floor
        if not keep.all():
            support = support[keep]
            coef, _ = state.fit(support)
    return support, coef, rounds


def _candidates(state: _BinState, design: SpexDesign, code: BCHCode, chase_bits: int,
                threshold: float) -> np.ndarray:
    """Decode every bin above the noise; return unique verified-by-hash supports (padded)."""
    n = design.n_players
    found = []
    for c, (h, r) in enumerate(zip(design.hashes, state.R)):
        energy = np.mean(r * r, axis=0)
        bins = np.flatnonzero(energy > threshold**2)
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
    if not found:
        return np.zeros((0, 0), dtype=np.int64)
    stacked = _terms.stack(found, n)
    return np.unique(stacked, axis=0) if stacked.shape[0] else stacked


def _verify(state: _BinState, design: SpexDesign, cand: np.ndarray, threshold: float,
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
