"""Binary narrow-sense BCH codes, shortened to any length, with a batched syndrome decoder.

SPEX observes the support ``k`` of a Fourier coefficient (a binary vector of
weight at most ``t``) only through ``y = H k mod 2``, where ``H`` is the
parity-check matrix of a ``t``-error-correcting BCH code. Recovering ``k`` is
BCH syndrome decoding, done here for thousands of hash bins at once:

1. binary syndrome bits -> power sums ``S_1 .. S_2t`` in GF(2^m);
2. Berlekamp-Massey -> error-locator polynomial ``Lambda``;
3. Chien search -> roots of ``Lambda`` among the ``n`` code positions;
4. re-check: the decoded pattern must reproduce the input syndrome exactly.

Every step is vectorised over the batch with numpy; Python loops run only over
the ``2t`` Berlekamp-Massey iterations and the ``t`` locator coefficients.
Field elements are ints in ``[0, 2^m)``, bit ``b`` being the coefficient of
``x^b`` in the polynomial basis over the primitive polynomials below.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..masks import bit_patterns
from ..validation import check_positive_int

__all__ = ["BCHCode"]

MIN_M = 2
MAX_M = 16
#: the longest code, so the most players SPEX can decode (2^MAX_M - 1)
MAX_CODE_LENGTH = (1 << MAX_M) - 1

# One primitive polynomial per degree; bit i is the coefficient of x^i (x^m included).
_PRIMITIVE_POLYS = {
    2: 0b111,  # x^2 + x + 1
    3: 0b1011,  # x^3 + x + 1
    4: 0b10011,  # x^4 + x + 1
    5: 0b100101,  # x^5 + x^2 + 1
    6: 0b1000011,  # x^6 + x + 1
    7: 0b10000011,  # x^7 + x + 1
    8: 0b100011101,  # x^8 + x^4 + x^3 + x^2 + 1
    9: 0b1000010001,  # x^9 + x^4 + 1
    10: 0b10000001001,  # x^10 + x^3 + 1
    11: 0b100000000101,  # x^11 + x^2 + 1
    12: 0b1000001010011,  # x^12 + x^6 + x^4 + x + 1
    13: 0b10000000011011,  # x^13 + x^4 + x^3 + x + 1
    14: 0b100010001000011,  # x^14 + x^10 + x^6 + x + 1
    15: 0b1000000000000011,  # x^15 + x + 1
    16: 0b10001000000001011,  # x^16 + x^12 + x^3 + x + 1
}

# Bound on the temporary memory of one decode chunk, in array elements.
_CHUNK_ELEMENTS = 1 << 25


@functools.lru_cache(maxsize=None)
def _gf_tables(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Exponent and logarithm tables of GF(2^m), with a branch-free zero guard.

    With ``N = 2^m - 1``: ``exp[p] = alpha^(p mod N)`` for ``0 <= p < 2N`` and
    ``exp[p] = 0`` for ``2N <= p <= 4N``; ``log[a]`` is the discrete log of
    ``a != 0`` and ``log[0] = 2N``. A sum of two logs (or twice a log) that
    involves a zero therefore lands in the zero tail, so ``exp[log[a] + log[b]]``
    is the product ``a * b`` for all ``a, b`` without any masking.

    Returns read-only ``intp`` arrays ``(exp, log)`` of lengths ``4N + 1`` and ``2^m``.
    """
    if m not in _PRIMITIVE_POLYS:
        raise ValueError(f"GF(2^m) tables exist for {MIN_M} <= m <= {MAX_M}, got m={m}")
    poly, size = _PRIMITIVE_POLYS[m], 1 << m
    n_nonzero = size - 1
    powers = np.empty(n_nonzero, dtype=np.intp)
    a = 1
    for p in range(n_nonzero):
        powers[p] = a
        a <<= 1
        if a & size:
            a ^= poly
    # alpha must generate the whole multiplicative group, i.e. the polynomial is primitive.
    if a != 1 or np.unique(powers).size != n_nonzero:
        raise AssertionError(f"polynomial {poly:#x} is not primitive for m={m}")
    exp = np.zeros(4 * n_nonzero + 1, dtype=np.intp)
    exp[:n_nonzero] = powers
    exp[n_nonzero : 2 * n_nonzero] = powers
    log = np.empty(size, dtype=np.intp)
    log[powers] = np.arange(n_nonzero)
    log[0] = 2 * n_nonzero
    exp.flags.writeable = False
    log.flags.writeable = False
    return exp, log


def _gf_mul(a: np.ndarray, b: np.ndarray, exp: np.ndarray, log: np.ndarray) -> np.ndarray:
    """Elementwise product in GF(2^m) of broadcastable int arrays (zeros allowed)."""
    return exp[log[a] + log[b]]


def _check_bits(x, name: str, width: int, width_name: str) -> np.ndarray:
    """``x`` as a bool array of shape ``(batch, width)``; 0/1 integers are accepted."""
    arr = np.asarray(x)
    if arr.ndim != 2 or arr.shape[1] != width:
        raise ValueError(
            f"{name} must have shape (batch, {width_name}) = (batch, {width}), got shape {arr.shape}; "
            "reshape a single vector with .reshape(1, -1)"
        )
    if arr.dtype != bool:
        if arr.size and not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name} must be boolean or contain only 0 and 1")
        arr = arr.astype(bool)
    return arr


def _independent_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greedy row basis of a binary matrix, and how every row is built from it.

    Row ``i`` is kept iff it is not in the GF(2) span of rows ``0 .. i-1``.
    Returns ``(kept, expand)``: ``kept`` are the kept row indices (ascending),
    ``expand`` is a bool matrix ``(len(rows), len(kept))`` with
    ``rows = expand @ rows[kept] (mod 2)``.
    """
    # Rows as Python ints make XOR elimination short and fast at these sizes.
    vectors = [int.from_bytes(np.packbits(r).tobytes(), "big") for r in rows]
    basis: dict[int, tuple[int, int]] = {}  # leading bit -> (reduced row, combination of kept rows)
    combos, kept = [], []
    for i, v in enumerate(vectors):
        combo = 0
        while v:
            lead = v.bit_length() - 1
            if lead not in basis:
                break
            bv, bc = basis[lead]
            v ^= bv
            combo ^= bc
        if v:
            basis[v.bit_length() - 1] = (v, combo ^ (1 << len(kept)))
            combos.append(1 << len(kept))
            kept.append(i)
        else:
            combos.append(combo)
    n_bytes = max(1, (len(kept) + 7) // 8)
    expand = np.array(
        [np.unpackbits(np.frombuffer(c.to_bytes(n_bytes, "little"), dtype=np.uint8), bitorder="little")
         for c in combos],
        dtype=bool,
    ).reshape(len(rows), 8 * n_bytes)[:, : len(kept)]
    return np.asarray(kept, dtype=np.intp), expand


class BCHCode:
    """Binary narrow-sense BCH code correcting ``t`` errors, shortened to length ``n``.

    The mother code has length ``N = 2^m - 1`` with ``m`` the smallest integer
    ``>= 2`` such that ``N >= n`` and ``N >= 2t + 1`` (the designed distance
    must fit in the code, so tiny ``n`` with large ``t`` gets a larger field;
    this never costs extra checks, as the rank is at most ``n``). Shortening
    keeps the first ``n`` columns. Supported: ``m <= 16``.

    Parameters
    ----------
    n : int
        Code length (number of bits of the error pattern), ``1 <= n <= 65535``.
    t : int
        Number of correctable errors, ``t >= 1`` and ``2t + 1 <= 65535``.

    Attributes
    ----------
    n, t, m : int
        Length, correction capability and field degree.
    parity_check : numpy.ndarray
        Read-only bool array ``(n_checks, n)``. Start from the ``m * t`` rows
        ``m * s + b`` = bit ``b`` of ``alpha^(i * j)``, ``i = 2s + 1`` (so
        ``i = 1, 3, .., 2t - 1``), column ``j``; keep a row only if it is not
        a GF(2) combination of the rows before it. Dropped rows (subfield
        conjugacy classes, repeated classes, or dependencies created by
        shortening) are rebuilt from the kept ones when decoding.
    n_checks : int
        Number of rows of ``parity_check`` (at most ``min(m * t, n)``).

    Examples
    --------
    >>> import numpy as np
    >>> code = BCHCode(n=20, t=2)
    >>> code.m, code.n_checks
    (5, 10)
    >>> k = np.zeros((2, 20), dtype=bool)
    >>> k[0, [3, 17]] = True
    >>> errors, ok = code.decode(code.syndrome(k))
    >>> ok.tolist(), np.flatnonzero(errors[0]).tolist(), bool(errors[1].any())
    ([True, True], [3, 17], False)
    """

    def __init__(self, n: int, t: int):
        n = check_positive_int(n, "code length n")
        t = check_positive_int(t, "number of correctable errors t")
        max_len = MAX_CODE_LENGTH
        if n > max_len:
            raise ValueError(f"code length n={n} is too large: BCH codes here use m <= {MAX_M}, so n <= {max_len}")
        if 2 * t + 1 > max_len:
            raise ValueError(
                f"t={t} is too large: the designed distance 2t+1={2 * t + 1} must be <= 2^{MAX_M}-1={max_len}"
            )
        m = MIN_M
        while (1 << m) - 1 < max(n, 2 * t + 1):
            m += 1
        self.n, self.t, self.m = n, t, m
        self._N = (1 << m) - 1
        self._exp, self._log = _gf_tables(m)

        # Row s*m + b: bit b of alpha^(i*j), i = 2s+1, for the first n positions j.
        odd = np.arange(1, 2 * t, 2)
        values = self._exp[(odd[:, None] * np.arange(n)[None, :]) % self._N]  # (t, n)
        full = bit_patterns(values, m).transpose(0, 2, 1).reshape(m * t, n)  # (t, n, m) -> rows s*m + b
        kept, expand = _independent_rows(full)
        self.parity_check = full[kept]
        self.parity_check.flags.writeable = False
        self.n_checks = int(kept.size)
        # Full syndrome bits = kept bits @ expand.T (mod 2); None when nothing was dropped.
        self._expand = None if kept.size == m * t else expand.T.astype(np.float64)

    def __repr__(self) -> str:
        return f"BCHCode(n={self.n}, t={self.t}, m={self.m}, n_checks={self.n_checks})"

    def syndrome(self, errors: np.ndarray) -> np.ndarray:
        """Binary syndromes ``errors @ parity_check.T mod 2``.

        Parameters
        ----------
        errors : numpy.ndarray
            Bool (or 0/1) array of shape ``(batch, n)``.

        Returns
        -------
        numpy.ndarray
            Bool array of shape ``(batch, n_checks)``.
        """
        errors = _check_bits(errors, "errors", self.n, "n")
        out = np.empty((errors.shape[0], self.n_checks), dtype=bool)
        h = self.parity_check.T.astype(np.float64)
        step = max(1, _CHUNK_ELEMENTS // (8 * self.n))
        for lo in range(0, errors.shape[0], step):
            # Float counts are exact (n < 2^53); BLAS beats integer matmul by far.
            counts = errors[lo : lo + step].astype(np.float64) @ h
            out[lo : lo + step] = np.fmod(counts, 2.0) == 1.0
        return out

    def decode(self, syndromes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Recover error patterns of weight ``<= t`` from their syndromes.

        Parameters
        ----------
        syndromes : numpy.ndarray
            Bool (or 0/1) array of shape ``(batch, n_checks)``.

        Returns
        -------
        errors : numpy.ndarray
            Bool array ``(batch, n)``; all False where decoding failed.
        ok : numpy.ndarray
            Bool array ``(batch,)``: True iff a pattern of weight ``<= t`` within
            the ``n`` positions reproduces the syndrome exactly. The zero
            syndrome decodes to the zero pattern.
        """
        syndromes = _check_bits(syndromes, "syndromes", self.n_checks, "n_checks")
        batch = syndromes.shape[0]
        errors = np.zeros((batch, self.n), dtype=bool)
        ok = np.zeros(batch, dtype=bool)
        # The Chien step holds a few (rows, n) arrays of 1-2 bytes: chunks stay near 200 MB.
        step = max(1, _CHUNK_ELEMENTS // (4 * max(self.n, 2 * self.t + 1)))
        for lo in range(0, batch, step):
            errors[lo : lo + step], ok[lo : lo + step] = self._decode_chunk(syndromes[lo : lo + step])
        return errors, ok

    # -- decoding steps ---------------------------------------------------------

    def _decode_chunk(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``decode`` for one chunk of validated syndromes."""
        t = self.t
        locator, length = self._berlekamp_massey(self._power_sums(y))
        size = locator.shape[1]
        degree = size - 1 - np.argmax(locator[:, ::-1] != 0, axis=1)
        # A locator of length L <= t must have degree exactly L to have L roots.
        cand = np.flatnonzero((length >= 1) & (length <= t) & (degree == length))
        errors = np.zeros((y.shape[0], self.n), dtype=bool)
        if cand.size:
            roots = self._chien(locator[cand, 1 : t + 1])
            # Need deg(Lambda) distinct roots, all at positions < n.
            good = roots.sum(axis=1) == length[cand]
            errors[cand[good]] = roots[good]
        ok = (self._sparse_syndrome(errors) == y).all(axis=1)
        errors[~ok] = False
        return errors, ok

    def _power_sums(self, y: np.ndarray) -> np.ndarray:
        """Power sums ``S[:, k] = sum_j e_j alpha^(k j)`` for ``k = 1..2t`` (column 0 unused)."""
        m, t, exp, log = self.m, self.t, self._exp, self._log
        if self._expand is None:
            bits = y
        else:
            bits = np.fmod(y.astype(np.float64) @ self._expand, 2.0) == 1.0
        weights = 1 << np.arange(m, dtype=np.intp)
        sums = np.zeros((y.shape[0], 2 * t + 1), dtype=np.intp)
        # Block s of m bits is the field element S_(2s+1) in the polynomial basis.
        sums[:, 1::2] = bits.reshape(-1, t, m) @ weights
        for k in range(2, 2 * t + 1, 2):
            sums[:, k] = exp[2 * log[sums[:, k // 2]]]  # binary errors: S_2k = S_k^2
        return sums

    def _berlekamp_massey(self, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Shortest LFSR ``(Lambda, L)`` generating ``S_1..S_2t``, for every batch row.

        Massey's algorithm with the correction polynomial ``B`` kept pre-shifted
        (multiplied by ``x`` every iteration), so all rows share one update rule.
        ``deg(x^shift B) <= r + 1 - L <= 2t`` at iteration ``r``, hence the
        ``2t + 1`` coefficient slots never overflow.
        """
        exp, log, N = self._exp, self._log, self._N
        rows, size = sums.shape[0], 2 * self.t + 1
        locator = np.zeros((rows, size), dtype=np.intp)
        locator[:, 0] = 1
        prev = locator.copy()
        length = np.zeros(rows, dtype=np.intp)
        prev_disc = np.ones(rows, dtype=np.intp)
        for r in range(2 * self.t):
            prev = np.concatenate([np.zeros((rows, 1), dtype=np.intp), prev[:, :-1]], axis=1)
            # Discrepancy d = sum_{i=0..r} Lambda_i S_(r+1-i).
            terms = _gf_mul(locator[:, : r + 1], sums[:, r + 1 : 0 : -1], exp, log)
            disc = np.bitwise_xor.reduce(terms, axis=1)
            scale = _gf_mul(disc, exp[N - log[prev_disc]], exp, log)  # d / b; b is never 0
            updated = locator ^ _gf_mul(scale[:, None], prev, exp, log)
            grow = (disc != 0) & (2 * length <= r)
            prev = np.where(grow[:, None], locator, prev)
            prev_disc = np.where(grow, disc, prev_disc)
            length = np.where(grow, r + 1 - length, length)
            locator = updated
        return locator, length

    @functools.cached_property
    def _chien_table(self) -> np.ndarray:
        """``A[p] = alpha^(-p)`` for ``0 <= p < N + (n-1) t`` (uint16 keeps the gathers cheap)."""
        p = np.arange(self._N + (self.n - 1) * self.t)
        table = self._exp[(-p) % self._N].astype(np.uint16)
        table.flags.writeable = False
        return table

    def _chien(self, coeffs: np.ndarray) -> np.ndarray:
        """Roots of ``1 + sum_k coeffs[:, k-1] x^k`` at ``x = alpha^(-j)``, ``j < n``, as bool ``(rows, n)``.

        ``Lambda_k alpha^(-jk) = A[r_k + j k]`` with ``r_k = -log Lambda_k mod N``,
        so for each ``k`` the needed values are whole rows of the strided view
        ``A[r + j k]`` of shape ``(N, n)``: one memory-free row gather per
        coefficient instead of ``n`` scattered lookups.
        """
        table, log, N = self._chien_table, self._log, self._N
        item = table.itemsize
        values = np.ones((coeffs.shape[0], self.n), dtype=np.uint16)  # Lambda_0 = 1
        for k in range(1, coeffs.shape[1] + 1):
            c = coeffs[:, k - 1]
            view = as_strided(table, shape=(N, self.n), strides=(item, k * item), writeable=False)
            term = view[(-log[c]) % N]
            term[c == 0] = 0
            values ^= term
        return values == 0

    @functools.cached_property
    def _padded_columns(self) -> np.ndarray:
        """Columns of ``parity_check`` as rows, plus an all-zero row at index ``n``."""
        return np.concatenate([self.parity_check.T, np.zeros((1, self.n_checks), dtype=bool)])

    def _sparse_syndrome(self, errors: np.ndarray) -> np.ndarray:
        """``syndrome(errors)`` for patterns with at most ``t`` ones per row, by column gathers."""
        rows, cols = np.nonzero(errors)
        counts = np.bincount(rows, minlength=errors.shape[0])
        rank = np.arange(rows.size) - (np.cumsum(counts) - counts)[rows]
        # Pad with index n, which points at an all-zero column.
        positions = np.full((errors.shape[0], max(1, int(counts.max(initial=0)))), self.n, dtype=np.intp)
        positions[rows, rank] = cols
        columns = self._padded_columns
        out = columns[positions[:, 0]]
        for i in range(1, positions.shape[1]):
            out ^= columns[positions[:, i]]
        return out
