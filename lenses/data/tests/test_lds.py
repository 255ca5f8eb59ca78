"""Linear datamodeling score: the linear datamodel, Spearman scoring, and the comparison."""

import numpy as np
import pytest

import spexkit
from lenses.data import lds_comparison, linear_datamodel, linear_datamodeling_score


def test_linear_datamodel_recovers_an_additive_game():
    rng = np.random.default_rng(0)
    masks = rng.random((300, 6)) < 0.5
    w = np.array([1.0, -2.0, 0.0, 0.5, 0.0, 3.0])
    lin = linear_datamodel(masks, 0.7 + masks @ w, labels=list("abcdef"))
    assert lin.basis == "mobius" and lin.labels == list("abcdef")
    np.testing.assert_allclose(lin.shapley(), w, atol=0.02)
    assert lin.metadata["method"] == "linear_datamodel" and lin.metadata["samples"] == 300
    with pytest.raises(ValueError, match="one value per mask"):
        linear_datamodel(masks, np.zeros(5))


def test_lds_is_spearman_and_handles_constants():
    res = spexkit.Interactions([(0,), (1,)], [1.0, 2.0], n_players=2, basis="mobius")
    masks = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=bool)
    assert linear_datamodeling_score(res, masks, [0.0, 1.0, 2.0, 3.0]) == pytest.approx(1.0)
    assert linear_datamodeling_score(res, masks, [3.0, 2.0, 1.0, 0.0]) == pytest.approx(-1.0)
    assert linear_datamodeling_score(res, masks, [1.0, 1.0, 1.0, 1.0]) == 0.0
    assert linear_datamodeling_score(lambda m: m.sum(1) * 1.0, masks, [0.0, 1.0, 1.0, 2.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"need one value per mask, shape \(4,\); got values of shape \(2,\)"):
        linear_datamodeling_score(res, masks, [1.0, 2.0])


def test_interactions_beat_the_linear_datamodel_where_they_matter(planted, planted_lens):
    _, test, _ = planted
    game = planted_lens.game(test)
    out = lds_comparison(game, budget=300, n_holdout=150, max_degree=2, seed=1)
    assert out["queries"] == 450 and out["budget"] == 300 and out["n_holdout"] == 150
    assert out["lds_interactions"] > out["lds_linear"] + 0.02
    assert out["r2_interactions"] > 0.95 > out["r2_linear"]
    # the held-out retrainings can be reused for another budget at no cost
    again = lds_comparison(game, budget=100, max_degree=2, seed=2, holdout=out["holdout"])
    assert again["queries"] == 100 and again["n_holdout"] == 150
    assert again["linear"].n_players == 16


def test_lds_comparison_validates_input(planted_lens, planted):
    _, test, _ = planted
    with pytest.raises(TypeError, match="needs a spexkit.Game"):
        lds_comparison(lambda m: m, budget=100)
    with pytest.raises(ValueError, match="budget must be at least 8"):
        lds_comparison(planted_lens.game(test), budget=4)


def test_lds_comparison_closes_its_cache_and_reports_one_query_count(tmp_path, monkeypatch):
    """Regression: the cache opened from a path was never closed, and the surrogate's
    metadata said ``budget`` queries while the call returned the retrainings it paid for."""
    from spexkit import cache as cache_module
    from spexkit.planted import planted_game

    closed = []
    real_close = cache_module.EvaluationCache.close
    monkeypatch.setattr(cache_module.EvaluationCache, "close", lambda self: (closed.append(self), real_close(self)))
    game = planted_game(10, n_terms=4, max_degree=2, basis="mobius", seed=0)
    path = tmp_path / "lds.sqlite"
    first = lds_comparison(game, budget=60, n_holdout=40, max_degree=2, seed=0, cache=path, progress=False)
    assert len(closed) == 1  # the call opened the file, so the call closed it
    assert first["queries"] == first["interactions"].metadata["queries"] == first["linear"].metadata["queries"]
    assert 0 < first["queries"] <= 100  # 60 + 40 masks, a repeated mask paid once
    again = lds_comparison(game, budget=60, n_holdout=40, max_degree=2, seed=0, cache=path, progress=False)
    assert again["queries"] == 0 and again["interactions"].metadata["queries"] == 0  # all from the cache
    assert again["interactions"].metadata["train_samples"] == 60
