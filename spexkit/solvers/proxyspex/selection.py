"""ProxySPEX step 5: matching pursuit over a pool's parity features, then least squares."""

from __future__ import annotations

import numpy as np

from ... import terms as _terms
from ...masks import parity
from ..omp import Heredity, cv_folds, cv_path_length, omp_path

HEREDITY_STRENGTH = {"weak": 0.0, "strong": 1.0}


def parity_features(masks: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Fourier features χ_k(m) = (-1)^{<m, k>} for every mask and term: (N, K) float64."""
    return 1.0 - 2.0 * parity(masks, idx)


def select_columns(X: np.ndarray, values: np.ndarray, cap: int, folds: int, rng,
                   heredity: Heredity | None = None):
    """Matching pursuit over the columns of X (path length by CV), then least squares.

    Returns the chosen columns, the least-squares solution (intercept first), the
    cross-validated R² and the design matrix (a column of ones, then the chosen columns).
    """
    k, cv_r2 = cv_path_length(X, values, cap, folds, rng, heredity=heredity)
    chosen, _ = omp_path(X, values, k, heredity=heredity)
    design = np.hstack([np.ones((X.shape[0], 1)), X[:, chosen]])
    sol, *_ = np.linalg.lstsq(design, values, rcond=None)
    return chosen, sol, float(cv_r2), design


def select_terms(masks, values, pool_idx, n, cap, folds, rng, hierarchy):
    """:func:`select_columns` over the pool's parity features, with heredity over its terms."""
    heredity = Heredity(_terms.to_tuples(pool_idx, n), HEREDITY_STRENGTH[hierarchy]) if hierarchy else None
    return select_columns(parity_features(masks, pool_idx), values, cap, folds, rng, heredity)


#: Up to this many parts the linear candidate is a LASSO path; above, matching pursuit (the
#: LASSO's coordinate descent costs seconds at n = 1000, matching pursuit a tenth of one).
LASSO_MAX_PARTS = 200


def linear_fit(masks: np.ndarray, values: np.ndarray, folds: int, rng, cap: int | None = None):
    """The sparse linear model over the single parts' parity features, sparsity by CV.

    A LASSO path (penalty by cross-validation) up to :data:`LASSO_MAX_PARTS` parts; above,
    :func:`select_columns` (at most ``cap`` parts). Uses the folds :func:`select_columns`
    uses for the same ``rng``, so the linear and the interaction models' cross-validated R²
    compare on equal terms. Returns the parts kept, the coefficients (intercept first), the
    cross-validated R² and the design matrix (ones, then the kept parts' features), like
    :func:`select_columns`.

    >>> rng = np.random.default_rng(0)
    >>> masks = rng.random((200, 10)) < 0.5
    >>> values = 3.0 * masks[:, 2] - 2.0 * masks[:, 7] + 0.1 * rng.normal(size=200)
    >>> chosen, coef, cv_r2, _ = linear_fit(masks, values, 4, np.random.default_rng(0))
    >>> sorted(chosen[np.argsort(-np.abs(coef[1:]))[:2]].tolist()), round(cv_r2, 2)
    ([2, 7], 1.0)
    """
    from sklearn.linear_model import LassoCV

    X = parity_features(masks, np.arange(masks.shape[1])[:, None])
    if X.shape[1] > LASSO_MAX_PARTS:
        chosen, sol, cv_r2, design = select_columns(X, values, cap or X.shape[0] // 2, folds, rng)
        return np.asarray(chosen, dtype=np.int64), sol, cv_r2, design
    splits = cv_folds(X.shape[0], folds, rng)
    model = LassoCV(cv=splits, alphas=30, max_iter=5000).fit(X, values)
    var = float(np.var(values))
    cv_r2 = 1.0 - float(model.mse_path_.mean(axis=1).min()) / var if var > 0 else 1.0
    chosen = np.flatnonzero(model.coef_)
    design = np.hstack([np.ones((X.shape[0], 1)), X[:, chosen]])
    return chosen, np.concatenate([[model.intercept_], model.coef_[chosen]]), cv_r2, design


#: The pairs candidate is fitted while its design (samples x (n + n(n-1)/2) columns) has at most
#: this many entries (80 MB in float64): up to about 140 parts at 1,000 samples.
PAIRS_MAX_ENTRIES = 10_000_000


def pairs_pool(n: int) -> np.ndarray:
    """Every single part and every pair of parts as a term matrix, shape (n(n+1)/2, 2).

    >>> pairs_pool(3).tolist()
    [[0, 3], [1, 3], [2, 3], [0, 1], [0, 2], [1, 2]]
    """
    singles = np.stack([np.arange(n), np.full(n, n)], axis=1)
    i, j = np.triu_indices(n, k=1)
    return np.concatenate([singles, np.stack([i, j], axis=1)]).astype(np.int64)


def pairs_fit_fits(n_samples: int, n: int) -> bool:
    """Whether :func:`pairs_fit`'s design stays within :data:`PAIRS_MAX_ENTRIES`."""
    return n_samples * (n * (n + 1) // 2) <= PAIRS_MAX_ENTRIES


def pairs_fit(masks: np.ndarray, values: np.ndarray, folds: int, rng, cap: int | None = None):
    """Matching pursuit over every single part and every pair, without heredity.

    The trees' pool misses pairs whose parts do nothing alone (a parity of two parts splits
    no tree on its own), and heredity would bar them too; here every pair is a column.
    Returns the terms kept (rows of :func:`pairs_pool`), then like :func:`select_columns`.

    >>> rng = np.random.default_rng(0)
    >>> masks = rng.random((200, 10)) < 0.5
    >>> values = 2.0 * (masks[:, 1] ^ masks[:, 4]) + 0.05 * rng.normal(size=200)
    >>> idx, coef, cv_r2, _ = pairs_fit(masks, values, 4, np.random.default_rng(0))
    >>> idx[np.argmax(np.abs(coef[1:]))].tolist(), round(cv_r2, 2)
    ([1, 4], 1.0)
    """
    pool = pairs_pool(masks.shape[1])
    chosen, sol, cv_r2, design = select_columns(parity_features(masks, pool), values,
                                                cap or masks.shape[0] // 2, folds, rng)
    return pool[np.asarray(chosen, dtype=np.int64)], sol, cv_r2, design
