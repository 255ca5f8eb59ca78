"""DataLens end to end: determinism, degenerate subsets, caching, parallel engines, errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.naive_bayes import MultinomialNB

import spexkit
from lenses.data import DataLens, load_sklearn_dataset


def test_registered_as_the_data_lens():
    from spexkit.lens import Lens

    assert spexkit.available_lenses()["data"] is DataLens
    assert issubclass(DataLens, Lens) and DataLens.name == "data"


def test_game_has_group_players_and_a_stable_fingerprint(planted_lens, planted):
    _, test, _ = planted
    game = planted_lens.game(test)
    assert game.n_players == 16 and game.labels == list(planted_lens.groups_.labels)
    assert game.fingerprint == planted_lens.game(test).fingerprint
    other = dict(test, z0=test["z0"] + 1.0)
    assert game.fingerprint != planted_lens.game(other).fingerprint
    logprob = DataLens(planted_lens.dataset, groups="source", value="logprob").game(test)
    assert logprob.fingerprint != game.fingerprint


def test_retraining_is_deterministic(planted, planted_lens):
    ds, test, _ = planted
    masks = np.random.default_rng(0).random((6, 16)) < 0.5
    first = planted_lens.game(test)(masks)
    again = planted_lens.game(test)(masks[::-1])[::-1]  # order and batching do not matter
    fresh = DataLens(ds, groups="source").game(test)(masks)  # a new lens, features recomputed
    assert np.array_equal(first, again) and np.array_equal(first, fresh)


def test_mlp_preset_is_deterministic(small_planted):
    ds, test, _ = small_planted
    lens = DataLens(ds, model="mlp", groups="source")
    masks = np.array([[True] * 8, [False, True] * 4])
    a = lens.game(test)(masks)
    b = DataLens(ds, model="mlp", groups="source").game(test)(masks)
    assert np.array_equal(a, b) and np.isfinite(a).all()


def test_degenerate_subsets_give_the_documented_constant_model(planted_lens, planted):
    _, test, _ = planted
    game = planted_lens.game(test)
    assert game.value_of(removed=range(16)) == 0.0  # nothing left: uniform prior, margin 0
    # one example per group: keep five positive examples only (a single class)
    lens = DataLens(planted_lens.dataset, groups="examples")
    single = lens.game(test)
    mask = np.zeros((1, single.n_players), bool)
    mask[0, np.flatnonzero(lens.y_ == 1)[:5]] = True
    # Laplace-smoothed frequencies (5 + 1) / 7 and (0 + 1) / 7: margin log 6
    assert single(mask)[0] == pytest.approx(np.log(6.0))
    mask[0, np.flatnonzero(lens.y_ == 0)[:1]] = True  # add one negative: a real fit again
    assert single(mask)[0] != pytest.approx(np.log(6.0))


def test_values_are_clipped(small_planted):
    ds, test, _ = small_planted
    lens = DataLens(ds, groups="source", clip=0.5)
    values = lens.game(test)(np.random.default_rng(0).random((20, 8)) < 0.5)
    assert np.abs(values).max() <= 0.5 and np.isin(np.abs(values), [0.5]).any()


def test_text_lens_on_movie_reviews(reviews_lens, reviews):
    assert reviews_lens.encoder_.is_text and reviews_lens.X_.shape[0] == 380
    tests = reviews_lens.test_examples(3)
    assert len(tests) == 3 and set(tests[0]) == {"label", "text"}
    game = reviews_lens.game(tests[0])
    values = game(np.array([[True] * 8, [False] * 8]))
    assert values[1] == 0.0 and values[0] != 0.0
    with pytest.raises(ValueError, match="is training row 0"):
        reviews_lens.game(reviews["train"][0])


def test_loss_on_a_test_set(reviews_lens, reviews):
    lens = DataLens(reviews, groups="kmeans", n_groups=8, value="loss")
    game = lens.game(reviews["test"])
    full, empty = game(np.array([[True] * 8, [False] * 8]))
    assert empty == pytest.approx(np.log(2))  # uniform prior: log 2 per example
    assert 0 < full < empty  # a trained model beats the prior on held-out reviews
    with pytest.raises(ValueError, match="reads one test example; got 20 rows"):
        reviews_lens.game(reviews["test"])


def test_custom_factory_on_text(reviews):
    lens = DataLens(reviews, model=lambda: MultinomialNB(alpha=0.5), groups=50)
    game = lens.game(lens.test_examples(1)[0])
    assert game.n_players == 8 and "MultinomialNB(alpha=0.5)" in game.fingerprint
    assert np.isfinite(game(np.random.default_rng(0).random((4, 8)) < 0.5)).all()


def test_tables_pick_numeric_columns_and_multiclass_labels():
    iris = load_sklearn_dataset("iris").train_test_split(test_size=6, seed=1)
    lens = DataLens(iris, groups="kmeans", n_groups=6).load()
    assert lens.feature_columns_ == ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
    assert lens.class_names_ == ["setosa", "versicolor", "virginica"]
    game = lens.game(lens.test_examples()[0])
    assert np.isfinite(game(np.random.default_rng(0).random((8, 6)) < 0.5)).all()
    # One column named by a string is that column (it used to be read as its characters).
    one = DataLens(iris, feature_columns="petal length (cm)", groups="kmeans", n_groups=6).load()
    assert one.feature_columns_ == ["petal length (cm)"]


def test_pandas_frames_and_string_labels():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    frame["kind"] = np.where(frame["a"] > 0, "up", "down")
    lens = DataLens(frame, label_column="kind", groups=10)
    game = lens.game({"a": 2.0, "b": 0.0, "kind": "up"})
    assert lens.classes_ == ["down", "up"] and game.value_of() > 0
    with pytest.raises(ValueError, match="test label 'sideways' is not a class"):
        lens.game({"a": 2.0, "b": 0.0, "kind": "sideways"})


def test_explicit_group_keys_and_row_lists(small_planted):
    ds, test, _ = small_planted
    keys = np.asarray(ds["source"])
    by_keys = DataLens(ds, groups=keys).game(test)
    by_column = DataLens(ds, groups="source").game(test)
    assert by_keys.labels == [s.split("=")[1] for s in by_column.labels]
    masks = np.random.default_rng(0).random((4, 8)) < 0.5
    assert np.array_equal(by_keys(masks), by_column(masks))
    rows = [np.flatnonzero(keys == k) for k in sorted(set(keys))]
    assert np.array_equal(DataLens(ds, groups=rows).game(test)(masks), by_column(masks))


def test_a_hub_name_goes_through_load_dataset(monkeypatch):
    """Online users pass a name; here load_dataset is replaced by a local DatasetDict."""
    import datasets

    local = load_sklearn_dataset("iris").train_test_split(test_size=5, seed=0)
    asked = []
    monkeypatch.setattr(datasets, "load_dataset", lambda name: asked.append(name) or local)
    lens = DataLens("someone/iris", groups=15, value="logprob").load()
    assert asked == ["someone/iris"] and lens.X_.shape == (145, 4) and len(lens.test_examples()) == 5
    example = lens.test_examples()[0]
    value = lens.game(example).value_of()
    # The same number read off the model retrained on everything, outside the game:
    model = lens.retrain([])
    own = model.predict_log_proba(lens.encoder_.transform(pd.DataFrame([example])))[0]
    assert value == pytest.approx(max(own[lens.classes_.index(example["label"])], -10.0), abs=1e-9)


def test_bad_input_fails_clearly(planted, planted_lens):
    ds, test, _ = planted
    with pytest.raises(ValueError, match="no label column 'target'.*pass label_column"):
        DataLens(ds, label_column="target").load()
    with pytest.raises(ValueError, match="is training row 5"):
        planted_lens.game(ds[5])
    with pytest.raises(ValueError, match="the test example has no column 'x_dup'"):
        planted_lens.game({k: v for k, v in test.items() if k != "x_dup"})
    with pytest.raises(ValueError, match="unknown model preset 'svm'"):
        DataLens(ds, model="svm").load()
    with pytest.raises(ValueError, match="unknown value 'accuracy'"):
        DataLens(ds, value="accuracy").load()
    with pytest.raises(ValueError, match="clip must be a positive"):
        DataLens(ds, clip=0).load()
    with pytest.raises(TypeError, match="clip must be a positive finite number, got str 'x'"):
        DataLens(ds, clip="x").load()
    with pytest.raises(ValueError, match="neither a column"):
        DataLens(ds, groups="sources").load()
    with pytest.raises(ValueError, match="single class"):
        DataLens(pd.DataFrame({"x": [1.0, 2.0], "label": [1, 1]})).load()
    with pytest.raises(ValueError, match="no numeric feature column"):
        DataLens(pd.DataFrame({"words": ["a", "b"], "label": [0, 1]}), groups=1).load()
    with pytest.raises(ValueError, match="removed groups must lie in"):
        planted_lens.retrain(removed=[16])
    with pytest.raises(TypeError, match=r"removed groups must be a list of indices, got int 3"):
        planted_lens.retrain(removed=3)
    with pytest.raises(ValueError, match="DataLens needs an int seed"):
        DataLens(ds, seed=None).load()
    with pytest.raises(TypeError, match="seed must be .* got float 1.7"):
        DataLens(ds, seed=1.7).load()  # used to be cut to 1 silently
    with pytest.raises(TypeError, match=r"returned a regressor \(LinearRegression\)"):
        DataLens(ds, model=lambda: LinearRegression()).load()
    with pytest.raises(TypeError, match="DataLens takes a Hugging Face datasets.Dataset .* got list"):
        DataLens([{"x": 1.0, "label": 0}, {"x": 2.0, "label": 1}]).load()
    with pytest.raises(ValueError, match="the dataset has no rows \\(columns: text, label\\)"):
        DataLens(pd.DataFrame({"text": pd.Series([], dtype=object), "label": pd.Series([], dtype=int)})).load()
    with pytest.raises(ValueError, match="has missing values in rows \\[1\\]"):
        DataLens(pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": [0, None, 1]})).load()
    for bad in (16, -1, 2.0, "0"):
        with pytest.raises(ValueError, match=f"unknown group {bad!r}: the players are 0 .. 15"):
            planted_lens.group_examples(bad)
    with pytest.raises(ValueError, match="k must be a positive int, got -2"):
        planted_lens.group_examples(0, k=-2)


def test_retrain_gives_the_model_the_value_comes_from(planted_lens, planted):
    _, test, _ = planted
    model = planted_lens.retrain(removed=[0])
    x = planted_lens.encoder_.transform(pd.DataFrame([test]))
    assert model.decision_function(x)[0] == pytest.approx(planted_lens.evaluate(planted_lens.game(test), [0]))


def test_cache_makes_a_rerun_free(tmp_path, small_planted):
    ds, test, _ = small_planted
    game = DataLens(ds, groups="source").game(test)
    path = str(tmp_path / "retrain.sqlite")
    first = spexkit.explain(game, method="exact", cache=path, progress=False)
    again = spexkit.explain(DataLens(ds, groups="source").game(test), method="exact", cache=path, progress=False)
    assert first.metadata["queries"] == 256 and again.metadata["queries"] == 0
    assert again == first


def test_loky_workers_match_in_process(small_planted):
    ds, test, _ = small_planted
    game = DataLens(ds, groups="source").game(test, batch_size=4)
    masks = np.random.default_rng(2).random((24, 8)) < 0.5
    from spexkit.execution import Evaluator

    serial = Evaluator(game, progress=False)(masks)
    parallel = Evaluator(game, progress=False, n_jobs=2, backend="loky")(masks)
    assert np.array_equal(serial, parallel)


def test_dask_two_worker_cluster(small_planted):
    import distributed

    ds, test, _ = small_planted
    game = DataLens(ds, groups="source").game(test, batch_size=16)
    serial = spexkit.explain(game, method="exact", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        on_dask = spexkit.explain(game, method="exact", backend="dask", n_jobs=2, progress=False)
    assert on_dask.metadata["queries"] == 256
    np.testing.assert_allclose(on_dask.coefficients, serial.coefficients, atol=1e-9)


class _NaNClassifier:
    """A classifier whose retrainings diverge: every predicted probability is NaN."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), np.nan)


def test_a_model_predicting_nan_is_refused_not_read_as_a_number(planted):
    from spexkit.validation import NonFiniteValueError

    ds, test, _ = planted
    game = DataLens(ds, model=_NaNClassifier, groups="source").game(test)
    with pytest.raises(NonFiniteValueError, match=r"non-finite value \(nan\) for mask 0 of the batch"):
        game(np.ones((2, game.n_players), dtype=bool))
