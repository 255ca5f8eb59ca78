"""Models retrained by the data lens: presets, a small torch MLP, and how outputs are read.

A model is any scikit-learn-style classifier (``fit(X, y)``, ``classes_`` and one of
``decision_function`` / ``predict_log_proba`` / ``predict_proba``). Presets:

- ``"logreg"``: L2 logistic regression (lbfgs, C = 1) on the lens's features (TF-IDF for
  text, standardised columns for tables);
- ``"mlp"``: :class:`TorchMLPClassifier`, one hidden layer, full-batch Adam, on the dense
  embedding (LSA for text).

Every value is read from the model's *log-probabilities over all classes of the training
set* (:func:`class_log_proba`), so a retraining that never saw a class still gives a finite,
comparable number. When the kept rows hold fewer than two classes nothing is fitted: the
value is that of the constant model with the Laplace-smoothed class frequencies of the kept
rows (:func:`prior_log_proba`; with no rows at all, the uniform prior).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin


@dataclass(frozen=True)
class ModelSpec:
    """How to build a fresh model: a factory, the input it takes, and a name for caches."""

    name: str
    factory: Callable[[], object]
    input: str = "matrix"  # "matrix": the lens's features; "embedding": the dense embedding


def _logreg():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=1000)


def _mlp():
    return TorchMLPClassifier()


PRESETS: dict[str, ModelSpec] = {
    "logreg": ModelSpec("logreg", _logreg, "matrix"),
    "mlp": ModelSpec("mlp", _mlp, "embedding"),
}


def resolve_model(model) -> ModelSpec:
    """A :class:`ModelSpec` from a preset name or a factory of unfitted classifiers.

    Examples
    --------
    >>> resolve_model("logreg").name
    'logreg'
    >>> resolve_model("forest")
    Traceback (most recent call last):
    ...
    ValueError: unknown model preset 'forest'; choose one of logreg, mlp, or pass a callable returning an unfitted classifier
    """
    if isinstance(model, str):
        if model not in PRESETS:
            raise ValueError(f"unknown model preset {model!r}; choose one of {', '.join(PRESETS)}, "
                             "or pass a callable returning an unfitted classifier")
        return PRESETS[model]
    if isinstance(model, ModelSpec):
        return model
    if callable(model):
        probe = model()
        if not hasattr(probe, "fit"):
            raise TypeError(f"the model factory must return an unfitted classifier with fit(X, y); "
                            f"it returned {type(probe).__name__}")
        if isinstance(probe, RegressorMixin):  # duck-typed models need no sklearn base class
            raise TypeError(f"the model factory returned a regressor ({type(probe).__name__}); the data lens "
                            "retrains a classifier and reads its class scores: return a classifier, "
                            "e.g. lambda: LogisticRegression()")
        name = f"{getattr(model, '__module__', '?')}.{getattr(model, '__qualname__', type(model).__name__)}:{probe!r}"
        return ModelSpec(name, model, "matrix")
    raise TypeError(f"model must be a preset name or a callable returning an unfitted classifier, got {type(model).__name__}")


def build_model(spec: ModelSpec, seed: int):
    """A fresh, seeded model: ``random_state`` is set when the model has one left at None."""
    est = spec.factory()
    get = getattr(est, "get_params", None)
    if get is not None and "random_state" in get() and get()["random_state"] is None:
        est.set_params(random_state=int(seed))
    return est


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def class_log_proba(model, X, n_classes: int) -> np.ndarray:
    """Log-probabilities (rows of X, n_classes), -inf for classes the model never saw.

    Read from ``decision_function`` when there is one (exact log-odds, no saturation at
    probability 1), else from ``predict_log_proba`` / ``predict_proba``.
    """
    seen = np.asarray(model.classes_).astype(np.int64)
    if hasattr(model, "decision_function"):
        d = np.asarray(model.decision_function(X), dtype=np.float64)
        logits = np.stack([np.zeros_like(d), d], axis=1) if d.ndim == 1 else d
        lp = _log_softmax(logits)
    else:
        with np.errstate(divide="ignore"):  # a probability of 0 is a log-probability of -inf
            if hasattr(model, "predict_log_proba"):
                lp = np.asarray(model.predict_log_proba(X), dtype=np.float64)
            else:
                lp = np.log(np.asarray(model.predict_proba(X), dtype=np.float64))
    out = np.full((lp.shape[0], n_classes), -np.inf)
    out[:, seen] = lp
    return out


def prior_log_proba(y_kept: np.ndarray, n_classes: int, n_rows: int) -> np.ndarray:
    """Log-probabilities of the constant model: (count + 1) / (kept + n_classes) per class.

    Examples
    --------
    >>> np.exp(prior_log_proba(np.array([1, 1, 1]), 2, 1)).round(2).tolist()
    [[0.2, 0.8]]
    >>> np.exp(prior_log_proba(np.array([], dtype=int), 2, 1)).tolist()
    [[0.5, 0.5]]
    """
    counts = np.bincount(np.asarray(y_kept, dtype=np.int64), minlength=n_classes)
    p = (counts + 1.0) / (counts.sum() + n_classes)
    return np.repeat(np.log(p)[None, :], n_rows, axis=0)


VALUES = ("margin", "logprob", "loss")


def read_value(log_proba: np.ndarray, y: np.ndarray, kind: str, clip: float) -> float:
    """One number from log-probabilities of the test rows and their labels.

    ``"margin"``: log p(y) - max over other classes of log p(c) (for a binary linear model,
    the signed log-odds of the true label), clipped to [-clip, clip]; ``"logprob"``:
    log p(y) clipped to [-clip, 0]; ``"loss"``: the mean of -log p(y) over the rows, each
    clipped to [0, clip] (lower is better).

    Examples
    --------
    >>> lp = np.log([[0.2, 0.8]])
    >>> round(read_value(lp, np.array([1]), "margin", 10.0), 4)
    1.3863
    >>> read_value(np.array([[0.0, -np.inf]]), np.array([1]), "margin", 10.0)
    -10.0
    >>> read_value(np.array([[np.nan, np.nan]]), np.array([1]), "margin", 10.0)  # refused by the game
    nan
    """
    if np.isnan(log_proba).any():
        # A diverged retraining (or a user model) predicted NaN: reading it as a number would pass a
        # made-up value to the solver; the game's finiteness check names the mask instead.
        return float("nan")
    rows = np.arange(len(y))
    own = log_proba[rows, y]
    if kind == "margin":
        others = log_proba.copy()
        others[rows, y] = -np.inf
        with np.errstate(invalid="ignore"):
            margin = own - others.max(axis=1)
        return float(np.clip(np.nan_to_num(margin, nan=0.0, posinf=clip, neginf=-clip), -clip, clip)[0])
    if kind == "logprob":
        return float(np.clip(np.nan_to_num(own, neginf=-clip), -clip, 0.0)[0])
    if kind == "loss":
        return float(np.mean(np.clip(np.nan_to_num(-own, posinf=clip), 0.0, clip)))
    raise ValueError(f"unknown value {kind!r}; choose one of {', '.join(VALUES)}")


@contextlib.contextmanager
def single_threaded():
    """One BLAS / OpenMP thread inside the block (torch models limit their own threads).

    Retrainings are small: threads only add overhead (and, on a busy machine, stalls of
    seconds), and one thread keeps every retraining bit-for-bit reproducible whether it runs
    in-process or in a worker.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@contextlib.contextmanager
def torch_threads(n: int):
    """torch's intra-op threads set to ``n`` inside the block, restored after.

    A tiny MLP gains nothing from threads; on a loaded machine OpenMP threads waiting at
    barriers can slow a fit down a hundredfold.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class TorchMLPClassifier(ClassifierMixin, BaseEstimator):
    """A one-hidden-layer MLP classifier in torch, trained full-batch; deterministic.

    Parameters
    ----------
    hidden : int
        Width of the hidden layer (ReLU).
    epochs : int
        Full-batch Adam steps.
    lr : float
        Adam learning rate.
    weight_decay : float
        L2 penalty (Adam's weight decay).
    random_state : int
        Seed of the initial weights; the same seed always gives the same model.
    n_threads : int
        torch threads while fitting and predicting (1: fastest for small models, and
        reproducible bit for bit).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 3)); y = (X[:, 0] > 0).astype(int)
    >>> clf = TorchMLPClassifier(epochs=100, random_state=0).fit(X, y)
    >>> float((clf.predict(X) == y).mean()) > 0.9
    True
    """

    def __init__(self, hidden: int = 32, epochs: int = 150, lr: float = 0.02, weight_decay: float = 1e-3,
                 random_state: int | None = 0, n_threads: int = 1) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X, y) -> TorchMLPClassifier:
        with torch_threads(self.n_threads):
            return self._fit(X, y)

    def _fit(self, X, y) -> TorchMLPClassifier:
        import torch

        X = self._tensor(X)
        y = np.asarray(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        target = torch.as_tensor(codes, dtype=torch.long)
        gen = torch.Generator().manual_seed(int(self.random_state or 0))
        d, h, k = X.shape[1], int(self.hidden), len(self.classes_)
        # Kaiming-uniform initial weights drawn from our own generator: no global RNG state.
        w1 = (torch.rand(d, h, generator=gen) * 2 - 1) * (6.0 / max(d, 1)) ** 0.5
        w2 = (torch.rand(h, k, generator=gen) * 2 - 1) * (6.0 / h) ** 0.5
        params = [w1.requires_grad_(), torch.zeros(h, requires_grad=True),
                  w2.requires_grad_(), torch.zeros(k, requires_grad=True)]
        opt = torch.optim.Adam(params, lr=float(self.lr), weight_decay=float(self.weight_decay))
        with torch.enable_grad():
            for _ in range(int(self.epochs)):
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(self._forward(X, params), target)
                loss.backward()
                opt.step()
        self.params_ = [p.detach() for p in params]
        return self

    @staticmethod
    def _forward(X, params):
        import torch

        w1, b1, w2, b2 = params
        return torch.relu(X @ w1 + b1) @ w2 + b2

    @staticmethod
    def _tensor(X):
        import torch

        if hasattr(X, "toarray"):
            X = X.toarray()
        return torch.as_tensor(np.asarray(X, dtype=np.float32))

    def decision_function(self, X) -> np.ndarray:
        """Logits (binary: the log-odds of ``classes_[1]``)."""
        import torch

        with torch.no_grad(), torch_threads(self.n_threads):
            z = self._forward(self._tensor(X), self.params_).double().numpy()
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

    def predict(self, X) -> np.ndarray:
        z = self.decision_function(X)
        best = (z > 0).astype(int) if z.ndim == 1 else z.argmax(axis=1)
        return self.classes_[best]

