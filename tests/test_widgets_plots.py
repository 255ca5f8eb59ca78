import matplotlib.pyplot as plt
import numpy as np
import pytest

from spexkit import Interactions, plots
from spexkit.planted import planted_game
from spexkit.widgets import ExplainerWidget


@pytest.fixture
def game():
    return planted_game(40, n_terms=5, max_degree=2, basis="mobius", seed=3)


def test_widget_run_and_counterfactual_check(game):
    w = ExplainerWidget(game=lambda: game, method="spex", budget=900, max_degree=2)
    w.budget.value = 1200  # a user changes a control before running
    res = w.run()
    assert res.metadata["queries"] <= 1200
    assert "spex" in w.status.value and w.bar.value == w.bar.max
    assert len(w.choice.options) > 0 and not w.check_button.disabled
    term = w.choice.value
    out = w.check(term)
    assert out["actual"] == pytest.approx(out["predicted"], abs=1e-6)
    assert "Removing" in w.check_result.value
    assert out["holds"] and "The check holds" in w.check_result.value


def test_a_check_that_does_not_hold_says_what_to_do(game):
    # 60 samples of a 40-player game: the linear surrogate misses the planted pairs
    w = ExplainerWidget(game=lambda: game, method="lime", budget=60, max_degree=1)
    w.run()
    worst = max(((t,) for t in range(40)), key=lambda t: abs(w.check(t)["predicted"] - w.check(t)["actual"]))
    out = w.check(worst)
    assert not out["holds"]
    assert "does not hold" in w.check_result.value and "120" in w.check_result.value and "auto" in w.check_result.value


def test_check_holds_is_relative_to_the_change_from_the_full_input():
    from spexkit.widgets import check_holds

    assert check_holds(101.0, 100.9, 100.0)  # 0.1 off a change of 0.9: holds
    assert not check_holds(100.5, 101.0, 100.0)  # 0.5 off a change of 1.0
    assert check_holds(5.0, 5.0, 5.0)  # no change, predicted exactly


def test_widget_shows_errors_instead_of_raising():
    def broken():
        raise ValueError("empty prompt")

    w = ExplainerWidget(game=broken)
    w.run_button.click()
    assert "empty prompt" in w.status.value


def test_check_before_run_is_refused(game):
    w = ExplainerWidget(game=lambda: game)
    with pytest.raises(RuntimeError, match="run"):
        w.check((0,))


def test_plots_draw_what_they_say(game):
    res = game.truth
    ax = plots.plot_top(res, k=3)
    assert len(ax.patches) == 3
    ax = plots.plot_values(res.shapley(), res.labels, k=7)
    assert len(ax.patches) == 7
    ax = plots.plot_segments(["the", "movie", "was", "great"], [0.1, -0.2, 0.0, 0.9])
    assert [t.get_text() for t in ax.texts] == ["the", "movie", "was", "great"]
    ax = plots.plot_network(res, k=5)
    n_pairs = len(res.top(5, order=2))
    assert len(ax.lines) == n_pairs
    ax = plots.plot_heatmap(np.arange(6.0).reshape(2, 3), ["L0", "L1"], ["H0", "H1", "H2"])
    assert ax.images
    fig = plots.plot_result(res, k=4)
    assert len(fig.axes) == 2
    plt.close("all")


def test_result_plot_method(game):
    ax = game.truth.plot("shapley", k=4)
    assert len(ax.patches) == 4
    with pytest.raises(ValueError, match="kind"):
        game.truth.plot("pie")
    plt.close("all")


# ----------------------------------------------------------------- repeated labels (issue 16)
def _repeated_words():
    words = ["what", "i", "like", "about", "men", "and", "what", "is", "about", "the"]
    terms = [(3,), (8,), (0, 3), (6, 8), (3, 8), (0, 6), (4, 9)]
    return Interactions(terms, [3.0, -2.5, 2.0, 1.5, -1.0, 0.8, 0.3], len(words), basis="mobius",
                        labels=words, metadata={"method": "test"})


def test_plots_tell_repeated_words_apart():
    res = _repeated_words()
    ax = plots.plot_top(res, k=7)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert len(ticks) == 7 and len(set(ticks)) == 7
    assert "about (3)" in ticks and "about (8)" in ticks and "what (0) × about (3)" in ticks
    ax = plots.plot_values(res.shapley(), res.labels, k=10)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(ticks) == sorted(res.display_labels) and len(set(ticks)) == 10
    ax = plots.plot_network(res, k=10)
    names = [t.get_text() for t in ax.texts]
    assert sorted(names) == sorted(["what (0)", "about (3)", "men", "what (6)", "about (8)", "the"])
    fig = plots.plot_result(res, k=5)
    ticks = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "about (3)" in ticks and "about" not in ticks
    # the coloured text shows the words themselves, in place
    ax = plots.plot_segments(res.labels, res.shapley())
    assert [t.get_text() for t in ax.texts] == res.labels
    plt.close("all")
