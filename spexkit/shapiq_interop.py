"""shapiq interop: :class:`~spexkit.Interactions` to and from ``shapiq.InteractionValues``, and
``shapiq.Game`` objects as spexkit games.

shapiq is optional (``pip install "spexkit[shapiq]"``: shapiq 1.4.1 on Python 3.11, the newest
shapiq on 3.12 and later). It is imported only inside the functions that need it, so
``import spexkit`` never loads it.

What crosses over, and how:

- :meth:`Interactions.to_shapiq <spexkit.Interactions.to_shapiq>` computes the index exactly from
  the Möbius coefficients (docs/design.md section 4) and hands the numbers to shapiq, which keeps
  its plots (``iv.plot_force()``, ``shapiq.network_plot(iv)``, ``shapiq.upset_plot(iv)``...).
  The empty set and ``baseline_value`` follow shapiq's own ``ExactComputer``: ``baseline_value``
  is the value of the empty coalition f(∅) (for FBII the index of ∅), the entry ``()`` holds the
  index of the empty set (f(∅) for Moebius, SV, k-SII, STII and FSII). ``estimated`` is False
  only for ``method="exact"`` results, and ``estimation_budget`` is the queries the run paid for.
- :meth:`Interactions.from_shapiq <spexkit.Interactions.from_shapiq>` reads a Moebius
  ``InteractionValues`` back as a Möbius expansion (it can be evaluated, converted and ranked),
  and SII, BII, STII, FSII and FBII values as an ``Interactions`` in that index's basis.
- :func:`game_from_shapiq` wraps a ``shapiq.Game`` (imputers included) into a
  :class:`spexkit.Game`; :func:`spexkit.explain` does it by itself when given a shapiq game.

Examples
--------
>>> import pytest; shapiq = pytest.importorskip("shapiq")
>>> import spexkit
>>> game = spexkit.Game(lambda m: 2.0 * (m[:, 0] & m[:, 1]) + m[:, 2], n_players=3)
>>> res = spexkit.explain(game, method="exact")
>>> iv = res.to_shapiq("SII", order=2)
>>> iv.index, iv[(0, 1)], iv[(0,)], iv[(2,)]
('SII', 2.0, 1.0, 1.0)
>>> spexkit.Interactions.from_shapiq(res.to_shapiq("Moebius")).top(2)
[((0, 1), 2.0), ((2,), 1.0)]
"""

from __future__ import annotations

import sys
from math import comb
from typing import Any, Sequence

import numpy as np

from . import indices as _indices
from . import terms as _terms

#: shapiq index name -> spexkit index kind (``Interactions.interaction_index``).
INDEX_KINDS = {
    "SII": "shapley_interaction",
    "BII": "banzhaf_interaction",
    "STII": "shapley_taylor",
    "FSII": "faith_shapley",
    "FBII": "faith_banzhaf",
}

#: Indices :meth:`Interactions.to_shapiq <spexkit.Interactions.to_shapiq>` computes exactly.
TO_SHAPIQ_INDICES = ("Moebius", "SV", "BV", "SII", "BII", "k-SII", "STII", "FSII", "FBII")

#: Indices :meth:`Interactions.from_shapiq <spexkit.Interactions.from_shapiq>` reads.
FROM_SHAPIQ_INDICES = ("Moebius", "SII", "BII", "STII", "FSII", "FBII")

#: ``dense=True`` refuses to list more interactions than this.
MAX_DENSE_INTERACTIONS = 2_000_000

_INSTALL_HINT = (
    'pip install "spexkit[shapiq]" (shapiq 1.4.1 on Python 3.11, the newest shapiq on 3.12 and later)'
)


def require_shapiq():
    """Import and return shapiq, or raise an ImportError that says how to install it."""
    try:
        import shapiq
    except ImportError as exc:
        raise ImportError(f"this needs shapiq, which is not installed: {_INSTALL_HINT}") from exc
    return shapiq


def _index_name(index: str) -> str:
    """The shapiq name of ``index``; spexkit's kind names are accepted too."""
    ours = {kind: name for name, kind in INDEX_KINDS.items()}
    name = ours.get(index, index)
    if name not in TO_SHAPIQ_INDICES:
        raise ValueError(
            f"to_shapiq() cannot compute the index {index!r} exactly; choose one of "
            f"{', '.join(TO_SHAPIQ_INDICES)} (or spexkit's names {', '.join(INDEX_KINDS.values())})"
        )
    return name


def _check_order(order, what: str) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"{what}: order must be a positive int, got {order!r}")
    return int(order)


def _k_sii(idx: np.ndarray, coef: np.ndarray, n: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """k-SII (Bordt & von Luxburg, 2023) from Möbius (idx, coef), exactly as shapiq aggregates it:
    SII up to ``order``, then every SII(S) spread over each non-empty T ⊆ S with the Bernoulli
    number B_{|S|-|T|} (B_1 = -1/2). The empty set is left out (it is f(∅))."""
    from scipy.special import bernoulli

    sidx, scoef = _indices.interaction_index(idx, coef, n, "shapley_interaction", order)
    parent, child, pdeg, cdeg = _terms.expand_subsets(sidx, n, max_size=order)
    bern = np.asarray(bernoulli(order), dtype=np.float64)
    nonempty = cdeg > 0
    parent, child, pdeg, cdeg = parent[nonempty], child[nonempty], pdeg[nonempty], cdeg[nonempty]
    out_idx, out_coef = _terms.aggregate(child, bern[pdeg - cdeg] * scoef[parent], n)
    keep = out_coef != 0.0
    return out_idx[keep], out_coef[keep]


def _powerset_order(n: int, max_order: int):
    """Every subset of at most ``max_order`` players, by size then lexicographically (shapiq's order)."""
    from itertools import combinations

    for size in range(max_order + 1):
        yield from combinations(range(n), size)


def to_shapiq(res, index: str = "SII", order: int | None = None, *, dense: bool = False):
    """``shapiq.InteractionValues`` of ``res`` (a Fourier or Möbius expansion); see
    :meth:`spexkit.Interactions.to_shapiq`."""
    shapiq = require_shapiq()
    res._require_expansion("to_shapiq")
    name = _index_name(index)
    n = res.n_players
    idx, coef = res._mobius()
    deg = _terms.degrees(idx, n)
    empty_rows = np.flatnonzero(deg == 0)
    a_empty = float(coef[empty_rows].sum()) if empty_rows.size else 0.0  # f(∅)

    baseline = a_empty
    if name == "Moebius":
        top = int(deg.max(initial=0))
        if order is None:
            max_order = max(top, 1)
        else:
            max_order = _check_order(order, "to_shapiq('Moebius')")
            if max_order < top:
                raise ValueError(
                    f"this Möbius expansion has terms of degree up to {top}; a Moebius "
                    f"InteractionValues of order {max_order} would not be the game. Pass order=None "
                    f"(or >= {top}), or select orders afterwards with iv.get_n_order(...)"
                )
        tidx, tcoef = idx, coef
        empty_value = a_empty
    elif name in ("SV", "BV"):
        if order is not None and _check_order(order, f"to_shapiq({name!r})") != 1:
            raise ValueError(f"{name} is a per-player value (order 1), got order={order!r}")
        max_order = 1
        values = (_indices.shapley_values if name == "SV" else _indices.banzhaf_values)(idx, coef, n)
        tidx = np.arange(n, dtype=np.int64)[:, None]
        tcoef = values
        if name == "SV":
            empty_value = a_empty
        else:  # shapiq's ExactComputer keeps BII(∅), the mean of f over all coalitions
            empty_value = float(np.sum(coef * 0.5 ** deg))
    else:
        max_order = 2 if order is None else _check_order(order, f"to_shapiq({name!r})")
        if name == "k-SII":
            tidx, tcoef = _k_sii(idx, coef, n, max_order)
            empty_value = a_empty
        else:
            tidx, tcoef = _indices.interaction_index(idx, coef, n, INDEX_KINDS[name], max_order)
            tdeg = _terms.degrees(tidx, n)
            own_empty = float(tcoef[tdeg == 0].sum())
            empty_value = own_empty if name in ("SII", "BII", "FBII") else a_empty
            if name == "FBII":
                baseline = own_empty  # as shapiq's ExactComputer: FBII's baseline is its ∅ value

    found = {t: float(c) for t, c in zip(_terms.to_tuples(tidx, n), tcoef) if len(t) > 0}
    if dense:
        total = sum(comb(n, k) for k in range(max_order + 1))
        if total > MAX_DENSE_INTERACTIONS:
            raise ValueError(
                f"dense=True would list {total} interactions (n_players={n}, order={max_order}); "
                f"the limit is {MAX_DENSE_INTERACTIONS}. Use dense=False (only non-zero terms)"
            )
        keys = _powerset_order(n, max_order)
    else:
        # The empty set, every player (plots per player need them) and the non-zero terms.
        keys = [()] + [(i,) for i in range(n)] + sorted((t for t in found if len(t) > 1), key=lambda t: (len(t), t))
    interactions = {t: (empty_value if not t else found.get(t, 0.0)) for t in keys}

    queries = res.metadata.get("queries")
    return shapiq.InteractionValues(
        interactions,
        index=name,
        max_order=max_order,
        min_order=0,
        n_players=n,
        estimated=res.metadata.get("method") != "exact",
        estimation_budget=None if queries is None else int(queries),
        baseline_value=float(baseline),
    )


def from_shapiq(iv, labels: Sequence[str] | None = None, cls=None):
    """An :class:`~spexkit.Interactions` from a ``shapiq.InteractionValues``; see
    :meth:`spexkit.Interactions.from_shapiq`."""
    if cls is None:
        from .interactions import Interactions as cls
    missing = [a for a in ("index", "n_players", "interactions", "baseline_value", "max_order") if not hasattr(iv, a)]
    if missing:
        raise TypeError(
            f"from_shapiq() needs a shapiq.InteractionValues, got {type(iv).__name__} "
            f"(no {', '.join(missing)})"
        )
    index = iv.index
    if index not in FROM_SHAPIQ_INDICES:
        hint = ""
        if index in ("SV", "BV"):
            hint = (
                f"; {index} values are one number per player, not interactions: read them with "
                "iv.get_n_order_values(1)"
            )
        raise ValueError(
            f"from_shapiq() reads the indices {', '.join(FROM_SHAPIQ_INDICES)}; got {index!r}{hint}"
        )
    values = dict(iv.interactions)
    if index == "Moebius" and () not in values:
        values[()] = float(iv.baseline_value)  # shapiq keeps a(∅) = f(∅) as the baseline
    terms = [tuple(int(i) for i in t) for t, v in values.items() if float(v) != 0.0]
    coefs = [float(v) for v in values.values() if float(v) != 0.0]
    meta: dict[str, Any] = {
        "method": "shapiq",
        "shapiq_index": index,
        "estimated": bool(getattr(iv, "estimated", True)),
        "baseline_value": float(iv.baseline_value),
    }
    budget = getattr(iv, "estimation_budget", None)
    if budget is not None:
        meta["queries"] = int(budget)
    if index == "Moebius":
        basis = "mobius"
    else:
        basis = INDEX_KINDS[index]
        meta["index_order"] = int(iv.max_order)
    return cls(terms, coefs, int(iv.n_players), basis=basis, labels=labels, metadata=meta)


# ----------------------------------------------------------------------------- games
def is_shapiq_game(obj) -> bool:
    """True when ``obj`` is a ``shapiq.Game`` (an imputer, a benchmark game...).

    Never imports shapiq: a shapiq game can only exist once shapiq has been imported.
    """
    shapiq = sys.modules.get("shapiq")
    game_cls = getattr(shapiq, "Game", None)
    return isinstance(game_cls, type) and isinstance(obj, game_cls)


def game_from_shapiq(
    game,
    labels: Sequence[str] | None = None,
    keep: float = 0.5,
    *,
    batch_size: int | None = None,
    fingerprint: str | None = None,
):
    """A :class:`spexkit.Game` that asks a ``shapiq.Game`` for its values.

    shapiq games take coalitions as bool arrays ``(batch, n_players)`` with True = the player is
    in the coalition, which is spexkit's mask (True = kept), so masks pass through unchanged.
    Values are what ``game(coalitions)`` returns: shapiq's normalised values (``normalize=True``
    subtracts ``game.normalization_value``, usually making f(∅) = 0) or its stored values when
    the game is precomputed, the same numbers shapiq's ``ExactComputer`` and approximators see.

    ``labels`` default to the shapiq game's player names when it has them. A shapiq game has no
    identity that is stable across processes, so caching its values on disk
    (``explain(..., cache=...)``) needs a ``fingerprint``.
    """
    from .game import Game

    if not is_shapiq_game(game):
        raise TypeError(f"game_from_shapiq() needs a shapiq.Game, got {type(game).__name__}")
    n = int(game.n_players)
    if labels is None:
        lookup = getattr(game, "player_name_lookup", None) or {}
        if len(lookup) == n and sorted(lookup.values()) == list(range(n)):
            labels = [name for name, _ in sorted(lookup.items(), key=lambda kv: kv[1])]

    def values(masks: np.ndarray) -> np.ndarray:  # a closure: no identity shared between games
        return np.asarray(game(np.asarray(masks, dtype=bool)), dtype=np.float64).reshape(-1)

    return Game(
        values,
        n,
        labels=labels,
        keep=keep,
        batch_size=batch_size,
        fingerprint=fingerprint,
        info={"shapiq_game": type(game).__name__},
    )
