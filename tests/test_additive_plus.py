"""additive_plus: single removals first, interactions only where cross-validation says they pay."""

import numpy as np
import pytest

import spexkit
from spexkit.solvers.additive_plus import fit_additive_plus, single_removal_masks


def _component_game(n=60, pairs=((0, 1), (2, 5)), weights=(-1.5, 0.8), seed=0, scale=1.0):
    """Drops d_i per removed part, plus pair terms that act only when both parts are removed."""
    rng = np.random.default_rng(seed)
    drops = rng.exponential(0.2, size=n)
    drops[[p for pair in pairs for p in pair]] += 1.0  # the interacting parts also matter alone

    def f(m):
        z = ~m
        out = 5.0 - scale * (z @ drops)
        for (i, j), w in zip(pairs, weights):
            out = out + w * (z[:, i] & z[:, j])
        return out

    return spexkit.Game(f, n_players=n, keep=0.9), f


def test_recovers_pair_terms_exactly_in_the_mobius_basis():
    game, f = _component_game()
    res = spexkit.explain(game, method="additive_plus", budget=300, seed=0)
    assert res.metadata["queries"] == 300
    assert res.metadata["additive_plus"]["chosen"] == "focused"  # sparse fits too, within min_gain of it
    masks = spexkit.metrics.sample_masks(60, 400, keep=0.9, seed=1)
    assert spexkit.metrics.r2_score(f(masks), res.predict(masks)) > 0.999
    mob = dict(res.to("mobius").top(200, order=2))
    assert mob[(0, 1)] == pytest.approx(-1.5, abs=0.05) and mob[(2, 5)] == pytest.approx(0.8, abs=0.05)


def test_an_additive_game_stays_additive_and_exact():
    game, f = _component_game(pairs=(), weights=())
    res = spexkit.explain(game, method="additive_plus", budget=200, seed=0)
    assert res.metadata["additive_plus"]["chosen"] == "additive"
    assert res.metadata["additive_plus"]["pairs_kept"] == 0
    masks = spexkit.metrics.sample_masks(60, 200, keep=0.9, seed=2)
    np.testing.assert_allclose(res.predict(masks), f(masks), atol=1e-9)


def test_effects_that_shrink_together_are_rescaled():
    """A saturating game: removing many parts hurts less than the sum of their drops."""
    n = 50
    drops = np.random.default_rng(0).exponential(0.3, size=n)

    def f(m):
        return -np.log1p((~m) @ drops)

    game = spexkit.Game(f, n_players=n, keep=0.9)
    res = spexkit.explain(game, method="additive_plus", budget=200, seed=0, max_degree=1)
    info = res.metadata["additive_plus"]
    assert info["chosen"] in ("rescaled", "focused", "sparse") and info["pairs_kept"] == 0  # max_degree=1: no pairs
    assert info["cv_r2"][info["chosen"]] > info["cv_r2"]["additive"] + 0.005
    assert max(len(t) for t in res.terms) == 1


def test_never_chooses_a_candidate_that_cross_validates_worse_than_additive():
    rng = np.random.default_rng(3)
    n = 40
    for seed in range(3):
        game, f = _component_game(n=n, seed=seed)
        singles = f(single_removal_masks(n)) + rng.normal(0, 0.01, n + 1)
        masks = rng.random((60, n)) < 0.9
        res = fit_additive_plus(singles, masks, f(masks) + rng.normal(0, 0.3, 60), seed=seed)
        cv = res.metadata["additive_plus"]["cv_r2"]
        assert cv[res.metadata["additive_plus"]["chosen"]] >= cv["additive"]


def test_bad_budget_and_shapes_are_clear_errors():
    game, _ = _component_game(n=30)
    with pytest.raises(ValueError, match="at least n \\+ 1 \\+ 2\\*cv_folds = 41"):
        spexkit.explain(game, method="additive_plus", budget=35)
    with pytest.raises(ValueError, match="shape \\(31,\\)"):
        fit_additive_plus(np.zeros(30), np.ones((20, 30), bool), np.zeros(20))


def test_auto_takes_additive_plus_for_games_near_the_full_set():
    game, f = _component_game(n=60)
    res = spexkit.explain(game, method="auto", budget=300, seed=0)
    assert res.metadata["auto"]["chosen"] == "additive_plus" and res.metadata["queries"] == 300
    far, _ = _component_game(n=60)
    far.keep = 0.5  # uniform masks: the staged ProxySPEX path (it may still buy the singles later)
    stages = spexkit.explain(far, method="auto", budget=300, seed=0).metadata["auto"]["stages"]
    assert stages[0]["method"] == "proxyspex" and stages[0]["samples"] == 75


def test_auto_buys_the_single_removals_when_main_effects_dominate():
    # The planted hierarchical Möbius class of benchmarks/real_games.py at 300 calls and keep 1/2:
    # at the stage of 150 masks every fit chose the linear model, which explains a good share;
    # the rest of the budget buys the 101 single removals and 49 random masks (additive_plus's
    # design), more faithful than 150 more random masks.
    from spexkit.masks import uniform_masks
    from spexkit.metrics import r2_score
    from spexkit.planted import planted_game
    from spexkit.solvers.auto import SINGLES_MIN_LINEAR_R2, auto

    game = planted_game(100, 30, 4, basis="mobius", hierarchical=True, seed=0)
    res = auto(game, budget=300, max_degree=4, seed=0)
    without = auto(game, budget=300, max_degree=4, seed=0, singles=False)
    stages = res.metadata["auto"]["stages"]
    assert res.metadata["auto"]["chosen"] == "additive_plus" and res.metadata["queries"] == 300
    assert [s["method"] for s in stages] == ["proxyspex", "proxyspex", "additive_plus"]
    assert stages[1]["samples"] == 150 and stages[1]["selection"] == "linear"
    assert stages[1]["cv_r2"] >= SINGLES_MIN_LINEAR_R2 and stages[1]["decision"].startswith("main effects")
    assert res.metadata["auto"]["estimated_r2"] == stages[2]["cv_r2"] == res.metadata["cv_r2"]
    assert without.metadata["auto"]["chosen"] == "proxyspex" and without.metadata["queries"] == 300
    test = uniform_masks(100, 1000, keep=0.5, seed=3)
    truth = game.noiseless(test)
    assert r2_score(truth, res.predict(test)) > r2_score(truth, without.predict(test)) + 0.03  # 0.695 vs 0.640


def test_auto_buys_the_single_removals_when_most_averaged_fits_chose_linear():
    # The same class, instance 2: at 150 masks ProxySPEX averages five fits, three chose the
    # linear model and two a tree spectrum ("ensemble"). That says main effects carry the game
    # much as a unanimous choice (R² 0.575 x 3/5 >= 0.25), and buying the singles pays.
    from spexkit.masks import uniform_masks
    from spexkit.metrics import r2_score
    from spexkit.planted import planted_game
    from spexkit.solvers.auto import auto

    game = planted_game(100, 30, 4, basis="mobius", hierarchical=True, seed=2)
    res = auto(game, budget=300, max_degree=4, seed=0)
    without = auto(game, budget=300, max_degree=4, seed=0, singles=False)
    stage = res.metadata["auto"]["stages"][1]
    assert stage["samples"] == 150 and stage["selection"] == "ensemble"
    assert stage["member_selections"].count("linear") == 3
    assert stage["decision"].startswith("main effects") and res.metadata["auto"]["chosen"] == "additive_plus"
    test = uniform_masks(100, 1000, keep=0.5, seed=3)
    truth = game.noiseless(test)
    assert r2_score(truth, res.predict(test)) > r2_score(truth, without.predict(test)) + 0.03


def test_auto_keeps_random_masks_when_the_linear_fit_is_poor():
    # Planted parities at 300 calls: the stage of 150 masks chose the linear model only because
    # nothing else fits yet (cross-validated R² 0.10); the interactions need the random
    # masks, so auto does not buy the single removals.
    from spexkit.planted import planted_game
    from spexkit.solvers.auto import SINGLES_MIN_LINEAR_R2, auto

    game = planted_game(100, 15, 3, basis="fourier", seed=0)
    res = auto(game, budget=300, max_degree=3, seed=0)
    stages = res.metadata["auto"]["stages"]
    assert stages[1]["samples"] == 150 and stages[1]["selection"] == "linear"
    assert stages[1]["cv_r2"] < SINGLES_MIN_LINEAR_R2
    assert res.metadata["auto"]["chosen"] == "proxyspex" and stages[-1]["samples"] == 300


def test_auto_weighs_a_split_linear_vote_by_its_share():
    # Planted parities, instance 1: at 150 masks three of five averaged fits chose linear, with
    # cross-validated R² 0.295, which alone passes SINGLES_MIN_LINEAR_R2 but weighed by the
    # share (0.6 x 0.295 = 0.18) does not. Buying the singles there cost 0.22 of held-out R².
    from spexkit.planted import planted_game
    from spexkit.solvers.auto import SINGLES_MIN_LINEAR_R2, auto

    game = planted_game(100, 15, 3, basis="fourier", seed=1)
    stage = auto(game, budget=300, max_degree=3, seed=0).metadata["auto"]["stages"][1]
    share = stage["member_selections"].count("linear") / len(stage["member_selections"])
    assert stage["samples"] == 150 and stage["selection"] == "ensemble" and share > 0.5
    assert share * stage["cv_r2"] < SINGLES_MIN_LINEAR_R2 <= stage["cv_r2"]
    assert "decision" not in stage


def test_auto_never_buys_the_single_removals_on_its_first_stage():
    # 100 calls, 30 parts: the first stage's 50 masks already leave room for the 31 singles and
    # choose a good linear model, but a quarter of a small budget is too little to judge by.
    from spexkit.solvers.auto import SINGLES_MIN_LINEAR_R2, auto

    n = 30
    game = spexkit.Game(lambda m: (1.0 - 2.0 * m) @ np.linspace(-1, 1, n) + np.sin(m.sum(1)), n_players=n)
    res = auto(game, budget=100, seed=0)
    first = res.metadata["auto"]["stages"][0]
    assert first["samples"] == 50 >= (100 - n - 1) / 2
    assert first["selection"] == "linear" and first["cv_r2"] >= SINGLES_MIN_LINEAR_R2
    assert res.metadata["auto"]["chosen"] == "proxyspex" and res.metadata["queries"] == 100


def test_proxy_pairs_reaches_the_trees_candidate(monkeypatch):
    import spexkit.solvers.proxyspex as proxyspex_module

    seen = []
    real = proxyspex_module.fit_samples

    def recording(*args, **kwargs):
        seen.append(kwargs.get("pairs", True))
        return real(*args, **kwargs)

    monkeypatch.setattr(proxyspex_module, "fit_samples", recording)
    game, f = _component_game(n=20)
    masks = np.random.default_rng(0).random((60, 20)) < 0.9
    fit_additive_plus(f(single_removal_masks(20)), masks, f(masks), seed=0, max_degree=3, proxy_pairs=False)
    assert seen and not any(seen)


def test_cached_values_do_not_stretch_the_budget(tmp_path):
    """Regression: with a cache, paid queries undercount the masks used; the design must still
    hold exactly ``budget`` distinct masks (the second run reuses them all)."""
    game, _ = _component_game(n=40)
    game.fingerprint = "component-game-test"
    path = tmp_path / "c.sqlite"
    first = spexkit.explain(game, method="additive_plus", budget=120, seed=0, cache=path)
    again = spexkit.explain(game, method="additive_plus", budget=120, seed=0, cache=path)
    assert first.metadata["queries"] == 120 and again.metadata["queries"] == 0
    assert again.metadata["additive_plus"]["random_masks"] == first.metadata["additive_plus"]["random_masks"] == 79
    np.testing.assert_allclose(again.predict(np.ones((1, 40), bool)), first.predict(np.ones((1, 40), bool)))


def test_the_trees_candidate_is_cross_validated_like_the_others():
    game, f = _component_game(n=40)
    rng = np.random.default_rng(0)
    masks = rng.random((120, 40)) < 0.9
    with_trees = fit_additive_plus(f(single_removal_masks(40)), masks, f(masks), seed=0, max_degree=3)
    without = fit_additive_plus(f(single_removal_masks(40)), masks, f(masks), seed=0, max_degree=3, trees=False)
    cv = with_trees.metadata["additive_plus"]["cv_r2"]
    assert set(cv) == {"additive", "rescaled", "sparse", "focused", "trees"} and "trees" not in without.metadata["additive_plus"]["cv_r2"]
    chosen = with_trees.metadata["additive_plus"]["chosen"]
    assert cv[chosen] >= max(cv.values()) - 0.005  # the choice is the best up to the min_gain margin
    assert "trees" not in fit_additive_plus(f(single_removal_masks(40)), masks, f(masks), seed=0,
                                            max_degree=1).metadata["additive_plus"]["cv_r2"]


def _shifting_game(n=150, n_top=6, seed=0):
    """The top parts' drops weaken as other parts go (each by its own factor), so their effect at
    keep 0.9 is not their single drop, and no common rescaling or handful of pairs explains it."""
    rng = np.random.default_rng(seed)
    drops = rng.exponential(0.05, size=n)
    top = np.arange(n_top)
    drops[top] = rng.uniform(1.0, 2.0, size=n_top) * rng.choice([-1, 1], size=n_top)
    weakening = rng.uniform(0.0, 0.08, size=n_top)
    others = np.setdiff1d(np.arange(n), top)

    def f(m):
        z = (~m).astype(float)
        gone = z[:, others].sum(1, keepdims=True)
        return 3.0 - z[:, others] @ drops[others] - (z[:, top] * drops[top] * (1 - weakening * gone)).sum(1)

    return spexkit.Game(f, n_players=n, keep=0.9), f


def test_the_focused_candidate_corrects_the_largest_drops_where_they_shift():
    game, f = _shifting_game()
    res = spexkit.explain(game, method="additive_plus", budget=400, seed=0)
    info = res.metadata["additive_plus"]
    assert info["chosen"] == "focused", info["cv_r2"]
    assert info["focused"]["settings"][0]["parts"] >= 5  # corrections for (at least) the shifting parts
    masks = spexkit.metrics.sample_masks(150, 400, keep=0.9, seed=1)
    assert spexkit.metrics.r2_score(f(masks), res.predict(masks)) > 0.9  # the singles alone: below 0
    assert info["cv_r2"]["additive"] < 0.0 and info["cv_r2"]["focused"] > info["cv_r2"]["sparse"] + 0.03


def test_focused_ridge_path_matches_a_direct_solve():
    from spexkit.solvers.additive_plus import _ridge_path

    rng = np.random.default_rng(0)
    X, s = rng.normal(size=(50, 7)), rng.normal(size=50)
    y = 1.0 + 2.0 * s + X @ rng.normal(size=7) + rng.normal(0, 0.1, 50)
    for alpha in (0.01, 1.0):
        c, beta, w = _ridge_path(X, s, y, np.array([alpha]))[0]
        sd = X.std(0)
        # Direct: minimise ||y - c - beta s - X w||^2 + alpha * len(y) * ||w * sd||^2.
        A = np.column_stack([np.ones(50), s, X])
        P = np.diag(np.r_[0.0, 0.0, alpha * 50 * sd ** 2])
        direct = np.linalg.solve(A.T @ A + P, A.T @ y)
        np.testing.assert_allclose(np.r_[c, beta, w], direct, rtol=1e-8, atol=1e-10)


def test_focused_candidate_is_the_average_of_its_best_settings():
    from spexkit.solvers import additive_plus as ap

    game, f = _shifting_game()
    n = game.n_players
    masks = spexkit.metrics.sample_masks(n, 200, keep=0.9, seed=3)
    values = f(masks)
    full = f(np.ones((1, n), dtype=bool))[0]
    drops = full - f(ap.single_removal_masks(n)[1:])
    z = (~masks).astype(float)
    s = full - z @ drops
    folds = ap._folds(len(values), 5, np.random.default_rng(0))
    cv, model = ap._fit_focused(z, s, values, drops, folds, 5)
    settings = model["grid"]["settings"]
    assert len(settings) == ap.FOCUSED_AVERAGE
    assert [x["cv_r2"] for x in settings] == sorted((x["cv_r2"] for x in settings), reverse=True)
    # Refit each setting on its own and average the predictions: the same as the averaged model.
    order = np.argsort(-np.abs(drops), kind="stable")
    test = spexkit.metrics.sample_masks(n, 50, keep=0.9, seed=4)
    zt = (~test).astype(float)
    st = full - zt @ drops
    expected = np.zeros(len(test))
    for x in settings:
        X, _ = ap._focused_features(z, order, x["parts"], x["pair_parts"])
        Xt, _ = ap._focused_features(zt, order, x["parts"], x["pair_parts"])
        c, beta, w = ap._ridge_path(X, s, values, np.array([x["alpha"]]))[0]
        expected += (c + beta * st + Xt @ w) / len(settings)
    got = model["intercept"] + model["rescale"] * st + zt @ model["main"] + ap._pair_features(zt, model["pairs"]) @ model["pair"]
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    assert cv <= 1.0 and cv > max(x["cv_r2"] for x in settings) - 0.05


def test_sparse_must_beat_focused_by_min_gain():
    """Focused comes before sparse: within ``min_gain`` of each other, the steadier focused stays."""
    from spexkit.solvers.additive_plus import CANDIDATES, choose_candidate

    assert CANDIDATES.index("focused") < CANDIDATES.index("sparse") < CANDIDATES.index("trees")
    cv = {"additive": 0.70, "rescaled": 0.71, "focused": 0.85, "sparse": 0.854, "trees": 0.80}
    assert choose_candidate(cv, 0.005) == "focused"
    assert choose_candidate({**cv, "sparse": 0.856}, 0.005) == "sparse"
    assert choose_candidate({**cv, "focused": 0.70}, 0.005) == "sparse"  # focused lost: sparse still measured from rescaled
    assert choose_candidate({"additive": 0.9, "rescaled": 0.903, "focused": 0.904}, 0.005) == "additive"
    assert choose_candidate({**cv, "trees": 0.854}, 0.005) == "focused"  # 0.004 above focused: not enough


def _record_proxy_fits(monkeypatch) -> list:
    """Record (rows, fits) of every ProxySPEX ``fit_samples`` call additive_plus makes."""
    import spexkit.solvers.proxyspex as proxyspex_module

    calls = []
    real = proxyspex_module.fit_samples

    def recording(masks, values, *args, **kwargs):
        calls.append((masks.shape[0], kwargs.get("fits")))
        return real(masks, values, *args, **kwargs)

    monkeypatch.setattr(proxyspex_module, "fit_samples", recording)
    return calls


def _parity_of_three_removals(n: int):
    """Main effects plus a parity of the first three removals: no pair model captures it."""
    weights = np.linspace(0.2, 1.0, n)
    return lambda m: m @ weights + 3.0 * ((~m)[:, :3].sum(1) % 2)


def test_the_trees_candidate_keeps_an_average_of_fits_on_all_masks(monkeypatch):
    """A parity of three removals (a third-order term that no pair model captures): trees win, and
    the model kept averages ``TREE_FITS`` fits on all masks (one fit on a few hundred masks moves
    with its random draws)."""
    calls = _record_proxy_fits(monkeypatch)
    n = 12
    f = _parity_of_three_removals(n)
    rng = np.random.default_rng(0)
    masks = rng.random((150, n)) < 0.6
    res = fit_additive_plus(f(single_removal_masks(n)), masks, f(masks), seed=0, max_degree=3)
    assert res.metadata["additive_plus"]["chosen"] == "trees"
    assert calls[:5] == [(n + 1 + 120, None)] * 5  # cross-validation: one fit per fold
    assert calls[5:] == [(n + 1 + 150, 5)] and res.metadata["fits"] == 5 == res.metadata["proxyspex"]["fits"]
    probe = rng.random((200, n)) < 0.6
    assert spexkit.metrics.r2_score(f(probe), res.predict(probe)) > 0.95


def test_fold_fits_of_the_trees_candidate_stay_single_above_the_small_sample_cap(monkeypatch):
    """The trees candidate's fold fits only rank candidates: above ProxySPEX's small-sample cap
    each is one fit (``fits=1``), below it ProxySPEX's default (an average of five)."""
    from spexkit.solvers.proxyspex import ENSEMBLE_MAX_SAMPLES

    calls = _record_proxy_fits(monkeypatch)
    n = 12
    f = _parity_of_three_removals(n)
    masks = np.random.default_rng(1).random((340, n)) < 0.6  # folds of 272 masks + the 13 singles
    fit_additive_plus(f(single_removal_masks(n)), masks, f(masks), seed=0, max_degree=3)
    assert calls[:5] == [(n + 1 + 272, 1)] * 5
    assert ENSEMBLE_MAX_SAMPLES < n + 1 + 272
