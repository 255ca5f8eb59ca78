import numpy as np
import pytest

import spexkit
from spexkit import evaluation, metrics
from spexkit.planted import dense_game, planted_game


def test_planted_game_is_seeded_and_has_requested_shape():
    a = planted_game(100, n_terms=10, max_degree=3, seed=7)
    b = planted_game(100, n_terms=10, max_degree=3, seed=7)
    assert a.truth == b.truth
    assert len(a.truth) == 10 and a.truth.degrees.max() <= 3
    assert (np.abs(a.truth.coefficients) >= 1.0).all()
    c = planted_game(100, n_terms=10, max_degree=3, degree=2, seed=7)
    assert (c.truth.degrees == 2).all()


def test_hierarchical_game_contains_subterms():
    game = planted_game(60, n_terms=5, max_degree=4, degree=4, basis="mobius", hierarchical=True,
                        subterm_prob=1.0, seed=0)
    terms = set(game.truth.terms)
    top = [t for t in terms if len(t) == 4]
    assert len(top) == 5
    for t in top:
        assert all(sub in terms for sub in [t[:1], t[:2], t[:3]])


def test_noise_level_matches_snr():
    game = planted_game(50, n_terms=5, max_degree=2, snr_db=20, seed=0)
    masks = metrics.sample_masks(50, 20000, seed=1)
    noise = game(masks) - game.noiseless(masks)
    signal = game.noiseless(masks)
    assert 10 * np.log10(signal.var() / noise.var()) == pytest.approx(20, abs=0.5)


def test_faithfulness_and_r2():
    game = planted_game(30, n_terms=6, max_degree=3, seed=2)
    assert evaluation.faithfulness(game.truth, game, n_samples=300) == pytest.approx(1.0)
    half = spexkit.Interactions(game.truth.terms[:3], game.truth.coefficients[:3], 30)
    r2 = evaluation.faithfulness(half, game, n_samples=300, distribution="few_removed")
    masks = metrics.sample_masks(30, 300, distribution="few_removed", seed=0)  # faithfulness's default seed
    y = game.truth.predict(masks)
    expected = 1 - ((y - half.predict(masks)) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert r2 == pytest.approx(expected, abs=1e-12) and r2 < 0.99
    assert metrics.r2_score([1, 2, 3], [2, 2, 2]) == pytest.approx(0.0)


def test_faithfulness_refuses_a_result_of_another_game():
    game = planted_game(30, n_terms=6, max_degree=3, seed=2)
    other = spexkit.Interactions([(0,)], [1.0], 29)
    with pytest.raises(ValueError, match="the result has 29 players but the game has 30"):
        evaluation.faithfulness(other, game)
    with pytest.raises(ValueError, match="masks must have 30 columns"):
        evaluation.faithfulness(game.truth, game, masks=np.ones((4, 29), bool))


def test_sample_masks_follow_their_distribution():
    m = metrics.sample_masks(200, 4000, keep=0.3, seed=0)
    assert m.shape == (4000, 200) and abs(m.mean() - 0.3) < 0.005  # SE of the mean is 0.0005
    few = metrics.sample_masks(200, 4000, distribution="few_removed", seed=0)
    removed = (~few).sum(1)
    assert removed.min() == 1 and removed.max() == 20  # default: 1 .. n // 10, each size drawn
    assert set(np.unique(removed)) == set(range(1, 21))
    assert (~metrics.sample_masks(200, 50, distribution="few_removed", max_removed=3, seed=1)).sum(1).max() <= 3
    with pytest.raises(ValueError, match="unknown distribution 'gaussian'"):
        metrics.sample_masks(5, 2, distribution="gaussian")


def test_few_removed_masks():
    masks = metrics.sample_masks(40, 500, distribution="few_removed", max_removed=3, seed=0)
    removed = (~masks).sum(1)
    assert removed.min() == 1 and removed.max() == 3


def test_top_k_removal_on_additive_game():
    w = np.array([5.0, -1.0, 3.0, 0.5])
    game = spexkit.Game(lambda m: m @ w, n_players=4)
    res = spexkit.explain(game, method="exact")
    out = evaluation.top_k_removal(res, game, ks=(1, 2))
    assert out["removed"] == [[0], [0, 2]]
    np.testing.assert_allclose(out["true_drop"], [5.0, 8.0])
    np.testing.assert_allclose(out["predicted_drop"], out["true_drop"])


def test_dense_game_is_not_sparse():
    game = dense_game(8, seed=0)
    assert len(game.truth) == 256


def _fresh(code: str) -> str:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_import_spexkit_leaves_the_engine_and_sqlite_unloaded():
    # The evaluator, the cache and sqlite3 load when first used, not on `import spexkit`.
    heavy = ("sqlite3", "spexkit.execution", "spexkit.cache", "spexkit.evaluation")
    code = (
        "import sys, spexkit, spexkit.metrics\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
        "game = spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=3)\n"
        "spexkit.explain(game, method='exact')\n"
        "print(sorted(m for m in ('spexkit.execution', 'sqlite3') if m in sys.modules))\n"
    )
    before, after = _fresh(code).splitlines()
    assert before == "[]"
    assert after == "['spexkit.execution']"  # explaining without a cache never needs sqlite3


def test_metrics_holds_pure_functions_and_still_names_the_evaluating_ones():
    # faithfulness/top_k_removal evaluate a game: they live in spexkit.evaluation, next to the
    # engine; spexkit.metrics keeps their names importable (loaded on first access).
    out = _fresh(
        "import sys, spexkit.metrics as M\n"
        "print('as_evaluator' in vars(M), 'spexkit.execution' in sys.modules)\n"
        "from spexkit.metrics import faithfulness, top_k_removal\n"
        "import spexkit.evaluation as E\n"
        "print(faithfulness is E.faithfulness, top_k_removal is E.top_k_removal, M.faithfulness is E.faithfulness)\n"
    )
    assert out.splitlines() == ["False False", "True True True"]


def test_r2_score_is_sklearn_s_with_the_previous_edge_cases():
    from sklearn.metrics import r2_score as sk_r2

    rng = np.random.default_rng(0)
    y, g = rng.normal(size=50), rng.normal(size=50)
    assert metrics.r2_score(y, g) == pytest.approx(sk_r2(y, g), rel=1e-12)
    assert type(metrics.r2_score(y, g)) is float
    assert metrics.r2_score([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == 1.0  # constant target, perfect fit
    assert metrics.r2_score([2.0, 2.0, 2.0], [2.0, 2.5, 2.0]) == 0.0  # constant target, imperfect
    with pytest.raises(ValueError, match="1-D of equal length"):
        metrics.r2_score([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="1-D of equal length"):
        metrics.r2_score(np.ones((3, 2)), np.ones((3, 2)))
