"""Mask designs: uniform random masks and SPEX's coded subsampling (DESIGN.md section 3)."""

from __future__ import annotations

import numpy as np

from .validation import check_random_state


def uniform_masks(n_players: int, n_samples: int, keep: float = 0.5, seed=None) -> np.ndarray:
    """Masks whose parts are kept independently with probability ``keep``.

    Examples
    --------
    >>> uniform_masks(4, 2, seed=0).shape
    (2, 4)
    """
    rng = check_random_state(seed)
    return rng.random((n_samples, n_players)) < keep


def bit_codes(n_bits: int) -> np.ndarray:
    """All vectors of F2^b as bool rows, row ℓ holding the bits of the integer ℓ."""
    codes = np.arange(1 << n_bits)
    return ((codes[:, None] >> np.arange(n_bits)) & 1).astype(bool)


def parity(matrix: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """(rows of ``matrix``) · k mod 2 for each term k of a padded index matrix.

    ``matrix`` is bool (r, n); ``idx`` is (s, D) padded with n. Returns bool (r, s).
    """
    r, n = matrix.shape
    ext = np.zeros((r, n + 1), dtype=np.uint8)
    ext[:, :n] = matrix
    return (ext[:, idx].sum(axis=2) & 1).astype(bool)


def coded_masks(hash_matrix: np.ndarray, delays: np.ndarray) -> np.ndarray:
    """SPEX masks of one hash group: m = Hᵀℓ ⊕ p for every delay p and every ℓ in F2^b.

    Returns bool (n_delays, 2^b, n). A b-dimensional Walsh–Hadamard transform over ℓ of the
    values at one delay p gives, in bin j, the sum of (-1)^{<p,k>} F(k) over the k with
    H k = j (bit i of j = row i of H times k).
    """
    b, n = hash_matrix.shape
    base = (bit_codes(b).astype(np.uint8) @ hash_matrix.astype(np.uint8)) & 1  # (2^b, n)
    return base.astype(bool)[None, :, :] ^ delays[:, None, :]


def hash_bins(hash_matrix: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Bin index j = H k (as an integer, bit i = row i) of each term of a padded index matrix."""
    bits = parity(hash_matrix, idx)  # (b, s)
    weights = 1 << np.arange(hash_matrix.shape[0], dtype=np.int64)
    return weights @ bits.astype(np.int64)
