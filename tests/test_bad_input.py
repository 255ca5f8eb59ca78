"""Bad input found by probing the public API: each case either names the problem or warns.

Every case here once gave a raw numpy/LightGBM error, or silently returned something the user
did not ask for (a seed not recorded, pairs dropped, players read from a string's characters).
"""

import warnings

import numpy as np
import pytest

import spexkit
from spexkit import Game, Interactions, explain
from spexkit.solvers.proxyspex import fit_samples
from spexkit.validation import check_players, check_seed


def _game(n=6):
    return Game(lambda m: m.sum(1) + 2.0 * (m[:, 0] & m[:, 1]), n_players=n)


# ----------------------------------------------------------------- seeds
def test_a_numpy_integer_seed_is_recorded_as_an_int():
    res = explain(_game(), method="kernelshap", budget=30, seed=np.int64(7))
    assert res.metadata["seed"] == 7 and type(res.metadata["seed"]) is int
    assert Interactions.from_json(res.to_json()).metadata["seed"] == 7
    again = explain(_game(), method="kernelshap", budget=30, seed=7)
    np.testing.assert_array_equal(res.coefficients, again.coefficients)


@pytest.mark.parametrize("seed, error, match", [(-1, ValueError, "non-negative"), (True, TypeError, "bool"),
                                                (1.5, TypeError, "float"), ("0", TypeError, "str")])
def test_a_seed_that_is_not_a_non_negative_int_is_refused_by_name(seed, error, match):
    with pytest.raises(error, match=f"seed must .*{match}"):
        explain(_game(), method="kernelshap", budget=30, seed=seed)
    with pytest.raises(error, match="seed must"):
        check_seed(seed)


def test_a_generator_seed_is_recorded_as_generator():
    res = explain(_game(), method="kernelshap", budget=30, seed=np.random.default_rng(0))
    assert res.metadata["seed"] == "generator"


# ----------------------------------------------------------------- methods' arguments
@pytest.mark.parametrize("method", ["kernelshap", "lime", "banzhaf"])
def test_main_effect_methods_warn_that_max_degree_is_ignored(method):
    with pytest.warns(UserWarning, match=f"method='{method}' returns main effects only.*max_degree=2"):
        res = explain(_game(), method=method, budget=40, max_degree=2, seed=0)
    assert res.degrees.max() <= 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explain(_game(), method=method, budget=40, max_degree=1, seed=0)  # nothing to say


def test_banzhaf_needs_two_masks_and_says_which_players_it_could_not_estimate():
    with pytest.raises(ValueError, match="banzhaf's budget must be at least 2"):
        explain(_game(8), method="banzhaf", budget=1)
    with pytest.warns(UserWarning, match="kept in all or none of the 2 masks"):
        res = explain(_game(8), method="banzhaf", budget=2, seed=0)
    assert np.isfinite(res.banzhaf()).all()


def test_additive_plus_default_budget_fits_a_small_game():
    res = explain(_game(6), method="additive_plus", seed=0)  # 2(n + 1) = 14 was below its minimum 17
    assert res.metadata["queries"] == 17


@pytest.mark.parametrize("n", [2, 3, 4])
def test_additive_plus_solves_exactly_when_the_budget_covers_every_mask(n):
    game = _game(n)
    res = explain(game, method="additive_plus", budget=60, seed=0)
    truth = explain(game, method="exact")
    assert res.metadata["additive_plus"]["chosen"] == "exact"
    np.testing.assert_allclose(res.shapley(), truth.shapley(), atol=1e-12)


# ----------------------------------------------------------------- players and terms
@pytest.mark.parametrize("removed, error, match", [
    (2, TypeError, r"a list of indices, got int 2; for one player write \[2\]"),
    (["b"], TypeError, r"got str 'b' \(to name a player by its label"),
    ([1.5], TypeError, "got float 1.5"),
    ([True], TypeError, "got bool True"),
    ([6], ValueError, r"must lie in \[0, 5\]"),
    ([-1], ValueError, r"must lie in \[0, 5\]"),
])
def test_removed_players_must_be_a_list_of_valid_indices(removed, error, match):
    with pytest.raises(error, match=match):
        _game().value_of(removed)


def test_removed_players_accept_numpy_ints_and_any_sequence():
    game = _game()
    assert game.value_of([np.int64(0)]) == game.value_of((0,)) == 5.0
    assert check_players(np.array([3, 1]), 6) == [3, 1]


def test_label_of_a_term_checks_its_players():
    res = explain(_game(4), method="exact")
    assert res.label((0, 1)) == "0 × 1" and res.label(()) == "∅"
    with pytest.raises(ValueError, match=r"term must lie in \[0, 3\]"):
        res.label([-1])  # used to name the last player
    with pytest.raises(TypeError, match=r"for one player write \[0\]"):
        res.label(0)


def test_top_checks_k_and_order():
    res = explain(_game(4), method="exact")
    assert res.top(0) == [] and len(res.top(2, order=2)) == 1
    with pytest.raises(TypeError, match="order must be a positive int"):
        res.top(3, order="2")  # used to return [] silently
    with pytest.raises(ValueError, match="order must be a positive int"):
        res.top(3, order=0)
    with pytest.raises(TypeError, match="k must be a non-negative int"):
        res.top(None)
    with pytest.raises(ValueError, match="k must be a non-negative int"):
        res.top(-1)


def test_an_int_support_matrix_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"pass a support matrix as bool"):
        Interactions(np.array([[1, 0], [0, 1]]), [1.0, 2.0], 2)  # used to become one term (0, 1) = 3
    support = Interactions(np.array([[1, 0], [0, 1]], dtype=bool), [1.0, 2.0], 2)
    assert support.terms == [(0,), (1,)]
    assert Interactions(np.array([[0, 1]]), [1.0], 2).terms == [(0, 1)]  # a padded index row stays one


def test_a_term_given_as_a_string_is_refused():
    with pytest.raises(TypeError, match="got the string '10'"):
        Interactions(["10"], [1.0], 12)  # used to be read as players 1 and 0


def test_labels_must_be_ordered():
    with pytest.raises(TypeError, match="a set has no order"):
        Game(lambda m: m.sum(1) * 1.0, n_players=3, labels={"a", "b", "c"})
    with pytest.raises(TypeError, match="labels must be a list of names"):
        Game(lambda m: m.sum(1) * 1.0, n_players=3, labels=5)
    assert spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=2, labels=np.array(["x", "y"])).labels == ["x", "y"]


@pytest.mark.parametrize("n_jobs", ["2", 2.5, True, 0, None])
def test_n_jobs_must_be_a_non_zero_int(n_jobs):
    with pytest.raises(ValueError, match="n_jobs must be a non-zero int"):
        explain(_game(), method="exact", n_jobs=n_jobs)


def test_metadata_must_be_a_dict():
    with pytest.raises(TypeError, match="metadata must be a dict, got list"):
        Interactions([(0,)], [1.0], 2, metadata=[1, 2])


def test_an_option_the_method_does_not_take_names_explain():
    with pytest.raises(TypeError, match=r"explain\(\): method='auto' takes no option 'order' .*max_degree="):
        explain(_game(), order=2)
    with pytest.raises(TypeError, match=r"method='exact' takes no option 'rounds'"):
        explain(_game(), method="exact", rounds=2)


def test_an_interactions_json_missing_a_field_names_it():
    import json

    payload = json.loads(explain(_game(3), method="exact").to_json())
    del payload["terms"], payload["labels"]
    with pytest.raises(ValueError, match="this Interactions JSON lacks terms, labels"):
        Interactions.from_json(json.dumps(payload))  # was a bare KeyError


# ----------------------------------------------------------------- metrics, evaluation, plots, planted
def test_held_out_masks_and_removal_checks_name_their_argument():
    from spexkit.evaluation import faithfulness, greedy_removal_order, top_k_removal
    from spexkit.metrics import sample_masks

    game = _game(8)
    res = explain(game, method="exact")
    for keep in (0.0, 1.0, 2.0):  # every mask alike: R² of a constant target was 1.0
        with pytest.raises(ValueError, match="keep must be strictly between 0 and 1"):
            faithfulness(res, game, keep=keep)
    with pytest.raises(ValueError, match="n_samples must be at least 2"):
        faithfulness(res, game, n_samples=1)
    with pytest.raises(ValueError, match="max_removed must be a positive int"):
        sample_masks(5, 3, distribution="few_removed", max_removed=0)
    with pytest.raises(ValueError, match=r"ks must be ints in 1 \.\. 8"):
        top_k_removal(res, game, ks=(100,))  # used to return empty lists
    with pytest.raises(ValueError, match="ks must be ints"):
        top_k_removal(res, game, ks=(1.7,))
    assert top_k_removal(res, game, ks=3)["k"] == [3]
    assert top_k_removal(res, game)["k"] == [1, 2, 3, 5]  # the default stops at n
    with pytest.raises(ValueError, match="the result has 8 players but the game has 9"):
        top_k_removal(res, _game(9), ks=(1,))
    with pytest.raises(ValueError, match="k must be a non-negative int"):
        greedy_removal_order(res, -1)


def test_plots_refuse_values_that_do_not_match_their_labels():
    import matplotlib

    matplotlib.use("Agg")
    from spexkit import plots

    with pytest.raises(ValueError, match="got 1 values for 3 labels"):
        plots.plot_segments(["a", "b", "c"], [1.0])  # used to draw one word of three
    with pytest.raises(ValueError, match="got 3 values for 2 labels"):
        plots.plot_values([1.0, 2.0, 3.0], ["a", "b"])
    with pytest.raises(ValueError, match="k must be a non-negative int"):
        plots.plot_values([1.0, 2.0], ["a", "b"], k=-1)
    with pytest.raises(ValueError, match="nothing to plot"):
        plots.plot_segments([], [])
    with pytest.raises(ValueError, match="non-empty 2-D grid"):
        plots.plot_heatmap([1.0, 2.0, 3.0], ["r"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="needs 1 row labels and 3 column labels, got 1 and 1"):
        plots.plot_heatmap([[1.0, 2.0, 3.0]], ["r"], ["a"])


@pytest.mark.parametrize("kwargs, match", [
    ({"n_terms": -1}, "n_terms must be a non-negative int"),
    ({"max_degree": 2.5}, "max_degree must be a positive int"),
    ({"degree": 1.5}, "degree must be a positive int"),
    ({"low": 3.0, "high": 1.0}, "0 <= low <= high"),
    ({"snr_db": float("nan")}, "snr_db must be a finite number"),
    ({"hierarchical": True, "subterm_prob": 2.0}, r"subterm_prob must lie in \[0, 1\]"),
    ({"hierarchical": True, "max_degree": 25, "degree": 25}, "max_degree must be at most 12"),  # used to hang
    ({"degree_weights": [float("nan"), 1.0]}, "finite non-negative weights"),  # used to fail inside numpy
])
def test_planted_game_checks_its_parameters(kwargs, match):
    from spexkit.planted import planted_game

    args = {"n_terms": 2, "max_degree": 2, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):  # a float where an int belongs: TypeError
        planted_game(30, **args)


# ----------------------------------------------------------------- values
def test_complex_values_are_refused_not_cut_to_their_real_part():
    game = Game(lambda m: m.sum(1) * (1 + 1j), n_players=4)
    with pytest.raises(TypeError, match="outputs must be real numbers, got complex values"):
        explain(game, method="exact")
    real = Game(lambda m: m.sum(1) + 0j, n_players=4)  # a complex dtype holding reals is fine
    np.testing.assert_allclose(explain(real, method="exact").shapley(), np.ones(4))
    with pytest.raises(TypeError, match="values must be real numbers"):
        fit_samples(np.ones((4, 3), bool), [1j, 2, 3, 4], max_degree=2)


def test_values_too_large_to_square_are_refused_before_a_solver_overflows():
    game = Game(lambda m: 1e300 * m.sum(1), n_players=4)  # finite, but its squares are inf
    with pytest.raises(ValueError, match="at most 1e\\+150 in magnitude.*rescale"):
        explain(game, method="exact")
    fine = Game(lambda m: 1e100 * m.sum(1), n_players=4)
    np.testing.assert_allclose(explain(fine, method="exact").shapley(), np.full(4, 1e100))


def test_a_budget_whose_masks_cannot_fit_in_memory_is_refused_before_any_query():
    calls = []
    game = spexkit.Game(lambda m: calls.append(1) or m.sum(1) * 1.0, n_players=30)
    for method in ("spex", "auto", "kernelshap"):
        with pytest.raises(ValueError, match=r"27940 GiB\) in memory; spexkit refuses more than 16 GiB"):
            spexkit.explain(game, method=method, budget=10**12)
    assert calls == []


def test_torch_values_of_any_dtype_are_read_and_none_is_named():
    torch = pytest.importorskip("torch", reason="torch is a core dependency of the feature and heads lenses")
    exact = spexkit.explain(spexkit.Game(lambda m: m.sum(1) * 1.0, 4), method="exact")
    for dtype in (torch.bfloat16, torch.float16, torch.float32):
        game = spexkit.Game(lambda m, d=dtype: torch.tensor(m.sum(1), dtype=d), 4)  # LLM outputs are often bf16
        assert spexkit.explain(game, method="exact").top(4) == exact.top(4)
    graded = spexkit.Game(lambda m: torch.tensor(m.sum(1) * 1.0, requires_grad=True), 4)
    assert spexkit.explain(graded, method="exact").top(4) == exact.top(4)
    with pytest.raises(TypeError, match="got None for some masks"):
        spexkit.explain(spexkit.Game(lambda m: [None] * len(m), 4), method="exact")


@pytest.mark.parametrize("keep", ["a", None, True, [0.5]])
def test_keep_that_is_not_a_number_is_refused_by_name(keep):
    with pytest.raises(TypeError, match="keep must be a number strictly between 0 and 1"):
        spexkit.Game(lambda m: m.sum(1) * 1.0, 3, keep=keep)


def test_spex_past_its_code_length_points_to_proxyspex():
    game = spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=70_000)
    with pytest.raises(ValueError, match="spex handles at most 65535 players .* use method='proxyspex'"):
        spexkit.explain(game, method="spex", budget=100)


def test_a_solver_warning_points_at_the_users_line_not_inside_spexkit():
    import warnings

    from spexkit.solvers.baselines import kernelshap

    game = spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spexkit.explain(game, method="kernelshap", budget=20, max_degree=3)  # through explain
        kernelshap(game, budget=20, max_degree=3)  # and called directly
        spexkit.explain(game, method="spex", budget=200, keep=0.7)
    assert len(caught) == 3
    assert {w.filename for w in caught} == {__file__}, [(w.filename, w.lineno) for w in caught]
