"""The lens contract: an adapter from "a model + an input + a choice of parts" to a Game.

A lens lives in its own package, registers itself in the ``spexkit.lenses`` entry-point
group, and subclasses :class:`Lens`. The core never imports a lens. Every lens follows one
lifecycle (docs/writing-a-lens.md):

1. ``__init__`` stores its arguments unchanged (as in scikit-learn) and loads nothing;
2. :meth:`Lens.load` loads the model or data once, on first use, and sets the fitted
   state in attributes whose names end in ``_``;
3. :meth:`Lens.game` builds the :class:`~spexkit.Game` of one input (calling ``load()``);
4. :meth:`Lens.evaluate` reads the real value with some parts removed;
5. :meth:`Lens.widget` returns a :class:`spexkit.widgets.ExplainerWidget`.

Every lens names the quantity it reads from the model ``value=`` and the interaction
order ``max_degree`` (as :func:`spexkit.explain` does).
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, Sequence

from .game import Game


def renamed_keyword(old: str, new: str, old_value: Any, new_value: Any, default: Any = None,
                    *, owner: str = "") -> Any:
    """The value of a keyword renamed from ``old`` to ``new``, warning when ``old`` is used.

    Kept for one release after a rename; passing both (with different values) is an error.

    Examples
    --------
    >>> renamed_keyword("max_order", "max_degree", None, 3)
    3
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     renamed_keyword("max_order", "max_degree", 2, None, default=3)
    2
    >>> caught[0].category.__name__
    'DeprecationWarning'
    """
    if old_value is None:
        return default if new_value is None else new_value
    where = f"{owner}: " if owner else ""
    if new_value is not None and new_value != old_value:
        raise TypeError(f"{where}pass {new}= only ({old}= is its deprecated name), not both")
    warnings.warn(f"{where}{old}= is deprecated and will be removed in the next release; use {new}=",
                  DeprecationWarning, stacklevel=3)
    return old_value


class Lens:
    """Base class of every lens.

    Subclasses store their configuration unchanged in ``__init__``, load their model or data
    in :meth:`_load` (called once, by :meth:`load`), and implement :meth:`game` and
    :meth:`widget`.

    Examples
    --------
    >>> import spexkit
    >>> class Sum(Lens):
    ...     name = "sum"
    ...     def __init__(self, scale=1.0):
    ...         self.scale = scale
    ...     def _load(self):
    ...         self.factor_ = 2.0 * self.scale          # fitted state ends in "_"
    ...     def game(self, n):
    ...         self.load()
    ...         return spexkit.Game(lambda m: self.factor_ * m.sum(1), n_players=n)
    >>> lens = Sum(scale=0.5)
    >>> lens.is_loaded
    False
    >>> lens.evaluate(lens.game(3), removed=[0])
    2.0
    >>> lens.is_loaded, lens.get_params()
    (True, {'scale': 0.5})
    >>> lens.clone(scale=2.0).game(3).value_of([])
    12.0
    """

    #: short name under which the lens registers (``spexkit.available_lenses()``)
    name: str = "lens"

    # ------------------------------------------------------------------ lifecycle
    def load(self):
        """Load the model or data once (nothing happens on later calls) and return the lens.

        Every method that needs the model calls it, so users rarely have to; call it to
        pay the loading time up front or to inspect the fitted attributes (``*_``).
        """
        if not self.__dict__.get("_loaded", False):
            self._load()
            self._loaded = True
        return self

    def _load(self) -> None:
        """Subclasses load their model or data here and set attributes ending in ``_``."""

    @property
    def is_loaded(self) -> bool:
        """Whether :meth:`load` has run."""
        return bool(self.__dict__.get("_loaded", False))

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in list(sig.parameters.values())[1:]
                if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments as stored (scikit-learn's convention)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def clone(self, **changes: Any):
        """A new, unloaded lens with the same arguments except ``changes``."""
        unknown = set(changes) - set(self._param_names())
        if unknown:
            raise TypeError(f"{type(self).__name__} has no parameter(s) {sorted(unknown)}; "
                            f"it takes {self._param_names()}")
        return type(self)(**{**self.get_params(), **changes})

    # ------------------------------------------------------------------ games
    def game(self, *args: Any, **kwargs: Any) -> Game:  # pragma: no cover - abstract
        """Build the Game for one input; players carry human-readable labels."""
        raise NotImplementedError

    def evaluate(self, game: Game, removed: Sequence[int] = ()) -> float:
        """The real value with the listed players removed (every other player kept).

        Runs the model itself (not a surrogate), outside any cache: the ground truth that a
        recovered interaction is checked against.
        """
        return game.value_of(removed)

    def widget(self, **options: Any):
        """The interactive explorer: a :class:`spexkit.widgets.ExplainerWidget`.

        The default explains ``self.game()`` (a lens whose ``game`` needs no input);
        lenses with their own controls override it.
        """
        from .widgets import ExplainerWidget

        return ExplainerWidget(self, **options)
