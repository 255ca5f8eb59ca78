"""Every index formula against its brute-force definition over all coalitions (n <= 8)."""

from itertools import combinations
from math import comb, factorial

import numpy as np
import pytest

import spexkit
from spexkit.transforms import all_masks

N = 6


def _code(players):
    return sum(1 << i for i in players)


def _delta(v, T, S):
    """Discrete derivative of v along T at coalition S (S disjoint from T)."""
    base = _code(S)
    return sum((-1) ** (len(T) - len(L)) * v[base | _code(L)] for r in range(len(T) + 1) for L in combinations(T, r))


def _subsets(players):
    players = list(players)
    for r in range(len(players) + 1):
        yield from combinations(players, r)


def brute_shapley(v, n):
    out = np.zeros(n)
    for i in range(n):
        rest = [j for j in range(n) if j != i]
        for S in _subsets(rest):
            w = factorial(len(S)) * factorial(n - len(S) - 1) / factorial(n)
            out[i] += w * (v[_code(S) | 1 << i] - v[_code(S)])
    return out


def brute_banzhaf(v, n):
    out = np.zeros(n)
    for i in range(n):
        rest = [j for j in range(n) if j != i]
        out[i] = sum(v[_code(S) | 1 << i] - v[_code(S)] for S in _subsets(rest)) / 2 ** (n - 1)
    return out


def brute_sii(v, n, T):
    rest = [j for j in range(n) if j not in T]
    t = len(T)
    return sum(
        factorial(n - len(S) - t) * factorial(len(S)) / factorial(n - t + 1) * _delta(v, T, S) for S in _subsets(rest)
    )


def brute_bii(v, n, T):
    rest = [j for j in range(n) if j not in T]
    return sum(_delta(v, T, S) for S in _subsets(rest)) / 2 ** (n - len(T))


def brute_stii(v, n, T, order):
    if len(T) < order:
        return _delta(v, T, ())
    rest = [j for j in range(n) if j not in T]
    return order / n * sum(_delta(v, T, S) / comb(n - 1, len(S)) for S in _subsets(rest))


def _faith(v, n, order, weights):
    """Weighted least squares over all masks on the unanimity basis of order <= ``order``."""
    sets = [T for T in _subsets(range(n)) if len(T) <= order]
    masks = all_masks(n)
    X = np.stack([masks[:, list(T)].all(1) for T in sets], axis=1).astype(float)
    sw = np.sqrt(weights)
    coef, *_ = np.linalg.lstsq(X * sw[:, None], v * sw, rcond=None)
    return dict(zip(sets, coef))


def brute_faith_banzhaf(v, n, order):
    return _faith(v, n, order, np.ones(1 << n))


def brute_faith_shapley(v, n, order):
    size = all_masks(n).sum(1)
    w = np.empty(1 << n)
    inner = (size > 0) & (size < n)
    w[inner] = (n - 1) / (np.array([comb(n, int(s)) for s in size[inner]]) * size[inner] * (n - size[inner]))
    w[~inner] = 1e8  # the empty and full coalitions are fitted exactly
    return _faith(v, n, order, w)


@pytest.fixture(params=[0, 1, 2])
def game_result(request, make_table_game):
    rng = np.random.default_rng(request.param)
    v = rng.normal(size=1 << N)
    res = spexkit.explain(make_table_game(v), method="exact")
    return v, res


def test_shapley_and_banzhaf_values(game_result):
    v, res = game_result
    np.testing.assert_allclose(res.shapley(), brute_shapley(v, N), atol=1e-10)
    np.testing.assert_allclose(res.banzhaf(), brute_banzhaf(v, N), atol=1e-10)
    # Efficiency: Shapley values sum to v(N) - v(empty).
    assert res.shapley().sum() == pytest.approx(v[-1] - v[0], abs=1e-10)


def _as_dict(inter):
    return dict(zip(inter.terms, inter.coefficients))


@pytest.mark.parametrize("kind,brute", [("shapley_interaction", brute_sii), ("banzhaf_interaction", brute_bii)])
def test_sii_and_bii(game_result, kind, brute):
    v, res = game_result
    got = _as_dict(res.interaction_index(kind, order=3))
    for T in _subsets(range(N)):
        if len(T) <= 3:
            assert got.get(T, 0.0) == pytest.approx(brute(v, N, T), abs=1e-10), T


@pytest.mark.parametrize("order", [1, 2, 3])
def test_shapley_taylor(game_result, order):
    v, res = game_result
    got = _as_dict(res.interaction_index("shapley_taylor", order=order))
    for T in _subsets(range(N)):
        if len(T) <= order:
            assert got.get(T, 0.0) == pytest.approx(brute_stii(v, N, T, order), abs=1e-10), T
    # Efficiency of STII: all indices sum to v(N).
    assert sum(got.values()) == pytest.approx(v[-1], abs=1e-10)


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("kind,brute", [("faith_banzhaf", brute_faith_banzhaf), ("faith_shapley", brute_faith_shapley)])
def test_faith_indices(game_result, kind, brute, order):
    v, res = game_result
    got = _as_dict(res.interaction_index(kind, order=order))
    want = brute(v, N, order)
    tol = 1e-10 if kind == "faith_banzhaf" else 1e-6  # the Shapley kernel fit uses large finite weights
    for T, value in want.items():
        assert got.get(T, 0.0) == pytest.approx(value, abs=tol), T


def test_first_order_indices_match_values(game_result):
    _, res = game_result
    sii1 = _as_dict(res.interaction_index("shapley_interaction", order=1))
    np.testing.assert_allclose([sii1.get((i,), 0.0) for i in range(N)], res.shapley(), atol=1e-12)
    bii1 = _as_dict(res.interaction_index("banzhaf_interaction", order=1))
    np.testing.assert_allclose([bii1.get((i,), 0.0) for i in range(N)], res.banzhaf(), atol=1e-12)


def test_indices_from_fourier_and_mobius_agree(game_result):
    _, res = game_result
    mob = res.to("mobius")
    np.testing.assert_allclose(res.shapley(), mob.shapley(), atol=1e-12)
    a = _as_dict(res.interaction_index("faith_banzhaf", 2))
    b = _as_dict(mob.interaction_index("faith_banzhaf", 2))
    assert a.keys() == b.keys()
    np.testing.assert_allclose([a[k] for k in a], [b[k] for k in a], atol=1e-12)


def test_unknown_index_kind_lists_valid_ones(game_result):
    _, res = game_result
    with pytest.raises(ValueError, match="shapley_taylor"):
        res.interaction_index("owen", 2)
    with pytest.raises(ValueError, match="order"):
        res.interaction_index("shapley_interaction", 0)


def test_index_result_cannot_be_evaluated(game_result):
    _, res = game_result
    idx = res.interaction_index("shapley_interaction", 2)
    assert idx.basis == "shapley_interaction"
    with pytest.raises(ValueError, match="summary"):
        idx.predict(np.ones((1, N), bool))
