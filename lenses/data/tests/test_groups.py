"""Group bookkeeping: every example in exactly one group, no empty group, visible sizes."""

import numpy as np
import pandas as pd
import pytest

from lenses.data import DataLens, Groups, load_sklearn_dataset
from lenses.data.groups import from_chunks, from_explicit, from_kmeans, make_groups


def _check_partition(groups: Groups, n_rows: int):
    assert groups.ids.shape == (n_rows,)
    covered = np.concatenate([groups.members(g) for g in range(groups.n_groups)])
    assert np.array_equal(np.sort(covered), np.arange(n_rows))  # each row once, none missing
    assert (groups.sizes > 0).all() and groups.sizes.sum() == n_rows
    assert len(set(groups.labels)) == groups.n_groups


@pytest.mark.parametrize("spec", ["kmeans", "source", 7, "examples"])
def test_every_example_in_exactly_one_group(spec):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"source": rng.choice(["a", "b", "c"], size=50)})
    emb = rng.normal(size=(50, 3))
    groups = make_groups(spec, frame, lambda: emb, n_groups=6, seed=0)
    _check_partition(groups, 50)
    expected = {"kmeans": 6, "source": 3, 7: 8, "examples": 50}[spec]
    assert groups.n_groups == expected


def test_kmeans_is_seeded_and_numbered_in_dataset_order():
    emb = np.random.default_rng(1).normal(size=(60, 4))
    a, b = from_kmeans(emb, 5, seed=0), from_kmeans(emb, 5, seed=0)
    assert np.array_equal(a.ids, b.ids)
    _, first = np.unique(a.ids, return_index=True)
    assert np.all(np.diff(first) > 0)  # group 0 holds row 0, group 1 the next new cluster, ...
    with pytest.raises(ValueError, match="more than the 60 training examples"):
        from_kmeans(emb, 61, seed=0)
    with pytest.raises(ValueError, match="more than the 6 distinct training examples \\(60 rows, some identical\\)"):
        from_kmeans(np.repeat(emb[:6], 10, axis=0), 20, seed=0)  # duplicates: k-means would give 6 groups
    assert np.unique(from_kmeans(np.repeat(emb[:6], 10, axis=0), 6, seed=0).ids).size == 6


def test_chunks_and_labels():
    g = from_chunks(10, 4)
    assert g.labels == ("rows 0-3", "rows 4-7", "rows 8-9") and g.sizes.tolist() == [4, 4, 2]
    with pytest.raises(ValueError, match="positive int"):
        from_chunks(10, 0)


def test_explicit_partitions_are_checked():
    _check_partition(from_explicit([[0, 2], [1, 3]], 4), 4)
    _check_partition(from_explicit(["x", "y", "x"], 3), 3)
    with pytest.raises(ValueError, match="group 1 is empty"):
        from_explicit([[0, 1], []], 2)
    with pytest.raises(ValueError, match=r"rows \[1\] are in more than one group"):
        from_explicit([[0, 1], [1, 2]], 3)
    with pytest.raises(ValueError, match=r"rows \[2\] are in no group"):
        from_explicit([[0], [1]], 3)
    with pytest.raises(ValueError, match="one group key per training example"):
        from_explicit(["x", "y"], 3)
    with pytest.raises(ValueError, match="is empty"):
        Groups.from_ids(np.array([0, 2]), ["a", "b", "c"])


def test_bad_grouping_specs_fail_clearly():
    frame = pd.DataFrame({"source": ["a", None, "b"]})
    with pytest.raises(ValueError, match="neither a column"):
        make_groups("cluster", frame, None, 2, 0)
    with pytest.raises(ValueError, match="missing values in rows \\[1\\]"):
        make_groups("source", frame, None, 2, 0)
    with pytest.raises(TypeError, match="groups must be"):
        make_groups(2.5, frame, None, 2, 0)


def test_lens_shows_groups_and_their_sizes():
    lens = DataLens(load_sklearn_dataset("wine"), groups="kmeans", n_groups=5).load()
    table = lens.group_table()
    assert list(table.columns[:3]) == ["player", "group", "size"]
    assert table["size"].sum() == 178 and (table["size"] > 0).all()
    assert (table[["class_0", "class_1", "class_2"]].sum(axis=1) == table["size"]).all()
    rows = lens.group_examples(0, k=3)
    assert len(rows) == 3 and set(lens.groups_.ids[rows.index]) == {0}


def test_text_clusters_are_labelled_by_their_words(reviews_lens):
    labels = reviews_lens.groups_.labels
    assert len(labels) == 8 and all(label.startswith("k") for label in labels)
    assert sum(":" in label for label in labels) >= 6  # most clusters have distinctive words
