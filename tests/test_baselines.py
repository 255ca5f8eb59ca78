"""Baselines against exact indices on small games."""

import numpy as np
import pytest

import spexkit
from spexkit.planted import planted_game


@pytest.fixture(scope="module")
def game_and_exact():
    game = planted_game(10, n_terms=6, max_degree=2, basis="mobius", seed=0)
    return game, spexkit.explain(game, method="exact")


def test_kernelshap_estimates_shapley_and_is_efficient(game_and_exact):
    game, ex = game_and_exact
    res = spexkit.explain(game, method="kernelshap", budget=1000, seed=0)  # < 2^10: sampled
    assert res.metadata["queries"] <= 1000 and not res.metadata["exhaustive"]  # repeats are free
    np.testing.assert_allclose(res.shapley(), ex.shapley(), atol=0.1)
    full = game.noiseless(np.ones((1, 10), bool))[0] - game.noiseless(np.zeros((1, 10), bool))[0]
    assert res.shapley().sum() == pytest.approx(full)


def test_banzhaf_monte_carlo(game_and_exact):
    game, ex = game_and_exact
    res = spexkit.explain(game, method="banzhaf", budget=20000, seed=0)
    np.testing.assert_allclose(res.banzhaf(), ex.banzhaf(), atol=0.06)


@pytest.mark.parametrize("basis", ["fourier", "mobius"])
def test_lasso_recovers_a_sparse_pairwise_game(game_and_exact, basis):
    game, ex = game_and_exact
    res = spexkit.explain(game, method="lasso", budget=600, max_degree=2, seed=0, basis=basis)
    assert spexkit.evaluation.faithfulness(res, game, n_samples=500, truth=game.noiseless) > 0.999
    np.testing.assert_allclose(res.shapley(), ex.shapley(), atol=0.02)


def test_lasso_refuses_huge_designs():
    game = planted_game(1000, n_terms=3, max_degree=3, seed=0)
    with pytest.raises(ValueError, match="features"):
        spexkit.explain(game, method="lasso", max_degree=3)


def test_lime_is_exact_on_additive_games():
    w = np.linspace(-1, 1, 8)
    game = spexkit.Game(lambda m: m @ w + 2.0, n_players=8)
    res = spexkit.explain(game, method="lime", budget=500, seed=0)
    np.testing.assert_allclose(res.shapley(), w, atol=1e-2)


def test_every_method_is_registered():
    from spexkit.solvers import available_methods

    assert set(available_methods()) >= {"auto", "exact", "spex", "proxyspex", "kernelshap", "lime", "banzhaf", "lasso"}


def test_kernelshap_with_all_coalitions_is_exact(make_table_game):
    values = np.random.default_rng(3).normal(size=1 << 8)
    game = make_table_game(values)
    exact = spexkit.explain(game, method="exact")
    res = spexkit.explain(game, method="kernelshap", budget=256)
    assert res.metadata["exhaustive"] and res.metadata["queries"] == 256
    np.testing.assert_allclose(res.shapley(), exact.shapley(), atol=1e-10)
