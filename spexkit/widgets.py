"""Widget base shared by every lens: configure, run with progress, plot, check on the model.

A lens supplies its own controls and a function that builds its Game from them; this base
adds the method / budget / order controls, the Run button with the engine's progress, the
results panel (per-player plot, top interactions, network) and the counterfactual check:
choose an interaction, remove exactly those parts on the real model, and compare the
surrogate's prediction with the actual value.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .api import explain
from .execution import _in_notebook
from .game import Game
from .interactions import Interactions

METHODS = ("proxyspex", "spex", "auto", "kernelshap", "lime", "banzhaf", "exact")


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


class ExplainerWidget:
    """The common widget. ``ExplainerWidget(...).widget`` is the ipywidgets box to display.

    Parameters
    ----------
    build_game : callable returning the lens's Game from the lens's current controls.
    lens_controls : the lens's own ipywidgets, shown above the common controls.
    evaluate : ``(game, removed) -> float``, the real value with those players removed
        (default: ``game.value_of``).
    player_plot : ``"segments"`` (parts coloured in order, for text), ``"bars"``, or a
        callable ``(result, ax)`` (e.g. a layer x head heat-map).
    method, budget, max_order : initial values of the common controls.
    unit : what one query is called in the progress line ("queries", "retrainings", ...).

    Examples
    --------
    >>> from spexkit.games import planted_game
    >>> game = planted_game(30, n_terms=4, max_degree=2, basis="mobius", seed=0)
    >>> w = ExplainerWidget(lambda: game, method="spex", budget=800, max_order=2)
    >>> res = w.run()
    >>> term = res.to("mobius").top(1)[0][0]
    >>> check = w.check(term)
    >>> abs(check["predicted"] - check["actual"]) < 1e-6
    True
    """

    def __init__(self, build_game: Callable[[], Game], *, lens_controls: Sequence = (),
                 evaluate: Callable[[Game, Sequence[int]], float] | None = None,
                 player_plot="bars", method: str = "proxyspex", budget: int = 1000,
                 max_order: int = 3, title: str = "spexkit", top_k: int = 10,
                 unit: str = "queries") -> None:
        import ipywidgets as w

        self.build_game = build_game
        self.evaluate = evaluate or (lambda game, removed: game.value_of(removed))
        self.player_plot = player_plot
        self.top_k = top_k
        self.game: Game | None = None
        self.result: Interactions | None = None

        self.method = w.Dropdown(options=list(METHODS), value=method, description="Method")
        self.budget = w.BoundedIntText(value=budget, min=10, max=10_000_000, step=100, description="Budget")
        self.max_order = w.IntSlider(value=max_order, min=1, max=6, description="Max order")
        self.seed = w.IntText(value=0, description="Seed")
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.unit = unit
        self.bar = w.IntProgress(value=0, min=0, max=1, description=unit.capitalize())
        self.status = w.Label(value="")
        self.plots = w.Output()
        self.choice = w.Dropdown(options=[], description="Interaction")
        self.check_button = w.Button(description="Check on the model", disabled=True)
        self.check_result = w.HTML(value="")
        self.run_button.on_click(lambda _: self._safe(self.run))
        self.check_button.on_click(lambda _: self._safe(lambda: self.check(self.choice.value)))
        common = w.HBox([w.VBox([self.method, self.budget]), w.VBox([self.max_order, self.seed])])
        self.widget = w.VBox([
            w.HTML(f"<h3>{title}</h3>"),
            *lens_controls,
            common,
            w.HBox([self.run_button, self.bar, self.status]),
            self.plots,
            w.HBox([self.choice, self.check_button]),
            self.check_result,
        ])

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
        # Exact transforms need no order bound; truncating them would bias the check below.
        order = None if self.method.value == "exact" else int(self.max_order.value)
        self.result = explain(self.game, method=self.method.value, budget=int(self.budget.value),
                              max_degree=order, seed=int(self.seed.value), progress=progress)
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
            if callable(self.player_plot):
                self.player_plot(res, axes[0])
            elif self.player_plot == "segments":
                axes[0].axis("off")  # drawn after the layout below: it wraps at the axes' final width
            else:
                plots.plot_values(res.shapley(), res.labels, ax=axes[0])
            plots.plot_top(mob, k=self.top_k, ax=axes[1])
            plots.plot_network(mob, ax=axes[2])
            fig.tight_layout()
            if self.player_plot == "segments":
                plots.plot_segments(res.labels, res.shapley(), ax=axes[0])
            plt.show()
        options = [(f"{mob.label(t)}  ({c:+.3f})", t) for t, c in mob.top(self.top_k)]
        self.choice.options = options
        if options:
            self.choice.value = options[0][1]
        self.check_button.disabled = not options

    def check(self, term: Sequence[int]) -> dict:
        """Remove exactly ``term``'s players on the real model; compare with the surrogate."""
        if self.result is None or self.game is None:
            raise RuntimeError("run the explanation first")
        term = [int(i) for i in term]
        mask = np.ones((1, self.game.n_players), dtype=bool)
        mask[0, term] = False
        predicted = float(self.result.predict(mask)[0])
        actual = float(self.evaluate(self.game, term))
        full = float(self.result.predict(np.ones((1, self.game.n_players), dtype=bool))[0])
        names = ", ".join(self.result.labels[i] for i in term)
        self.check_result.value = (
            f"<b>Removing {names}</b>: surrogate predicts {predicted:.4f}, the model gives "
            f"{actual:.4f} (surrogate with nothing removed: {full:.4f})"
        )
        return {"removed": term, "predicted": predicted, "actual": actual}
