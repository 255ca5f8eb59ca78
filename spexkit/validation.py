"""Input checks shared by every public entry point.

All user input (masks, seeds, budgets, player counts) goes through these helpers so that
every solver and lens fails the same clear way on bad input: the error names what was given
and what would work.
"""

from __future__ import annotations

from numbers import Integral
from typing import Sequence

import numpy as np

class NonFiniteValueError(ValueError):
    """The value function returned NaN or an infinity."""


def first_non_finite(arr: np.ndarray) -> int | None:
    """Flat index of the first NaN or infinite entry of ``arr``, or None when all are finite."""
    bad = np.flatnonzero(~np.isfinite(arr))
    return int(bad[0]) if bad.size else None


def check_random_state(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Turn ``seed`` (None, int or Generator) into a ``numpy.random.Generator``.

    Examples
    --------
    >>> rng = check_random_state(0)
    >>> check_random_state(rng) is rng
    True
    """
    if seed is None or isinstance(seed, (Integral, np.integer)):
        return np.random.default_rng(None if seed is None else int(seed))
    if isinstance(seed, np.random.Generator):
        return seed
    raise TypeError(f"seed must be None, an int or a numpy.random.Generator, got {type(seed).__name__}")


def check_n_players(n_players: int) -> int:
    """Validate a number of players (a positive int)."""
    return check_positive_int(n_players, "n_players")


def check_probability(value: float, name: str) -> float:
    """Validate a probability strictly between 0 and 1."""
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return value


def check_positive_int(value, name: str) -> int:
    """Validate a positive int (a count, a size); a bool or a float is refused.

    Examples
    --------
    >>> check_positive_int(3, "batch_size")
    3
    >>> check_positive_int(0, "batch_size")
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be a positive int, got 0
    """
    if isinstance(value, bool) or not isinstance(value, (Integral, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def check_budget(budget: int | None, *, minimum: int = 1, name: str = "budget") -> int | None:
    """Validate a query budget (None means: the method's default)."""
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, (Integral, np.integer)):
        raise TypeError(f"{name} must be an int or None, got {type(budget).__name__} {budget!r}")
    if budget < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {budget}")
    return int(budget)


def check_masks(masks, n_players: int) -> np.ndarray:
    """Return ``masks`` as a C-contiguous bool array of shape (batch, n_players).

    A single mask of shape (n_players,) becomes a batch of one. Integer or float arrays are
    accepted when every entry is 0 or 1. True means the part is kept.

    Examples
    --------
    >>> check_masks([[1, 0, 1]], 3)
    array([[ True, False,  True]])
    >>> check_masks([[1, 0]], 3)
    Traceback (most recent call last):
    ...
    ValueError: masks must have 3 columns (one per player), got shape (1, 2)
    """
    arr = np.asarray(masks)
    if arr.ndim == 1 and arr.shape[0] == n_players:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"masks must be a 2-D array of shape (batch, {n_players}), got shape {arr.shape}")
    if arr.shape[1] != n_players:
        raise ValueError(
            f"masks must have {n_players} columns (one per player), got shape {arr.shape}"
        )
    if arr.dtype != np.bool_:
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"masks must be boolean (True = kept), got dtype {arr.dtype}")
        if arr.size and not np.isin(arr, (0, 1)).all():
            bad = arr[~np.isin(arr, (0, 1))].reshape(-1)[0].item()
            raise ValueError(f"masks must contain only 0/1 or True/False values, got {bad!r}")
        arr = arr.astype(bool)
    return np.ascontiguousarray(arr)


def check_values(values, batch: int, masks: np.ndarray | None = None) -> np.ndarray:
    """Validate a value function's output: ``batch`` finite floats.

    When a value is NaN or infinite the error names the first offending mask by its
    removed players, so the user can reproduce the failing ablation.
    """
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the value function must return numbers, got {type(values).__name__}") from exc
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape != (batch,):
        raise ValueError(
            f"the value function must return one value per mask, shape ({batch},); got shape {out.shape}"
        )
    bad = ~np.isfinite(out)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = ""
        if masks is not None:
            removed = np.flatnonzero(~masks[i]).tolist()
            shown = removed if len(removed) <= 20 else removed[:20] + ["..."]
            where = f" for mask {i} of the batch (removed players: {shown})"
        raise NonFiniteValueError(
            f"the value function returned a non-finite value ({out[i]}){where}; "
            f"{int(bad.sum())} of {batch} values are NaN or infinite"
        )
    return out


def check_samples(masks, values, n_players: int | None = None, *,
                  name: str = "values") -> tuple[np.ndarray, np.ndarray]:
    """Masks already queried and their values, as (bool (m, n), float64 (m,)), checked.

    For fitting and scoring functions that take samples rather than a game: the masks as
    :func:`check_masks` wants them (``n_players`` defaults to their width), one finite value
    per mask.

    Examples
    --------
    >>> m, v = check_samples([[1, 0], [0, 1]], [1.0, 2.0])
    >>> m.dtype, v.dtype
    (dtype('bool'), dtype('float64'))
    >>> check_samples([[1, 0], [0, 1]], [1.0, float("nan")])
    Traceback (most recent call last):
    ...
    ValueError: values must be finite; value 1 (of 2) is nan
    """
    arr = np.asarray(masks)
    if arr.ndim != 2:
        raise ValueError(f"masks must be 2-D (samples, players), got shape {arr.shape}")
    masks = check_masks(arr, arr.shape[1] if n_players is None else n_players)
    try:
        vals = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numbers, got {type(values).__name__}") from exc
    if vals.shape != (masks.shape[0],):
        raise ValueError(f"need one value per mask, shape ({masks.shape[0]},); got {name} of shape {vals.shape}")
    i = first_non_finite(vals)
    if i is not None:
        raise ValueError(f"{name} must be finite; value {i} (of {vals.size}) is {vals[i]}")
    return masks, vals


def check_labels(labels: Sequence[str] | None, n_players: int) -> list[str]:
    """Return one string label per player (default: "0", "1", ...)."""
    if labels is None:
        return [str(i) for i in range(n_players)]
    labels = [str(label) for label in labels]
    if len(labels) != n_players:
        raise ValueError(f"labels must have one entry per player ({n_players}), got {len(labels)}")
    return labels
