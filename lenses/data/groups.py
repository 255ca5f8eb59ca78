"""Players of the data lens: a partition of the training examples into groups.

A grouping is given as

- the name of a column: one group per value (``"source"`` gives ``source=imdb`` ...);
- ``"kmeans"``: ``n_groups`` k-means clusters of the dense embedding (text: LSA);
- ``"examples"``: one group per example (small sets only);
- an int ``k``: consecutive chunks of ``k`` examples in dataset order (the last may be
  smaller; ``1`` is the same as ``"examples"``);
- an array of one group key per example, or a list of lists of row indices.

Every example must fall in exactly one group and no group may be empty: a partition that
breaks either rule is refused with the offending rows named.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd

from spexkit.validation import check_positive_int


@dataclass(frozen=True)
class Groups:
    """A validated partition of ``n_rows`` examples.

    Attributes
    ----------
    ids : int array (n_rows,), the group of each example (0 .. n_groups - 1).
    labels : one short name per group.

    Examples
    --------
    >>> g = Groups.from_ids([0, 1, 1, 0], ["a", "b"])
    >>> g.n_groups, g.sizes.tolist(), g.members(1).tolist()
    (2, [2, 2], [1, 2])
    >>> Groups.from_ids([0, 0, 2], ["a", "b", "c"])
    Traceback (most recent call last):
    ...
    ValueError: group 1 ('b') is empty; every group needs at least one example
    """

    ids: np.ndarray
    labels: tuple[str, ...]

    @classmethod
    def from_ids(cls, ids, labels) -> Groups:
        ids = np.asarray(ids)
        if ids.ndim != 1 or ids.size == 0:
            raise ValueError("a grouping needs one group id per example (a non-empty 1-D array)")
        if ids.dtype.kind not in "iu":
            raise TypeError(f"group ids must be integers, got dtype {ids.dtype}")
        labels = tuple(str(label) for label in labels)
        k = len(labels)
        bad = np.flatnonzero((ids < 0) | (ids >= k))
        if bad.size:
            raise ValueError(f"examples {bad[:10].tolist()} are in no group (ids must lie in [0, {k - 1}])")
        sizes = np.bincount(ids, minlength=k)
        empty = np.flatnonzero(sizes == 0)
        if empty.size:
            raise ValueError(f"group {int(empty[0])} ({labels[empty[0]]!r}) is empty; every group needs at least one example")
        if len(set(labels)) != k:
            raise ValueError("group labels must be distinct")
        return cls(ids.astype(np.int64), labels)

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    @property
    def sizes(self) -> np.ndarray:
        return np.bincount(self.ids, minlength=self.n_groups)

    def members(self, group: int) -> np.ndarray:
        """Row indices of one group."""
        return np.flatnonzero(self.ids == int(group))


def from_column(values: pd.Series, column: str) -> Groups:
    """One group per distinct value of a column (sorted), labelled ``column=value``."""
    if values.isna().any():
        rows = np.flatnonzero(values.isna().to_numpy())[:10].tolist()
        raise ValueError(f"group column {column!r} has missing values in rows {rows}; fill them or group otherwise")
    codes, uniques = pd.factorize(values, sort=True)
    return Groups.from_ids(codes, [f"{column}={u}" for u in uniques])


def from_chunks(n_rows: int, size: int) -> Groups:
    """Consecutive chunks of ``size`` examples, labelled by their row ranges."""
    size = check_positive_int(size, "the chunk size")
    ids = np.arange(n_rows) // size
    k = int(ids[-1]) + 1
    if size == 1:
        return Groups.from_ids(ids, [f"#{i}" for i in range(n_rows)])
    labels = [f"rows {g * size}-{min((g + 1) * size, n_rows) - 1}" for g in range(k)]
    return Groups.from_ids(ids, labels)


def from_kmeans(embedding: np.ndarray, n_groups: int, seed: int) -> Groups:
    """``n_groups`` k-means clusters (k-means++, 3 restarts, seeded), labelled ``k00``..."""
    n_rows = embedding.shape[0]
    n_groups = check_positive_int(n_groups, "n_groups")
    if n_groups > n_rows:
        raise ValueError(f"n_groups={n_groups} is more than the {n_rows} training examples")
    distinct = np.unique(embedding, axis=0).shape[0]
    if n_groups > distinct:  # k-means would return fewer clusters, silently (scikit-learn only warns)
        raise ValueError(f"n_groups={n_groups} is more than the {distinct} distinct training examples "
                         f"({n_rows} rows, some identical): ask for at most {distinct} groups")
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=int(n_groups), n_init=3, random_state=seed).fit(embedding)
    ids = np.asarray(km.labels_, dtype=np.int64)
    # Number clusters by their first example, so labels follow dataset order.
    _, first = np.unique(ids, return_index=True)
    order = np.argsort(first, kind="stable")
    relabel = np.empty(order.size, dtype=np.int64)
    relabel[np.unique(ids)[order]] = np.arange(order.size)
    ids = relabel[ids]
    width = len(str(max(n_groups - 1, 1)))
    return Groups.from_ids(ids, [f"k{g:0{width}d}" for g in range(order.size)])


def from_explicit(spec, n_rows: int) -> Groups:
    """Group keys per example, or a list of lists of row indices (a partition)."""
    items = list(spec)
    if items and all(isinstance(g, (list, tuple, np.ndarray, range)) for g in items):
        ids = np.full(n_rows, -1, dtype=np.int64)
        for g, rows in enumerate(items):
            rows = np.asarray(list(rows), dtype=np.int64)
            if rows.size == 0:
                raise ValueError(f"group {g} is empty; every group needs at least one example")
            if rows.min() < 0 or rows.max() >= n_rows:
                raise ValueError(f"group {g} names rows outside [0, {n_rows - 1}]")
            taken = rows[ids[rows] >= 0]
            if taken.size or np.unique(rows).size != rows.size:
                dup = taken[:5].tolist() if taken.size else rows[np.unique(rows, return_counts=True)[1] > 1][:5].tolist()
                raise ValueError(f"rows {dup} are in more than one group; every example must be in exactly one")
            ids[rows] = g
        missing = np.flatnonzero(ids < 0)
        if missing.size:
            raise ValueError(f"rows {missing[:10].tolist()} are in no group; every example must be in exactly one")
        return Groups.from_ids(ids, [f"g{g}" for g in range(len(items))])
    keys = pd.Series(items)
    if len(keys) != n_rows:
        raise ValueError(f"an explicit grouping needs one group key per training example ({n_rows}), got {len(keys)}")
    if keys.isna().any():
        raise ValueError(f"examples {np.flatnonzero(keys.isna().to_numpy())[:10].tolist()} have no group key")
    codes, uniques = pd.factorize(keys, sort=True)
    return Groups.from_ids(codes, [str(u) for u in uniques])


def make_groups(spec, frame: pd.DataFrame, embedding_fn, n_groups: int, seed: int) -> Groups:
    """Build the partition described by ``spec`` (see the module docstring).

    ``embedding_fn`` is called only for ``"kmeans"`` (the embedding can be costly).
    """
    n_rows = len(frame)
    if isinstance(spec, str):
        if spec == "kmeans":
            return from_kmeans(embedding_fn(), n_groups, seed)
        if spec == "examples":
            return from_chunks(n_rows, 1)
        if spec in frame.columns:
            return from_column(frame[spec], spec)
        raise ValueError(f"groups={spec!r} is neither a column of the dataset nor 'kmeans' or 'examples' "
                         f"(columns: {', '.join(map(str, frame.columns))})")
    if isinstance(spec, (Integral, np.integer)) and not isinstance(spec, bool):
        return from_chunks(n_rows, int(spec))
    if isinstance(spec, (list, tuple, np.ndarray, pd.Series)):
        return from_explicit(spec, n_rows)
    raise TypeError(f"groups must be a column name, 'kmeans', 'examples', an int chunk size, or one key per "
                    f"example; got {type(spec).__name__}")
