"""Shared, session-scoped data for the data lens tests (built once: retraining is the cost)."""

import pytest

from lenses.data import DataLens, load_movie_reviews, planted_dataset


@pytest.fixture(scope="session")
def planted():
    """The planted dataset (12 background groups + 4 special ones), its test row, its truth."""
    return planted_dataset(n_background=12, seed=0)


@pytest.fixture(scope="session")
def planted_lens(planted):
    ds, _, _ = planted
    return DataLens(ds, model="logreg", groups="source").load()


@pytest.fixture(scope="session")
def small_planted():
    """4 background groups: 8 players, small enough for exact transforms (256 retrainings)."""
    return planted_dataset(n_background=4, seed=0)


@pytest.fixture(scope="session")
def reviews():
    """400 offline movie reviews split 380 / 20, class-stratified."""
    return load_movie_reviews(n=400, seed=0).train_test_split(test_size=20, seed=0, stratify_by_column="label")


@pytest.fixture(scope="session")
def reviews_lens(reviews):
    return DataLens(reviews, model="logreg", groups="kmeans", n_groups=8).load()
