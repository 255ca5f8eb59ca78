"""Measuring a surrogate against its game by querying it through the engine (docs/design.md section 5).

:func:`faithfulness` and :func:`top_k_removal` evaluate the game on masks (through
:func:`spexkit.execution.as_evaluator`), so they live next to the engine; the arithmetic
they use (:func:`spexkit.metrics.r2_score`) and the held-out designs
(:func:`spexkit.metrics.sample_masks`) stay pure functions in :mod:`spexkit.metrics`, which
also keeps these two names importable.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from .execution import as_evaluator
from .interactions import Interactions
from .metrics import r2_score, sample_masks
from .validation import check_masks, check_non_negative_int, check_positive_int

__all__ = ["faithfulness", "greedy_removal_order", "top_k_removal"]


def _check_same_players(result: Interactions, game) -> None:
    """Refuse a result explained on a game with another number of players."""
    n_game = getattr(game, "n_players", None)
    if n_game is None:
        n_game = getattr(getattr(game, "game", None), "n_players", None)  # an Evaluator
    if n_game is not None and n_game != result.n_players:
        raise ValueError(f"the result has {result.n_players} players but the game has {n_game}: "
                         "was it explained on another game?")


def faithfulness(result: Interactions, game, *, n_samples: int = 1000, distribution: str = "uniform",
                 keep: float | None = None, masks=None, truth=None, seed=0) -> float:
    """Held-out R² of ``result.predict`` against the game on fresh masks.

    ``truth`` (a callable on masks, e.g. ``game.noiseless``) replaces the game as the target,
    for measuring recovery under noise against the noiseless function; then no query is paid.

    Examples
    --------
    >>> from spexkit.planted import planted_game
    >>> game = planted_game(30, n_terms=3, max_degree=2, seed=1)
    >>> faithfulness(game.truth, game, n_samples=200)
    1.0
    """
    _check_same_players(result, game)
    if masks is None:
        if check_positive_int(n_samples, "n_samples") < 2:
            raise ValueError(f"n_samples must be at least 2 (R² compares values across masks), got {n_samples}")
        k = getattr(game, "keep", 0.5) if keep is None else keep
        masks = sample_masks(result.n_players, n_samples, distribution=distribution, keep=k, seed=seed)
    else:
        masks = check_masks(masks, result.n_players)
    y = truth(masks) if truth is not None else as_evaluator(game)(masks)
    return r2_score(y, result.predict(masks))


def greedy_removal_order(result: Interactions, k: int) -> list[int]:
    """The first ``k`` parts to remove, one at a time, each the one whose removal lowers the
    surrogate's prediction most (no query of the game).

    Examples
    --------
    >>> res = Interactions([(), (0,), (1,), (0, 2)], [0.0, 3.0, 0.5, 2.0], 4, basis="mobius")
    >>> greedy_removal_order(res, 3)
    [0, 1, 2]
    """
    n = result.n_players
    k = check_non_negative_int(k, "k")
    mask = np.ones(n, dtype=bool)
    order: list[int] = []
    for _ in range(min(k, n)):
        cand = np.flatnonzero(mask)
        trial = np.repeat(mask[None, :], cand.size, axis=0)
        trial[np.arange(cand.size), cand] = False
        best = int(cand[np.argmin(result.predict(trial))])
        mask[best] = False
        order.append(best)
    return order


def top_k_removal(result: Interactions, game, ks=None) -> dict[str, list]:
    """Remove the k parts the surrogate says raise the value most; measure the true drop.

    Parts are chosen greedily on the surrogate: each step removes the part whose removal
    lowers the surrogate's prediction most. Costs ``len(ks) + 1`` queries of the game.
    ``ks``: an int or ints in 1 .. n (default: those of 1, 2, 3, 5, 10 up to n).
    Returns ``{"k": [...], "predicted_drop": [...], "true_drop": [...], "removed": [[...]]}``.
    """
    n = result.n_players
    _check_same_players(result, game)
    if ks is None:
        ks = [k for k in (1, 2, 3, 5, 10) if k <= n]
    ks = [ks] if isinstance(ks, (Integral, np.integer)) else list(ks)
    bad = [k for k in ks if isinstance(k, bool) or not isinstance(k, (Integral, np.integer)) or not 0 < k <= n]
    if bad or not ks:
        raise ValueError(f"ks must be ints in 1 .. {n} (the number of players), got {bad or ks}")
    ks = sorted({int(k) for k in ks})
    order = greedy_removal_order(result, max(ks, default=0))
    masks = np.ones((len(ks) + 1, n), dtype=bool)
    for row, k in enumerate(ks, start=1):
        masks[row, order[:k]] = False
    true = as_evaluator(game)(masks)
    pred = result.predict(masks)
    return {
        "k": ks,
        "predicted_drop": (pred[0] - pred[1:]).tolist(),
        "true_drop": (true[0] - true[1:]).tolist(),
        "removed": [order[:k] for k in ks],
    }
