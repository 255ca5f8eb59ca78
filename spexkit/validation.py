"""Input checks shared by every public entry point.

All user input (masks, seeds, budgets, player counts) goes through these helpers so that
every solver and lens fails the same clear way on bad input: the error names what was given
and what would work.
"""

from __future__ import annotations

import inspect
import os
from numbers import Integral, Real
from typing import Iterable, Sequence

import numpy as np

class NonFiniteValueError(ValueError):
    """The value function returned NaN or an infinity."""


#: values beyond this magnitude overflow float64 once squared (least squares, R²): refused
#: with a clear error instead of turning into infinities inside a solver
MAX_ABS_VALUE = 1e150


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first caller outside spexkit.

    A warning raised deep in a solver then names the user's line (``spexkit.explain(...)``
    in their notebook or script), however many spexkit frames lie between, as pandas does.
    """
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = inspect.currentframe(), 0
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return max(level, 1)


def as_real_values(values, name: str = "values") -> np.ndarray:
    """``values`` as a float64 array; complex numbers with an imaginary part are refused, not cut.

    Examples
    --------
    >>> as_real_values([1, 2.5])
    array([1. , 2.5])
    >>> as_real_values([1 + 2j])
    Traceback (most recent call last):
    ...
    TypeError: values must be real numbers, got complex values (first: (1+2j))
    """
    if callable(getattr(values, "detach", None)) and callable(getattr(values, "cpu", None)):
        # a torch tensor on any device and of any dtype (numpy cannot read bfloat16 or CUDA memory)
        tensor = values.detach().cpu()
        values = tensor.numpy() if tensor.is_complex() else tensor.double().numpy()
    arr = np.asarray(values)
    if arr.dtype == object and any(v is None for v in arr.reshape(-1)):
        raise TypeError(f"{name} must be numbers, got None for some masks (did the function forget to return?)")
    if np.iscomplexobj(arr):
        imaginary = np.flatnonzero(np.imag(arr).reshape(-1) != 0)
        if imaginary.size:
            raise TypeError(f"{name} must be real numbers, got complex values "
                            f"(first: {arr.reshape(-1)[imaginary[0]]})")
        arr = np.real(arr)
    try:
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numbers, got {type(values).__name__}") from exc


def check_magnitude(arr: np.ndarray, name: str = "values") -> None:
    """Refuse finite values too large to square in float64 (the solvers' sums of squares)."""
    big = np.flatnonzero(np.abs(arr) > MAX_ABS_VALUE)
    if big.size:
        raise ValueError(f"{name} must be at most {MAX_ABS_VALUE:g} in magnitude (their squares overflow "
                         f"float64 in the solvers); value {int(big[0])} is {arr.reshape(-1)[big[0]]:g}: "
                         "rescale the value function")


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
    if isinstance(seed, np.random.Generator):
        return seed
    seed = check_seed(seed)
    return np.random.default_rng(seed)


def check_seed(seed) -> int | None:
    """Validate a seed given as a number: None or a non-negative int (numpy ints included),
    returned as a plain ``int`` so that it can be recorded; a bool or a float is refused.

    Examples
    --------
    >>> import numpy as np
    >>> check_seed(np.int64(7))
    7
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be a non-negative int, got -1
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (Integral, np.integer)):
        raise TypeError(f"seed must be None, an int or a numpy.random.Generator, got {type(seed).__name__} {seed!r}")
    return check_non_negative_int(seed, "seed")


def check_n_players(n_players: int) -> int:
    """Validate a number of players (a positive int)."""
    return check_positive_int(n_players, "n_players")


def check_probability(value: float, name: str) -> float:
    """Validate a probability strictly between 0 and 1 (a bool, a string or None is refused)."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number strictly between 0 and 1, got {type(value).__name__} {value!r:.40}")
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


def check_non_negative_int(value, name: str) -> int:
    """Validate an int that may be 0 (a count of rows to show, of terms to plant); a bool or a
    float is refused.

    Examples
    --------
    >>> check_non_negative_int(0, "k")
    0
    >>> check_non_negative_int(-1, "k")
    Traceback (most recent call last):
    ...
    ValueError: k must be a non-negative int, got -1
    """
    if isinstance(value, bool) or not isinstance(value, (Integral, np.integer)):
        raise TypeError(f"{name} must be a non-negative int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
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


#: masks are held in memory as bools, budget x players bytes: a budget past 16 GiB of them is
#: refused up front instead of failing in an allocation (or enumerating for hours)
MAX_MASK_CELLS = 2**34


def check_mask_memory(budget: int | None, n_players: int) -> None:
    """Refuse a budget whose masks (``budget`` x ``n_players`` bools) could not be held in memory.

    Examples
    --------
    >>> check_mask_memory(10**12, 30)
    Traceback (most recent call last):
    ...
    ValueError: budget=1000000000000 needs 30000000000000 mask cells (27940 GiB) in memory; spexkit refuses more than 16 GiB: lower the budget (2^30 = 1073741824 masks is every mask of this game)
    """
    if budget is not None and budget * n_players > MAX_MASK_CELLS:
        every = f" (2^{n_players} = {2 ** n_players} masks is every mask of this game)" if n_players <= 62 else ""
        raise ValueError(f"budget={budget} needs {budget * n_players} mask cells ({budget * n_players / 2**30:.0f} GiB) "
                         f"in memory; spexkit refuses more than {MAX_MASK_CELLS // 2**30} GiB: lower the budget{every}")


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
    out = as_real_values(values, "the value function's outputs")
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
    check_magnitude(out, "the value function's outputs")
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
    vals = as_real_values(values, name)
    if vals.shape != (masks.shape[0],):
        raise ValueError(f"need one value per mask, shape ({masks.shape[0]},); got {name} of shape {vals.shape}")
    i = first_non_finite(vals)
    if i is not None:
        raise ValueError(f"{name} must be finite; value {i} (of {vals.size}) is {vals[i]}")
    check_magnitude(vals, name)
    return masks, vals


def check_players(players, n_players: int, name: str = "removed players") -> list[int]:
    """Validate a list of player indices (ints in ``[0, n_players)``, numpy ints included).

    A lone int, a string, a float or a bool is refused rather than read some other way.

    Examples
    --------
    >>> check_players([2, 0], 3)
    [2, 0]
    >>> check_players(2, 3)
    Traceback (most recent call last):
    ...
    TypeError: removed players must be a list of indices, got int 2; for one player write [2]
    """
    if isinstance(players, (Integral, np.integer)) and not isinstance(players, bool):
        raise TypeError(f"{name} must be a list of indices, got int {players}; for one player write [{players}]")
    if isinstance(players, (str, bytes)) or not isinstance(players, Iterable):
        raise TypeError(f"{name} must be a list of indices (ints), got {type(players).__name__} {players!r:.60}")
    players = list(players)
    for p in players:
        if isinstance(p, bool) or not isinstance(p, (Integral, np.integer)):
            label = " (to name a player by its label, use its index: game.labels.index(...))" if isinstance(p, str) else ""
            raise TypeError(f"{name} must be indices (ints), got {type(p).__name__} {p!r}{label}")
        if not 0 <= p < n_players:
            raise ValueError(f"{name} must lie in [0, {n_players - 1}], got {p} in {players}")
    return [int(p) for p in players]


def check_labels(labels: Sequence[str] | None, n_players: int) -> list[str]:
    """Return one string label per player (default: "0", "1", ...)."""
    if labels is None:
        return [str(i) for i in range(n_players)]
    if isinstance(labels, (set, frozenset, dict)) or isinstance(labels, str) or not isinstance(labels, Iterable):
        raise TypeError(f"labels must be a list of names in player order, got {type(labels).__name__}"
                        + (" (a set has no order)" if isinstance(labels, (set, frozenset)) else ""))
    labels = [str(label) for label in labels]
    if len(labels) != n_players:
        raise ValueError(f"labels must have one entry per player ({n_players}), got {len(labels)}")
    return labels
