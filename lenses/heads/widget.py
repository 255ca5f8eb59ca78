"""The heads widget: pick heads and MLPs on a layer grid, ablate, explain, check on the model.

The common controls, Run with progress, top interactions, network and counterfactual check
come from :class:`spexkit.widgets.ExplainerWidget`; this module adds the component grid (a
row per layer: its heads, then its MLP), the ablation / value / prompt-set controls and a
layer x component heat-map of Shapley values.
"""

from __future__ import annotations

import numpy as np

from spexkit import plots
from spexkit.widgets import ExplainerWidget

from .ablation import ABLATIONS
from .metrics import METRICS


def heatmap(result, players, n_layers: int, n_heads: int, ax=None):
    """Shapley value of every player on a layer x head grid (components not in the game: 0).

    MLP players, ``(layer, "MLP")``, get a last column ``MLP``.
    """
    has_mlp = any(unit == "MLP" for _, unit in players)
    grid = np.zeros((n_layers, n_heads + int(has_mlp)))
    for value, (layer, unit) in zip(result.shapley(), players):
        grid[layer, n_heads if unit == "MLP" else unit] = value
    columns = [f"H{h}" for h in range(n_heads)] + (["MLP"] if has_mlp else [])
    what = "head and MLP" if has_mlp else "head"
    return plots.plot_heatmap(grid, [f"L{l}" for l in range(n_layers)], columns,
                              title=f"Shapley value of each {what}", ax=ax)


class HeadWidget(ExplainerWidget):
    """:class:`~spexkit.widgets.ExplainerWidget` for a :class:`~lenses.heads.HeadLens`.

    Parameters
    ----------
    lens : HeadLens
        Its model is used; its ablation and value are the initial choices.
    tokens : prompts, optional
        The "given" prompt set; the "repeated random tokens" set is always offered.
    method, budget, max_degree : initial values of the common controls.
    positions : the scored positions, passed to ``lens.game``.

    Attributes
    ----------
    grid : dict (layer, head) -> ipywidgets.ToggleButton (pressed = the head is a player)

    Examples
    --------
    >>> from lenses.heads import HeadLens, induction_model
    >>> model, tokens = induction_model()
    >>> w = HeadWidget(HeadLens(model), tokens, method="exact")
    >>> w.grid[(1, 3)].value = False            # L1H3 always runs
    >>> res = w.run()
    >>> res.labels[:4], len(res.labels)
    (['L0H0', 'L0H1', 'L0H2', 'L0H3'], 7)
    >>> check = w.check(res.to("mobius").top(1)[0][0])   # ablate L0H1 and L1H2 together
    >>> [res.labels[i] for i in check["removed"]]
    ['L0H1', 'L1H2']
    >>> abs(check["predicted"] - check["actual"]) < 0.05  # the order-2 surrogate vs the model
    True
    """

    default_max_degree = 2

    def __init__(self, lens, tokens=None, *, method: str = "auto", budget: int = 1000,
                 max_degree: int | None = None, positions=None, max_order: int | None = None) -> None:
        self._tokens = tokens
        self.positions = positions
        model = lens.load().model_
        self.n_layers, self.n_heads = model.cfg.n_layers, model.cfg.n_heads
        title = f"Heads: {getattr(model.cfg, 'model_name', 'model')}"
        super().__init__(lens, method=method, budget=budget, max_degree=max_degree, max_order=max_order,
                         title=title)

    def lens_controls(self):
        import ipywidgets as w

        from .induction import repeated_tokens

        lens, model = self.lens, self.lens.model_
        self.prompt_sets = {}
        if self._tokens is not None:
            self.prompt_sets["given"] = self._tokens
        self.prompt_sets["repeated random tokens"] = repeated_tokens(model, 8, min(20, (model.cfg.n_ctx - 1) // 2))
        with_heads, with_mlps = "heads" in lens.components, "mlps" in lens.components
        units = list(range(self.n_heads)) + ["MLP"]
        self.grid = {(l, u): w.ToggleButton(value=(with_mlps if u == "MLP" else with_heads),
                                            description=f"L{l}MLP" if u == "MLP" else f"L{l}H{u}",
                                            layout=w.Layout(width="64px"))
                     for l in range(self.n_layers) for u in units}
        grid_box = w.GridBox(list(self.grid.values()),
                             layout=w.Layout(grid_template_columns=f"repeat({self.n_heads + 1}, 68px)"))
        all_on = w.Button(description="All components")
        all_off = w.Button(description="None")
        all_on.on_click(lambda _: self._set_all(True))
        all_off.on_click(lambda _: self._set_all(False))
        self.ablation = w.Dropdown(options=list(ABLATIONS), value=lens.ablation, description="Ablation")
        value = lens.value if isinstance(lens.value, str) else "custom"
        options = list(METRICS) + (["custom"] if value == "custom" else [])
        self.value = w.Dropdown(options=options, value=value, description="Value")
        self.prompts = w.Dropdown(options=list(self.prompt_sets), description="Prompts")
        return [
            w.HTML("<b>Players</b>: pressed heads and MLPs are ablated by the masks; the others always run"),
            w.Accordion([grid_box], titles=("Layer x head grid",)) if self.n_layers * self.n_heads > 64
            else grid_box,
            w.HBox([all_on, all_off]),
            w.HBox([self.ablation, self.value, self.prompts]),
        ]

    def _set_all(self, value: bool) -> None:
        for button in self.grid.values():
            button.value = value

    def current_lens(self):
        """The lens on the same (loaded) model with the ablation and value chosen in the widget."""
        value = self.lens.value if self.value.value == "custom" else self.value.value
        return self.lens.clone(model=self.lens.model_, ablation=self.ablation.value, value=value)

    def build_game(self):
        heads = [key for key, button in self.grid.items() if button.value]
        if not heads:
            raise ValueError("choose at least one head or MLP on the grid")
        self.active_lens = self.current_lens()
        return self.active_lens.game(self.prompt_sets[self.prompts.value], heads=heads, positions=self.positions)

    def plot_players(self, result, ax) -> None:
        heatmap(result, self.game.info["players"], self.n_layers, self.n_heads, ax=ax)


def head_widget(lens, tokens=None, **kwargs) -> HeadWidget:
    """The :class:`HeadWidget` for ``lens`` (the same as ``lens.widget(tokens, **kwargs)``)."""
    return HeadWidget(lens, tokens, **kwargs)
