"""Exact transform: query all 2^n masks (n <= 20) and transform them (docs/design.md section 3)."""

from __future__ import annotations

import time

import numpy as np

from .. import transforms
from ..execution import as_evaluator
from ..masks import all_masks
from ..interactions import Interactions
from ..validation import check_budget
from . import register, warn_ignored_keep

MAX_PLAYERS = transforms.MAX_EXACT_PLAYERS
#: Sampling methods switch to the exact expansion when the budget covers all 2^n masks and n
#: is at most this (4,096 masks: the switch never costs more than a few seconds of solver time).
EXACT_MAX_PLAYERS = 12


@register("exact")
def exact(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
          basis: str = "fourier", tol: float = 1e-12, keep: float | None = None) -> Interactions:
    """Every Fourier (or Möbius) coefficient of a game with at most 20 players.

    Costs exactly 2^n queries, evaluated in batches. Coefficients with
    ``|c| <= tol * max|c|``, the maximum taken over the non-constant terms (a large constant
    must not hide small effects), are dropped, as are coefficients within the rounding of the
    values themselves (a few ulps of ``max|f|``, times 2^|S| for Möbius); ``max_degree``
    keeps only terms up to that degree.
    ``keep`` is accepted for a uniform call shape and unused (every mask is queried); giving
    it warns.

    Examples
    --------
    >>> from spexkit import Game
    >>> game = Game(lambda m: (m[:, 0] & m[:, 1]).astype(float), n_players=3)
    >>> exact(game, basis="mobius").top(3)
    [((0, 1), 1.0)]
    """
    ev = as_evaluator(game)
    n = ev.game.n_players
    warn_ignored_keep("exact", keep, "it queries every mask")
    if n > MAX_PLAYERS:
        raise ValueError(
            f"method='exact' needs 2^n queries and supports n <= {MAX_PLAYERS} players, got n={n}; "
            "use method='spex' or method='proxyspex' for larger games"
        )
    if basis not in ("fourier", "mobius"):
        raise ValueError(f"basis must be 'fourier' or 'mobius', got {basis!r}")
    budget = check_budget(budget, name="exact's budget")
    if budget is not None and budget < (1 << n):
        raise ValueError(f"method='exact' needs 2^{n} = {1 << n} queries, but budget={budget}")
    t0 = time.perf_counter()
    values = ev(all_masks(n))
    t1 = time.perf_counter()
    idx, coef = _terms_above(values, n, basis, tol)
    if max_degree is not None:
        low = (idx < n).sum(1) <= max_degree
        idx, coef = idx[low], coef[low]
    t2 = time.perf_counter()
    meta = {"method": "exact", "queries": ev.queries, "basis": basis, "time_sampling": t1 - t0, "time_decoding": t2 - t1}
    return Interactions(idx, coef, n, basis=basis, labels=ev.game.labels, metadata=meta)


def _terms_above(values: np.ndarray, n: int, basis: str, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Dense transform of the 2^n values, then the terms worth keeping (see :func:`exact`).

    The values are centred on f(∅) first, so the transform's round-off scales with the
    non-constant part rather than with a large constant; the constant is added back after.
    """
    offset = float(values[0])  # f(∅): the subtraction is exact for values near it
    centred = values - offset
    dense = transforms.fourier_dense(centred) if basis == "fourier" else transforms.mobius_dense(centred)
    dense[0] += offset  # F(∅) = mean f and a(∅) = f(∅) carry the offset; no other term does
    scale = float(np.abs(dense[1:]).max(initial=0.0))
    # Rounding of the values themselves: |error| <= ulp/2 per value, averaged by a Fourier
    # coefficient and summed over 2^|S| values by a Möbius one.
    floor = 4.0 * np.finfo(np.float64).eps * float(np.abs(values).max(initial=0.0))
    idx, coef = transforms.dense_to_terms(dense, tol=tol * scale)
    degree = (idx < n).sum(1)
    if basis == "mobius":
        resolution = floor * np.exp2(degree)
    else:
        resolution = np.full(degree.shape, floor)
    above = (np.abs(coef) > resolution) | (degree == 0)
    return idx[above], coef[above]
