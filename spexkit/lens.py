"""The lens protocol: an adapter from "a model + an input + a choice of parts" to a Game.

A lens lives in its own package, registers itself in the ``spexkit.lenses`` entry-point
group, and subclasses :class:`Lens`. The core never imports a lens.
"""

from __future__ import annotations

from typing import Any, Sequence

from .game import Game


class Lens:
    """Base class of every lens.

    Subclasses implement :meth:`game` (and usually :meth:`widget`); configuration goes in
    ``__init__`` and is stored unchanged, as in scikit-learn.
    """

    #: short name under which the lens registers (``spexkit.available_lenses()``)
    name: str = "lens"

    def game(self, *args: Any, **kwargs: Any) -> Game:  # pragma: no cover - abstract
        """Build the Game for one input; players carry human-readable labels."""
        raise NotImplementedError

    def evaluate(self, game: Game, removed: Sequence[int] = ()) -> float:
        """The real value with the listed players removed (every other player kept).

        Runs the model itself (not a surrogate), outside any cache: the ground truth that a
        recovered interaction is checked against.
        """
        return game.value_of(removed)

    def widget(self):  # pragma: no cover - abstract
        """An ipywidgets widget to configure, run and inspect this lens in Jupyter."""
        raise NotImplementedError(f"{type(self).__name__} has no widget")
