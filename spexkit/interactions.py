"""The one result type: a sparse expansion of a game over subsets of players."""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import numpy as np

from . import indices as _indices
from . import terms as _terms
from . import transforms as _transforms
from .validation import (check_labels, check_masks, check_n_players, check_non_negative_int, check_players,
                         check_positive_int, first_non_finite)

EXPANSION_BASES = ("fourier", "mobius")
_JSON_FORMAT = "spexkit.interactions"
_JSON_VERSION = 1


class Interactions:
    """A sparse set of interaction terms with float64 coefficients.

    Parameters
    ----------
    terms : iterable of tuples of player indices, bool array (s, n_players), or padded
        index array (s, D) with ``n_players`` as padding. The empty tuple is the constant.
    coefficients : array-like of shape (s,)
    n_players : int
    basis : ``"fourier"``, ``"mobius"``, or the name of an interaction index
        (see :data:`spexkit.indices.INDEX_KINDS`; such results can be ranked but not evaluated).
    labels : one name per player (default "0", "1", ...), kept exactly as given; where names
        repeat (the same word twice in a prompt), :attr:`display_labels` tells them apart.
    metadata : JSON-serialisable dict (method, queries, seed, timings, ...).

    Repeated terms are summed; terms are kept in lexicographic order of their indices.

    Examples
    --------
    >>> res = Interactions([(), (0,), (0, 1)], [1.0, 2.0, -0.5], n_players=3, basis="mobius")
    >>> res.predict([[True, True, False]])
    array([2.5])
    >>> res.shapley().tolist()
    [1.75, -0.25, 0.0]
    >>> res.top(1)
    [((0,), 2.0)]
    """

    def __init__(
        self,
        terms,
        coefficients,
        n_players: int,
        basis: str = "fourier",
        labels: Sequence[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        n = check_n_players(n_players)
        valid = EXPANSION_BASES + _indices.INDEX_KINDS
        if basis not in valid:
            raise ValueError(f"unknown basis {basis!r}; choose one of {', '.join(valid)}")
        idx = _terms.as_term_matrix(terms, n)
        raw = np.asarray(coefficients)
        if raw.dtype.kind not in "biuf":  # complex parts, None or text would be cut or read as NaN
            raise TypeError(f"coefficients must be real numbers, got an array of {raw.dtype}")
        if raw.ndim > 1 and raw.size != raw.shape[0]:
            raise ValueError(f"coefficients must be one number per term (shape (s,)), got shape {raw.shape}")
        coef = raw.astype(np.float64).reshape(-1)
        if coef.shape[0] != idx.shape[0]:
            raise ValueError(f"got {idx.shape[0]} terms but {coef.shape[0]} coefficients")
        bad = first_non_finite(coef)
        if bad is not None:
            raise ValueError(f"coefficients must be finite; coefficient {bad} is {coef[bad]}")
        self._idx, self.coefficients = _terms.aggregate(idx, coef, n)
        self.n_players = n
        self.basis = basis
        self.labels = check_labels(labels, n)
        if metadata is not None and not isinstance(metadata, Mapping):
            raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
        self.metadata: dict[str, Any] = dict(metadata or {})

    @property
    def display_labels(self) -> list[str]:
        """The player names as shown in tables, plots and :meth:`label`: :attr:`labels`, with
        every name that occurs more than once suffixed by its player index (see
        :func:`unique_labels`), so that two players never look the same.

        >>> Interactions([(1, 3)], [1.0], 4, labels=["the", "film", "and", "the"]).display_labels
        ['the (0)', 'film', 'and', 'the (3)']
        """
        return unique_labels(self.labels)

    # ----------------------------------------------------------------- structure
    @property
    def terms(self) -> list[tuple[int, ...]]:
        """The terms as tuples of player indices (the empty tuple is the constant)."""
        return _terms.to_tuples(self._idx, self.n_players)

    @property
    def support(self) -> np.ndarray:
        """The terms as a bool matrix of shape (s, n_players)."""
        return _terms.to_bool(self._idx, self.n_players)

    @property
    def index_matrix(self) -> np.ndarray:
        """The terms as a padded index matrix (s, max degree), padded with ``n_players``."""
        return self._idx

    @property
    def degrees(self) -> np.ndarray:
        """Number of players in each term."""
        return _terms.degrees(self._idx, self.n_players)

    def __len__(self) -> int:
        return self.coefficients.shape[0]

    def __repr__(self) -> str:
        method = self.metadata.get("method", "?")
        return (
            f"Interactions(basis={self.basis!r}, n_players={self.n_players}, terms={len(self)}, "
            f"max_degree={int(self.degrees.max()) if len(self) else 0}, method={method!r})"
        )

    def _new(self, idx, coef, basis, **extra) -> Interactions:
        meta = dict(self.metadata, **extra)
        return Interactions(idx, coef, self.n_players, basis=basis, labels=self.labels, metadata=meta)

    # ----------------------------------------------------------------- conversions
    def to(self, basis: str) -> Interactions:
        """Exact conversion to the ``"fourier"`` or ``"mobius"`` basis (docs/design.md section 3)."""
        if basis not in EXPANSION_BASES:
            raise ValueError(f"can only convert to {EXPANSION_BASES}, got {basis!r}")
        self._require_expansion("to")
        if basis == self.basis:
            return self
        convert = _transforms.fourier_to_mobius if basis == "mobius" else _transforms.mobius_to_fourier
        idx, coef = convert(self._idx, self.coefficients, self.n_players)
        return self._new(idx, coef, basis)

    def _require_expansion(self, what: str) -> None:
        if self.basis not in EXPANSION_BASES:
            raise ValueError(
                f"{what}() needs a Fourier or Möbius expansion; this result holds the "
                f"{self.basis!r} index, which is a summary, not an expansion of the game"
            )

    def _mobius(self) -> tuple[np.ndarray, np.ndarray]:
        m = self.to("mobius")
        return m._idx, m.coefficients

    # ----------------------------------------------------------------- evaluation
    def predict(self, masks) -> np.ndarray:
        """Evaluate the expansion on a batch of masks (True = kept), vectorised."""
        self._require_expansion("predict")
        masks = check_masks(masks, self.n_players)
        return _terms.evaluate(self._idx, self.coefficients, masks, self.basis)

    # ----------------------------------------------------------------- indices
    def shapley(self) -> np.ndarray:
        """Shapley value of every player: sum over S containing i of ``a(S)/|S|``."""
        self._require_expansion("shapley")
        return _indices.shapley_values(*self._mobius(), self.n_players)

    def banzhaf(self) -> np.ndarray:
        """Banzhaf value of every player: sum over S containing i of ``a(S)/2^(|S|-1)``."""
        self._require_expansion("banzhaf")
        return _indices.banzhaf_values(*self._mobius(), self.n_players)

    def interaction_index(self, kind: str = "shapley_interaction", order: int = 2) -> Interactions:
        """An interaction index for every set of at most ``order`` players.

        ``kind``: ``"shapley_interaction"``, ``"banzhaf_interaction"``, ``"shapley_taylor"``,
        ``"faith_shapley"`` or ``"faith_banzhaf"``. The result's basis is the index name.
        """
        self._require_expansion("interaction_index")
        idx, coef = _indices.interaction_index(*self._mobius(), self.n_players, kind, order)
        return self._new(idx, coef, kind, index_order=int(order))

    def top(self, k: int = 10, order: int | None = None) -> list[tuple[tuple[int, ...], float]]:
        """The k terms with the largest ``|coefficient|`` (optionally of one order), largest first.

        The constant term is left out (``order`` is 1 or more); ``k = 0`` gives an empty list.
        """
        k = check_non_negative_int(k, "k")
        if order is not None:
            order = check_positive_int(order, "order")
        deg = self.degrees
        keep = deg > 0 if order is None else deg == order
        rows = np.flatnonzero(keep)
        ranked = rows[np.argsort(-np.abs(self.coefficients[rows]), kind="stable")][:k]
        tuples = _terms.to_tuples(self._idx[ranked], self.n_players)
        return [(t, float(c)) for t, c in zip(tuples, self.coefficients[ranked])]

    def plot(self, kind: str = "top", k: int = 10, order: int | None = None, ax=None):
        """Matplotlib bars: ``"top"`` terms, or per-player ``"shapley"`` / ``"banzhaf"`` values."""
        from . import plots

        if kind == "top":
            return plots.plot_top(self, k=k, order=order, ax=ax)
        if kind in ("shapley", "banzhaf"):
            values = self.shapley() if kind == "shapley" else self.banzhaf()
            return plots.plot_values(values, self.labels, title=f"{kind.capitalize()} values", k=k, ax=ax)
        raise ValueError(f"unknown plot kind {kind!r}; use 'top', 'shapley' or 'banzhaf'")

    def label(self, term: Sequence[int]) -> str:
        """Human-readable name of a term, e.g. ``"not × good"``; the constant is ``"∅"``.

        Players are named by :attr:`display_labels`: a repeated word carries its player index,
        e.g. ``"the (3) × film"``.
        """
        return _term_label(check_players(term, self.n_players, "term"), self.display_labels)

    # ----------------------------------------------------------------- export
    def to_pandas(self):
        """A DataFrame with one row per term: term, label, order, coefficient (largest first).

        ``label`` is :meth:`label` of the term (repeated player names carry their index).
        """
        import pandas as pd

        tuples = self.terms
        names = self.display_labels
        frame = pd.DataFrame(
            {
                "term": tuples,
                "label": [_term_label(t, names) for t in tuples],
                "order": self.degrees,
                "coefficient": self.coefficients,
            }
        )
        order = np.argsort(-np.abs(self.coefficients), kind="stable")
        return frame.iloc[order].reset_index(drop=True)

    def to_json(self) -> str:
        """Plain JSON text (no pickle); read it back with :meth:`from_json`.

        ``labels`` are the player names exactly as given (they round-trip unchanged);
        ``display_labels`` are the names to show (:attr:`display_labels`: repeated names carry
        their player index). :meth:`from_json` reads ``labels`` and ignores ``display_labels``.
        """
        payload = {
            "format": _JSON_FORMAT,
            "version": _JSON_VERSION,
            "basis": self.basis,
            "n_players": self.n_players,
            "labels": self.labels,
            "display_labels": self.display_labels,
            "terms": [list(t) for t in self.terms],
            "coefficients": [float(c) for c in self.coefficients],
            "metadata": self.metadata,
        }
        return json.dumps(payload, default=_json_default)

    @classmethod
    def from_json(cls, text: str | bytes | dict) -> Interactions:
        """Rebuild an :class:`Interactions` from :meth:`to_json` output (the text, or its parsed dict)."""
        if isinstance(text, dict):
            payload = text
        elif isinstance(text, (str, bytes, bytearray)):
            try:
                payload = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON: {exc}") from exc
        else:
            raise TypeError(f"from_json takes the text that to_json() wrote (or its parsed dict), got "
                            f"{type(text).__name__}; for a file: Interactions.from_json(Path(path).read_text())")
        if not isinstance(payload, dict) or payload.get("format") != _JSON_FORMAT:
            raise ValueError("this JSON does not hold a spexkit Interactions result")
        if payload.get("version") != _JSON_VERSION:
            raise ValueError(f"unsupported Interactions JSON version {payload.get('version')!r}")
        missing = [k for k in ("terms", "coefficients", "n_players", "basis", "labels") if k not in payload]
        if missing:
            raise ValueError(f"this Interactions JSON lacks {', '.join(missing)}")
        return cls(
            [tuple(t) for t in payload["terms"]],
            payload["coefficients"],
            payload["n_players"],
            basis=payload["basis"],
            labels=payload["labels"],
            metadata=payload.get("metadata") or {},
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Interactions):
            return NotImplemented
        return (
            self.basis == other.basis
            and self.n_players == other.n_players
            and self._idx.shape == other._idx.shape
            and bool((self._idx == other._idx).all())
            and bool(np.array_equal(self.coefficients, other.coefficients))
            and self.labels == other.labels
        )

    __hash__ = None  # mutable metadata: not hashable

    # ----------------------------------------------------------------- shapiq
    def to_shapiq(self, index: str = "SII", order: int | None = None, *, dense: bool = False):
        """The same numbers as a ``shapiq.InteractionValues``, for shapiq's plots and tools.

        Needs shapiq (``pip install "spexkit[shapiq]"``); see :mod:`spexkit.shapiq_interop`.

        Parameters
        ----------
        index : one of :data:`spexkit.shapiq_interop.TO_SHAPIQ_INDICES`: ``"Moebius"``,
            ``"SV"``, ``"BV"``, ``"SII"``, ``"BII"``, ``"k-SII"``, ``"STII"``, ``"FSII"``,
            ``"FBII"`` (spexkit's kind names such as ``"shapley_interaction"`` work too). Each
            is computed exactly from the Möbius coefficients; other shapiq indices are refused.
        order : the index's order (default 2; 1 for SV and BV). For ``"Moebius"`` the default
            is the expansion's highest degree, and a lower order is refused (it would not be
            the game). shapiq renames order-1 indices: SII of order 1 is ``"SV"``.
        dense : list every set of at most ``order`` players (shapiq's ``ExactComputer``
            layout, so that ``==`` compares with it) instead of the empty set, every player
            and the non-zero terms.

        Notes
        -----
        The empty set and ``baseline_value`` follow shapiq's ``ExactComputer``:
        ``baseline_value`` is f(∅) (for FBII, FBII(∅)); ``iv[()]`` is f(∅) for Moebius, SV,
        k-SII, STII and FSII and the index of ∅ for SII, BII, BV and FBII. ``estimated`` is
        False only for ``method="exact"`` results; ``estimation_budget`` is
        ``metadata["queries"]``. shapiq's values carry no player names: give its plots
        ``feature_names=res.labels``.

        >>> import pytest; shapiq = pytest.importorskip("shapiq")
        >>> res = Interactions([(), (0, 1), (2,)], [0.5, 2.0, 1.0], n_players=3, basis="mobius")
        >>> iv = res.to_shapiq("SII", order=2)
        >>> iv.index, iv.baseline_value, iv[(0, 1)], iv[(0,)], iv[(2,)]
        ('SII', 0.5, 2.0, 1.0, 1.0)
        >>> fig = iv.plot_force(feature_names=res.labels, show=False)  # shapiq's plots
        >>> import matplotlib.pyplot as plt; plt.close(fig)
        """
        self._require_expansion("to_shapiq")
        from .shapiq_interop import to_shapiq

        return to_shapiq(self, index, order, dense=dense)

    @classmethod
    def from_shapiq(cls, iv, labels: Sequence[str] | None = None) -> Interactions:
        """Read a ``shapiq.InteractionValues``.

        ``"Moebius"`` values become a Möbius expansion (``basis="mobius"``: it can be evaluated
        and converted); ``"SII"``, ``"BII"``, ``"STII"``, ``"FSII"`` and ``"FBII"`` values an
        index result in that index's basis (``metadata["index_order"]`` is shapiq's
        ``max_order``), the same as :meth:`interaction_index` would give. Other indices
        (``"SV"``, ``"BV"``, ``"k-SII"``...) are refused with the list above. Exact zeros are
        dropped; ``metadata`` holds ``shapiq_index``, ``estimated``, ``baseline_value`` and
        ``queries`` (shapiq's ``estimation_budget``, when set). shapiq is not imported.
        """
        from .shapiq_interop import from_shapiq

        return from_shapiq(iv, labels=labels, cls=cls)


def mean_of(models: Sequence[Interactions], labels: Sequence[str] | None = None) -> Interactions:
    """The average of expansions over the same players in the same basis (exact: the union of
    their terms, each coefficient the mean of theirs). Metadata is left empty.

    Examples
    --------
    >>> a = Interactions([(), (0,)], [1.0, 2.0], n_players=2, basis="mobius")
    >>> b = Interactions([(), (1,)], [3.0, 4.0], n_players=2, basis="mobius")
    >>> m = mean_of([a, b])
    >>> m.top(3), m.predict([[True, True]]).tolist()
    ([((1,), 2.0), ((0,), 1.0)], [5.0])
    """
    if not models:
        raise ValueError("mean_of needs at least one model")
    n, basis = models[0].n_players, models[0].basis
    if any(m.n_players != n or m.basis != basis for m in models):
        raise ValueError(f"mean_of needs models over the same players in one basis; got "
                         f"{sorted({(m.n_players, m.basis) for m in models})}")
    k = len(models)
    return Interactions(_terms.stack([m.index_matrix for m in models], n),
                        np.concatenate([m.coefficients / k for m in models]), n, basis=basis, labels=labels)


def unique_labels(labels: Sequence[str]) -> list[str]:
    """Player names that tell every player apart, for display.

    Names that occur once are kept as they are; a name that occurs more than once gets its
    player index (its position in ``labels``, counting from 0) in brackets: ``"about (12)"``.
    Unique names pass through unchanged, so applying it twice changes nothing. In the rare
    case that a suffixed name equals another player's name, the suffixing is repeated until
    all names differ.

    >>> unique_labels(["what", "i", "like", "about", "what", "is", "about"])
    ['what (0)', 'i', 'like', 'about (3)', 'what (4)', 'is', 'about (6)']
    >>> unique_labels(["L0H0", "L0H1"])
    ['L0H0', 'L0H1']
    """
    names = [str(label) for label in labels]
    while True:
        counts: dict[str, int] = {}
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        if all(c == 1 for c in counts.values()):
            return names
        names = [f"{name} ({i})" if counts[name] > 1 else name for i, name in enumerate(names)]


def _term_label(term: Sequence[int], names: Sequence[str]) -> str:
    return " × ".join(names[i] for i in term) if len(term) else "∅"


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    raise TypeError(f"metadata value of type {type(obj).__name__} is not JSON-serialisable")
