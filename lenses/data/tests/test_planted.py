"""Ground truth: the lens recovers the planted AND pair and the redundant duplicates."""

import numpy as np
import pytest

import spexkit


def test_the_planted_structure_is_real(planted, planted_lens):
    """Check the dataset's promises by retraining, before asking the lens to find them."""
    _, test, truth = planted
    game = planted_lens.game(test)
    a, b = (game.labels.index(t) for t in truth["together"])
    d1, d2 = (game.labels.index(t) for t in truth["redundant"])
    full = game.value_of()
    assert full > 0  # every group kept: the test example is classified correctly
    assert game.value_of([a]) < 0 and game.value_of([b]) < 0  # a and b only together flip it
    assert game.value_of([d1]) > 0 and game.value_of([d2]) > 0  # one duplicate is enough...
    assert game.value_of([d1, d2]) < 0  # ...but without both the prediction flips


@pytest.mark.parametrize("method, budget", [("proxyspex", 400), ("spex", 1500)])
def test_lens_recovers_the_planted_interactions(planted, planted_lens, method, budget):
    _, test, truth = planted
    game = planted_lens.game(test)
    res = spexkit.explain(game, method=method, budget=budget, max_degree=2, seed=0, progress=False)
    assert res.metadata["queries"] <= budget
    mob = res.to("mobius")
    pairs = mob.top(2, order=2)
    found = {tuple(game.labels[i] for i in term): coef for term, coef in pairs}
    assert set(found) == {truth["together"], truth["redundant"]}
    assert found[truth["together"]] > 0.5  # AND: worth more together than apart
    assert found[truth["redundant"]] < -0.5  # duplicates: the second one adds little
    # the surrogate predicts the counterfactuals the widget would check
    a, b = (game.labels.index(t) for t in truth["together"])
    mask = np.ones((1, 16), bool)
    mask[0, [a, b]] = False
    assert res.predict(mask)[0] == pytest.approx(game.value_of([a, b]), abs=0.5)
