"""Mask designs: uniform random masks and SPEX's coded subsampling (docs/design.md section 6)."""

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


def masks_with_sizes(n_players: int, sizes, seed=None) -> np.ndarray:
    """One mask per entry of ``sizes``, keeping exactly that many parts, chosen uniformly.

    Examples
    --------
    >>> masks_with_sizes(5, np.array([0, 2, 5]), seed=0).sum(1).tolist()
    [0, 2, 5]
    """
    rng = check_random_state(seed)
    sizes = np.asarray(sizes)
    # Rank i.i.d. keys per row: the `size` smallest ranks are a uniform subset of that size.
    ranks = np.argsort(np.argsort(rng.random((sizes.size, n_players)), axis=1), axis=1)
    return ranks < sizes[:, None]


def bit_patterns(codes, n_bits: int) -> np.ndarray:
    """The bits of integer codes as bool: ``out[..., i]`` is bit i of the code (bit 0 first).

    The one place that turns integers into bit patterns (masks, subsets, F2 vectors); codes
    of any shape gain a last axis of length ``n_bits``.

    Examples
    --------
    >>> bit_patterns([0, 1, 6], 3).astype(int).tolist()
    [[0, 0, 0], [1, 0, 0], [0, 1, 1]]
    """
    codes = np.asarray(codes, dtype=np.int64)
    return ((codes[..., None] >> np.arange(n_bits)) & 1).astype(bool)


def all_masks(n_players: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Masks for the integers ``start..stop-1`` (bit i of the integer = player i kept).

    With the defaults, all 2^n masks in the order of the dense transforms.

    Examples
    --------
    >>> all_masks(2).astype(int)
    array([[0, 0],
           [1, 0],
           [0, 1],
           [1, 1]])
    """
    stop = (1 << n_players) if stop is None else stop
    return bit_patterns(np.arange(start, stop, dtype=np.int64), n_players)


def bit_codes(n_bits: int) -> np.ndarray:
    """All vectors of F2^b as bool rows, row ℓ holding the bits of ℓ: ``all_masks(n_bits)``."""
    return all_masks(n_bits)


def parity(matrix: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """(rows of ``matrix``) · k mod 2 for each term k of a padded index matrix.

    ``matrix`` is bool (r, n); ``idx`` is (s, D) padded with n. Returns bool (r, s).
    """
    r, n = matrix.shape
    ext = np.zeros((r, n + 1), dtype=np.uint8)
    ext[:, :n] = matrix
    out = np.empty((r, idx.shape[0]), dtype=bool)
    # Bound the (r, terms, D) gather to ~20M entries: the lasso baseline asks for 10^5 terms.
    step = max(1, 20_000_000 // max(1, r * max(idx.shape[1], 1)))
    for start in range(0, idx.shape[0], step):
        block = idx[start : start + step]
        out[:, start : start + block.shape[0]] = ext[:, block].sum(axis=2) & 1
    return out


def coded_masks(hash_matrix: np.ndarray, delays: np.ndarray) -> np.ndarray:
    """SPEX masks of one hash group: m = Hᵀℓ ⊕ p for every delay p and every ℓ in F2^b.

    Returns bool (n_delays, 2^b, n). A b-dimensional Walsh–Hadamard transform over ℓ of the
    values at one delay p gives, in bin j, the sum of (-1)^{<p,k>} F(k) over the k with
    H k = j (bit i of j = row i of H times k).
    """
    b, n = hash_matrix.shape
    base = (all_masks(b).astype(np.uint8) @ hash_matrix.astype(np.uint8)) & 1  # (2^b, n)
    return base.astype(bool)[None, :, :] ^ delays[:, None, :]


def hash_bins(hash_matrix: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Bin index j = H k (as an integer, bit i = row i) of each term of a padded index matrix."""
    bits = parity(hash_matrix, idx)  # (b, s)
    weights = 1 << np.arange(hash_matrix.shape[0], dtype=np.int64)
    return weights @ bits.astype(np.int64)
