"""Solvers: functions ``(evaluator, budget, max_degree, rng, **options) -> Interactions``.

Each registers itself by name; :func:`spexkit.explain` looks the name up, so adding a
method never changes the front door.
"""

from __future__ import annotations

import warnings
from typing import Callable

from ..validation import user_stacklevel

_METHODS: dict[str, Callable] = {}


def register(name: str) -> Callable[[Callable], Callable]:
    """Decorator: make a solver available to ``spexkit.explain(method=name)``."""

    def deco(fn: Callable) -> Callable:
        _METHODS[name] = fn
        return fn

    return deco


def get_method(name: str) -> Callable:
    """The solver registered under ``name``; a clear error lists the valid names."""
    _load_builtin()
    try:
        return _METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; choose one of {', '.join(available_methods())}") from None


def warn_ignored_keep(method: str, keep, why: str) -> None:
    """Warn that ``keep`` was given to a method that draws its own masks (``why``) and ignores it.

    Called by such a method when ``keep`` is not None, i.e. passed explicitly to it or to
    :func:`spexkit.explain`; ``keep=None`` (the default) is silent.
    """
    if keep is not None:
        warnings.warn(f"method={method!r} ignores keep={keep}: {why}", UserWarning, stacklevel=user_stacklevel())


def warn_main_effects_only(method: str, max_degree) -> None:
    """Warn that ``max_degree`` above 1 was given to a method that returns main effects only."""
    if max_degree is not None and int(max_degree) > 1:
        warnings.warn(f"method={method!r} returns main effects only (degree 1), so max_degree={max_degree} is "
                      "ignored; for interactions use method='auto', 'proxyspex', 'spex' or 'lasso'",
                      UserWarning, stacklevel=user_stacklevel())


def available_methods() -> list[str]:
    _load_builtin()
    return sorted(_METHODS)


def _load_builtin() -> None:
    # Imported lazily so that importing spexkit stays cheap and free of cycles.
    from . import additive_plus, auto, baselines, exact, proxyspex, spex  # noqa: F401
