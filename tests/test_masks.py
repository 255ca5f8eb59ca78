"""Mask draws: distinct masks where a design must not repeat one, independent draws where the fit weighs them."""

import numpy as np
import pytest

import spexkit
from spexkit.masks import all_masks, distinct_masks, mask_codes, uniform_masks
from spexkit.planted import planted_game


def n_distinct(masks: np.ndarray) -> int:
    return len(np.unique(masks, axis=0))


def test_no_repeats_gives_the_uniform_draw_and_leaves_the_generator_where_it_would():
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    a = distinct_masks(120, 400, keep=0.7, seed=rng_a)
    b = uniform_masks(120, 400, keep=0.7, seed=rng_b)
    np.testing.assert_array_equal(a, b)
    assert rng_a.random() == rng_b.random()


@pytest.mark.parametrize("n, count, keep", [(12, 700, 0.8), (10, 1000, 0.95), (8, 200, 0.5), (6, 64, 0.99)])
def test_small_games_get_as_many_distinct_masks_as_asked(n, count, keep):
    masks = distinct_masks(n, count, keep=keep, seed=0)
    assert masks.shape == (count, n)
    assert n_distinct(masks) == count


def test_asking_for_more_than_exist_gives_every_mask_once():
    masks = distinct_masks(5, 100, keep=0.8, seed=1)
    assert masks.shape == (32, 5)
    assert set(mask_codes(masks).tolist()) == set(range(32))


def test_masks_to_avoid_are_never_drawn():
    avoid = all_masks(6)[::3]  # 22 of the 64
    masks = distinct_masks(6, 64, keep=0.9, seed=2, avoid=avoid)
    assert masks.shape == (64 - 22, 6)
    assert not set(mask_codes(masks).tolist()) & set(mask_codes(avoid).tolist())


def test_keep_zero_or_one_leaves_one_possible_mask():
    assert distinct_masks(7, 10, keep=1.0, seed=0).tolist() == [[True] * 7]
    assert distinct_masks(7, 10, keep=0.0, seed=0).tolist() == [[False] * 7]


def test_the_fill_draws_likely_masks_first():
    # At keep 0.95 on 10 parts, 16 rounds of redrawing find few of the unlikely masks, so most
    # of the 1,000 come from the weighted fill: its order must follow the masks' probabilities.
    masks = distinct_masks(10, 1000, keep=0.95, seed=4)
    kept = masks.sum(1)
    assert kept[:100].mean() > kept[-100:].mean() + 2


def test_mask_codes_inverts_all_masks():
    assert mask_codes(all_masks(7)).tolist() == list(range(128))


def test_additive_plus_pays_its_whole_budget_on_a_small_game():
    # 12 parts at keep 0.9: 500 independent draws would repeat the likeliest masks many times;
    # its random masks are distinct from each other and from the 13 single removals.
    game = spexkit.Game(lambda m: (1.0 - 2.0 * m) @ np.linspace(-1, 1, 12) + np.sin(3 * m.sum(1)),
                        n_players=12, keep=0.9)
    res = spexkit.explain(game, method="additive_plus", budget=500, seed=0, progress=False)
    assert res.metadata["queries"] == 500


def test_additive_plus_on_a_game_with_fewer_masks_than_its_budget_pays_each_mask_once():
    game = planted_game(6, n_terms=3, max_degree=2, basis="mobius", seed=0, keep=0.9)
    res = spexkit.explain(game, method="additive_plus", budget=200, seed=0, progress=False)
    assert res.metadata["queries"] == 64


def test_the_fitted_surrogates_keep_independent_draws():
    # proxyspex and lasso fit budget independent draws (docs/design.md section 9): on 12 parts
    # at keep 0.8 those 700 draws are fewer distinct calls, exactly as many as uniform_masks gives.
    game = spexkit.Game(lambda m: (1.0 - 2.0 * m) @ np.linspace(-1, 1, 12) + np.sin(3 * m.sum(1)),
                        n_players=12, keep=0.8)
    distinct = n_distinct(uniform_masks(12, 700, keep=0.8, seed=np.random.default_rng(0)))
    assert distinct < 500
    for method in ("proxyspex", "lasso"):
        res = spexkit.explain(game, method=method, budget=700, seed=0, progress=False)
        assert res.metadata["queries"] == distinct
