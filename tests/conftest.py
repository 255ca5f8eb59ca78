import numpy as np
import pytest

import spexkit
from spexkit.transforms import all_masks


@pytest.fixture
def dense_values():
    """A random dense game on n = 6 players: values on all 2^n masks (bit i = player i)."""

    def make(n=6, seed=0):
        rng = np.random.default_rng(seed)
        return rng.normal(size=1 << n)

    return make


def table_game(values: np.ndarray) -> spexkit.Game:
    """A Game that looks its values up in a dense table (bit i of the index = player i)."""
    n = values.shape[0].bit_length() - 1
    weights = 1 << np.arange(n)

    def fn(masks):
        return values[masks.astype(np.int64) @ weights]

    return spexkit.Game(fn, n_players=n)


@pytest.fixture
def make_table_game():
    return table_game


@pytest.fixture
def masks_all():
    return all_masks
