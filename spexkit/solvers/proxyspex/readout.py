"""ProxySPEX steps 3-4: read the booster out exactly into parity terms, and rank them into a pool."""

from __future__ import annotations

import numpy as np

from ... import terms as _terms
from ...trees import lightgbm_paths, paths_to_fourier


def read_out(booster, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every leaf of every tree expanded exactly into parity terms, summed over the trees.

    Returns the padded term matrix and the Fourier coefficients (:mod:`spexkit.trees`).
    """
    leaf_values, features, sides = lightgbm_paths(booster)
    return paths_to_fourier(leaf_values, features, sides, n)


def subset_closure(idx: np.ndarray, n: int) -> np.ndarray:
    """Every non-empty subset of the given terms, once: (K, d) padded index matrix."""
    _, sub, _, sub_deg = _terms.expand_subsets(idx, n)
    return _terms.aggregate(sub[sub_deg > 0], np.zeros(int((sub_deg > 0).sum())), n)[0]


def largest_terms(idx: np.ndarray, coef: np.ndarray, n: int, count: int) -> np.ndarray:
    """The ``count`` non-constant terms of largest magnitude, largest first (ties: input order)."""
    rest = np.flatnonzero(_terms.degrees(idx, n) > 0)
    return idx[rest[np.argsort(-np.abs(coef[rest]), kind="stable")][:count]]


def initial_pool(idx: np.ndarray, coef: np.ndarray, n: int, pool_size: int, closed: bool) -> np.ndarray:
    """The first selection's candidates: the ``pool_size`` largest extracted terms.

    The booster's magnitudes rank the candidates; matching pursuit picks among them. With
    ``closed`` (heredity on) the pool is closed under subsets, so heredity never waits on a
    term it cannot pick.
    """
    pool_idx = largest_terms(idx, coef, n, pool_size)
    return subset_closure(pool_idx, n) if closed else pool_idx
