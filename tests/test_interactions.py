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


def test_from_json_takes_the_parsed_dict_and_names_other_types(res):
    assert Interactions.from_json(json.loads(res.to_json())) == res
    for bad in (None, 3, ["terms"]):
        with pytest.raises(TypeError, match="from_json takes the text that to_json\\(\\) wrote"):
            Interactions.from_json(bad)


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
        ([(3,)], [1.0], 3, r"\(3,\) has a player outside \[0, 2\]"),  # n itself is the padding value
        ([(0, 3)], [1.0], 3, r"outside \[0, 2\]"),
        ([(-1,)], [1.0], 3, r"outside \[0, 2\]"),
        ([(0,)], [1.0, 2.0], 3, "coefficients"),
        ([(0,)], [np.nan], 3, "finite"),
    ],
)
def test_bad_construction(terms, coefs, n, match):
    with pytest.raises(ValueError, match=match):
        Interactions(terms, coefs, n_players=n)


@pytest.mark.parametrize("terms, coefs, match", [
    ([(0.9,)], [1.0], r"\(0.9,\): player indices must be ints, got float"),  # not read as player 0
    ([(True,)], [1.0], "got bool"),
    ([("1",)], [1.0], "got str"),
    (np.array([[0.5, 1.7]]), [1.0], "got a float64 array"),
    ([1.5], [1.0], "got float 1.5"),
    (None, [], "got NoneType"),
    ([(0,)], [1 + 2j], "real numbers, got an array of complex"),
    ([(0,)], [None], "real numbers, got an array of object"),
])
def test_terms_and_coefficients_of_the_wrong_type_are_refused_not_converted(terms, coefs, match):
    with pytest.raises(TypeError, match=match):
        Interactions(terms, coefs, n_players=3)


def test_coefficients_are_one_number_per_term():
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        Interactions([(0,), (1,)], [[1.0, 2.0], [3.0, 4.0]], n_players=3)
    column = Interactions([(0,), (1,)], [[1.0], [3.0]], n_players=3)  # one column is one number per term
    assert column.coefficients.tolist() == [1.0, 3.0]


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
    game = spexkit.planted.planted_game(40, n_terms=8, max_degree=4, seed=2, basis="mobius")
    full, empty = game.noiseless(np.ones((1, 40), bool))[0], game.noiseless(np.zeros((1, 40), bool))[0]
    assert game.truth.shapley().sum() == pytest.approx(full - empty)
    assert game.truth.to("fourier").shapley().sum() == pytest.approx(full - empty)


# ----------------------------------------------------------------- repeated labels (issue 16)
REVIEW_START = ["what", "i", "like", "about", "men", "and", "what", "is", "about"]


@pytest.fixture
def repeated():
    return Interactions([(0,), (3, 4), (4, 8), (0, 6), (1, 2)], [1.0, 2.0, -3.0, 0.5, 0.1], n_players=9,
                        basis="mobius", labels=REVIEW_START, metadata={"method": "test"})


def test_unique_labels_suffixes_only_repeated_names():
    from spexkit.interactions import unique_labels

    assert unique_labels(REVIEW_START) == ["what (0)", "i", "like", "about (3)", "men", "and", "what (6)", "is",
                                           "about (8)"]
    assert unique_labels(["L0H0", "L0H1", "L1H0"]) == ["L0H0", "L0H1", "L1H0"]
    assert unique_labels([]) == []
    twice = unique_labels(unique_labels(REVIEW_START))
    assert twice == unique_labels(REVIEW_START)  # already unique: unchanged


def test_unique_labels_never_collides_with_another_players_name():
    from spexkit.interactions import unique_labels

    names = unique_labels(["a", "a", "a (1)", "b"])  # "a" at index 1 would become "a (1)"
    assert len(set(names)) == 4
    assert names[0] == "a (0)" and names[3] == "b"


def test_repeated_labels_are_told_apart_in_every_name(repeated):
    assert repeated.labels == REVIEW_START  # the raw words are kept
    shown = repeated.display_labels
    assert len(set(shown)) == 9
    assert shown[3] == "about (3)" and shown[8] == "about (8)" and shown[4] == "men"
    assert repeated.label((3, 4)) == "about (3) × men"
    assert repeated.label((4, 8)) == "men × about (8)"
    assert repeated.label((1, 2)) == "i × like"  # unique words are left alone
    assert repeated.label(()) == "∅"
    frame = repeated.to_pandas()
    assert frame["label"].tolist()[:3] == ["men × about (8)", "about (3) × men", "what (0)"]
    assert frame["label"].is_unique
    # conversions and indices keep the labels, so their names tell the words apart too
    assert repeated.to("fourier").label((0, 6)) == "what (0) × what (6)"
    assert repeated.interaction_index("shapley_interaction").display_labels == shown


def test_json_keeps_raw_labels_and_adds_display_labels(repeated):
    payload = json.loads(repeated.to_json())
    assert payload["labels"] == REVIEW_START
    assert payload["display_labels"] == repeated.display_labels
    back = Interactions.from_json(repeated.to_json())
    assert back == repeated and back.labels == REVIEW_START
    del payload["display_labels"]  # a file written before display labels existed
    assert Interactions.from_json(json.dumps(payload)) == repeated


def test_mean_of_predicts_the_mean_and_refuses_mixed_models():
    from spexkit.interactions import mean_of

    rng = np.random.default_rng(0)
    models = [Interactions([(), (0,), (1, 2)], rng.normal(size=3), n_players=4, basis="fourier"),
              Interactions([(1,), (1, 2), (0, 3)], rng.normal(size=3), n_players=4, basis="fourier")]
    masks = rng.random((20, 4)) < 0.5
    avg = mean_of(models, labels=["a", "b", "c", "d"])
    np.testing.assert_allclose(avg.predict(masks), (models[0].predict(masks) + models[1].predict(masks)) / 2)
    assert len(avg) == 5 and avg.labels == ["a", "b", "c", "d"] and avg.basis == "fourier"
    with pytest.raises(ValueError, match="at least one"):
        mean_of([])
    with pytest.raises(ValueError, match="same players in one basis"):
        mean_of([models[0], models[0].to("mobius")])
    with pytest.raises(ValueError, match="same players in one basis"):
        mean_of([models[0], Interactions([(0,)], [1.0], n_players=5)])
