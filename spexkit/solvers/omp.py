"""Orthogonal matching pursuit over a candidate pool, with the path length chosen by CV.

Used by ProxySPEX to pick, among the terms its trees propose, the few that explain the
queried values. Everything is incremental: one Gram–Schmidt step per selected column on
the training rows, mirrored on the validation rows, so a whole validation curve costs about
as much as one pass of the path.
"""

from __future__ import annotations

import numpy as np


def omp_path(A: np.ndarray, y: np.ndarray, max_terms: int, A_val: np.ndarray | None = None,
             y_val: np.ndarray | None = None, patience: int | None = None,
             heredity: "Heredity | None" = None) -> tuple[list[int], np.ndarray]:
    """Greedy selection of columns of ``A`` (an intercept is always included).

    Returns the selected column indices in order and, when validation rows are given, the
    validation mean squared error after each step. ``patience``: stop when the validation
    error has not improved for that many steps. ``heredity``: a column becomes eligible only
    once all its prerequisite columns are selected.
    """
    N, P = A.shape
    mu = A.mean(0)
    # Columns as rows, centred and scaled in one pass: scoring and Gram–Schmidt read rows.
    AnT = np.subtract(A.T, mu[:, None], order="C")
    norms = np.sqrt(np.einsum("ij,ij->i", AnT, AnT))
    usable = norms > 1e-9 * max(1.0, norms.max(initial=0.0))
    scale = np.where(usable, norms, 1.0)
    AnT /= scale[:, None]
    AnT[~usable] = 0.0
    ym = y.mean()
    r = y - ym
    kmax = int(min(max_terms, P, N - 1))
    Q = np.zeros((kmax, N))  # orthonormal directions as rows: contiguous products
    validate = A_val is not None
    if validate:
        V = np.zeros((A_val.shape[0], kmax))
        pred_val = np.full(A_val.shape[0], ym)
    selected: list[int] = []
    errors: list[float] = []
    taken = ~usable
    waiting = heredity.initial_waiting() if heredity is not None else None
    # Only eligible columns are scored: under heredity most of a pool waits for a subset, and
    # scoring is the cost of every step. Eligible columns live as rows of one contiguous
    # buffer (a column joins it when heredity releases it), so a step is one product with
    # the eligible block, not with the whole pool.
    eligible = ~taken if waiting is None else ~taken & (waiting <= 0)
    slots = np.zeros(P, dtype=np.int64)
    count = int(eligible.sum())
    slots[:count] = np.flatnonzero(eligible)
    buffer = np.empty((P, N))
    buffer[:count] = AnT[slots[:count]]
    spent = np.zeros(P, dtype=bool)  # slots whose column was taken
    best, best_k = np.inf, 0
    for k in range(kmax):
        if count == 0:
            break
        score = np.abs(buffer[:count] @ r)
        score[spent[:count]] = -1.0
        top = score.max()
        if top <= 0:
            break
        ties = np.flatnonzero(score == top)
        slot = int(ties[np.argmin(slots[ties])])  # ties go to the lowest column, as a full argmax would
        j = int(slots[slot])
        h = Q[:k] @ buffer[slot]
        v = buffer[slot] - Q[:k].T @ h
        h2 = Q[:k] @ v  # re-orthogonalise once for stability
        v -= Q[:k].T @ h2
        h += h2
        nv = np.linalg.norm(v)
        taken[j] = True
        spent[slot] = True
        if waiting is not None:
            for i in heredity.release(waiting, j):
                if not taken[i]:
                    slots[count] = i
                    buffer[count] = AnT[i]
                    count += 1
        if nv < 1e-8:
            continue  # numerically inside the span already
        Q[k] = v / nv
        selected.append(j)
        step = Q[k] @ r
        r = r - Q[k] * step
        if validate:
            column = (A_val[:, j] - mu[j]) / scale[j] if usable[j] else np.zeros(A_val.shape[0])
            V[:, k] = (column - V[:, :k] @ h) / nv
            pred_val = pred_val + V[:, k] * step
            err = float(np.mean((y_val - pred_val) ** 2))
            errors.append(err)
            if err < best:
                best, best_k = err, len(errors)
            elif patience is not None and len(errors) - best_k > patience:
                break
    return selected, np.asarray(errors)


class Heredity:
    """Strong heredity over a pool of terms: a term waits for all its one-smaller subsets.

    The Fourier support of any game is closed under subsets (it is the down-closure of the
    Möbius support, barring exact cancellations), so this prior costs nothing in
    expressiveness and stops matching pursuit from picking isolated high-order noise.
    Prerequisites absent from the pool are not waited for.
    """

    def __init__(self, terms: list[tuple[int, ...]], strength: float = 1.0) -> None:
        where = {t: i for i, t in enumerate(terms)}
        self.strength = strength
        self.count = np.zeros(len(terms), dtype=np.int64)
        self.unlocks: list[list[int]] = [[] for _ in terms]
        for i, t in enumerate(terms):
            if len(t) < 2:
                continue
            for drop in range(len(t)):
                sub = t[:drop] + t[drop + 1 :]
                j = where.get(sub)
                if j is not None:
                    self.count[i] += 1
                    self.unlocks[j].append(i)

    def initial_waiting(self) -> np.ndarray:
        # strength 1: every one-smaller subset first; lower: that fraction of them, at least one.
        need = np.ceil(self.strength * self.count).astype(np.int64)
        return np.where(self.count > 0, np.maximum(need, 1), 0)

    def release(self, waiting: np.ndarray, j: int) -> list[int]:
        """Count ``j`` as chosen; return the terms this makes eligible (their wait reaches 0)."""
        released = []
        for i in self.unlocks[j]:
            waiting[i] -= 1
            if waiting[i] == 0:
                released.append(i)
        return released


def cv_folds(n_samples: int, folds: int, rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, validation) rows of ``folds`` interleaved folds of one permutation drawn from ``rng``.

    :func:`cv_path_length` and ProxySPEX's linear candidate split the same way, so that with the
    same ``rng`` state their cross-validated R² are measured on the same folds.
    """
    order = rng.permutation(n_samples)
    return [(np.setdiff1d(order, order[f::folds], assume_unique=True), order[f::folds]) for f in range(folds)]


def cv_path_length(A: np.ndarray, y: np.ndarray, max_terms: int, folds: int, rng,
                   patience: int = 60, heredity: Heredity | None = None) -> tuple[int, float]:
    """Number of OMP steps that minimises the held-out error averaged over the folds.

    Also returns the cross-validated R² at that length (pooled over folds).
    """
    curves = []
    for train, val in cv_folds(A.shape[0], folds, rng):
        _, err = omp_path(A[train], y[train], max_terms, A[val], y[val], patience=patience,
                          heredity=heredity)
        curves.append(err if err.size else np.array([np.var(y[val])]))
    # The mean validation curve (each fold's curve held flat past its end) is minimised:
    # one noisy fold moves it less than it moves a median of per-fold minima. Every curve
    # has at least one point, so the minimum exists.
    length = max(c.size for c in curves)
    padded = np.array([np.concatenate([c, np.full(length - c.size, c[-1])]) for c in curves])
    mean_curve = padded.mean(0)
    k = int(np.argmin(mean_curve)) + 1
    pooled = float(mean_curve[k - 1])
    var = float(np.var(y))
    return k, (1.0 - pooled / var) if var > 0 else 1.0
