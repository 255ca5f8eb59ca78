import numpy as np
import pytest

import spexkit


def test_game_counts_queries_and_batches():
    calls = []

    def fn(masks):
        calls.append(masks.shape[0])
        return masks.sum(1).astype(float)

    game = spexkit.Game(fn, n_players=4, batch_size=3)
    out = game(np.ones((7, 4), bool))
    np.testing.assert_array_equal(out, np.full(7, 4.0))
    assert calls == [3, 3, 1]
    assert game.n_queries == 7


def test_non_finite_value_names_the_mask():
    def fn(masks):
        out = masks.sum(1).astype(float)
        out[masks[:, 2] == 0] = np.nan
        return out

    game = spexkit.Game(fn, n_players=3)
    masks = np.array([[1, 1, 1], [0, 1, 0]], bool)
    with pytest.raises(ValueError, match=r"non-finite.*mask 1.*removed players: \[0, 2\]"):
        game(masks)


@pytest.mark.parametrize(
    "masks,error,match",
    [
        (np.ones((2, 3), bool), ValueError, "4 columns"),
        (np.ones((2, 4, 1), bool), ValueError, "2-D"),
        (np.array([["a"] * 4]), TypeError, "boolean"),
        (np.full((1, 4), 0.5), ValueError, "0/1"),
    ],
)
def test_bad_masks(masks, error, match):
    game = spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=4)
    with pytest.raises(error, match=match):
        game(masks)


def test_wrong_output_shape():
    game = spexkit.Game(lambda m: np.zeros(m.shape[0] + 1), n_players=2)
    with pytest.raises(ValueError, match="one value per mask"):
        game(np.ones((3, 2), bool))


def test_constructor_validation():
    with pytest.raises(TypeError, match="callable"):
        spexkit.Game(3, n_players=2)
    with pytest.raises(ValueError, match="n_players must be a positive int"):
        spexkit.Game(lambda m: m, n_players=0)
    with pytest.raises(ValueError, match="labels"):
        spexkit.Game(lambda m: m, n_players=2, labels=["a"])
    with pytest.raises(ValueError, match="keep"):
        spexkit.Game(lambda m: m, n_players=2, keep=1.0)


def test_single_mask_and_value_of():
    game = spexkit.Game(lambda m: m[:, 0] * 2.0 + m[:, 1], n_players=2)
    assert game(np.array([True, False])).tolist() == [2.0]
    assert game.value_of(removed=[0]) == 1.0
    with pytest.raises(ValueError, match="removed players"):
        game.value_of(removed=[5])


def test_explain_never_hands_a_game_more_than_its_batch_size():
    sizes = []

    def fn(masks):
        sizes.append(masks.shape[0])
        return masks.sum(1).astype(float)

    game = spexkit.Game(fn, n_players=6, batch_size=5)
    spexkit.explain(game, method="exact", batch_size=1000, progress=False)  # asks for more: capped
    assert max(sizes) == 5 and sum(sizes) == 64
    sizes.clear()
    spexkit.explain(game, method="exact", batch_size=2, progress=False)  # smaller batches are fine
    assert max(sizes) == 2 and sum(sizes) == 64
