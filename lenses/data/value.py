"""The data lens's value function: retrain without the removed groups, read one number.

:class:`RetrainValue` is a plain module-level class holding only arrays (the precomputed
features, the group of every row, the test rows) and a model spec, so that joblib's loky
workers and Dask workers receive it by pickling; large arrays travel as memory maps.
"""

from __future__ import annotations

import numpy as np

from .learners import ModelSpec, build_model, class_log_proba, prior_log_proba, read_value, single_threaded


class RetrainValue:
    """``masks (batch, n_groups) -> values (batch,)``: one retraining per mask.

    Parameters
    ----------
    X : training features (sparse CSR or dense), computed once.
    y : int array of class codes (0 .. n_classes - 1), one per training row.
    group_ids : int array, the group (player) of every training row.
    X_test, y_test : the test row(s) and their class codes.
    spec : :class:`~lenses.data.learners.ModelSpec`
    n_classes : int
    value : ``"margin"``, ``"logprob"`` or ``"loss"`` (see :func:`~lenses.data.learners.read_value`).
    clip : float, bound on the magnitude of every value.
    seed : int, the same for every retraining (common random numbers: differences between
        masks come from the data alone, not from the initialisation).

    Examples
    --------
    >>> from lenses.data.learners import resolve_model
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]]); y = np.array([0, 0, 1, 1])
    >>> fn = RetrainValue(X, y, np.array([0, 0, 1, 1]), np.array([[1.0]]), np.array([1]),
    ...                   resolve_model("logreg"), n_classes=2)
    >>> v = fn(np.array([[True, True], [True, False], [False, False]]))
    >>> bool(v[0] > 0), round(float(v[1]), 4), float(v[2])
    (True, -1.0986, 0.0)
    """

    def __init__(self, X, y, group_ids, X_test, y_test, spec: ModelSpec, n_classes: int, *,
                 value: str = "margin", clip: float = 10.0, seed: int = 0) -> None:
        self.X = X
        self.y = np.asarray(y, dtype=np.int64)
        self.group_ids = np.asarray(group_ids, dtype=np.int64)
        self.X_test = X_test
        self.y_test = np.asarray(y_test, dtype=np.int64)
        self.spec = spec
        self.n_classes = int(n_classes)
        self.value = value
        self.clip = float(clip)
        self.seed = int(seed)

    def rows(self, mask: np.ndarray) -> np.ndarray:
        """Training rows whose group is kept by ``mask``."""
        return np.flatnonzero(np.asarray(mask, dtype=bool)[self.group_ids])

    def fit(self, mask: np.ndarray):
        """The model retrained on the kept rows, or None when they hold fewer than two classes."""
        rows = self.rows(mask)
        y = self.y[rows]
        if np.unique(y).size < 2:
            return None
        model = build_model(self.spec, self.seed)
        model.fit(self.X[rows], y)
        return model

    def log_proba(self, mask: np.ndarray) -> np.ndarray:
        """Log-probabilities of the test rows under the model retrained with ``mask``."""
        model = self.fit(mask)
        if model is None:
            return prior_log_proba(self.y[self.rows(mask)], self.n_classes, len(self.y_test))
        return class_log_proba(model, self.X_test, self.n_classes)

    def __call__(self, masks) -> np.ndarray:
        masks = np.asarray(masks, dtype=bool)
        out = np.empty(masks.shape[0], dtype=np.float64)
        with single_threaded():
            for i, mask in enumerate(masks):
                out[i] = read_value(self.log_proba(mask), self.y_test, self.value, self.clip)
        return out
