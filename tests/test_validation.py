"""One positive-int check and one bit-pattern generator serve the whole core."""

import numpy as np
import pytest

import spexkit
from spexkit import masks, transforms
from spexkit.solvers.bch import BCHCode, _independent_rows
from spexkit.validation import check_n_players, check_positive_int


def _game(n=4):
    return spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=n)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (True, TypeError), (2.0, TypeError),
                                        ("3", TypeError)])
def test_every_positive_int_argument_is_checked_the_same_way(bad, error):
    # explain's max_degree, the evaluator's batch_size, proxyspex's rounds, BCH's n and t and
    # the number of players all go through check_positive_int: bools and floats are refused.
    cases = [
        ("max_degree", lambda v: spexkit.explain(_game(), method="exact", max_degree=v)),
        ("batch_size", lambda v: spexkit.explain(_game(), method="exact", batch_size=v)),
        ("rounds", lambda v: spexkit.explain(_game(), method="proxyspex", budget=64, rounds=v)),
        ("code length n", lambda v: BCHCode(v, 2)),
        ("number of correctable errors t", lambda v: BCHCode(10, v)),
        ("n_players", lambda v: check_n_players(v)),
    ]
    for name, call in cases:
        with pytest.raises(error, match=f"{name} must be a positive int"):
            call(bad)


def test_positive_int_passes_integers_through():
    assert check_positive_int(np.int64(3), "x") == 3 and type(check_positive_int(np.int64(3), "x")) is int
    res = spexkit.explain(_game(), method="exact", max_degree=np.int64(1), batch_size=np.int32(5))
    assert res.degrees.max() <= 1


def test_one_bit_pattern_generator():
    codes = np.array([0, 1, 5, 6, 255])
    want = ((codes[:, None] >> np.arange(8)) & 1).astype(bool)
    np.testing.assert_array_equal(masks.bit_patterns(codes, 8), want)
    assert masks.bit_patterns(np.zeros((2, 3), int), 4).shape == (2, 3, 4)  # any shape of codes
    np.testing.assert_array_equal(masks.all_masks(3), masks.bit_patterns(np.arange(8), 3))
    np.testing.assert_array_equal(masks.all_masks(4, 3, 9), masks.bit_patterns(np.arange(3, 9), 4))
    # the former names are the same functions
    assert transforms.all_masks is masks.all_masks and transforms.codes_to_masks is masks.bit_patterns
    np.testing.assert_array_equal(masks.bit_codes(5), masks.all_masks(5))


@pytest.mark.parametrize("n, t", [(10, 1), (40, 3), (300, 4)])
def test_bch_parity_check_is_unchanged_by_the_shared_generator(n, t):
    code = BCHCode(n, t)
    odd = np.arange(1, 2 * t, 2)
    values = code._exp[(odd[:, None] * np.arange(n)[None, :]) % code._N]
    full = ((values[:, None, :] >> np.arange(code.m)[None, :, None]) & 1).astype(bool).reshape(code.m * t, n)
    kept, _ = _independent_rows(full)
    np.testing.assert_array_equal(code.parity_check, full[kept])


def _nan_cases():
    from lenses.data.lds import linear_datamodel, linear_datamodeling_score
    from spexkit.metrics import r2_score
    from spexkit.solvers.additive_plus import fit_additive_plus
    from spexkit.solvers.proxyspex import fit_samples

    m = np.random.default_rng(0).random((40, 5)) < 0.5
    v = m.sum(1).astype(float)
    nan_v = v.copy()
    nan_v[3] = np.nan
    half = m.astype(float)
    half[2, 1] = 0.5
    res = spexkit.Interactions([(0,)], [1.0], n_players=5)
    singles = np.ones(6)
    return [
        ("fit_samples NaN value", lambda: fit_samples(m, nan_v, 2, seed=0), r"value 3 \(of 40\) is nan"),
        ("fit_samples 0.5 in masks", lambda: fit_samples(half, v, 2, seed=0), "only 0/1 .* got 0.5"),
        ("fit_additive_plus NaN value", lambda: fit_additive_plus(singles, m, nan_v, seed=0), "value 3"),
        ("fit_additive_plus 0.5 in masks", lambda: fit_additive_plus(singles, half, v, seed=0), "got 0.5"),
        ("fit_additive_plus NaN single", lambda: fit_additive_plus(np.r_[singles[:5], np.nan], m, v, seed=0),
         "single_values must be finite"),
        ("linear_datamodel NaN value", lambda: linear_datamodel(m, nan_v), "value 3"),
        ("linear_datamodel 0.5 in masks", lambda: linear_datamodel(half, v), "got 0.5"),
        ("lds NaN value", lambda: linear_datamodeling_score(res, m, nan_v), "value 3"),
        ("r2_score NaN truth", lambda: r2_score(nan_v, v), r"y_true must be finite; entry 3 \(of 40\) is nan"),
        ("r2_score inf prediction", lambda: r2_score(v, np.r_[v[:-1], np.inf]), "y_pred must be finite; entry 39"),
    ]


def test_every_nan_case_is_parametrised():
    assert len(_nan_cases()) == 10  # the test below runs cases 0 .. 9


@pytest.mark.parametrize("case", range(10))
def test_functions_on_samples_refuse_nan_and_non_binary_masks(case):
    name, call, message = _nan_cases()[case]
    with pytest.raises(ValueError, match=message):
        call()
