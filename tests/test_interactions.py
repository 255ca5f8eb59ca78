import json

import numpy as np
import pytest

import spexkit
from spexkit import Interactions


@pytest.fixture
def res():
    return Interactions(
        [(), (0,), (2,), (0, 1), (1, 2, 3)],
        [0.5, 2.0, -1.0, 3.0, -0.25],
        n_players=5,
        basis="mobius",
        labels=["a", "b", "c", "d", "e"],
        metadata={"method": "test", "queries": 7},
    )


def test_json_round_trip(res):
    text = res.to_json()
    json.loads(text)  # plain JSON
    back = Interactions.from_json(text)
    assert back == res
    assert back.metadata == res.metadata
    assert back.labels == ["a", "b", "c", "d", "e"]


def test_json_round_trip_of_numpy_metadata(res):
    res.metadata["per_round"] = np.array([3, 1])
    res.metadata["r2"] = np.float64(0.5)
    back = Interactions.from_json(res.to_json())
    assert back.metadata["per_round"] == [3, 1]


def test_from_json_rejects_foreign_text():
    with pytest.raises(ValueError, match="not valid JSON"):
        Interactions.from_json("{oops")
    with pytest.raises(ValueError, match="does not hold"):
        Interactions.from_json(json.dumps({"terms": []}))


def test_top_orders_by_magnitude_and_filters_order(res):
    assert res.top(2) == [((0, 1), 3.0), ((0,), 2.0)]
    assert res.top(5, order=1) == [((0,), 2.0), ((2,), -1.0)]
    assert res.top(1, order=3) == [((1, 2, 3), -0.25)]


def test_predict_is_vectorised_and_checks_masks(res):
    masks = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool)
    np.testing.assert_allclose(res.predict(masks), [5.5, 4.25, 0.5])
    with pytest.raises(ValueError, match="5 columns"):
        res.predict(np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="0/1"):
        res.predict(np.full((1, 5), 2))


def test_repeated_terms_are_summed():
    r = Interactions([(1, 0), (0, 1)], [1.0, 2.0], n_players=2)
    assert r.terms == [(0, 1)]
    assert r.coefficients.tolist() == [3.0]


@pytest.mark.parametrize(
    "terms,coefs,n,match",
    [
        ([(0, 0)], [1.0], 3, "repeats"),
        ([(5,)], [1.0], 3, r"\[0, 2\]"),
        ([(0,)], [1.0, 2.0], 3, "coefficients"),
        ([(0,)], [np.nan], 3, "finite"),
    ],
)
def test_bad_construction(terms, coefs, n, match):
    with pytest.raises(ValueError, match=match):
        Interactions(terms, coefs, n_players=n)


def test_bool_support_and_pandas(res):
    sup = res.support
    assert sup.shape == (5, 5) and sup.sum() == 7
    again = Interactions(sup, res.coefficients, 5, basis="mobius")
    assert again.terms == res.terms
    frame = res.to_pandas()
    assert list(frame.columns) == ["term", "label", "order", "coefficient"]
    assert frame.iloc[0]["label"] == "a × b"
    assert frame.iloc[0]["coefficient"] == 3.0


def test_unknown_basis():
    with pytest.raises(ValueError, match="fourier"):
        Interactions([(0,)], [1.0], 2, basis="haar")


def test_shapley_efficiency_on_planted_game():
    game = spexkit.games.planted_game(40, n_terms=8, max_degree=4, seed=2, basis="mobius")
    full, empty = game.noiseless(np.ones((1, 40), bool))[0], game.noiseless(np.zeros((1, 40), bool))[0]
    assert game.truth.shapley().sum() == pytest.approx(full - empty)
    assert game.truth.to("fourier").shapley().sum() == pytest.approx(full - empty)
