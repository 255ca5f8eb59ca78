"""shapiq interop (spexkit/shapiq_interop.py): to_shapiq against shapiq's own ExactComputer,
from_shapiq round trips, and shapiq games passed to spexkit.explain.

The tests that need shapiq skip with the reason printed when it is missing; `make test` installs
it through the dev extra (pyproject.toml: dev includes spexkit[shapiq]), so CI runs them.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import spexkit
from spexkit import shapiq_interop
from spexkit.planted import dense_game, planted_game
from spexkit.transforms import all_masks

SKIP_REASON = ('shapiq is not installed: pip install "spexkit[shapiq]" '
               "(make test installs it through the dev extra)")

# Every index to_shapiq computes, with the orders checked against ExactComputer.
INDEX_ORDERS = [("Moebius", None), ("SV", None), ("BV", None)] + [
    (index, order) for index in ("SII", "BII", "k-SII", "STII", "FSII", "FBII") for order in (1, 2, 3)
]
# shapiq's ExactComputer solves FSII as a weighted least squares that holds f(∅) and f(N) with a
# weight of 1e8 instead of exactly, so its FSII is itself off by ~1e-9 (ours is the closed form,
# checked against the brute-force definition in tests/test_indices.py).
TOL = {"FSII": 1e-8}
DEFAULT_TOL = 1e-10


@pytest.fixture(scope="module")
def shapiq():
    return pytest.importorskip("shapiq", reason=SKIP_REASON)


def _table_fn(values):
    n = values.shape[0].bit_length() - 1
    weights = 1 << np.arange(n)

    def fn(coalitions):
        return values[np.asarray(coalitions, dtype=np.int64) @ weights]

    return fn


def _imputer_game(shapiq):
    """shapiq's own game: a BaselineImputer explaining a small sklearn model on 8 features."""
    from sklearn.ensemble import GradientBoostingRegressor

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8))
    y = x[:, 0] * x[:, 1] + np.sin(x[:, 2]) - x[:, 3] * x[:, 4] * x[:, 5] + 0.1 * x[:, 6]
    model = GradientBoostingRegressor(n_estimators=20, max_depth=3, random_state=0).fit(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return shapiq.BaselineImputer(model.predict, data=x[:20], x=x[20], random_state=0)


def _case(name, shapiq):
    """(value function on bool coalitions, n_players, our exact Möbius expansion)."""
    if name == "imputer":
        game = _imputer_game(shapiq)
        res = spexkit.explain(game, method="exact", basis="mobius", tol=0.0)
        return game, game.n_players, res
    if name == "dense7":
        planted = dense_game(7, seed=1)
    elif name == "fourier10":
        planted = planted_game(10, n_terms=6, max_degree=4, hierarchical=True, constant=0.7, seed=3)
    else:  # mobius10
        planted = planted_game(10, n_terms=6, max_degree=4, basis="mobius", hierarchical=True,
                               constant=-1.5, seed=4)
    truth = planted.truth
    truth.metadata.update(method="exact", queries=1 << planted.n_players)
    return planted.fn, planted.n_players, truth


@pytest.fixture(scope="module")
def cases(shapiq):
    out = {}
    for name in ("dense7", "fourier10", "mobius10", "imputer"):
        fn, n, res = _case(name, shapiq)
        out[name] = (shapiq.ExactComputer(fn, n_players=n), res)
    return out


@pytest.mark.parametrize("name", ["dense7", "fourier10", "mobius10", "imputer"])
@pytest.mark.parametrize("index,order", INDEX_ORDERS)
def test_to_shapiq_equals_exact_computer(cases, shapiq, name, index, order):
    computer, res = cases[name]
    n = res.n_players
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExactComputer's own warnings (numerics, deprecations)
        ref = computer(index, n if index == "Moebius" else order or 1)
    ours = res.to_shapiq(index, n if index == "Moebius" else order, dense=True)
    assert isinstance(ours, shapiq.InteractionValues)
    assert (ours.index, ours.min_order, ours.max_order, ours.n_players) == (
        ref.index, ref.min_order, ref.max_order, ref.n_players)
    if ours.index != "k-SII":  # shapiq's k-SII aggregation leaves out the sets whose sum is 0
        assert list(ours.interaction_lookup) == list(ref.interaction_lookup)
    keys = list(ours.interaction_lookup)
    assert set(ref.interaction_lookup) <= set(keys)
    scale = max(1.0, float(np.abs(ref.values).max()))
    tol = TOL.get(index, DEFAULT_TOL) * scale
    diff = max(abs(ours[k] - ref[k]) for k in keys)
    assert diff <= tol, f"{name} {index} order {order}: max |ours - ExactComputer| = {diff:.3g}"
    assert abs(ours.baseline_value - ref.baseline_value) <= tol
    assert ours.estimated is False and ours.estimation_budget == 1 << n


def test_sparse_default_lists_the_empty_set_players_and_nonzero_terms(shapiq):
    res = spexkit.Interactions([(), (0, 3), (1,), (2, 5, 7)], [0.5, 2.0, -1.0, 0.25], n_players=40,
                               basis="mobius", metadata={"method": "spex", "queries": 123})
    iv = res.to_shapiq("SII", order=2)
    keys = list(iv.interaction_lookup)
    assert keys[: 1 + 40] == [()] + [(i,) for i in range(40)]
    assert set(keys[41:]) == {(0, 3), (2, 5), (2, 7), (5, 7)}
    assert iv[(0, 3)] == pytest.approx(2.0) and iv[(2, 5)] == pytest.approx(0.25 / 2)
    assert iv[(9, 10)] == 0.0  # not listed: zero, as shapiq reads a missing interaction
    np.testing.assert_allclose(iv.get_n_order_values(1), _sii_singletons(res), atol=1e-14)
    assert iv.estimated is True and iv.estimation_budget == 123
    assert res.to_shapiq("SV").index == "SV"
    np.testing.assert_allclose(res.to_shapiq("SV").get_n_order_values(1), res.shapley(), atol=1e-14)
    np.testing.assert_allclose(res.to_shapiq("BV").get_n_order_values(1), res.banzhaf(), atol=1e-14)
    # spexkit's index names work too, and a Fourier expansion converts through Möbius
    assert res.to("fourier").to_shapiq("shapley_taylor", 2).index == "STII"
    assert res.to_shapiq("Moebius").max_order == 3


def _sii_singletons(res):
    sii = res.interaction_index("shapley_interaction", 2)
    out = np.zeros(res.n_players)
    for term, c in zip(sii.terms, sii.coefficients):
        if len(term) == 1:
            out[term[0]] = c
    return out


@pytest.mark.parametrize("name", ["dense7", "fourier10", "imputer"])
def test_from_shapiq_round_trips(cases, name):
    computer, res = cases[name]
    n = res.n_players
    masks = all_masks(n)
    mob = res.to("mobius")
    back = spexkit.Interactions.from_shapiq(res.to_shapiq("Moebius"), labels=res.labels)
    assert back.basis == "mobius" and back.labels == res.labels
    assert back.metadata["shapiq_index"] == "Moebius" and back.metadata["estimated"] is False
    assert back.terms == mob.terms
    np.testing.assert_allclose(back.coefficients, mob.coefficients, rtol=0, atol=1e-14)
    # shapiq's own Möbius transform reads back as the same game
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_ref = spexkit.Interactions.from_shapiq(computer("Moebius", n))
    np.testing.assert_allclose(from_ref.predict(masks), res.predict(masks), atol=1e-10)
    for index, kind in shapiq_interop.INDEX_KINDS.items():
        for order in (2, 3):
            ours = res.interaction_index(kind, order)
            again = spexkit.Interactions.from_shapiq(res.to_shapiq(index, order))
            assert again.basis == kind and again.metadata["index_order"] == order
            assert dict(zip(again.terms, again.coefficients)) == pytest.approx(
                dict(zip(ours.terms, ours.coefficients)), rel=0, abs=1e-14)


def test_refusals_name_what_is_possible(shapiq):
    res = spexkit.Interactions([(0, 1), (2,)], [1.0, 2.0], n_players=3, basis="mobius")
    with pytest.raises(ValueError, match="JointSV.*Moebius, SV, BV, SII, BII, k-SII, STII, FSII, FBII"):
        res.to_shapiq("JointSV")
    with pytest.raises(ValueError, match="degree up to 2"):
        res.to_shapiq("Moebius", order=1)
    with pytest.raises(ValueError, match="order 1"):
        res.to_shapiq("SV", order=2)
    with pytest.raises(ValueError, match="positive int"):
        res.to_shapiq("SII", order=0)
    with pytest.raises(ValueError, match="Fourier or Möbius expansion"):
        res.interaction_index("shapley_interaction", 2).to_shapiq("SII")
    with pytest.raises(ValueError, match="dense=True would list"):
        spexkit.Interactions([(0,)], [1.0], n_players=5000, basis="mobius").to_shapiq("SII", 2, dense=True)
    with pytest.raises(ValueError, match="get_n_order_values"):
        spexkit.Interactions.from_shapiq(res.to_shapiq("SV"))
    with pytest.raises(ValueError, match="Moebius, SII, BII, STII, FSII, FBII; got 'k-SII'"):
        spexkit.Interactions.from_shapiq(res.to_shapiq("k-SII", 2))
    with pytest.raises(TypeError, match="InteractionValues"):
        spexkit.Interactions.from_shapiq({(0,): 1.0})


def test_shapiq_plots_take_our_values(shapiq):
    import matplotlib.pyplot as plt

    res = spexkit.Interactions([(), (0, 3), (1,), (2, 5, 7)], [0.5, 2.0, -1.0, 0.25], n_players=8,
                               basis="mobius", labels=list("abcdefgh"))
    from matplotlib.text import Text

    names = np.array(res.labels)

    def drawn(plot) -> set[str]:
        """Every text of the figures ``plot`` draws: the numbers and names it shows."""
        plt.close("all")
        plot()
        return {t.get_text() for n in plt.get_fignums() for t in plt.figure(n).findobj(Text)}

    # The exact texts are shapiq 1.4.1's (what the extra installs on Python 3.11); a later shapiq
    # may format them otherwise, so there only the players' names are checked.
    exact = shapiq.__version__ == "1.4.1"
    try:
        force = drawn(lambda: res.to_shapiq("k-SII", 2).plot_force(show=False, feature_names=names))
        network = drawn(lambda: res.to_shapiq("SII", 2).plot_network(show=False, feature_names=res.labels))
        upset = drawn(lambda: res.to_shapiq("Moebius").plot_upset(show=False, feature_names=res.labels))
        bars = drawn(lambda: shapiq.bar_plot([res.to_shapiq("SV")], show=False, feature_names=names))
        assert set("abcdefgh") <= network and set("abcdefgh") <= upset, (network, upset)
        assert any("a" in t and "d" in t for t in force) and any(t.startswith("d") for t in bars), (force, bars)
        if exact:
            assert {"base value", "0.5", "1.75", "a. x d."} <= force, force  # f(∅) = 0.5, f(N) = 1.75, the pair (a, d)
            assert {"2.00", "-1.00", "0.25", "0.50"} <= upset, upset  # our Möbius coefficients
            assert {"+1", "\u22121", "+0.08", "a.", "d."} <= bars, bars  # Shapley values 1, -1 and 1/12
    finally:
        plt.close("all")


def _normalised_game_class(shapiq):
    class TableGame(shapiq.Game):
        """A shapiq game on a value table, centred by shapiq (normalize=True)."""

        def __init__(self, values, **kwargs):
            self.table = values
            n = values.shape[0].bit_length() - 1
            super().__init__(n_players=n, normalization_value=float(values[0]), **kwargs)

        def value_function(self, coalitions):
            return _table_fn(self.table)(coalitions)

    return TableGame


def test_explain_takes_a_shapiq_game(shapiq):
    values = np.random.default_rng(5).normal(size=1 << 6)
    names = ["a", "b", "c", "d", "e", "f"]
    sq_game = _normalised_game_class(shapiq)(values, player_names=names)
    res = spexkit.explain(sq_game, method="exact", basis="mobius")
    fn = _table_fn(values)
    direct = spexkit.explain(spexkit.Game(lambda m: fn(m) - values[0], 6), method="exact", basis="mobius")
    assert res.terms == direct.terms
    np.testing.assert_array_equal(res.coefficients, direct.coefficients)
    assert res.labels == names
    assert res.metadata["queries"] == 64
    assert abs(res.predict(np.zeros((1, 6), bool))[0]) < 1e-15  # shapiq centred it: f(∅) = 0
    # the same numbers as shapiq computes on its own game
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = shapiq.ExactComputer(sq_game)("k-SII", 2)
    assert np.abs(res.to_shapiq("k-SII", 2, dense=True).values - ref.values).max() < 1e-10
    # a precomputed shapiq game answers from its table; a sampling method runs on it too
    sq_game.precompute()
    again = spexkit.explain(sq_game, method="exact", basis="mobius")
    np.testing.assert_array_equal(again.coefficients, res.coefficients)
    sampled = spexkit.explain(sq_game, method="proxyspex", budget=60, seed=0)
    assert sampled.metadata["queries"] <= 60


def test_shapiq_game_wrapper(shapiq, tmp_path):
    sq_game = _imputer_game(shapiq)
    game = shapiq_interop.game_from_shapiq(sq_game, keep=0.8, batch_size=7)
    assert isinstance(game, spexkit.Game) and game.n_players == 8 and game.keep == 0.8
    masks = np.random.default_rng(0).random((20, 8)) < 0.5
    np.testing.assert_array_equal(game(masks), sq_game(masks))
    # no identity stable across processes: caching asks for a fingerprint
    with pytest.raises(ValueError, match="fingerprint"):
        spexkit.explain(sq_game, method="exact", cache=tmp_path / "c.sqlite")
    with pytest.raises(TypeError, match="shapiq.Game"):
        shapiq_interop.game_from_shapiq(lambda m: m)
    with pytest.raises(TypeError, match=r"spexkit.Game \(or a shapiq.Game\), got function"):
        spexkit.explain(lambda m: m, method="exact")


def test_import_spexkit_does_not_import_shapiq():
    code = (
        "import sys, spexkit\n"
        "g = spexkit.Game(lambda m: m.sum(1) * 1.0, 4)\n"
        "res = spexkit.explain(g, method='exact')\n"
        "spexkit.Interactions.from_json(res.to_json())\n"
        "assert 'shapiq' not in sys.modules, 'spexkit imported shapiq'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_missing_shapiq_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "shapiq", None)  # import shapiq now raises ImportError
    res = spexkit.Interactions([(0,)], [1.0], n_players=2, basis="mobius")
    with pytest.raises(ImportError, match=r'pip install "spexkit\[shapiq\]"'):
        res.to_shapiq("SII")
    assert not shapiq_interop.is_shapiq_game(object())
