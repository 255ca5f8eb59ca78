"""The heads widget with real ipywidgets objects (no browser): grid, controls, run, check."""

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lenses.heads import HeadLens
from lenses.heads.widget import HeadWidget, heatmap


@pytest.fixture
def widget(induction):
    model, tokens = induction
    return HeadWidget(HeadLens(model), tokens, method="exact", max_degree=2)


def test_controls_are_real_widgets(widget):
    assert isinstance(widget, w.VBox) and widget.box is widget
    assert len(widget.grid) == 10 and all(isinstance(b, w.ToggleButton) for b in widget.grid.values())
    assert not widget.grid[(0, "MLP")].value and widget.grid[(0, "MLP")].description == "L0MLP"  # heads lens
    assert widget.ablation.options == ("zero", "mean", "resample") and widget.ablation.value == "mean"
    assert widget.value.value == "logprob"
    assert widget.prompts.options == ("given", "repeated random tokens")


def test_run_shows_heatmap_top_interactions_and_checks_on_the_model(widget):
    plt.close("all")
    res = widget.run()
    assert widget.status.value.startswith("exact: 256 queries")
    labels = [res.labels[i] for i in widget.choice.value]
    assert labels == ["L0H1", "L1H2"]  # the first choice is the top interaction: the circuit
    assert "L0H1" in widget.choice.label and "L1H2" in widget.choice.label
    check = widget.check(widget.choice.value)
    assert check["actual"] == pytest.approx(widget.active_lens.evaluate(widget.game, check["removed"]))
    assert abs(check["predicted"] - check["actual"]) < 0.05
    assert "surrogate predicts" in widget.check_result.value


def test_grid_ablation_and_value_reach_the_game(widget):
    for key in [(0, 0), (1, 0), (1, 1)]:
        widget.grid[key].value = False
    widget.ablation.value = "zero"
    widget.value.value = "accuracy"
    game = widget.build_game()
    assert game.labels == ["L0H1", "L0H2", "L0H3", "L1H2", "L1H3"]
    assert widget.active_lens.ablation == "zero" and widget.active_lens.value == "accuracy"
    assert 0.0 <= game.value_of([]) <= 1.0
    widget._set_all(False)
    widget.run_button.click()  # the error shows in the widget, not as a traceback
    assert widget.status.value == "Error: ValueError: choose at least one head or MLP on the grid"


def test_heatmap_puts_values_on_the_layer_head_grid(induction):
    import spexkit

    model, tokens = induction
    game = HeadLens(model).game(tokens, heads=["L0H1", "L1H2"])
    res = spexkit.explain(game, method="exact", progress=False)
    ax = heatmap(res, game.info["players"], 2, 4)
    grid = ax.images[0].get_array()
    assert grid.shape == (2, 4)
    np.testing.assert_allclose([grid[0, 1], grid[1, 2]], res.shapley())
    assert np.count_nonzero(grid) == 2
    plt.close("all")


def test_lens_widget_returns_the_widget(induction):
    from spexkit.widgets import ExplainerWidget

    model, tokens = induction
    widget = HeadLens(model).widget(tokens)
    assert isinstance(widget, HeadWidget) and isinstance(widget, ExplainerWidget) and isinstance(widget, w.VBox)


def test_grid_shows_mlps_and_they_reach_the_game(tiny_model, tiny_tokens):
    widget = HeadWidget(HeadLens(tiny_model, components="heads+mlps"), tiny_tokens, method="exact")
    assert all(widget.grid[(l, "MLP")].value for l in range(2))  # players by default
    widget.grid[(1, "MLP")].value = False
    game = widget.build_game()
    assert game.labels[-1] == "L1H2" and "L0MLP" in game.labels and "L1MLP" not in game.labels
    res = widget.run()
    ax = heatmap(res, game.info["players"], 2, 3)
    grid = ax.images[0].get_array()
    assert grid.shape == (2, 4) and grid[0, 3] == pytest.approx(res.shapley()[game.labels.index("L0MLP")])
    plt.close("all")


def test_an_attention_only_model_has_no_mlp_players(induction):
    model, tokens = induction
    with pytest.raises(ValueError, match="no MLP output hook in layer\\(s\\) \\[0, 1\\].*components='heads'"):
        HeadLens(model, components="mlps").game(tokens)
