"""Mask designs: uniform random masks and SPEX's coded subsampling (docs/design.md section 6)."""

from __future__ import annotations

import numpy as np

from .validation import check_random_state

# Distinct draws stop trying after this many rounds of rejection (see draw_distinct).
MAX_DRAW_ROUNDS = 1000
# Up to this many parts, every mask can be listed, so distinct_masks never runs short.
LISTABLE_PLAYERS = 20


def uniform_masks(n_players: int, n_samples: int, keep: float = 0.5, seed=None) -> np.ndarray:
    """Masks whose parts are kept independently with probability ``keep``.

    Examples
    --------
    >>> uniform_masks(4, 2, seed=0).shape
    (2, 4)
    """
    rng = check_random_state(seed)
    return rng.random((n_samples, n_players)) < keep


def _new_rows(accepted: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Indices, in draw order, of candidate rows found neither in ``accepted`` nor earlier."""
    from .cache import pack_masks  # not at import: `import spexkit` leaves the cache module unloaded

    keys = pack_masks(np.vstack([accepted, candidates]))
    _, first = np.unique(keys, return_index=True)
    return np.sort(first[first >= accepted.shape[0]]) - accepted.shape[0]


def draw_distinct(n: int, count: int, draw, rng, *, avoid: np.ndarray | None = None,
                  max_rounds: int = MAX_DRAW_ROUNDS, fewer_ok: bool = False) -> np.ndarray:
    """``count`` distinct masks from ``draw(m, rng)``, which returns m random masks.

    Rejection: each round draws as many masks as are still missing and keeps the new ones, so
    when nothing repeats the first round's draws are the answer. Masks in ``avoid`` (already
    queried) are never returned. After ``max_rounds`` rounds the masks drawn so far come back
    when ``fewer_ok``; otherwise that is an error.
    """
    taken = np.zeros((0, n), dtype=bool) if avoid is None else np.asarray(avoid, dtype=bool).reshape(-1, n)
    out = np.zeros((0, n), dtype=bool)
    for _ in range(max_rounds):
        need = count - out.shape[0]
        if need <= 0:
            return out
        cand = draw(need, rng)
        out = np.vstack([out, cand[_new_rows(np.vstack([taken, out]), cand)[:need]]])
    if fewer_ok or out.shape[0] >= count:
        return out
    raise RuntimeError(f"could not draw {count} distinct masks of {n} players")  # pragma: no cover


def distinct_masks(n_players: int, n_samples: int, keep: float = 0.5, seed=None, *,
                   avoid: np.ndarray | None = None) -> np.ndarray:
    """``n_samples`` distinct masks drawn one after another at ``keep``, none of them in ``avoid``.

    For designs whose every row should be a new model call (``additive_plus``'s random masks
    beside its single removals): each new mask comes from :func:`uniform_masks`' distribution
    restricted to the masks not drawn yet. When no draw repeats (most games of more than ~30
    parts) the result equals ``uniform_masks(n_players, n_samples, keep, seed)``, and the
    generator is left in the same state. On up to 20 parts, when 16 rounds of
    redrawing leave some missing (small n, or ``keep`` near 0 or 1), the rest are drawn among
    the masks still free, with the same weights (exponential keys); fewer come back only when
    fewer masks are possible, or, on more than 20 parts, when redrawing keeps repeating.

    Examples
    --------
    >>> m = distinct_masks(4, 16, keep=0.8, seed=0)  # all 16 masks of 4 parts, in the order drawn
    >>> m.shape, len({r.tobytes() for r in m})
    ((16, 4), 16)
    >>> big = distinct_masks(200, 50, keep=0.5, seed=1)
    >>> bool((big == uniform_masks(200, 50, keep=0.5, seed=1)).all())
    True
    """
    rng = check_random_state(seed)
    out = draw_distinct(n_players, n_samples, lambda m, r: uniform_masks(n_players, m, keep=keep, seed=r), rng,
                        avoid=avoid, max_rounds=16, fewer_ok=True)
    missing = n_samples - out.shape[0]
    if missing <= 0 or n_players > LISTABLE_PLAYERS:
        return out
    # Successive sampling without replacement among the free masks: the smallest of E / w
    # (E exponential, w the mask's probability at ``keep``) comes first.
    codes = np.arange(1 << n_players, dtype=np.int64)
    taken = out if avoid is None else np.vstack([np.asarray(avoid, dtype=bool).reshape(-1, n_players), out])
    free = np.ones(codes.size, dtype=bool)
    free[mask_codes(taken)] = False
    kept = bit_patterns(codes, n_players).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 · log 0 counts as 0
        log_w = (np.where(kept > 0, kept * np.log(keep), 0.0)
                 + np.where(kept < n_players, (n_players - kept) * np.log1p(-keep), 0.0))
    free &= np.isfinite(log_w)  # keep = 0 or 1 leaves one possible mask
    cand = codes[free]
    order = np.argsort(np.log(rng.exponential(size=cand.size)) - log_w[free], kind="stable")[:missing]
    return np.vstack([out, bit_patterns(cand[order], n_players)])


def mask_codes(masks: np.ndarray) -> np.ndarray:
    """The integer code of each mask row (bit i = part i kept; up to 62 parts), the inverse of :func:`all_masks`' order.

    Examples
    --------
    >>> mask_codes(all_masks(3)).tolist()
    [0, 1, 2, 3, 4, 5, 6, 7]
    """
    masks = np.asarray(masks, dtype=bool)
    return masks.astype(np.int64) @ (np.int64(1) << np.arange(masks.shape[1], dtype=np.int64))


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
    return mask_codes(parity(hash_matrix, idx).T)  # parity is (b, s): bit i of a term's bin = row i
