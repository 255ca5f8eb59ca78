"""Presets, user factories, reading values, and the constant model of degenerate subsets."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from lenses.data import TorchMLPClassifier
from lenses.data.learners import build_model, class_log_proba, prior_log_proba, read_value, resolve_model


def _blobs(seed=0, n=90, k=3):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    X = rng.normal(size=(n, 2)) + 3.0 * np.eye(k, 2)[y]
    return X, y


def test_log_proba_covers_every_class_even_unseen_ones():
    X, y = _blobs()
    keep = y != 2
    model = LogisticRegression().fit(X[keep], y[keep])
    lp = class_log_proba(model, X[:3], n_classes=3)
    assert lp.shape == (3, 3) and np.isneginf(lp[:, 2]).all()
    np.testing.assert_allclose(np.exp(lp[:, :2]).sum(axis=1), 1.0)
    # binary: the margin is exactly the decision function (no saturation of probabilities)
    d = model.decision_function(X[:1])[0]
    assert read_value(lp[:1], np.array([1]), "margin", 100.0) == pytest.approx(d)
    assert read_value(lp[:1], np.array([2]), "margin", 10.0) == -10.0  # unseen label: clipped


def test_multiclass_margin_logprob_and_loss():
    lp = np.log(np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]))
    assert read_value(lp[:1], np.array([0]), "margin", 10) == pytest.approx(np.log(0.5 / 0.3))
    assert read_value(lp[:1], np.array([2]), "logprob", 10) == pytest.approx(np.log(0.2))
    assert read_value(lp, np.array([0, 2]), "loss", 10) == pytest.approx(-(np.log(0.5) + np.log(0.8)) / 2)
    assert read_value(np.array([[-np.inf, 0.0]]), np.array([0]), "loss", 7.0) == 7.0
    with pytest.raises(ValueError, match="unknown value 'auc'"):
        read_value(lp, np.array([0, 0]), "auc", 10)


def test_models_without_decision_function_use_probabilities():
    X, y = _blobs()
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    lp = class_log_proba(tree, X[:5], 3)
    assert lp.shape == (5, 3) and np.isfinite(lp.max(axis=1)).all()


def test_prior_is_laplace_smoothed():
    lp = prior_log_proba(np.array([0, 0, 0, 1]), 3, n_rows=2)
    np.testing.assert_allclose(np.exp(lp[0]), [4 / 7, 2 / 7, 1 / 7])
    assert lp.shape == (2, 3)


def test_factories_are_seeded_and_validated():
    spec = resolve_model(lambda: DecisionTreeClassifier(max_depth=2))
    assert spec.input == "matrix" and "DecisionTreeClassifier(max_depth=2)" in spec.name
    assert build_model(spec, seed=5).random_state == 5
    fixed = resolve_model(lambda: DecisionTreeClassifier(random_state=1))
    assert build_model(fixed, seed=5).random_state == 1  # a user's own seed is kept
    with pytest.raises(TypeError, match="unfitted classifier with fit"):
        resolve_model(lambda: "not a model")
    with pytest.raises(TypeError, match="preset name or a callable"):
        resolve_model(3)


def test_torch_mlp_is_deterministic_and_learns():
    X, y = _blobs(n=120)
    a = TorchMLPClassifier(epochs=80, random_state=3).fit(X, y)
    b = TorchMLPClassifier(epochs=80, random_state=3).fit(X, y)
    c = TorchMLPClassifier(epochs=80, random_state=4).fit(X, y)
    assert np.array_equal(a.decision_function(X), b.decision_function(X))
    assert not np.array_equal(a.decision_function(X), c.decision_function(X))
    assert (a.predict(X) == y).mean() > 0.9
    binary = TorchMLPClassifier(epochs=50).fit(X[y < 2], y[y < 2])
    assert binary.decision_function(X).shape == (120,)
    with pytest.raises(ValueError, match="Invalid parameter 'depth'"):
        a.set_params(depth=3)
    from sklearn.base import clone, is_classifier

    copy = clone(a)  # a scikit-learn estimator: cloned unfitted, same parameters
    assert is_classifier(copy) and copy.get_params() == a.get_params() and not hasattr(copy, "classes_")
    assert repr(a) == "TorchMLPClassifier(epochs=80, random_state=3)"
