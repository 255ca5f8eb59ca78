import numpy as np
import pytest

import spexkit


def test_explain_exact_reports_queries_and_timings():
    game = spexkit.planted.planted_game(8, n_terms=3, max_degree=2, seed=0)
    res = spexkit.explain(game, method="exact", seed=1)
    assert res.metadata["queries"] == 256
    assert res.metadata["method"] == "exact"
    assert res.metadata["time_total"] >= 0
    assert res.labels == game.labels


def test_explain_batches_the_game():
    sizes = []

    def fn(m):
        sizes.append(m.shape[0])
        return m.sum(1) * 1.0

    spexkit.explain(spexkit.Game(fn, n_players=6), method="exact", batch_size=10)
    assert max(sizes) == 10 and sum(sizes) == 64


def test_unknown_method_lists_alternatives():
    game = spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=3)
    with pytest.raises(ValueError, match="'magic'.*exact"):
        spexkit.explain(game, method="magic")


@pytest.mark.parametrize("budget, error, message", [
    (0, ValueError, "budget must be at least 1, got 0"),
    (-5, ValueError, "budget must be at least 1, got -5"),
    (2.5, TypeError, "budget must be an int or None, got float 2.5"),
    (True, TypeError, "budget must be an int or None, got bool True"),
    ("100", TypeError, "got str '100'"),
])
def test_bad_budget_is_refused_before_any_call(budget, error, message):
    calls = []
    game = spexkit.Game(lambda m: calls.append(len(m)) or m.sum(1) * 1.0, n_players=20)
    with pytest.raises(error, match=message):
        spexkit.explain(game, method="proxyspex", budget=budget)
    assert calls == []


@pytest.mark.parametrize("method, budget, message", [
    ("lasso", 4, "lasso's budget must be at least 5, got 4"),
    ("kernelshap", 2, "kernelshap's budget must be at least 3, got 2"),
    ("lime", 1, "lime's budget must be at least 2, got 1"),
    ("proxyspex", 7, "proxyspex's budget must be at least 8, got 7"),
    ("auto", 9, r"auto's budget must be at least 10 \(or cover all 2\^20 masks\), got 9"),
    ("additive_plus", 25, "additive_plus needs a budget of at least n \\+ 1 \\+ 2\\*cv_folds = 31"),
])
def test_each_method_names_its_smallest_budget_before_any_call(method, budget, message):
    calls = []
    game = spexkit.Game(lambda m: calls.append(len(m)) or m.sum(1) * 1.0, n_players=20, keep=0.5)
    with pytest.raises(ValueError, match=message):
        spexkit.explain(game, method=method, budget=budget, max_degree=1)
    assert calls == []


def test_a_solver_called_directly_refuses_a_fractional_budget():
    from spexkit.solvers.baselines import lime
    from spexkit.solvers.exact import exact
    from spexkit.solvers.spex import spex

    game = spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=4)
    with pytest.raises(TypeError, match="lime's budget must be an int or None, got float 20.5"):
        lime(game, budget=20.5)
    with pytest.raises(TypeError, match="spex's budget must be an int or None, got float 700.5"):
        spex(game, budget=700.5)
    with pytest.raises(TypeError, match="exact's budget must be an int or None, got str 'x'"):
        exact(game, budget="x")


@pytest.mark.parametrize("method", ["kernelshap", "lime"])
def test_sampled_additive_methods_name_their_player_minimum(method):
    with pytest.raises(ValueError, match=f"{method} needs at least 2 players, got 1"):
        spexkit.explain(spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=1), method=method, budget=10)


def test_exact_refuses_large_games():
    game = spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=21)
    with pytest.raises(ValueError, match="n <= 20.*spex"):
        spexkit.explain(game, method="exact")


def test_exact_respects_budget_and_max_degree():
    game = spexkit.planted.planted_game(6, n_terms=6, max_degree=3, seed=4)
    with pytest.raises(ValueError, match="64 queries"):
        spexkit.explain(game, method="exact", budget=10)
    res = spexkit.explain(game, method="exact", max_degree=2)
    assert len(res) == (game.truth.degrees <= 2).sum() > 0
    assert res.degrees.max() <= 2


def test_explain_needs_a_game():
    with pytest.raises(TypeError, match="Game"):
        spexkit.explain(lambda m: m, method="exact")


def test_auto_uses_exact_on_small_games():
    game = spexkit.Game(lambda m: 1.0 * (m[:, 0] & m[:, 1]), n_players=5)
    res = spexkit.explain(game)
    assert res.metadata["method"] == "exact"
    mob = res.to("mobius")
    assert mob.top(1) == [((0, 1), pytest.approx(1.0))]
    np.testing.assert_allclose(res.shapley(), [0.5, 0.5, 0, 0, 0], atol=1e-12)


def test_auto_on_a_hierarchical_planted_game():
    game = spexkit.planted.planted_game(200, n_terms=8, max_degree=3, basis="mobius", hierarchical=True, seed=1)
    res = spexkit.explain(game, method="auto", budget=2000, max_degree=3, seed=0)
    info = res.metadata["auto"]
    assert info["chosen"] == "proxyspex" and info["stages"][0]["samples"] == 500
    assert res.metadata["queries"] <= 2000
    assert spexkit.evaluation.faithfulness(res, game, truth=game.noiseless) > 0.97


def test_auto_falls_back_to_spex_on_parities():
    game = spexkit.planted.planted_game(200, n_terms=6, max_degree=2, degree=2, seed=2)  # pure parities
    res = spexkit.explain(game, method="auto", budget=3000, max_degree=2, seed=0)
    info = res.metadata["auto"]
    assert info["chosen"] == "spex", info
    assert res.metadata["queries"] <= 3000
    assert res.terms == game.truth.terms


@pytest.mark.parametrize("method, budget", [("exact", None), ("spex", 600), ("banzhaf", 200),
                                            ("kernelshap", 200), ("lime", 200)])
def test_explain_warns_when_the_method_ignores_keep(method, budget):
    # These methods draw their own masks: keep=0.9 passed explicitly must not vanish silently.
    game = spexkit.planted.planted_game(8, n_terms=3, max_degree=2, seed=0)
    with pytest.warns(UserWarning, match=rf"method='{method}'.*keep=0.9"):
        spexkit.explain(game, method=method, budget=budget, keep=0.9, seed=0)
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*keep.*")
        spexkit.explain(game, method=method, budget=budget, seed=0)  # not given: no warning


def test_methods_that_sample_by_keep_do_not_warn_about_it():
    import warnings

    game = spexkit.planted.planted_game(30, n_terms=3, max_degree=2, basis="mobius", seed=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*keep.*")
        res = spexkit.explain(game, method="proxyspex", budget=200, max_degree=2, keep=0.9, seed=0)
        spexkit.explain(game, method="lasso", budget=200, max_degree=1, keep=0.9, seed=0)
    assert res.metadata["keep"] == 0.9


def test_exact_with_keep_still_filters_by_max_degree():
    from spexkit.solvers.exact import exact

    game = spexkit.planted.planted_game(6, n_terms=6, max_degree=3, seed=4)
    with pytest.warns(UserWarning, match="method='exact'"):
        res = exact(game, max_degree=2, keep=0.9)
    assert len(res) == (game.truth.degrees <= 2).sum() and res.degrees.max() <= 2
