"""Game: a batched value function over masks of players."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import hashlib

import numpy as np

from .identity import callable_identity
from .validation import (check_labels, check_masks, check_n_players, check_players, check_positive_int,
                         check_probability, check_values)

ValueFunction = Callable[[np.ndarray], Any]


class Game:
    """A value function over subsets of ``n_players`` parts.

    Parameters
    ----------
    fn : callable
        Takes a bool array of shape (batch, n_players) (True = the part is kept) and returns
        ``batch`` finite numbers. It is always called with whole batches.
    n_players : int
    labels : one name per player (default "0", "1", ...).
    keep : float
        Probability that a part is kept in masks drawn by sampling methods. Lenses set it:
        an LLM prompt with half its words removed is off-distribution, so they keep more.
    batch_size : int, optional
        Largest batch handed to ``fn`` in one call (default: everything at once).
    fingerprint : str, optional
        Identity of the game (model, input, settings) used to key on-disk caches.
    info : dict, optional
        What a lens attaches to its games for plots, widgets and checks (the feature lens's
        ``"segments"`` and ``"prompt"``, the heads lens's ``"players"``...). Not part of the
        game's identity: put whatever changes the values in ``fingerprint``.

    Attributes
    ----------
    n_queries : int
        Number of masks evaluated so far (each is one call of the model's value).
    info : dict
        The lens's attachments (empty for a game built by hand).

    Examples
    --------
    >>> game = Game(lambda m: m.sum(1) * 1.0, n_players=3, labels=["a", "b", "c"])
    >>> game([[True, False, True], [False, False, False]])
    array([2., 0.])
    >>> game.n_queries
    2
    """

    def __init__(
        self,
        fn: ValueFunction,
        n_players: int,
        labels: Sequence[str] | None = None,
        keep: float = 0.5,
        *,
        batch_size: int | None = None,
        fingerprint: str | None = None,
        info: dict | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.n_players = check_n_players(n_players)
        self.labels = check_labels(labels, self.n_players)
        self.keep = check_probability(keep, "keep")
        self.batch_size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
        self.fingerprint = fingerprint
        if info is not None and not isinstance(info, dict):
            raise TypeError(f"info must be a dict, got {type(info).__name__}")
        self.info: dict = {} if info is None else dict(info)
        self.n_queries = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_players={self.n_players}, keep={self.keep}, n_queries={self.n_queries})"

    def identity(self) -> str:
        """A stable identity for on-disk caches: ``fingerprint``, else derived from ``fn``.

        A lambda or a function defined inside another has no stable name across processes,
        so caching such a game needs an explicit ``fingerprint``.
        """
        if self.fingerprint is not None:
            return self.fingerprint
        name = callable_identity(self.fn)
        if name is None:
            raise ValueError(
                "caching this game needs a stable identity: pass Game(..., fingerprint='model+input+settings')"
            )
        labels = hashlib.sha256("\x1f".join(self.labels).encode()).hexdigest()[:16]
        return f"{name}|n={self.n_players}|labels={labels}"

    def __call__(self, masks, *, progress=None) -> np.ndarray:
        """Evaluate a batch of masks (validated; shape (batch, n_players), True = kept)."""
        masks = check_masks(masks, self.n_players)
        return self.evaluate(masks, progress=progress)

    def evaluate(self, masks: np.ndarray, *, progress=None) -> np.ndarray:
        """Evaluate validated masks in batches of ``batch_size``.

        ``progress`` is None or an object with an ``update(n)`` method (a tqdm bar).
        """
        total = masks.shape[0]
        out = np.empty(total, dtype=np.float64)
        step = total if self.batch_size is None else self.batch_size
        for start in range(0, total, max(step, 1)):
            chunk = masks[start : start + step]
            out[start : start + chunk.shape[0]] = check_values(self.fn(chunk), chunk.shape[0], chunk)
            self.n_queries += chunk.shape[0]
            if progress is not None:
                progress.update(chunk.shape[0])
        return out

    def value_of(self, removed: Sequence[int] = ()) -> float:
        """The value with the listed players removed and every other player kept."""
        mask = np.ones((1, self.n_players), dtype=bool)
        mask[0, check_players(removed, self.n_players)] = False
        return float(self(mask)[0])
