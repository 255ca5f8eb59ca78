"""Offline datasets as datasets.Dataset, dataset splits, frames."""

import datasets
import numpy as np
import pandas as pd
import pytest

from lenses.data import load_movie_reviews, load_sklearn_dataset
from lenses.data.sources import split_dataset, to_frame


def test_movie_reviews_sample_is_stratified_clean_and_seeded():
    ds = load_movie_reviews(n=200, seed=3)
    assert isinstance(ds, datasets.Dataset)
    assert ds.num_rows == 200 and ds.column_names == ["text", "label", "source"]
    labels = np.asarray(ds["label"])
    assert labels.sum() == 100  # the full set is balanced, so is the sample
    assert not any("<br" in t for t in ds["text"])
    assert ds["text"] == load_movie_reviews(n=200, seed=3)["text"]
    assert ds["text"] != load_movie_reviews(n=200, seed=4)["text"]


def test_movie_reviews_source_filter_and_bad_arguments():
    rt = load_movie_reviews(n=50, source="rotten_tomatoes")
    assert set(rt["source"]) == {"rotten_tomatoes"}
    with pytest.raises(ValueError, match="unknown source 'imdbb'"):
        load_movie_reviews(n=5, source="imdbb")
    with pytest.raises(ValueError, match="n must lie in"):
        load_movie_reviews(n=0)


@pytest.mark.parametrize("name, rows, classes", [("breast_cancer", 569, 2), ("iris", 150, 3), ("wine", 178, 3)])
def test_sklearn_sets(name, rows, classes):
    ds = load_sklearn_dataset(name)
    assert ds.num_rows == rows
    assert len(ds.features["label"].names) == classes
    with pytest.raises(ValueError, match="unknown scikit-learn dataset"):
        load_sklearn_dataset("titanic")


def test_split_dataset_takes_train_and_test_splits():
    ds = load_sklearn_dataset("iris")
    both = ds.train_test_split(test_size=10, seed=0)
    train, held = split_dataset(both)
    assert train.num_rows == 140 and held.num_rows == 10
    assert split_dataset(ds) == (ds, None)
    with pytest.raises(ValueError, match="no 'train' split"):
        split_dataset(datasets.DatasetDict({"test": ds}))


def test_to_frame_accepts_rows_and_names_missing_columns():
    assert to_frame({"a": 1, "b": "x"}).shape == (1, 2)
    assert to_frame([{"a": 1}, {"a": 2}]).shape == (2, 1)
    assert to_frame(pd.Series({"a": 1})).shape == (1, 1)
    assert to_frame({"a": [1, 2, 3]}).shape == (3, 1)
    with pytest.raises(ValueError, match="has no column 'label'"):
        to_frame({"a": 1}, ["label"], what="the test example")
    with pytest.raises(TypeError, match="must be a datasets.Dataset"):
        to_frame(42)


def test_text_and_numeric_columns_together():
    from lenses.data.encoding import FeatureEncoder

    frame = pd.DataFrame({"text": ["good fun film", "bad dull film", "good cast", "dull plot"] * 5,
                          "stars": [5.0, 1.0, 4.0, 2.0] * 5})
    enc = FeatureEncoder("text", ["stars"], embedding_dim=2).fit(frame)
    X = enc.transform(frame)
    vocab = len(enc.vectorizer_.vocabulary_)
    assert X.shape == (20, vocab + 1) and enc.n_features_ == vocab + 1
    np.testing.assert_allclose(X[:, vocab].toarray().ravel(), enc.scaler_.transform(frame[["stars"]].to_numpy()).ravel())
    assert enc.embed(X).shape == (20, 3)  # 2 LSA dimensions + the scaled column
    with pytest.raises(ValueError, match="must be numeric"):
        FeatureEncoder(feature_columns=["text"]).fit(frame)
    with pytest.raises(ValueError, match="missing or infinite values in rows \\[1\\]"):
        FeatureEncoder(feature_columns=["stars"]).fit(pd.DataFrame({"stars": [1.0, np.nan]}))
    with pytest.raises(RuntimeError, match="not fitted"):
        FeatureEncoder("text").transform(frame)
