import numpy as np
import pytest

import spexkit
from spexkit import transforms
from spexkit.interactions import Interactions
from spexkit.transforms import all_masks


def test_fwht_matches_direct_sum():
    rng = np.random.default_rng(0)
    n = 7
    x = rng.normal(size=1 << n)
    masks = all_masks(n).astype(np.int64)
    signs = (-1.0) ** ((masks @ masks.T) % 2)  # (-1)^{<m, k>}
    np.testing.assert_allclose(transforms.fwht(x), signs @ x, atol=1e-10)
    np.testing.assert_allclose(transforms.fwht(transforms.fwht(x)), (1 << n) * x, atol=1e-9)


def test_fourier_and_mobius_dense_reconstruct_values():
    rng = np.random.default_rng(1)
    n = 6
    v = rng.normal(size=1 << n)
    masks = all_masks(n).astype(np.int64)
    F = transforms.fourier_dense(v)
    np.testing.assert_allclose(((-1.0) ** ((masks @ masks.T) % 2)) @ F, v, atol=1e-12)
    a = transforms.mobius_dense(v)
    subset = (masks[:, None, :] >= masks[None, :, :]).all(2)  # S subset of m
    np.testing.assert_allclose(subset @ a, v, atol=1e-12)
    np.testing.assert_allclose(transforms.values_from_mobius_dense(a), v, atol=1e-12)


def test_dense_transforms_reject_bad_lengths():
    with pytest.raises(ValueError, match="power of two"):
        transforms.fwht(np.ones(6))


@pytest.mark.parametrize("seed", [0, 1])
def test_fourier_mobius_values_round_trip(seed, make_table_game):
    n = 7
    v = np.random.default_rng(seed).normal(size=1 << n)
    res = spexkit.explain(make_table_game(v), method="exact")
    masks = all_masks(n)
    np.testing.assert_allclose(res.predict(masks), v, atol=1e-10)
    mob = res.to("mobius")
    np.testing.assert_allclose(mob.predict(masks), v, atol=1e-10)
    # Sparse conversion equals the dense Möbius transform term by term.
    dense = transforms.mobius_dense(v)
    codes = (mob.support.astype(np.int64) << np.arange(n)).sum(1)
    np.testing.assert_allclose(mob.coefficients, dense[codes], atol=1e-10)
    back = mob.to("fourier")
    assert back.terms == res.terms
    np.testing.assert_allclose(back.coefficients, res.coefficients, atol=1e-12)


def test_sparse_conversion_of_planted_terms_is_exact():
    # One degree-3 Fourier term: a(S) = (-2)^{|S|} F for every subset S of it.
    res = Interactions([(1, 4, 9)], [0.5], n_players=12, basis="fourier")
    mob = dict(zip(*[res.to("mobius").terms, res.to("mobius").coefficients]))
    assert len(mob) == 8
    for term, c in mob.items():
        assert c == pytest.approx(0.5 * (-2.0) ** len(term))
    masks = np.random.default_rng(0).random((50, 12)) < 0.5
    np.testing.assert_allclose(res.to("mobius").predict(masks), res.predict(masks), atol=1e-12)


def test_exact_transform_matches_planted_truth():
    game = spexkit.planted.planted_game(12, n_terms=6, max_degree=3, seed=3, constant=1.5)
    res = spexkit.explain(game, method="exact")
    truth = game.truth
    assert res.terms == truth.terms
    np.testing.assert_allclose(res.coefficients, truth.coefficients, atol=1e-10)
    assert res.metadata["queries"] == 1 << 12


@pytest.mark.parametrize("basis, coef", [("mobius", 1e-7), ("fourier", 1e-7 / 4)])
def test_exact_keeps_small_effects_under_a_large_constant(basis, coef):
    # f = 1e6 + 1e-7·(m0 ∧ m1): the drop threshold must not scale with the constant.
    game = spexkit.Game(lambda m: 1e6 + 1e-7 * (m[:, 0] & m[:, 1]), n_players=4)
    res = spexkit.explain(game, method="exact", basis=basis)
    got = dict(zip(res.terms, res.coefficients))
    assert got.get((0, 1), 0.0) == pytest.approx(coef, rel=1e-4)
    assert {t for t in got if len(t) > 0} <= {(0,), (1,), (0, 1)}
    np.testing.assert_allclose(res.shapley()[:2], [5e-8, 5e-8], rtol=1e-4)
    assert res.shapley()[2:].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("basis", ["mobius", "fourier"])
def test_exact_drops_the_rounding_of_a_large_constant(basis):
    # 1e6 + an additive game: the values carry rounding at 1e-10, which must not turn into terms.
    w = np.random.default_rng(0).normal(size=8)
    game = spexkit.Game(lambda m: 1e6 + m @ w, n_players=8)
    res = spexkit.explain(game, method="exact", basis=basis)
    assert max(len(t) for t in res.terms) == 1
    assert len(res) == 9  # the constant and one term per player
