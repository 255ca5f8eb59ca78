"""Exact transform: query all 2^n masks (n <= 20) and transform them (docs/design.md section 3)."""

from __future__ import annotations

import time

import numpy as np

from .. import transforms
from ..execution import as_evaluator
from ..interactions import Interactions
from . import register, warn_ignored_keep

MAX_PLAYERS = transforms.MAX_EXACT_PLAYERS


@register("exact")
def exact(game, budget: int | None = None, max_degree: int | None = None, seed=None, *,
          basis: str = "fourier", tol: float = 1e-12, keep: float | None = None) -> Interactions:
    """Every Fourier (or Möbius) coefficient of a game with at most 20 players.

    Costs exactly 2^n queries, evaluated in batches. Coefficients with
    ``|c| <= tol * max|c|`` are dropped; ``max_degree`` keeps only terms up to that degree.
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
    if budget is not None and budget < (1 << n):
        raise ValueError(f"method='exact' needs 2^{n} = {1 << n} queries, but budget={budget}")
    t0 = time.perf_counter()
    values = ev(transforms.all_masks(n))
    t1 = time.perf_counter()
    dense = transforms.fourier_dense(values) if basis == "fourier" else transforms.mobius_dense(values)
    scale = float(np.abs(dense).max()) if dense.size else 0.0
    idx, coef = transforms.dense_to_terms(dense, tol=tol * scale)
    if max_degree is not None:
        low = (idx < n).sum(1) <= max_degree
        idx, coef = idx[low], coef[low]
    t2 = time.perf_counter()
    meta = {"method": "exact", "queries": ev.queries, "basis": basis, "time_sampling": t1 - t0, "time_decoding": t2 - t1}
    return Interactions(idx, coef, n, basis=basis, labels=ev.game.labels, metadata=meta)
