"""Exact transforms (docs/design.md section 3).

Conventions (part of the public API): a mask m has m_i = 1 when part i is kept, and

- Fourier: f(m) = sum_k F(k) (-1)^{<m, k>},  F(k) = 2^{-n} sum_m f(m) (-1)^{<m, k>};
- Möbius:  f(m) = sum_{S subset of m} a(S).

Dense vectors of length 2^n are indexed by the integer whose bit i is m_i (bit 0 = player 0).
"""

from __future__ import annotations

import numpy as np

from . import terms as _terms
from .masks import all_masks, bit_patterns  # noqa: F401  (all_masks: kept importable from here)

MAX_EXACT_PLAYERS = 20
# Terms that cancel in a conversion leave round-off residue at ~1e-16 relative; drop it.
CANCEL_RTOL = 1e-13


# Integer codes -> bool masks (bit i of the code = player i): the one generator in spexkit.masks,
# kept under its former names here (all_masks lists every mask in the dense tables' order).
codes_to_masks = bit_patterns


def _check_dense(values: np.ndarray) -> tuple[np.ndarray, int]:
    values = np.asarray(values, dtype=np.float64)
    size = values.shape[0]
    if values.ndim != 1 or size == 0 or size & (size - 1):
        raise ValueError(f"expected a 1-D array whose length is a power of two, got shape {values.shape}")
    return values, size.bit_length() - 1


def fwht(values: np.ndarray) -> np.ndarray:
    """Unnormalised fast Walsh–Hadamard transform, O(n 2^n), vectorised per bit.

    ``fwht(x)[k] = sum_m x[m] (-1)^{popcount(m & k)}``; applying it twice gives 2^n x.

    Examples
    --------
    >>> fwht(np.array([1.0, 0.0, 0.0, 0.0]))
    array([1., 1., 1., 1.])
    """
    x, n = _check_dense(values)
    x = x.copy()
    for bit in range(n):
        h = 1 << bit
        view = x.reshape(-1, 2, h)
        a = view[:, 0, :].copy()
        view[:, 0, :] += view[:, 1, :]
        view[:, 1, :] = a - view[:, 1, :]
    return x


def fourier_dense(values: np.ndarray) -> np.ndarray:
    """Fourier coefficients F of a dense value table (length 2^n)."""
    x, n = _check_dense(values)
    return fwht(x) / float(1 << n)


def mobius_dense(values: np.ndarray) -> np.ndarray:
    """Möbius coefficients ``a(S) = sum_{T subset of S} (-1)^{|S|-|T|} f(T)`` of a dense table."""
    x, n = _check_dense(values)
    a = x.copy()
    for bit in range(n):
        h = 1 << bit
        view = a.reshape(-1, 2, h)
        view[:, 1, :] -= view[:, 0, :]
    return a


def values_from_mobius_dense(coefficients: np.ndarray) -> np.ndarray:
    """Inverse of :func:`mobius_dense` (the zeta transform: f(m) = sum_{S subset of m} a(S))."""
    a, n = _check_dense(coefficients)
    x = a.copy()
    for bit in range(n):
        h = 1 << bit
        view = x.reshape(-1, 2, h)
        view[:, 1, :] += view[:, 0, :]
    return x


def dense_to_terms(coefficients: np.ndarray, tol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Dense coefficient table -> (padded term matrix, coefficients) of the entries above tol."""
    c, n = _check_dense(coefficients)
    keep = np.flatnonzero(np.abs(c) > tol)
    return _terms.as_term_matrix(bit_patterns(keep, n), n), c[keep]


def fourier_to_mobius(idx: np.ndarray, coef: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sparse Fourier -> Möbius: ``a(S) = (-2)^{|S|} sum_{k superset of S} F(k)``.

    Each Fourier term of degree d spreads over its 2^d subsets, so the result has at most
    s 2^d terms, each exact.
    """
    parent, child, _, cdeg = _terms.expand_subsets(idx, n)
    weights = coef[parent] * (-2.0) ** cdeg
    return _terms.aggregate(child, weights, n, rtol=CANCEL_RTOL)


def mobius_to_fourier(idx: np.ndarray, coef: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sparse Möbius -> Fourier: ``F(k) = (-1)^{|k|} sum_{S superset of k} 2^{-|S|} a(S)``.

    From prod_{i in S} m_i = prod_{i in S} (1 - (-1)^{m_i}) / 2.
    """
    parent, child, pdeg, cdeg = _terms.expand_subsets(idx, n)
    weights = coef[parent] * (-1.0) ** cdeg * 0.5 ** pdeg
    return _terms.aggregate(child, weights, n, rtol=CANCEL_RTOL)
