"""Exact Fourier expansion of decision trees on binary features (docs/design.md section 7).

A leaf reached by the conditions m_i = v_i on its path contributes
value · Π_i (1 + (-1)^{v_i} (-1)^{m_i}) / 2, i.e. value · 2^{-depth} · Π_{i in A} (-1)^{v_i}
to the parity term of every subset A of its path. Boosters are read through one small
function per library (:func:`lightgbm_paths`), so another booster only needs its own reader.
"""

from __future__ import annotations

import numpy as np

from . import terms as _terms
from .masks import all_masks


def lightgbm_paths(booster) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every leaf of a LightGBM booster as (value, path features, path values).

    Reads the public model dump. Returns ``values`` (L,), ``features`` (L, D) padded with -1
    and ``sides`` (L, D) holding the bit m_i each condition requires (-1 where padded).
    Leaves whose path needs a feature to be both 0 and 1 are unreachable and dropped; a
    feature tested twice with the same outcome is kept once.
    """
    dump = booster.dump_model()
    leaves: list[tuple[float, list[int], list[int]]] = []
    for tree in dump["tree_info"]:
        stack = [(tree["tree_structure"], [], [])]
        while stack:
            node, feats, sides = stack.pop()
            if "leaf_value" in node:
                leaves.append((float(node["leaf_value"]), feats, sides))
                continue
            if node.get("decision_type", "<=") != "<=":
                raise ValueError(f"unsupported split {node.get('decision_type')!r}: features must be numeric 0/1")
            f, thr = int(node["split_feature"]), float(node["threshold"])
            # Binary features: value v goes left when v <= threshold.
            left_bits = [v for v in (0, 1) if v <= thr]
            right_bits = [v for v in (0, 1) if v > thr]
            for child, bits in ((node["left_child"], left_bits), (node["right_child"], right_bits)):
                if len(bits) == 2:  # the split does not separate 0 from 1
                    stack.append((child, feats, sides))
                elif len(bits) == 1:
                    stack.append((child, feats + [f], sides + [bits[0]]))
    return _pack_paths(leaves)


def _pack_paths(leaves):
    cleaned = []
    for value, feats, sides in leaves:
        seen: dict[int, int] = {}
        reachable = True
        for f, s in zip(feats, sides):
            if seen.setdefault(f, s) != s:
                reachable = False
                break
        if reachable:
            cleaned.append((value, list(seen), list(seen.values())))
    depth = max((len(f) for _, f, _ in cleaned), default=0)
    values = np.array([v for v, _, _ in cleaned], dtype=np.float64)
    features = np.full((len(cleaned), depth), -1, dtype=np.int64)
    sides = np.full((len(cleaned), depth), -1, dtype=np.int64)
    for r, (_, f, s) in enumerate(cleaned):
        features[r, : len(f)] = f
        sides[r, : len(s)] = s
    return values, features, sides


def paths_to_fourier(values: np.ndarray, features: np.ndarray, sides: np.ndarray,
                     n_players: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum of the exact Fourier expansions of all leaves: (padded term matrix, coefficients).

    Vectorised per path depth; the number of terms is at most Σ_leaves 2^depth.
    """
    n = n_players
    depth = (features >= 0).sum(1)
    all_idx, all_coef = [], []
    width = features.shape[1]
    for d in np.unique(depth):
        d = int(d)
        rows = np.flatnonzero(depth == d)
        feats = features[rows, :d]
        sign = np.where(sides[rows, :d] == 1, -1.0, 1.0)  # (-1)^{v_i}
        pats = all_masks(d)  # (2^d, d): every subset of the path's conditions
        idx = np.where(pats[None, :, :], feats[:, None, :], n).reshape(rows.size * pats.shape[0], d)
        factor = np.where(pats[None, :, :], sign[:, None, :], 1.0).prod(axis=2)  # (r, 2^d)
        coef = (values[rows, None] * factor * 0.5**d).reshape(-1)
        idx = np.sort(idx, axis=1)
        out = np.full((idx.shape[0], width), n, dtype=np.int64)
        out[:, :d] = idx
        all_idx.append(out)
        all_coef.append(coef)
    if not all_idx:
        return np.zeros((0, 0), dtype=np.int64), np.zeros(0)
    return _terms.aggregate(np.concatenate(all_idx), np.concatenate(all_coef), n)
