"""The data lens widget with real ipywidgets objects (no browser)."""

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from lenses.data import DataLens
from lenses.data.widget import DataWidget, builtin_sources


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_widget_runs_on_the_planted_set_and_checks_an_interaction(planted):
    _, _, truth = planted
    ds, test, _ = planted
    w = DataLens(ds, groups="source").widget(test_examples=[test], budget=200, max_degree=2)
    assert isinstance(w, DataWidget) and isinstance(w, ipywidgets.VBox)
    assert w.dataset.value == "this lens"
    w.dataset.value = "planted (16 groups)"
    assert ("column: source", "source") in w.grouping.options
    # a user sets the controls
    w.grouping.value = "source"
    w.model.value = "logreg"
    w.test_picker.value = 0
    w.method.value = "proxyspex"
    w.budget.value = 300
    w.run_button.click()  # as in the notebook: errors would land in the status line
    assert w.status.value.startswith("proxyspex: 300 queries"), w.status.value
    assert w.bar.description == "Retrainings" and w.bar.value == 300
    assert "16 groups</b> over 600 training examples" in w.groups_view.value
    res = w.result
    labels = [label for label, _ in w.choice.options]
    assert any("source=and_a × source=and_b" in label for label in labels)
    pair = tuple(res.labels.index(t) for t in truth["together"])
    out = w.check(pair)  # retrains without both groups on the real model
    assert out["removed"] == list(pair)
    assert out["actual"] == pytest.approx(w.active_lens.evaluate(w.game, list(pair)))
    assert out["predicted"] == pytest.approx(out["actual"], abs=0.5)
    assert "Removing source=and_a, source=and_b" in w.check_result.value


def test_switching_dataset_grouping_and_model_rebuilds_the_lens(small_planted):
    w = DataWidget(DataLens(small_planted[0], groups="source"), method="kernelshap", budget=40)
    w.dataset.value = "breast cancer"
    assert [v for _, v in w.grouping.options] == ["kmeans", "chunks", "examples"]
    assert len(w.test_picker.options) == 20 and w.test_picker.value == 0
    assert w.test_picker.options[0][0].startswith("#0 [")
    w.grouping.value = "chunks"
    w.n_groups.value = 10
    game = w.build_game()
    assert game.n_players == 10 and w.active_lens.groups == 55  # ceil(549 / 10) rows per chunk
    w.model.value = "mlp"
    w.grouping.value = "kmeans"
    w.n_groups.value = 4
    assert w.build_game().n_players == 4 and w.active_lens.model == "mlp"


def test_widget_around_a_users_lens(small_planted):
    ds, test, _ = small_planted
    lens = DataLens(ds, model=lambda: LogisticRegression(C=0.5), groups="source")
    w = DataWidget(lens=lens, test_examples=[test], budget=256, max_degree=6)
    assert w.dataset.value == "this lens" and w.model.value == "custom"
    assert w.grouping.value == "source"
    w.method.value = "exact"
    res = w.run()
    assert w.active_lens is lens and res.metadata["queries"] == 256
    term = res.to("mobius").top(1)[0][0]
    out = w.check(term)
    # exact up to order 6 of 8 players: the surrogate is the model up to tiny high-order terms
    assert out["predicted"] == pytest.approx(out["actual"], abs=0.05)
    assert lens.widget(test_examples=[test]).children  # the lens's own entry point


def test_widget_without_test_examples_says_so(small_planted):
    ds, _, _ = small_planted
    w = DataWidget(lens=DataLens(ds, groups="source"))
    assert "No test examples" in w.groups_view.value
    w.run_button.click()
    assert "Error" in w.status.value and "test example" in w.status.value
    with pytest.raises(TypeError, match="must be a DataLens"):
        DataWidget("planted")
    assert set(builtin_sources()) >= {"planted (16 groups)", "movie reviews (2,000)", "breast cancer"}
    assert np.all([callable(s.load) for s in builtin_sources().values()])
