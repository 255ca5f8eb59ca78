"""Shapley / Banzhaf values and interaction indices from sparse Möbius coefficients.

Every index here is a linear map of the Möbius coefficients a(S) (docs/design.md section 4), so
it is computed exactly from a sparse expansion without sampling: each term S spreads its
coefficient over its subsets T with a weight that depends only on ``|S|``, ``|T|`` and the order.
"""

from __future__ import annotations

import numpy as np
from scipy.special import comb

from . import terms as _terms

INDEX_KINDS = (
    "shapley_interaction",
    "banzhaf_interaction",
    "shapley_taylor",
    "faith_shapley",
    "faith_banzhaf",
)


def _per_player(idx: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Sum weights[r] over every player of term r."""
    flat = idx.ravel()
    w = np.repeat(weights, idx.shape[1])
    real = flat < n
    return np.bincount(flat[real], weights=w[real], minlength=n).astype(np.float64)


def shapley_values(idx: np.ndarray, coef: np.ndarray, n: int) -> np.ndarray:
    """``phi_i = sum_{S containing i} a(S) / |S|``."""
    deg = _terms.degrees(idx, n)
    w = np.where(deg > 0, coef / np.maximum(deg, 1), 0.0)
    return _per_player(idx, w, n)


def banzhaf_values(idx: np.ndarray, coef: np.ndarray, n: int) -> np.ndarray:
    """``beta_i = sum_{S containing i} a(S) / 2^{|S|-1}``."""
    deg = _terms.degrees(idx, n)
    w = np.where(deg > 0, coef * 0.5 ** (deg - 1.0), 0.0)
    return _per_player(idx, w, n)


def _weights(kind: str, p: np.ndarray, c: np.ndarray, order: int) -> np.ndarray:
    """Weight of a(S) in the index of T, for ``|S| = p``, ``|T| = c``, T a subset of S, c <= order."""
    p = p.astype(np.float64)
    c = c.astype(np.float64)
    if kind == "shapley_interaction":
        return 1.0 / (p - c + 1.0)
    if kind == "banzhaf_interaction":
        return 0.5 ** (p - c)
    own = (p == c).astype(np.float64)  # a term already inside the order-l space keeps itself
    if kind == "shapley_taylor":
        # Terms above the order are shared equally among their order-l subsets.
        top = np.where((c == order) & (p >= order), 1.0 / comb(p, order), 0.0)
        return np.where(c < order, own, np.where(p > order, top, own))
    high = p > order
    sign = (-1.0) ** (order - c)
    if kind == "faith_banzhaf":
        # Tsai, Yeh & Ravikumar (2023), Faith-Banzhaf closed form in the Möbius basis.
        proj = sign * 0.5 ** (p - c) * comb(p - c - 1.0, order - c)
    elif kind == "faith_shapley":
        # Tsai, Yeh & Ravikumar (2023), Faith-Shapley closed form in the Möbius basis.
        proj = (
            sign
            * (c / (order + c))
            * comb(order, c)
            * comb(p - 1.0, order)
            / comb(p + order - 1.0, order + c)
        )
    else:  # pragma: no cover - guarded by interaction_index
        raise ValueError(kind)
    return np.where(high, proj, own)


def interaction_index(
    idx: np.ndarray, coef: np.ndarray, n: int, kind: str, order: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sparse interaction index of every T with ``|T| <= order``, from Möbius (idx, coef).

    kinds: ``shapley_interaction`` (SII), ``banzhaf_interaction`` (BII), ``shapley_taylor``
    (STII of order ``order``), ``faith_shapley`` and ``faith_banzhaf`` (of order ``order``).
    """
    if kind not in INDEX_KINDS:
        raise ValueError(f"unknown interaction index {kind!r}; choose one of {', '.join(INDEX_KINDS)}")
    if isinstance(order, bool) or not isinstance(order, (int, float, np.integer)) or int(order) != order or order < 1:
        raise ValueError(f"order must be a positive int, got {order!r}")
    order = int(order)
    parent, child, pdeg, cdeg = _terms.expand_subsets(idx, n, max_size=order)
    # Branches not selected by np.where may divide by zero; their values are discarded.
    with np.errstate(divide="ignore", invalid="ignore"):
        w = _weights(kind, pdeg, cdeg, order) * coef[parent]
    out_idx, out_coef = _terms.aggregate(child, w, n)
    keep = out_coef != 0.0
    return out_idx[keep], out_coef[keep]
