"""Faithfulness of a recovered surrogate (docs/design.md section 5)."""

from __future__ import annotations

import numpy as np

from .execution import as_evaluator
from .interactions import Interactions
from .masks import masks_with_sizes, uniform_masks
from .validation import check_random_state


def r2_score(y_true, y_pred) -> float:
    """1 - sum (y - g)^2 / sum (y - mean y)^2 (1.0 for a perfect fit of a constant target).

    Examples
    --------
    >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    1.0
    """
    y = np.asarray(y_true, dtype=np.float64)
    g = np.asarray(y_pred, dtype=np.float64)
    if y.shape != g.shape or y.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of equal length, got {y.shape} and {g.shape}")
    ss_res = float(np.sum((y - g) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot


def sample_masks(n_players: int, n_samples: int, *, distribution: str = "uniform",
                 keep: float = 0.5, max_removed: int | None = None, seed=None) -> np.ndarray:
    """Held-out masks for faithfulness.

    ``"uniform"``: each part kept with probability ``keep``. ``"few_removed"``: between 1 and
    ``max_removed`` parts removed (default: about 10% of the parts, at least 1), the regime
    where an LLM prompt stays readable.
    """
    rng = check_random_state(seed)
    if distribution == "uniform":
        return uniform_masks(n_players, n_samples, keep=keep, seed=rng)
    if distribution == "few_removed":
        top = max(1, n_players // 10) if max_removed is None else int(max_removed)
        top = min(top, n_players)
        k = rng.integers(1, top + 1, size=n_samples)
        return ~masks_with_sizes(n_players, k, seed=rng)  # the k drawn parts are the removed ones
    raise ValueError(f"unknown distribution {distribution!r}; use 'uniform' or 'few_removed'")


def faithfulness(result: Interactions, game, *, n_samples: int = 1000, distribution: str = "uniform",
                 keep: float | None = None, masks=None, truth=None, seed=0) -> float:
    """Held-out R² of ``result.predict`` against the game on fresh masks.

    ``truth`` (a callable on masks, e.g. ``game.noiseless``) replaces the game as the target,
    for measuring recovery under noise against the noiseless function; then no query is paid.

    Examples
    --------
    >>> from spexkit.games import planted_game
    >>> game = planted_game(30, n_terms=3, max_degree=2, seed=1)
    >>> faithfulness(game.truth, game, n_samples=200)
    1.0
    """
    if masks is None:
        k = getattr(game, "keep", 0.5) if keep is None else keep
        masks = sample_masks(result.n_players, n_samples, distribution=distribution, keep=k, seed=seed)
    y = truth(masks) if truth is not None else as_evaluator(game)(masks)
    return r2_score(y, result.predict(masks))


def top_k_removal(result: Interactions, game, ks=(1, 2, 3, 5, 10)) -> dict[str, list]:
    """Remove the k parts the surrogate says raise the value most; measure the true drop.

    Parts are chosen greedily on the surrogate: each step removes the part whose removal
    lowers the surrogate's prediction most. Costs ``len(ks) + 1`` queries of the game.
    Returns ``{"k": [...], "predicted_drop": [...], "true_drop": [...], "removed": [[...]]}``.
    """
    n = result.n_players
    ks = sorted({int(k) for k in ks if 0 < int(k) <= n})
    mask = np.ones(n, dtype=bool)
    order: list[int] = []
    for _ in range(max(ks, default=0)):
        cand = np.flatnonzero(mask)
        trial = np.repeat(mask[None, :], cand.size, axis=0)
        trial[np.arange(cand.size), cand] = False
        best = int(cand[np.argmin(result.predict(trial))])
        mask[best] = False
        order.append(best)
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
