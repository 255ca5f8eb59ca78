"""Matching pursuit's fast path (eligible-column buffer, incremental Gram–Schmidt) against a
plain reference that refits by least squares and rescores every column at every step."""

import numpy as np
import pytest

from spexkit import terms as _terms
from spexkit.solvers.omp import Heredity, omp_path


def reference_omp(A, y, steps, A_val, y_val, pool_terms=None, strength=0.0):
    """Textbook OMP with heredity: every step a fresh least-squares fit and a full rescoring."""
    mu = A.mean(0)
    Ac = A - mu
    An = Ac / np.linalg.norm(Ac, axis=0)
    need = None
    if pool_terms is not None:
        where = {t: i for i, t in enumerate(pool_terms)}
        subsets = [[where[t[:d] + t[d + 1:]] for d in range(len(t)) if t[:d] + t[d + 1:] in where]
                   if len(t) > 1 else [] for t in pool_terms]
        need = [max(int(np.ceil(strength * len(s))), 1) if s else 0 for s in subsets]
    chosen, errors = [], []
    for _ in range(steps):
        design = np.hstack([np.ones((A.shape[0], 1)), An[:, chosen]])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        score = np.abs(An.T @ (y - design @ coef))
        score[chosen] = -1.0
        if need is not None:
            done = set(chosen)
            for i, s in enumerate(subsets):
                if sum(j in done for j in s) < need[i]:
                    score[i] = -1.0
        j = int(np.argmax(score))
        if score[j] <= 0:
            break
        chosen.append(j)
        design = np.hstack([np.ones((A.shape[0], 1)), An[:, chosen]])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        val_design = np.hstack([np.ones((A_val.shape[0], 1)), (A_val - mu) / np.linalg.norm(Ac, axis=0)])
        errors.append(float(np.mean((y_val - val_design[:, [0] + [c + 1 for c in chosen]] @ coef) ** 2)))
    return chosen, np.asarray(errors)


def _case(seed, n=12, N=120, degree=3):
    rng = np.random.default_rng(seed)
    pool = [t for t in _terms.to_tuples(_terms.as_term_matrix(
        [tuple(sorted(rng.choice(n, size=rng.integers(1, degree + 1), replace=False))) for _ in range(60)], n), n)]
    pool = sorted({s for t in pool for d in range(1, len(t) + 1)
                   for s in __import__("itertools").combinations(t, d)}, key=lambda t: (len(t), t))
    masks = rng.random((N + 40, n)) < 0.5
    X = 1.0 - 2.0 * np.stack([masks[:, list(t)].sum(1) % 2 for t in pool], axis=1)
    truth = X[:, :4] @ np.array([2.0, -1.5, 1.0, 0.7]) + X[:, -3:] @ np.array([1.2, -0.8, 0.5])
    y = truth + 0.3 * rng.normal(size=N + 40)
    return pool, X[:N], y[:N], X[N:], y[N:]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("strength", [None, 0.0, 1.0])
def test_fast_matching_pursuit_equals_the_textbook_one(seed, strength):
    pool, A, y, A_val, y_val = _case(seed)
    heredity = None if strength is None else Heredity(pool, strength)
    fast, fast_err = omp_path(A, y, 25, A_val, y_val, heredity=heredity)
    slow, slow_err = reference_omp(A, y, 25, A_val, y_val, None if strength is None else pool, strength or 0.0)
    assert fast == slow
    assert np.allclose(fast_err, slow_err, rtol=1e-9, atol=1e-12)
    if strength is not None:  # heredity held: every chosen term of degree >= 2 has a chosen subset
        chosen = {pool[j] for j in fast}
        for t in chosen:
            if len(t) > 1:
                assert any(t[:d] + t[d + 1:] in chosen for d in range(len(t)))


def test_heredity_release_names_the_terms_it_unlocks():
    h = Heredity([(0,), (1,), (0, 1), (0, 2)], strength=1.0)
    waiting = h.initial_waiting()
    assert waiting.tolist() == [0, 0, 2, 1]
    assert h.release(waiting, 0) == [3]  # (0, 2): its only subset in the pool is (0,)
    assert h.release(waiting, 1) == [2]
