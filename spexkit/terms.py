"""Sparse sets of interaction terms as padded index matrices.

A set of s terms (subsets of n players) of degree at most D is an int64 array of shape
(s, D): each row holds the sorted player indices of one term, right-padded with the
sentinel value n. The empty term (the constant) is a row of sentinels. This keeps the hot
paths (evaluation, Fourier <-> Möbius expansion, index computation) vectorised and small:
memory grows with s·D, not s·n.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

import numpy as np

from .masks import all_masks


def as_term_matrix(terms, n_players: int) -> np.ndarray:
    """Convert terms (bool (s, n) matrix, padded index matrix, or iterable of index tuples)
    to the canonical padded index matrix.

    Examples
    --------
    >>> as_term_matrix([(2, 0), (), (1,)], 3)
    array([[0, 2],
           [3, 3],
           [1, 3]])
    """
    n = n_players
    if isinstance(terms, np.ndarray) and terms.dtype == np.bool_:
        if terms.ndim != 2 or terms.shape[1] != n:
            raise ValueError(f"a boolean support must have shape (s, {n}), got {terms.shape}")
        return _from_bool(terms)
    if isinstance(terms, np.ndarray) and terms.dtype.kind in "fc":
        # int() would truncate 0.9 to player 0: a wrong term, silently
        raise TypeError(f"term indices must be integers, got a {terms.dtype} array; "
                        "pass ints (terms.astype(int) if the values are whole numbers)")
    if isinstance(terms, np.ndarray) and terms.ndim == 2 and terms.dtype.kind in "iu":
        idx = terms.astype(np.int64)
        # 0/1 rows in one column per player, read as indices, would repeat players or be
        # out of order: almost surely a support matrix given as ints.
        if n > 1 and idx.shape[1] == n and idx.size and np.isin(idx, (0, 1)).all() and \
                (np.diff(idx, axis=1) <= 0).any():
            raise ValueError("an integer term matrix of 0s and 1s with one column per player reads as player "
                             "indices; pass a support matrix as bool (terms.astype(bool)), or terms as index tuples")
    else:
        rows = [tuple(_player_index(i, t) for i in t) for t in _iter_terms(terms)]
        # n is the padding value below, so a player index n must be caught here, before padding.
        bad = next((row for row in rows if row and (min(row) < 0 or max(row) >= n)), None)
        if bad is not None:
            raise ValueError(f"term {bad} has a player outside [0, {n - 1}]")
        width = max((len(r) for r in rows), default=0)
        idx = np.full((len(rows), width), n, dtype=np.int64)
        for r, row in enumerate(rows):
            idx[r, : len(row)] = row
    if idx.size and (idx.min() < 0 or idx.max() > n):
        raise ValueError(f"term indices must lie in [0, {n - 1}]")
    idx = np.sort(idx, axis=1)
    # A repeated player inside one term is almost surely a user error, not a valid subset.
    if idx.shape[1] > 1:
        dup = (idx[:, 1:] == idx[:, :-1]) & (idx[:, 1:] < n)
        if dup.any():
            raise ValueError(f"term {idx[np.flatnonzero(dup.any(1))[0]].tolist()} repeats a player")
    return trim(idx, n)


def _iter_terms(terms) -> Iterable:
    if isinstance(terms, (str, bytes)) or not isinstance(terms, Iterable):
        raise TypeError(f"terms must be a list of index tuples or a bool support matrix, "
                        f"got {type(terms).__name__} {terms!r:.60}")
    for t in terms:
        if isinstance(t, (str, bytes)):
            raise TypeError(f"a term is a tuple of player indices, got the string {t!r}")
        if isinstance(t, (int, np.integer)) and not isinstance(t, (bool, np.bool_)):
            yield (t,)
        elif not isinstance(t, Iterable):
            raise TypeError(f"a term is a tuple of player indices, got {type(t).__name__} {t!r}")
        else:
            yield t


def _player_index(i, term) -> int:
    # int() would read 0.9 as player 0 and True as player 1: refused, not guessed
    if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
        raise TypeError(f"term {tuple(term)!r}: player indices must be ints, got {type(i).__name__} {i!r}")
    return int(i)


def _from_bool(support: np.ndarray) -> np.ndarray:
    s, n = support.shape
    deg = support.sum(1)
    width = int(deg.max()) if s else 0
    idx = np.full((s, width), n, dtype=np.int64)
    rows, cols = np.nonzero(support)  # row-major order: cols sorted within each row
    pos = np.arange(rows.size) - np.repeat(np.cumsum(deg) - deg, deg)
    idx[rows, pos] = cols
    return idx


def trim(idx: np.ndarray, n: int) -> np.ndarray:
    """Drop all-sentinel trailing columns."""
    if idx.shape[1] == 0:
        return idx
    used = (idx < n).any(0)
    width = int(np.flatnonzero(used).max() + 1) if used.any() else 0
    return np.ascontiguousarray(idx[:, :width])


def stack(blocks: Iterable[np.ndarray], n: int) -> np.ndarray:
    """Concatenate padded term matrices of different widths (padding with the sentinel n)."""
    blocks = list(blocks)
    width = max((b.shape[1] for b in blocks), default=0)
    padded = [np.pad(b, ((0, 0), (0, width - b.shape[1])), constant_values=n) for b in blocks]
    return np.concatenate(padded) if padded else np.zeros((0, 0), dtype=np.int64)


def degrees(idx: np.ndarray, n: int) -> np.ndarray:
    """Degree (number of players) of each term."""
    return (idx < n).sum(1)


def to_bool(idx: np.ndarray, n: int) -> np.ndarray:
    """Padded index matrix -> bool (s, n) support matrix."""
    out = np.zeros((idx.shape[0], n + 1), dtype=bool)
    out[np.arange(idx.shape[0])[:, None], idx] = True
    return out[:, :n]


def to_tuples(idx: np.ndarray, n: int) -> list[tuple[int, ...]]:
    """Padded index matrix -> list of tuples of player indices."""
    return [tuple(int(i) for i in row if i < n) for row in idx]


def aggregate(idx: np.ndarray, coef: np.ndarray, n: int, rtol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Sum the coefficients of repeated terms; rows come back in lexicographic order.

    With ``rtol`` > 0, sums that cancelled to round-off (|c| <= rtol * max|c|) are dropped.
    """
    if idx.shape[0] == 0:
        return idx, coef.astype(np.float64)
    uniq, inverse = np.unique(idx, axis=0, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=coef, minlength=uniq.shape[0])
    if rtol > 0 and summed.size:
        keep = np.abs(summed) > rtol * np.abs(summed).max()
        uniq, summed = uniq[keep], summed[keep]
    return trim(uniq, n), summed


@lru_cache(maxsize=64)
def _subset_patterns(d: int, max_size: int) -> np.ndarray:
    """All subsets of d slots with at most max_size elements, as bool (P, d)."""
    pats = all_masks(d)
    return pats[pats.sum(1) <= max_size]


def expand_subsets(
    idx: np.ndarray, n: int, max_size: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Enumerate every subset T of every term S (with |T| <= max_size).

    Returns (parent, child_idx, parent_degree, child_degree): child_idx[r] is a subset of
    term parent[r]. Loops only over the distinct degrees, never over terms.
    """
    deg = degrees(idx, n)
    width = idx.shape[1] if max_size is None else min(idx.shape[1], max_size)
    parents, children, pdeg, cdeg = [], [], [], []
    for d in np.unique(deg):
        d = int(d)
        rows = np.flatnonzero(deg == d)
        pats = _subset_patterns(d, d if max_size is None else min(d, max_size))
        body = idx[rows, :d]  # (r, d): the real indices of each term
        child = np.where(pats[None, :, :], body[:, None, :], n).reshape(rows.size * pats.shape[0], d)
        child = np.sort(child, axis=1)
        out = np.full((child.shape[0], width), n, dtype=np.int64)
        k = min(d, width)
        out[:, :k] = child[:, :k]
        parents.append(np.repeat(rows, pats.shape[0]))
        children.append(out)
        pdeg.append(np.full(out.shape[0], d))
        cdeg.append(np.tile(pats.sum(1), rows.size))
    if not parents:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros((0, width), dtype=np.int64), empty, empty
    return (
        np.concatenate(parents),
        np.concatenate(children),
        np.concatenate(pdeg),
        np.concatenate(cdeg),
    )


def evaluate(idx: np.ndarray, coef: np.ndarray, masks: np.ndarray, basis: str, chunk: int = 4096) -> np.ndarray:
    """Evaluate a sparse expansion on a batch of bool masks (True = kept).

    fourier: sum_k F(k) (-1)^{<m, k>};  mobius: sum_S a(S) [S subset of m].
    """
    n = masks.shape[1]
    out = np.empty(masks.shape[0], dtype=np.float64)
    # Bound the (batch, s, D) gather to ~20M entries.
    chunk = max(1, min(chunk, 20_000_000 // max(1, idx.size)))
    # The sentinel column makes padded slots neutral: 0 for a parity, "kept" for an AND.
    pad = basis == "mobius"
    for start in range(0, masks.shape[0], chunk):
        m = masks[start : start + chunk]
        ext = np.empty((m.shape[0], n + 1), dtype=bool)
        ext[:, :n] = m
        ext[:, n] = pad
        gathered = ext[:, idx]  # (b, s, D)
        if basis == "fourier":
            term = 1.0 - 2.0 * (gathered.sum(2) & 1)
        elif basis == "mobius":
            term = gathered.all(2).astype(np.float64)
        else:
            raise ValueError(f"cannot evaluate basis {basis!r}")
        out[start : start + chunk] = term @ coef
    return out
