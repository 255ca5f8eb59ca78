"""ProxySPEX: exact tree read-out, selection, and recovery on hierarchical planted games."""

import numpy as np
import pytest

import spexkit
from spexkit.planted import planted_game
from spexkit.evaluation import faithfulness
from spexkit.metrics import sample_masks
from spexkit.solvers.omp import Heredity, omp_path
from spexkit.solvers.proxyspex import default_booster_params, fit_booster, parity_features, proxyspex
from spexkit.trees import lightgbm_paths, paths_to_fourier


def test_tree_expansion_reproduces_the_booster_exactly():
    game = planted_game(40, n_terms=8, max_degree=3, basis="mobius", seed=0)
    X = sample_masks(40, 400, seed=1)
    params = default_booster_params(3, 400, 0)
    params["n_estimators"] = 50
    booster = fit_booster(X, game(X), params)
    idx, coef = paths_to_fourier(*lightgbm_paths(booster), 40)
    expansion = spexkit.Interactions(idx, coef, 40, basis="fourier")
    test = sample_masks(40, 300, seed=2)
    np.testing.assert_allclose(expansion.predict(test), booster.predict(test.astype(np.float32)), atol=1e-9)
    assert expansion.degrees.max() <= 3


def test_leaf_expansion_signs():
    # One leaf: m_0 = 1 and m_2 = 0, value 8 -> 8 * (1 - (-1)^{m0})/2 * (1 + (-1)^{m2})/2.
    idx, coef = paths_to_fourier(np.array([8.0]), np.array([[0, 2]]), np.array([[1, 0]]), 3)
    res = spexkit.Interactions(idx, coef, 3, basis="fourier")
    masks = spexkit.transforms.all_masks(3)
    want = 8.0 * (masks[:, 0] & ~masks[:, 2])
    np.testing.assert_allclose(res.predict(masks), want)


@pytest.mark.parametrize("n", [100, 300])
def test_hierarchical_game_is_recovered_faithfully(n):
    game = planted_game(n, n_terms=10, max_degree=3, basis="mobius", hierarchical=True, seed=n)
    res = spexkit.explain(game, method="proxyspex", budget=800, max_degree=3, seed=0)
    assert res.metadata["queries"] == 800
    r2 = faithfulness(res, game, n_samples=2000, truth=game.noiseless)
    assert r2 > 0.97
    for key in ("cv_r2", "terms_extracted", "terms_kept", "time_fit", "time_extraction", "refit_terms"):
        assert key in res.metadata
    # Shapley values from the surrogate are close to the truth.
    np.testing.assert_allclose(res.shapley(), game.truth.shapley(), atol=0.15)


def test_biased_sampling_keeps_most_parts():
    seen = []
    game = planted_game(50, n_terms=5, max_degree=2, basis="mobius", seed=0)
    inner = game.fn
    game.fn = lambda m: (seen.append(m.mean()), inner(m))[1]
    proxyspex(game, budget=300, max_degree=2, seed=0, keep=0.9)
    assert np.mean(seen) > 0.85


def test_without_refit_returns_the_raw_tree_spectrum():
    game = planted_game(30, n_terms=4, max_degree=2, basis="mobius", seed=0)
    res = proxyspex(game, budget=300, max_degree=2, seed=0, refit=False)
    assert res.metadata["terms_kept"] == res.metadata["terms_extracted"]


def test_bad_arguments():
    game = planted_game(30, n_terms=4, max_degree=2, seed=0)
    with pytest.raises(ValueError, match="at least"):
        proxyspex(game, budget=3)
    with pytest.raises(ValueError, match="hierarchy"):
        proxyspex(game, budget=100, hierarchy="medium")
    assert game.n_queries == 0


def test_omp_finds_planted_columns_and_heredity_blocks():
    rng = np.random.default_rng(0)
    A = rng.choice([-1.0, 1.0], size=(300, 40))
    y = 3 * A[:, 5] - 2 * A[:, 17] + 0.5
    sel, _ = omp_path(A, y, 2)
    assert sorted(sel) == [5, 17]
    # Column 2 = term (0, 1) needs (0,) or (1,) first; neither explains y, so it stays blocked.
    terms = [(0,), (1,), (0, 1)]
    B = np.stack([rng.choice([-1.0, 1.0], 300) for _ in range(2)], axis=1)
    B = np.hstack([B, (B[:, :1] * B[:, 1:2])])
    sel, _ = omp_path(B, B[:, 2] * 2.0, 1, heredity=Heredity(terms, 1.0))
    assert 2 not in sel


def test_parity_features():
    masks = np.array([[1, 0, 1], [0, 0, 0]], bool)
    idx = spexkit.terms.as_term_matrix([(0,), (0, 2), ()], 3)
    np.testing.assert_array_equal(parity_features(masks, idx), [[-1, 1, 1], [1, 1, 1]])


def test_tuning_reports_every_grid_point():
    game = planted_game(60, n_terms=6, max_degree=3, basis="mobius", hierarchical=True, seed=5)
    res = proxyspex(game, budget=400, max_degree=3, seed=0, tune=True)
    scores = res.metadata["tuning"]
    assert len(scores) == 3 and all(-1 < s["holdout_r2"] <= 1 for s in scores)
    best = max(scores, key=lambda s: s["holdout_r2"])
    assert res.metadata["max_depth"] == best["max_depth"]


def test_joined_terms_unite_overlapping_pieces_only():
    from spexkit.solvers.proxyspex import joined_terms

    # (7,) ∪ (7, 8) is already a term; (0, 9) shares no part with anything
    assert joined_terms([(1, 2, 3), (3, 4), (7,), (7, 8), (0, 9)], 4) == [(1, 2, 3, 4)]
    assert joined_terms([(1, 2, 3), (3, 4, 5)], 4) == []  # the union would exceed the order


def test_refined_pool_joins_screens_and_adds_the_residual_proposals():
    from spexkit import terms as T
    from spexkit.solvers.proxyspex import refined_pool

    n = 20
    pool = T.as_term_matrix([(0,), (1,), (2,), (9,), (0, 1), (1, 2)], n)
    chosen = T.as_term_matrix([(0, 1), (1, 2)], n)
    # the trees' full spectrum: a weak (0, 2) the magnitude ranking left out, noise on 15
    extracted = T.as_term_matrix([(), (0, 2), (2, 15), (15,)], n)
    joined_only, joined = refined_pool(pool, chosen, extracted, n, 3)
    assert joined == 2  # (0, 1, 2) and its missing subset (0, 2)
    assert set(T.to_tuples(joined_only, n)) == set(T.to_tuples(pool, n)) | {(0, 2), (0, 1, 2)}
    # a trusted selection: screened to parts 0-2, every extracted term over them, the pairs
    screened, _ = refined_pool(pool, chosen, extracted, n, 3, screen=True)
    inside = {(0,), (1,), (2,), (0, 1), (1, 2), (0, 2), (0, 1, 2)}  # (9,) and 15 are out
    assert sorted(T.to_tuples(screened, n)) == sorted(inside)  # each term once
    with_pairs, _ = refined_pool(pool, chosen, extracted, n, 3, screen=True, proposals=np.array([[4, 7]]))
    assert set(T.to_tuples(with_pairs, n)) == inside | {(4, 7), (4,), (7,)}
    unclosed, _ = refined_pool(pool, chosen, extracted, n, 3, screen=True, proposals=np.array([[4, 7]]),
                               closed=False)
    assert (4, 7) in T.to_tuples(unclosed, n) and (4,) not in T.to_tuples(unclosed, n)
    nothing, joined = refined_pool(pool, T.as_term_matrix([(0,), (9,)], n), extracted, n, 3)
    assert joined == 0 and set(T.to_tuples(nothing, n)) == set(T.to_tuples(pool, n))


def test_residual_scan_ranks_every_pair_across_column_blocks_and_every_part():
    from spexkit.solvers.proxyspex import residual_pairs, residual_singles

    rng = np.random.default_rng(1)
    masks = rng.random((600, 50)) < 0.5
    chi = 1.0 - 2.0 * masks
    residual = 2.0 * chi[:, 3] * chi[:, 41] - 1.0 * chi[:, 10] * chi[:, 12] + 0.1 * rng.normal(size=600)
    for block in (7, 512):  # pairs that straddle blocks are scored as well
        assert residual_pairs(masks, residual, 10, block=block).tolist() == [[3, 41], [10, 12]]
    assert residual_pairs(masks[:, :3], residual, 10, z=0).shape == (3, 2)  # only 3 pairs exist
    assert residual_pairs(masks, residual, 0).shape == (0, 2)
    # noise alone rarely clears the bar: about M·2Φ(-sqrt(2 ln M)) = 0.2 pairs per scan here
    found = [len(residual_pairs(masks, rng.normal(size=600), 10)) for _ in range(30)]
    assert np.mean(found) < 0.6
    assert residual_singles(masks, residual + 0.5 * chi[:, 30], 5).tolist() == [30]
    assert residual_singles(masks, residual, 99, z=0).shape == (50,)


def test_residual_pairs_are_not_lifted_by_a_main_effect_when_masks_keep_most_parts():
    # keep = 0.9: raw ±1 products correlate with each factor, so an unfitted main effect on
    # part 5 would put every pair (5, j) above the real pair; centring removes that.
    from spexkit.solvers.proxyspex import residual_pairs

    rng = np.random.default_rng(2)
    masks = rng.random((800, 40)) < 0.9
    chi = 1.0 - 2.0 * masks
    residual = chi[:, 5] + 0.5 * chi[:, 10] * chi[:, 20]
    assert residual_pairs(masks, residual, 1).tolist() == [[10, 20]]


def _hierarchical_sample(seed: int, budget: int = 1000):
    """The benchmark's game at n = 1000 (seed ``seed``), queried on ``budget`` uniform masks,
    with 2,000 held-out masks and their noiseless values."""
    from spexkit.masks import uniform_masks

    game = planted_game(1000, 30, 4, basis="mobius", hierarchical=True, seed=seed)
    masks = uniform_masks(1000, budget, keep=0.5, seed=seed)
    test = sample_masks(1000, 2000, seed=99)
    return masks, game(masks), test, game.noiseless(test)


def test_residual_scan_finds_the_pairs_trees_miss():
    # n = 1000, 1,000 samples, the hardest of the benchmark's ten seeds: part 889 is in two
    # planted 4-sets whose main effects nearly cancel, so the trees never split on it; its
    # pairs, e.g. (54, 889) with coefficient 0.37, top the residual scan.
    from spexkit.metrics import r2_score
    from spexkit.solvers.proxyspex import fit_samples

    masks, values, test, truth = _hierarchical_sample(9)
    scanned = fit_samples(masks, values, 4, seed=0)
    plain = fit_samples(masks, values, 4, seed=0, residual_scan=0)
    assert scanned.metadata["proposed_terms"] > 0 and plain.metadata["proposed_terms"] == 0
    assert plain.metadata["screened"]  # screening does not depend on the scan
    assert (54, 889) in scanned.terms and (54, 889) not in plain.terms
    assert r2_score(truth, scanned.predict(test)) > 0.98
    assert r2_score(truth, scanned.predict(test)) > r2_score(truth, plain.predict(test)) + 0.03


def test_second_round_is_not_screened_when_the_first_selection_is_poor():
    from spexkit.solvers.proxyspex import SCREEN_TRUST, fit_samples

    masks, values, _, _ = _hierarchical_sample(2, budget=500)  # far too few samples for ~220 terms
    res = fit_samples(masks, values, 4, seed=0)
    meta = res.metadata
    assert meta["selection_rounds"] == 2 and meta["joined_terms"] > 0  # one join round ran ...
    assert meta["selection_cv_r2"] < SCREEN_TRUST and not meta["screened"] and meta["proposed_terms"] == 0  # ... unscreened


def test_a_noisy_poor_selection_falls_back_to_the_tree_spectrum_before_any_round():
    # 5 dB, 500 samples: the first selection cross-validates below the booster's own held-out
    # R²; refinement rounds would flatter their cross-validation (their candidates come from
    # all the samples), so the raw spectrum is returned and no round runs.
    from spexkit.masks import uniform_masks
    from spexkit.metrics import r2_score
    from spexkit.solvers.proxyspex import fit_samples

    game = planted_game(300, 15, 3, basis="mobius", hierarchical=True, snr_db=5, seed=0)
    masks = uniform_masks(300, 500, keep=0.5, seed=0)
    values = game(masks)
    res = fit_samples(masks, values, 3, seed=0, fits=1)  # one fit's choice (unsure fits are averaged by default)
    meta = res.metadata
    assert meta["selection"] == "raw spectrum" and meta["selection_rounds"] == 1
    assert meta["raw_holdout_r2"] > meta["selection_cv_r2"] and meta["cv_r2"] == meta["raw_holdout_r2"]
    raw = fit_samples(masks, values, 3, seed=0, refit=False)  # the same booster, read out as is
    test = sample_masks(300, 2000, seed=99)
    assert np.allclose(res.predict(test), raw.predict(test))
    assert r2_score(game.noiseless(test), res.predict(test)) > 0.7


def test_first_order_trees_get_no_pair_proposals():
    res = proxyspex(planted_game(60, 6, 2, basis="mobius", snr_db=10, seed=0), budget=400, max_degree=1, seed=0)
    assert res.degrees.max() <= 1


def test_refinement_arguments_are_checked():
    game = planted_game(20, 3, 2, basis="mobius", seed=0)
    with pytest.raises(ValueError, match="rounds"):
        proxyspex(game, budget=64, rounds=0)
    with pytest.raises(ValueError, match="residual_scan"):
        proxyspex(game, budget=64, residual_scan=-1)


def test_join_step_recovers_a_case_the_trees_find_in_pieces():
    # n = 1000, 1,000 samples, seed 0: the trees see a degree-4 AND term only as pieces,
    # (309, 374, 523) on one path and (422, 523) on another; the join proposes the whole.
    from spexkit.metrics import r2_score
    from spexkit.solvers.proxyspex import fit_samples

    masks, values, test, truth = _hierarchical_sample(0)
    # the join alone: one extra round, no residual scan (which finds the term on its own)
    joined = fit_samples(masks, values, 4, seed=0, join=True, rounds=2, residual_scan=0)
    plain = fit_samples(masks, values, 4, seed=0, join=False)
    assert (309, 374, 422, 523) in joined.terms and (309, 374, 422, 523) not in plain.terms
    assert joined.metadata["joined_terms"] > 0 and plain.metadata["joined_terms"] == 0
    # the first selection cross-validates well, so the second round keeps only its parts
    assert joined.metadata["screened"] and not plain.metadata["screened"]
    used = {p for t in joined.terms for p in t}
    assert len(used) < 200  # ~80 true parts; the trees split on hundreds
    assert r2_score(truth, joined.predict(test)) > 0.97
    assert r2_score(truth, joined.predict(test)) > r2_score(truth, plain.predict(test)) + 0.02


def test_cv_r2_in_metadata_is_the_returned_spectrum_s_when_the_selection_is_rejected():
    # The noisy case above: the raw tree spectrum is returned, so metadata["cv_r2"] must be its
    # held-out figure, not the rejected selection's (kept as "selection_cv_r2").
    from spexkit.masks import uniform_masks
    from spexkit.solvers.proxyspex import fit_samples

    game = planted_game(300, 15, 3, basis="mobius", hierarchical=True, snr_db=5, seed=0)
    masks = uniform_masks(300, 500, keep=0.5, seed=0)
    meta = fit_samples(masks, game(masks), 3, seed=0, fits=1).metadata
    assert meta["selection"] == "raw spectrum"
    assert meta["cv_r2"] == meta["raw_holdout_r2"]
    assert meta["selection_cv_r2"] < meta["raw_holdout_r2"]
    kept = proxyspex(planted_game(60, n_terms=5, max_degree=2, basis="mobius", seed=0), budget=300,
                     max_degree=2, seed=0).metadata
    assert kept["selection"] == "refit" and kept["cv_r2"] == kept["selection_cv_r2"]


def test_auto_refits_the_proxy_on_spex_s_samples_when_spex_loses():
    # budget 1200 on the noisy game: the first stage (300 samples) cross-validates poorly, SPEX
    # runs with the rest and loses on the proxy's samples; its 840 masks are not wasted: the
    # proxy is refitted on all 1,140 samples, and auto's estimate is that fit's own figure.
    import warnings

    from spexkit.metrics import r2_score
    from spexkit.solvers.auto import auto

    game = planted_game(300, 15, 3, basis="mobius", hierarchical=True, snr_db=5, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SPEX's "explained only" warning
        res = auto(game, budget=1200, max_degree=3, seed=0)
    meta = res.metadata
    stages = meta["auto"]["stages"]
    assert meta["auto"]["chosen"] == "proxyspex"
    assert [s["method"] for s in stages] == ["proxyspex", "spex", "proxyspex"]
    assert stages[1]["r2_on_proxy_samples"] < stages[0]["cv_r2"]
    assert stages[2]["samples"] == meta["queries"] == stages[1]["queries"] > stages[0]["samples"]
    assert meta["auto"]["estimated_r2"] == stages[2]["cv_r2"] == meta["cv_r2"]
    test = sample_masks(300, 2000, seed=5)
    first_slice_only = spexkit.solvers.proxyspex.fit_samples(
        *_sampled(game, 300, seed=0), 3, seed=0)
    assert r2_score(game.noiseless(test), res.predict(test)) > r2_score(game.noiseless(test),
                                                                      first_slice_only.predict(test)) + 0.1


def test_auto_spends_its_budget_when_the_fit_stalls():
    # The cross-validated R² of a dense game stalls between stages; auto still spends the budget.
    from spexkit.solvers.auto import auto

    # (Its linear part dominates: by default auto buys the single removals at its second
    # stage, and spends the budget there too.)
    game = spexkit.Game(lambda m: (1.0 - 2.0 * m) @ np.linspace(-1, 1, 30) + np.sin(m.sum(1)), n_players=30)
    res = auto(game, budget=400, seed=0, singles=False)
    assert res.metadata["queries"] == 400 and res.metadata["auto"]["stages"][-1]["samples"] == 400
    assert res.metadata["auto"]["stages"][-1]["decision"] == "budget spent"
    with_singles = auto(game, budget=400, seed=0)
    assert with_singles.metadata["queries"] == 400 and with_singles.metadata["auto"]["chosen"] == "additive_plus"
    assert with_singles.metadata["auto"]["stages"][-1]["samples"] == 400


def assert_same_result(res, other):
    """The same terms, and coefficients equal to rounding."""
    assert res.terms == other.terms
    np.testing.assert_allclose(res.coefficients, other.coefficients, rtol=0, atol=1e-12)


def test_auto_that_spends_its_budget_on_the_proxy_returns_proxyspex_s_result():
    # The stages draw their masks from one draw of the whole budget, as ProxySPEX does, and the
    # last fit uses the generator as ProxySPEX's fit would: same seed, same budget, same result.
    from spexkit.solvers.auto import auto
    from spexkit.solvers.proxyspex import proxyspex

    # noiseless (a noisy game's values depend on the order of its calls) and dense: no stage
    # reaches the target, so the budget is spent
    game = spexkit.Game(lambda m: (1.0 - 2.0 * m) @ np.linspace(-1, 1, 30) + np.sin(m.sum(1)), n_players=30)
    res = auto(game, budget=200, seed=4, singles=False)
    assert res.metadata["auto"]["stages"][-1]["decision"] == "budget spent"
    assert len(res.metadata["auto"]["stages"]) > 1  # the earlier stages took the plan's first rows
    assert_same_result(res, proxyspex(game, budget=200, seed=4))


def test_auto_stops_early_only_when_the_previous_fit_predicts_the_new_rows():
    # A sparse hierarchical game: the first stage's cross-validation already says the target
    # is reached, but auto does not stop on an estimate alone; the next stage's fresh rows,
    # scored by the first stage's fit, confirm it.
    from spexkit.solvers.auto import auto

    game = planted_game(60, n_terms=5, max_degree=2, basis="mobius", seed=0)
    res = auto(game, budget=1200, max_degree=2, seed=0)
    stages = res.metadata["auto"]["stages"]
    assert stages[0]["cv_r2"] >= 0.99 and "decision" not in stages[0]
    assert stages[-1]["decision"] == "target reached" and len(stages) == 2
    assert stages[-1]["previous_fit_r2_on_new_rows"] >= 0.99
    assert res.metadata["queries"] == stages[-1]["samples"] < 1200


def test_auto_spends_its_budget_when_its_masks_repeat():
    # 10 parts at keep 0.7: 600 draws repeat many masks, each paid once per call. The budget is
    # the plan's 600 rows, not a count of queries, which repeats keep below 600.
    from spexkit.solvers.auto import auto
    from spexkit.solvers.proxyspex import proxyspex

    n = 10
    game = spexkit.Game(lambda m: (1.0 - 2.0 * m) @ np.linspace(-1, 1, n) + np.sin(3 * m.sum(1)),
                        n_players=n, keep=0.7)
    res = auto(game, budget=600, seed=0, singles=False)
    stages = res.metadata["auto"]["stages"]
    assert [s["samples"] for s in stages] == [150, 300, 600] and stages[-1]["decision"] == "budget spent"
    assert res.metadata["queries"] < 600
    # A mask drawn in an earlier stage is not paid for again: auto pays what ProxySPEX pays.
    proxy = proxyspex(game, budget=600, seed=0)
    assert res.metadata["queries"] == proxy.metadata["queries"]
    assert_same_result(res, proxy)


def test_auto_min_gain_is_deprecated():
    from spexkit.solvers.auto import auto

    with pytest.warns(DeprecationWarning, match="min_gain"):
        auto(planted_game(8, 3, 2, seed=0), budget=300, min_gain=0.01)


def _sampled(game, count, seed):
    from spexkit.masks import uniform_masks

    masks = uniform_masks(game.n_players, count, keep=0.5, seed=seed)
    return masks, game(masks)


def _near_additive_sample(budget: int, seed: int = 0):
    """A 30-part game with strong main effects, one weak pair and noise: a linear model's game."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=30)

    def game(m):
        m = m.astype(float)
        return m @ w + 0.3 * m[:, 0] * m[:, 1] + 0.4 * np.random.default_rng(int(m.sum())).normal(size=len(m))

    from spexkit.masks import uniform_masks

    masks = uniform_masks(30, budget, keep=0.5, seed=seed)
    test = uniform_masks(30, 2000, keep=0.5, seed=seed + 100)
    return masks, game(masks), test, test.astype(float) @ w + 0.3 * test[:, 0] * test[:, 1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_candidate_wins_on_a_near_additive_game_and_matches_the_lasso(seed):
    # 80 samples over 30 strong main effects: the tree pool's terms overfit; the linear model,
    # judged on the same folds, cross-validates better and is returned, as faithful as the
    # scikit-learn LASSO over the single parts on the same samples.
    from sklearn.linear_model import LassoCV

    from spexkit.metrics import r2_score
    from spexkit.solvers.proxyspex import fit_samples

    masks, values, test, truth = _near_additive_sample(80, seed)
    res = fit_samples(masks, values, 4, seed=seed, fits=1)  # one fit: its own selection is checked
    meta = res.metadata
    assert meta["selection"] == "linear" and res.degrees.max() == 1
    assert meta["cv_r2"] == meta["linear_cv_r2"] >= meta["selection_cv_r2"]
    lasso = LassoCV(cv=4, alphas=30, max_iter=5000).fit(1.0 - 2.0 * masks, values)
    ours, theirs = r2_score(truth, res.predict(test)), r2_score(truth, lasso.predict(1.0 - 2.0 * test))
    assert ours > theirs - 0.02
    without = fit_samples(masks, values, 4, seed=seed, linear=False, fits=1)
    assert without.metadata["selection"] != "linear" and "linear_cv_r2" not in without.metadata
    assert ours > r2_score(truth, without.predict(test))


def test_linear_candidate_is_judged_on_the_same_folds_and_wins_only_when_it_generalises():
    from spexkit.masks import uniform_masks
    from spexkit.metrics import r2_score
    from spexkit.solvers.proxyspex import fit_samples

    # a clean hierarchical game: the interactions cross-validate above 0.99, no linear fit needed
    res = proxyspex(planted_game(60, n_terms=5, max_degree=2, basis="mobius", seed=0), budget=300,
                    max_degree=2, seed=0)
    assert res.metadata["selection"] == "refit" and res.degrees.max() == 2
    assert "linear_cv_r2" not in res.metadata
    # the noisy game: the linear model is fitted and loses to the trees' own spectrum
    game = planted_game(300, 15, 3, basis="mobius", hierarchical=True, snr_db=5, seed=0)
    masks = uniform_masks(300, 500, keep=0.5, seed=0)
    meta = fit_samples(masks, game(masks), 3, seed=0, fits=1).metadata
    assert meta["selection"] == "raw spectrum" and meta["linear_cv_r2"] < meta["raw_holdout_r2"]
    # n = 1000 at 500 samples, too few for ~220 interaction terms: the linear model wins, and
    # rightly so on held-out masks; at 1,000 samples the interactions win
    masks, values, test, truth = _hierarchical_sample(2, budget=500)
    with_linear = fit_samples(masks, values, 4, seed=0)
    without = fit_samples(masks, values, 4, seed=0, linear=False)
    assert with_linear.metadata["selection"] == "linear"
    assert r2_score(truth, with_linear.predict(test)) > r2_score(truth, without.predict(test)) + 0.1


def test_linear_fit_uses_the_selection_s_folds():
    from spexkit.solvers.omp import cv_path_length
    from spexkit.solvers.proxyspex import parity_features
    from spexkit.solvers.omp import cv_folds

    # cv_path_length draws its folds as cv_folds does: the same rng gives the same splits
    masks, values, _, _ = _near_additive_sample(60)
    X = parity_features(masks, np.arange(30)[:, None])
    k, r2 = cv_path_length(X, values, 30, 4, np.random.default_rng(5))
    splits = cv_folds(60, 4, np.random.default_rng(5))
    from spexkit.solvers.omp import omp_path

    errs = []
    for train, val in splits:
        _, err = omp_path(X[train], values[train], 30, X[val], values[val], patience=60)
        errs.append(np.concatenate([err, np.full(60, err[-1])])[:k][-1])
    assert np.isclose(1 - np.mean(errs) / np.var(values), r2)


def _parity_pairs_sample(budget: int, seed: int = 0):
    """A 40-part game of six parities of two parts (no main effects) plus two main effects."""
    pairs = [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11)]

    def truth(m):
        x = 1.0 - 2.0 * m
        return sum(x[:, i] * x[:, j] for i, j in pairs) + 0.5 * x[:, 20] - 0.5 * x[:, 21]

    from spexkit.masks import uniform_masks

    masks = uniform_masks(40, budget, keep=0.5, seed=seed)
    test = uniform_masks(40, 2000, keep=0.5, seed=seed + 100)
    noise = 0.1 * np.random.default_rng(seed).normal(size=budget)
    return masks, truth(masks) + noise, test, truth(test), pairs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pairs_candidate_finds_pairs_the_trees_cannot_split_on(seed):
    # Parities of two parts: neither part does anything alone, so no tree splits on them and
    # the residual scan needs a selection to start from. The sparse model over all pairs,
    # judged on the same folds, cross-validates better and is returned.
    from spexkit.metrics import r2_score
    from spexkit.solvers.proxyspex import fit_samples

    masks, values, test, truth, pairs = _parity_pairs_sample(150, seed)
    res = fit_samples(masks, values, 3, seed=seed, fits=1)
    meta = res.metadata
    assert meta["selection"] == "pairs" and meta["cv_r2"] == meta["pairs_cv_r2"] > meta["selection_cv_r2"]
    assert set(pairs) <= set(res.terms) and res.degrees.max() == 2
    assert r2_score(truth, res.predict(test)) > 0.95
    without = fit_samples(masks, values, 3, seed=seed, fits=1, pairs=False)
    assert without.metadata["selection"] != "pairs" and "pairs_cv_r2" not in without.metadata
    assert r2_score(truth, res.predict(test)) > r2_score(truth, without.predict(test)) + 0.2


def test_pairs_candidate_is_fitted_only_when_the_selection_is_in_doubt_and_it_fits_in_memory():
    from spexkit.masks import uniform_masks
    from spexkit.solvers.proxyspex import fit_samples
    from spexkit.solvers.proxyspex.refinement import LINEAR_NEEDLESS, SELECTION_DOUBT
    from spexkit.solvers.proxyspex.selection import PAIRS_MAX_ENTRIES, pairs_fit_fits

    masks, values, _, _, _ = _parity_pairs_sample(150)
    assert "pairs_cv_r2" not in fit_samples(masks, values, 1, seed=0, fits=1).metadata  # trees of depth 1
    # a clean hierarchical game: the trees' selection cross-validates above 0.99
    res = proxyspex(planted_game(60, n_terms=5, max_degree=2, basis="mobius", seed=0), budget=300,
                    max_degree=2, seed=0)
    assert res.metadata["selection"] == "refit" and "pairs_cv_r2" not in res.metadata
    # a selection that cross-validates well (0.9-0.99, a noisy hierarchical game) is trusted:
    # a pairs model would truncate what it found, so none is fitted; just below 0.9 one is
    game = planted_game(40, 8, 2, basis="mobius", snr_db=15, seed=0)
    noisy = uniform_masks(40, 300, keep=0.5, seed=0)
    meta = fit_samples(noisy, game(noisy), 2, seed=0, fits=1).metadata
    assert SELECTION_DOUBT <= meta["selection_cv_r2"] < LINEAR_NEEDLESS and "pairs_cv_r2" not in meta
    game = planted_game(40, 8, 2, basis="mobius", snr_db=10, seed=0)
    meta = fit_samples(noisy, game(noisy), 2, seed=0, fits=1).metadata
    assert meta["selection_cv_r2"] < SELECTION_DOUBT and "pairs_cv_r2" in meta
    # the design's size bounds it: 1,000 samples over 100 parts fit, over 1,000 parts do not
    assert pairs_fit_fits(1000, 100) and not pairs_fit_fits(1000, 1000)
    assert not pairs_fit_fits(PAIRS_MAX_ENTRIES // 55 + 1, 10) and pairs_fit_fits(PAIRS_MAX_ENTRIES // 55, 10)


def test_auto_finds_parity_pairs_at_a_budget_too_small_for_spex():
    # The planted Fourier class of the real-games benchmark at 300 calls: SPEX's design needs
    # 528, the trees see no pairs; auto's final fit considers the pairs model.
    import warnings

    from spexkit.metrics import r2_score
    from spexkit.solvers.auto import auto

    game = planted_game(100, 15, 3, basis="fourier", seed=0)
    test = sample_masks(100, 1000, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = auto(game, budget=300, max_degree=3, seed=0)
        without = auto(game, budget=300, max_degree=3, seed=0, pairs=False)
    assert res.metadata["auto"]["chosen"] == "proxyspex" and res.metadata["queries"] == 300
    assert r2_score(game.noiseless(test), res.predict(test)) > r2_score(game.noiseless(test), without.predict(test)) + 0.15


def test_auto_falls_back_to_spex_only_for_games_sampled_near_half():
    # A pure Fourier game: the first stage is poor. At keep 1/2 SPEX gets the rest; at keep 0.8
    # (a prompt) SPEX's half-kept masks are off the distribution asked about: no fallback.
    import warnings

    from spexkit.solvers.auto import auto

    game = planted_game(300, 15, 3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        half = auto(game, budget=1200, max_degree=3, seed=0).metadata["auto"]
        prompt = auto(game, budget=1200, max_degree=3, seed=0, keep=0.8).metadata["auto"]
    assert half["chosen"] == "spex" and "spex" in [s["method"] for s in half["stages"]]
    assert prompt["chosen"] == "proxyspex" and "spex" not in [s["method"] for s in prompt["stages"]]
    assert prompt["stages"][-1]["decision"] in ("target reached", "budget spent")


def test_booster_threads_do_not_change_the_result():
    # deterministic=True with a forced layout must give the same trees, hence the same terms
    # and coefficients, on two threads as on one (so the thread count may follow the size).
    from spexkit.masks import uniform_masks
    from spexkit.solvers.proxyspex import fit_samples

    game = planted_game(200, 15, 3, basis="mobius", hierarchical=True, snr_db=20, seed=4)
    masks = uniform_masks(200, 400, keep=0.5, seed=4)
    values = game(masks)
    two = fit_samples(masks, values, 3, seed=4, booster_params={"n_jobs": 2})
    one = fit_samples(masks, values, 3, seed=4, booster_params={"n_jobs": 1})
    chosen = fit_samples(masks, values, 3, seed=4)
    assert two.terms == one.terms == chosen.terms
    assert np.array_equal(two.coefficients, one.coefficients)
    assert np.array_equal(chosen.coefficients, one.coefficients)


def test_booster_threads_follow_the_size_unless_given():
    from spexkit.solvers.proxyspex.booster import PARALLEL_MIN_ENTRIES, booster_threads

    small = np.zeros((100, 30), dtype=bool)
    large = np.zeros((PARALLEL_MIN_ENTRIES // 100 + 1, 100), dtype=bool)
    assert booster_threads(small, {"n_jobs": None})["n_jobs"] == 1  # one thread: no waiting on busy cores
    assert booster_threads(large, {"n_jobs": None})["n_jobs"] is None  # every core
    assert booster_threads(small, {"n_jobs": 2})["n_jobs"] == 2  # the user's choice stands


def test_small_sample_fits_are_averaged_and_the_average_is_exact():
    """At most ENSEMBLE_MAX_SAMPLES samples: ENSEMBLE_FITS fits, each with its own draws of the
    fit's randomness, averaged term by term."""
    from spexkit.masks import uniform_masks
    from spexkit.solvers.proxyspex import ENSEMBLE_FITS, fit_samples

    game = planted_game(20, n_terms=6, max_degree=2, basis="mobius", snr_db=10, seed=0)
    masks = uniform_masks(20, 48, keep=0.5, seed=0)
    values = game(masks)
    res = fit_samples(masks, values, 2, seed=3)
    assert res.metadata["fits"] == ENSEMBLE_FITS and len(res.metadata["members"]) == ENSEMBLE_FITS
    rng = np.random.default_rng(3)  # the members draw from one generator, one after the other
    members = [fit_samples(masks, values, 2, seed=rng, fits=1) for _ in range(ENSEMBLE_FITS)]
    test = uniform_masks(20, 200, keep=0.5, seed=1)
    np.testing.assert_allclose(res.predict(test), np.mean([m.predict(test) for m in members], axis=0), atol=1e-10)
    assert res.metadata["cv_r2"] == pytest.approx(np.mean([m.metadata["cv_r2"] for m in members]))
    with pytest.raises(ValueError, match="fits"):
        fit_samples(masks, values, 2, seed=0, fits=0)


def test_above_the_small_sample_cap_only_unsure_fits_are_averaged(monkeypatch):
    """Above ENSEMBLE_MAX_SAMPLES: one fit when it cross-validates at ENSEMBLE_BELOW_CV or
    better; below, ENSEMBLE_FITS fits whose first is that one fit, unless samples x parts
    exceed ENSEMBLE_MAX_CELLS."""
    import spexkit.solvers.proxyspex as P
    from spexkit.masks import uniform_masks

    big = uniform_masks(20, P.ENSEMBLE_MAX_SAMPLES + 1, keep=0.5, seed=0)
    clean = planted_game(20, n_terms=6, max_degree=2, basis="mobius", seed=0)
    one = P.fit_samples(big, clean(big), 2, seed=3)
    assert one.metadata["fits"] == 1 and one.metadata["cv_r2"] >= P.ENSEMBLE_BELOW_CV
    assert one == P.fit_samples(big, clean(big), 2, seed=3, fits=1)

    noisy = planted_game(20, n_terms=6, max_degree=2, basis="mobius", snr_db=5, seed=0)
    values = noisy(big)
    first = P.fit_samples(big, values, 2, seed=3, fits=1)
    assert first.metadata["cv_r2"] < P.ENSEMBLE_BELOW_CV
    averaged = P.fit_samples(big, values, 2, seed=3)
    assert averaged.metadata["fits"] == P.ENSEMBLE_FITS
    assert averaged.metadata["members"][0]["cv_r2"] == first.metadata["cv_r2"]
    assert averaged.metadata["cv_r2"] != first.metadata["cv_r2"]
    monkeypatch.setattr(P, "ENSEMBLE_MAX_CELLS", big.size - 1)  # too large a game for the extra fits
    assert P.fit_samples(big, values, 2, seed=3) == first


def test_averaging_small_sample_fits_is_more_faithful_over_seeds():
    """A noisy 20-part game at 40 samples: over ten seeds, the average of five fits is closer
    to the noiseless truth than one fit, on average."""
    from spexkit.masks import uniform_masks
    from spexkit.metrics import r2_score
    from spexkit.solvers.proxyspex import fit_samples

    single, averaged = [], []
    for seed in range(10):
        game = planted_game(20, n_terms=8, max_degree=2, basis="mobius", snr_db=10, seed=seed)
        masks = uniform_masks(20, 40, keep=0.5, seed=seed)
        test = uniform_masks(20, 500, keep=0.5, seed=seed + 100)
        truth = game.truth.predict(test)
        values = game(masks)
        single.append(r2_score(truth, fit_samples(masks, values, 2, seed=seed, fits=1).predict(test)))
        averaged.append(r2_score(truth, fit_samples(masks, values, 2, seed=seed).predict(test)))
    assert np.mean(averaged) > np.mean(single)


def test_trees_that_never_split_still_give_the_linear_fit():
    """At the smallest budget the trees may not split at all (a pool of constant terms only);
    the linear candidate must still be fitted, not crash on the pool's width."""
    w = np.arange(1.0, 21.0)
    game = spexkit.Game(lambda m: m @ w, n_players=20, keep=0.5)
    res = spexkit.explain(game, method="proxyspex", budget=9, max_degree=1, seed=0)
    assert res.metadata["queries"] == 9
    assert np.isfinite(res.coefficients).all() and np.isfinite(res.metadata["cv_r2"])


def test_planted_mobius_terms_are_recovered_exactly_at_n_1000():
    """Ground truth at scale: a noiseless planted game of 5 Möbius terms over 1,000 parts. The
    surrogate, turned into the Möbius basis, holds exactly those terms (nothing else above
    1e-6) with their coefficients."""
    game = planted_game(1000, n_terms=5, max_degree=2, basis="mobius", seed=3)
    res = spexkit.explain(game, method="proxyspex", budget=1000, max_degree=2, seed=0).to("mobius")
    found = {t: c for t, c in zip(res.terms, res.coefficients) if abs(c) > 1e-6}
    truth = dict(zip(game.truth.terms, game.truth.coefficients))
    assert set(found) == set(truth), (sorted(found), sorted(truth))
    for term, coef in truth.items():
        assert found[term] == pytest.approx(coef, abs=1e-6), term


@pytest.mark.parametrize("max_degree, error, match", [(0, ValueError, "max_degree must be a positive int, got 0"),
                                                      (-1, ValueError, "positive int"), (2.5, TypeError, "max_degree"),
                                                      ("2", TypeError, "max_degree")])
def test_fit_samples_checks_max_degree(max_degree, error, match):
    from spexkit.solvers.proxyspex import fit_samples
    masks = np.random.default_rng(0).random((40, 6)) < 0.5
    with pytest.raises(error, match=match):
        fit_samples(masks, masks.sum(1) * 1.0, max_degree, seed=0)


def test_fit_samples_needs_samples_for_each_cross_validation_fold():
    from spexkit.solvers.proxyspex import fit_samples
    masks = np.random.default_rng(0).random((7, 6)) < 0.5
    with pytest.raises(ValueError, match="at least 8 samples"):
        fit_samples(masks, masks.sum(1) * 1.0, 2, seed=0)
