"""Tests for spexkit.solvers.bch: construction, exhaustive small-code decoding, batch decoding."""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
import pytest

from spexkit.solvers.bch import _PRIMITIVE_POLYS, BCHCode, _gf_tables

# (n, t, expected m): m is the smallest m >= 2 with 2^m - 1 >= max(n, 2t + 1).
SMALL_CODES = [
    (1, 1, 2), (3, 1, 2), (3, 2, 3),
    (4, 1, 3), (5, 2, 3), (6, 3, 3), (7, 1, 3), (7, 2, 3), (7, 3, 3),
    (8, 1, 4), (11, 2, 4), (13, 3, 4), (15, 1, 4), (15, 2, 4), (15, 3, 4),
    (16, 1, 5), (23, 2, 5), (31, 3, 5), (26, 3, 5),
    (5, 5, 4),  # rank limited by shortening: every dropped row depends on the kept ones
    (15, 5, 4),  # the class of alpha^9 repeats that of alpha^3, alpha^5 lies in GF(4)
]


def patterns_up_to(n: int, w: int) -> np.ndarray:
    """All binary vectors of length n and weight <= w, as bool rows."""
    rows = [np.zeros(n, dtype=bool)]
    for k in range(1, w + 1):
        for support in itertools.combinations(range(n), k):
            row = np.zeros(n, dtype=bool)
            row[list(support)] = True
            rows.append(row)
    return np.array(rows).reshape(-1, n)


def patterns_of_weight(n: int, w: int) -> np.ndarray:
    out = np.zeros((comb(n, w), n), dtype=bool)
    for r, support in enumerate(itertools.combinations(range(n), w)):
        out[r, list(support)] = True
    return out


def random_patterns(rng, batch: int, n: int, t: int) -> np.ndarray:
    """Random patterns with weights uniform in 0..t."""
    keys = rng.random((batch, n))
    weights = rng.integers(0, t + 1, batch)
    ranks = keys.argsort(axis=1).argsort(axis=1)
    return ranks < weights[:, None]


def slow_syndrome(errors: np.ndarray, h: np.ndarray) -> np.ndarray:
    return (errors.astype(np.int64) @ h.T.astype(np.int64)) % 2 == 1


def gf2_rank(rows: np.ndarray) -> int:
    a = rows.astype(np.uint8).copy()
    rank = 0
    for col in range(a.shape[1]):
        pivot = np.flatnonzero(a[rank:, col])
        if pivot.size == 0:
            continue
        p = rank + pivot[0]
        a[[rank, p]] = a[[p, rank]]
        hit = a[:, col].astype(bool)
        hit[rank] = False
        a[hit] ^= a[rank]
        rank += 1
        if rank == a.shape[0]:
            break
    return rank


def slow_full_parity_check(n: int, t: int, m: int) -> np.ndarray:
    """All m*t rows, from Python-int field arithmetic (shift-and-reduce multiplication)."""
    poly = _PRIMITIVE_POLYS[m]

    def mul(a: int, b: int) -> int:
        out = 0
        while b:
            if b & 1:
                out ^= a
            b >>= 1
            a <<= 1
            if a >> m:
                a ^= poly
        return out

    rows = []
    for i in range(1, 2 * t, 2):
        alpha_i = 1
        for _ in range(i):
            alpha_i = mul(alpha_i, 2)  # alpha is the class of x, i.e. the integer 2
        col_values, v = [], 1
        for _ in range(n):
            col_values.append(v)
            v = mul(v, alpha_i)
        rows.extend([[(c >> b) & 1 for c in col_values] for b in range(m)])
    return np.array(rows, dtype=bool)


# -- field tables -----------------------------------------------------------------


@pytest.mark.parametrize("m", sorted(_PRIMITIVE_POLYS))
def test_gf_tables_are_consistent(m):
    exp, log = _gf_tables(m)
    N = (1 << m) - 1
    nonzero = np.arange(1, N + 1)
    assert np.array_equal(exp[log[nonzero]], nonzero)
    assert np.unique(exp[:N]).size == N  # alpha generates the whole group
    # zero guard: any product with 0 is 0
    assert exp[log[0] + log[nonzero]].max() == 0 and exp[2 * log[0]] == 0


# -- construction -------------------------------------------------------------------


@pytest.mark.parametrize("n,t,m", SMALL_CODES + [(40, 4, 6), (63, 5, 6), (100, 6, 7)])
def test_parity_check_matches_slow_construction(n, t, m):
    code = BCHCode(n, t)
    assert (code.n, code.t, code.m) == (n, t, m)
    full = slow_full_parity_check(n, t, m)
    kept = [i for i in range(full.shape[0]) if gf2_rank(full[: i + 1]) > gf2_rank(full[:i])]
    assert code.parity_check.dtype == bool
    assert code.parity_check.shape == (code.n_checks, n)
    assert np.array_equal(code.parity_check, full[kept])
    assert code.n_checks == gf2_rank(full)


@pytest.mark.parametrize(
    "n,t,n_checks",
    [(1000, 2, 20), (1000, 3, 30), (1000, 5, 50), (777, 4, 40), (15, 3, 10), (63, 5, 27), (15, 5, 14), (5, 5, 5)],
)
def test_n_checks(n, t, n_checks):
    # (15,3), (63,5): classical BCH(15,5) and BCH(63,36); (15,5): only the cosets of 1,3,5,7 count.
    assert BCHCode(n, t).n_checks == n_checks


def test_parity_check_is_read_only():
    code = BCHCode(10, 2)
    with pytest.raises(ValueError):
        code.parity_check[0, 0] = True


# -- exhaustive decoding of small codes -----------------------------------------------


@pytest.mark.parametrize("n,t,m", SMALL_CODES)
def test_every_pattern_up_to_t_decodes(n, t, m):
    code = BCHCode(n, t)
    errors = patterns_up_to(n, t)
    syn = slow_syndrome(errors, code.parity_check)
    assert np.array_equal(code.syndrome(errors), syn)
    packed = np.packbits(syn, axis=1)
    assert np.unique(packed, axis=0).shape[0] == errors.shape[0], "syndromes must be distinct"
    decoded, ok = code.decode(syn)
    assert ok.all()
    assert np.array_equal(decoded, errors)


@pytest.mark.parametrize("n,t,m", [c for c in SMALL_CODES if c[0] > c[1]])
def test_weight_t_plus_1_never_decodes_wrongly(n, t, m):
    code = BCHCode(n, t)
    syn = slow_syndrome(patterns_of_weight(n, t + 1), code.parity_check)
    decoded, ok = code.decode(syn)
    assert np.array_equal(slow_syndrome(decoded[ok], code.parity_check), syn[ok])
    assert (decoded.sum(axis=1) <= t).all()
    assert not decoded[~ok].any()


@pytest.mark.parametrize("n,t", [(13, 3), (31, 3), (100, 4), (15, 5)])
def test_arbitrary_syndromes_are_consistent(n, t):
    code = BCHCode(n, t)
    syn = np.random.default_rng(1).random((3000, code.n_checks)) < 0.5
    decoded, ok = code.decode(syn)
    assert np.array_equal(code.syndrome(decoded[ok]), syn[ok])
    assert (decoded.sum(axis=1) <= t).all()
    assert not decoded[~ok].any()
    # the decodable syndromes are exactly those of patterns of weight <= t
    if n <= 31:
        table = {row.tobytes() for row in np.packbits(code.syndrome(patterns_up_to(n, t)), axis=1)}
        expected = np.array([row.tobytes() in table for row in np.packbits(syn, axis=1)])
        assert np.array_equal(ok, expected)


# -- batched decoding at SPEX sizes -----------------------------------------------------


@pytest.mark.parametrize("n,t,batch", [(1000, 5, 5000), (777, 4, 5000), (2000, 3, 2000)])
def test_large_random_batch(n, t, batch):
    code = BCHCode(n, t)
    errors = random_patterns(np.random.default_rng(n), batch, n, t)
    syn = code.syndrome(errors)
    assert np.array_equal(syn, slow_syndrome(errors, code.parity_check))
    decoded, ok = code.decode(syn)
    assert ok.all()
    assert np.array_equal(decoded, errors)


def test_zero_syndrome_and_empty_batch():
    code = BCHCode(50, 3)
    decoded, ok = code.decode(np.zeros((4, code.n_checks), dtype=bool))
    assert ok.all() and not decoded.any()
    decoded, ok = code.decode(np.zeros((0, code.n_checks), dtype=bool))
    assert decoded.shape == (0, 50) and ok.shape == (0,)
    assert code.syndrome(np.zeros((0, 50), dtype=bool)).shape == (0, code.n_checks)


def test_integer_inputs_accepted():
    code = BCHCode(30, 2)
    errors = np.zeros((1, 30), dtype=np.int64)
    errors[0, [2, 29]] = 1
    syn = code.syndrome(errors)
    decoded, ok = code.decode(syn.astype(np.uint8))
    assert ok[0] and np.flatnonzero(decoded[0]).tolist() == [2, 29]


def test_decode_in_chunks(monkeypatch):
    import spexkit.solvers.bch as bch

    monkeypatch.setattr(bch, "_CHUNK_ELEMENTS", 4 * 200 * 7)  # 7 rows per chunk
    code = BCHCode(200, 3)
    errors = random_patterns(np.random.default_rng(5), 50, 200, 3)
    decoded, ok = code.decode(code.syndrome(errors))
    assert ok.all() and np.array_equal(decoded, errors)


# -- argument checking ----------------------------------------------------------------


@pytest.mark.parametrize(
    "n,t,error,match",
    [
        (0, 1, ValueError, "n must be a positive int"),
        (-3, 1, ValueError, "n must be a positive int"),
        (10, 0, ValueError, "t must be a positive int"),
        (70000, 2, ValueError, "too large"),
        (10, 40000, ValueError, "too large"),
        (10.5, 2, TypeError, "n must be a positive int"),
        ("10", 2, TypeError, "n must be a positive int"),
    ],
)
def test_bad_arguments(n, t, error, match):
    with pytest.raises(error, match=match):
        BCHCode(n, t)


def test_bad_shapes_and_values():
    code = BCHCode(20, 2)
    with pytest.raises(ValueError, match="shape"):
        code.decode(np.zeros(code.n_checks, dtype=bool))
    with pytest.raises(ValueError, match="shape"):
        code.decode(np.zeros((3, code.n_checks + 1), dtype=bool))
    with pytest.raises(ValueError, match="shape"):
        code.syndrome(np.zeros((3, 19), dtype=bool))
    with pytest.raises(ValueError, match="0 and 1"):
        code.decode(np.full((1, code.n_checks), 2))
