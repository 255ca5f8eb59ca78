"""Faithfulness of a recovered surrogate (docs/design.md section 5).

Pure functions of arrays: :func:`r2_score` (scikit-learn's) and :func:`sample_masks` (the
held-out designs). Measures that query a game, :func:`~spexkit.evaluation.faithfulness` and
:func:`~spexkit.evaluation.top_k_removal`, live in :mod:`spexkit.evaluation`, next to the
engine; their names stay importable from here (``spexkit.metrics.faithfulness``), loaded on
first use so that importing this module never loads the engine.
"""

from __future__ import annotations

import numpy as np

from .masks import masks_with_sizes, uniform_masks
from .validation import check_positive_int, check_probability, check_random_state, first_non_finite

_EVALUATING = ("faithfulness", "top_k_removal")


def r2_score(y_true, y_pred) -> float:
    """Coefficient of determination, 1 - sum (y - g)^2 / sum (y - mean y)^2, as a float.

    :func:`sklearn.metrics.r2_score` for 1-D arrays of equal length. A constant ``y_true``
    gives 1.0 for a perfect prediction and 0.0 otherwise (scikit-learn's ``force_finite``,
    as before). Unlike the former implementation, fewer than two samples give NaN (with
    scikit-learn's ``UndefinedMetricWarning``), and NaN or infinite inputs raise ValueError.

    Examples
    --------
    >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    1.0
    """
    from sklearn.metrics import r2_score as _sk_r2_score  # loaded on first use: sklearn is slow to import

    y = np.asarray(y_true, dtype=np.float64)
    g = np.asarray(y_pred, dtype=np.float64)
    if y.shape != g.shape or y.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of equal length, got {y.shape} and {g.shape}")
    for name, arr in (("y_true", y), ("y_pred", g)):
        i = first_non_finite(arr)
        if i is not None:
            raise ValueError(f"{name} must be finite; entry {i} (of {arr.size}) is {arr[i]}")
    return float(_sk_r2_score(y, g))


def sample_masks(n_players: int, n_samples: int, *, distribution: str = "uniform",
                 keep: float = 0.5, max_removed: int | None = None, seed=None) -> np.ndarray:
    """Held-out masks for faithfulness.

    ``"uniform"``: each part kept with probability ``keep``. ``"few_removed"``: between 1 and
    ``max_removed`` parts removed (default: about 10% of the parts, at least 1), the regime
    where an LLM prompt stays readable.
    """
    rng = check_random_state(seed)
    n_players = check_positive_int(n_players, "n_players")
    n_samples = check_positive_int(n_samples, "n_samples")
    if distribution == "uniform":
        return uniform_masks(n_players, n_samples, keep=check_probability(keep, "keep"), seed=rng)
    if distribution == "few_removed":
        top = max(1, n_players // 10) if max_removed is None else check_positive_int(max_removed, "max_removed")
        top = min(top, n_players)
        k = rng.integers(1, top + 1, size=n_samples)
        return ~masks_with_sizes(n_players, k, seed=rng)  # the k drawn parts are the removed ones
    raise ValueError(f"unknown distribution {distribution!r}; use 'uniform' or 'few_removed'")


def __getattr__(name: str):
    # faithfulness and top_k_removal moved to spexkit.evaluation (they query the game); the
    # names stay importable from here without loading the engine on `import spexkit.metrics`.
    if name in _EVALUATING:
        from . import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_EVALUATING))
