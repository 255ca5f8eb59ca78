"""spexkit: find the few interactions that drive a model's output.

>>> import spexkit
>>> game = spexkit.Game(lambda m: 1.0 * (m[:, 0] & m[:, 1]) + m[:, 2], n_players=3)
>>> res = spexkit.explain(game, method="exact")
>>> res.shapley().round(6).tolist()
[0.5, 0.5, 1.0]
"""

from . import games, indices, metrics, transforms
from .api import explain
from .game import Game
from .interactions import Interactions
from .plugins import available_lenses

__all__ = ["Game", "Interactions", "explain", "available_lenses", "games", "indices", "metrics", "transforms"]
__version__ = "0.1.0"
