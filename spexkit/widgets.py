"""Widget base shared by every lens: configure, run with progress, plot, check on the model.

:class:`ExplainerWidget` *is* the ipywidgets box (a ``VBox``), so ``lens.widget()`` displays
itself in Jupyter and drives from code through ``run()`` and ``check(term)``. A lens widget
subclasses it and receives its lens; it overrides

- :meth:`~ExplainerWidget.lens_controls`: the lens's own controls, shown first;
- :meth:`~ExplainerWidget.build_game`: the Game for the current controls;
- :meth:`~ExplainerWidget.plot_players` (optional): the per-player panel.

The base adds the method / budget / degree / seed controls (methods from the solver
registry, so a plugin's method appears here too), Run with the engine's progress, the
results (per-player plot, top interactions, network) and the counterfactual check: remove
exactly the chosen interaction's parts on the real model (through ``lens.evaluate``) and
compare the value with the surrogate's prediction.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import ipywidgets
import numpy as np

from .api import explain
from .execution import _in_notebook
from .game import Game
from .interactions import Interactions
from .lens import renamed_keyword
from .solvers import available_methods


class WidgetProgress:
    """Feeds the engine's progress into an ipywidgets IntProgress and a label."""

    def __init__(self, bar, label, unit: str = "queries") -> None:
        self.bar, self.label, self.unit = bar, label, unit
        self.done = 0

    def start(self, total: int, desc: str) -> None:
        self.done = 0
        self.bar.max = max(int(total), 1)
        self.bar.value = 0
        self.label.value = f"{self.unit}: 0 / {total}"

    def update(self, n: int) -> None:
        self.done += int(n)
        self.bar.value = min(self.done, self.bar.max)
        self.label.value = f"{self.unit}: {self.done} / {self.bar.max}"

    def close(self) -> None:
        pass


def check_holds(predicted: float, actual: float, full: float, tolerance: float = 0.2) -> bool:
    """Whether a surrogate's counterfactual ``predicted`` is within ``tolerance`` of ``actual``.

    Measured on the change from the full input (``full``, the surrogate's value with nothing
    removed), so that a large constant does not make every check pass; a change near zero
    is judged against the larger of the two changes.

    >>> check_holds(-0.6, -0.665, 1.0), check_holds(-0.232, -0.665, 1.0)
    (True, False)
    """
    scale = max(abs(actual - full), abs(predicted - full), 1e-12)
    return abs(predicted - actual) <= tolerance * scale


class ExplainerWidget(ipywidgets.VBox):
    """The widget every lens builds on; it is the ipywidgets box to display.

    Parameters
    ----------
    lens : Lens, optional
        The lens whose games are explained; ``evaluate`` checks interactions through it.
    game : Game or callable returning a Game, optional
        What to explain when the widget has no lens controls (default: ``lens.game()``).
    method, budget, max_degree, seed : initial values of the common controls.
    top_k : interactions listed in the plots and the chooser.
    title : heading of the widget.
    unit : what one query is called in the progress line ("queries", "retrainings", ...).
    max_order : deprecated name of ``max_degree``.

    Attributes
    ----------
    active_lens : the lens behind the last game (a lens widget may build one per setting,
        with ``lens.clone(...)``); the check runs through it.
    game : the Game of the last run; result : its :class:`~spexkit.Interactions`.

    Examples
    --------
    >>> from spexkit.planted import planted_game
    >>> game = planted_game(30, n_terms=4, max_degree=2, basis="mobius", seed=0)
    >>> w = ExplainerWidget(game=game, method="spex", budget=800, max_degree=2)
    >>> res = w.run()
    >>> term = res.to("mobius").top(1)[0][0]
    >>> check = w.check(term)
    >>> abs(check["predicted"] - check["actual"]) < 1e-6
    True
    >>> w.box is w
    True
    """

    title = "spexkit"
    unit = "queries"
    #: a counterfactual check holds within this share of the model's change (see :func:`check_holds`)
    check_tolerance = 0.2
    #: the degree slider's start when neither ``max_degree`` nor ``max_order`` is given
    default_max_degree = 3
    #: draw :meth:`plot_players` after the figure's layout (text that wraps at the axes' width)
    players_after_layout = False

    def __init__(self, lens: Any = None, *, game: Game | Callable[[], Game] | None = None,
                 method: str = "auto", budget: int = 1000, max_degree: int | None = None,
                 seed: int = 0, top_k: int = 10, title: str | None = None, unit: str | None = None,
                 max_order: int | None = None) -> None:
        w = ipywidgets
        max_degree = renamed_keyword("max_order", "max_degree", max_order, max_degree,
                                     default=self.default_max_degree, owner=type(self).__name__)
        methods = available_methods()
        if method not in methods:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(methods)}")
        self.lens = lens
        self.active_lens = None
        self._game = game
        self.top_k = int(top_k)
        self.game: Game | None = None
        self.result: Interactions | None = None
        if title is not None:
            self.title = title
        if unit is not None:
            self.unit = unit
        controls = list(self.lens_controls())

        self.method = w.Dropdown(options=methods, value=method, description="Method")
        self.budget = w.BoundedIntText(value=budget, min=10, max=10_000_000, step=100, description="Budget")
        self.max_degree = w.IntSlider(value=int(max_degree), min=1, max=6, description="Max degree")
        self.seed = w.IntText(value=int(seed), description="Seed")
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.bar = w.IntProgress(value=0, min=0, max=1, description=self.unit.capitalize())
        self.status = w.Label(value="")
        self.plots = w.Output()
        self.choice = w.Dropdown(options=[], description="Interaction")
        self.check_button = w.Button(description="Check on the model", disabled=True)
        self.check_result = w.HTML(value="")
        self.run_button.on_click(lambda _: self._safe(self.run))
        self.check_button.on_click(lambda _: self._safe(lambda: self.check(self.choice.value)))
        common = w.HBox([w.VBox([self.method, self.budget]), w.VBox([self.max_degree, self.seed])])
        super().__init__(children=[
            w.HTML(f"<h3>{self.title}</h3>"),
            *controls,
            common,
            w.HBox([self.run_button, self.bar, self.status]),
            self.plots,
            w.HBox([self.choice, self.check_button]),
            self.check_result,
        ])

    # ------------------------------------------------------------------ what a lens widget overrides
    def lens_controls(self) -> Sequence:
        """The lens's own ipywidgets, shown above the common controls (called once, first)."""
        return ()

    def build_game(self) -> Game:
        """The Game for the current controls (default: the ``game`` given, else ``lens.game()``)."""
        if self._game is not None:
            return self._game() if callable(self._game) and not isinstance(self._game, Game) else self._game
        if self.lens is None:
            raise ValueError("give the widget a lens or a game")
        self.active_lens = self.lens
        return self.lens.game()

    def evaluate(self, game: Game, removed: Sequence[int]) -> float:
        """The real value with ``removed`` players removed, through the active lens if any."""
        lens = self.active_lens if self.active_lens is not None else self.lens
        if lens is not None:
            return float(lens.evaluate(game, removed=list(removed)))
        return game.value_of(removed)

    def plot_players(self, result: Interactions, ax) -> None:
        """The per-player panel (default: Shapley values as bars)."""
        from . import plots

        plots.plot_values(result.shapley(), result.labels, ax=ax)

    # ------------------------------------------------------------------ the common part
    @property
    def box(self) -> ExplainerWidget:
        """The ipywidgets box to display: the widget itself."""
        return self

    def _safe(self, action) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - show the error in the widget, not a traceback
            self.status.value = f"Error: {type(exc).__name__}: {exc}"

    def run(self) -> Interactions:
        """Build the game, explain it with the chosen settings, and show the plots."""
        self.status.value = "building the game..."
        self.game = self.build_game()
        progress = WidgetProgress(self.bar, self.status, self.unit)
        # Exact transforms need no degree bound; truncating them would bias the check below.
        degree = None if self.method.value == "exact" else int(self.max_degree.value)
        self.result = explain(self.game, method=self.method.value, budget=int(self.budget.value),
                              max_degree=degree, seed=int(self.seed.value), progress=progress)
        self.status.value = (f"{self.result.metadata['method']}: {self.result.metadata['queries']} queries, "
                             f"{self.result.metadata['time_total']:.1f} s")
        self._show()
        return self.result

    def _show(self) -> None:
        import matplotlib.pyplot as plt

        from . import plots

        res = self.result
        mob = res.to("mobius")
        if _in_notebook():  # outside a kernel clear_output only prints terminal escapes
            self.plots.clear_output(wait=True)
        with self.plots:
            fig, axes = plt.subplots(1, 3, figsize=(17, 4.5))
            if self.players_after_layout:
                axes[0].axis("off")
            else:
                self.plot_players(res, axes[0])
            plots.plot_top(mob, k=self.top_k, ax=axes[1])
            plots.plot_network(mob, ax=axes[2])
            fig.tight_layout()
            if self.players_after_layout:
                self.plot_players(res, axes[0])
            plt.show()
        options = [(f"{mob.label(t)}  ({c:+.3f})", t) for t, c in mob.top(self.top_k)]
        self.choice.options = options
        if options:
            self.choice.value = options[0][1]
        self.check_button.disabled = not options

    def check(self, term: Sequence[int]) -> dict:
        """Remove exactly ``term``'s players on the real model; compare with the surrogate.

        The check *holds* when the surrogate's prediction is within :attr:`check_tolerance`
        (20 %) of the model's change from the full input; when it does not, the widget says
        how to tighten the surrogate.
        """
        if self.result is None or self.game is None:
            raise RuntimeError("run the explanation first")
        term = [int(i) for i in term]
        mask = np.ones((1, self.game.n_players), dtype=bool)
        mask[0, term] = False
        predicted = float(self.result.predict(mask)[0])
        actual = float(self.evaluate(self.game, term))
        full = float(self.result.predict(np.ones((1, self.game.n_players), dtype=bool))[0])
        holds = check_holds(predicted, actual, full, self.check_tolerance)
        names = ", ".join(self.result.display_labels[i] for i in term)
        verdict = ("holds" if holds else
                   f"does not hold (more than {self.check_tolerance:.0%} off): raise the budget "
                   f"(e.g. to {2 * int(self.budget.value)}) or choose method 'auto'")
        self.check_result.value = (
            f"<b>Removing {names}</b>: surrogate predicts {predicted:.4f}, the model gives "
            f"{actual:.4f} (surrogate with nothing removed: {full:.4f}). The check {verdict}."
        )
        return {"removed": term, "predicted": predicted, "actual": actual, "holds": holds}
