"""ProxySPEX step 5: matching pursuit over a pool's parity features, then least squares."""

from __future__ import annotations

import numpy as np

from ... import terms as _terms
from ...masks import parity
from ..omp import Heredity, cv_path_length, omp_path

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
