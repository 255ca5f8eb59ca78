"""spexkit: find the few interactions that drive a model's output.

>>> import spexkit
>>> game = spexkit.Game(lambda m: 1.0 * (m[:, 0] & m[:, 1]) + m[:, 2], n_players=3)
>>> res = spexkit.explain(game, method="exact")
>>> res.shapley().round(6).tolist()
[0.5, 0.5, 1.0]
"""

from . import indices, metrics, planted, transforms
from .api import explain
from .game import Game
from .interactions import Interactions
from .plugins import available_lenses

__all__ = ["Game", "Interactions", "explain", "fit_samples", "available_lenses", "planted", "indices", "metrics",
           "transforms", "evaluation"]
__version__ = "0.1.0"

# Modules that load the engine (spexkit.execution and what it needs) are imported on first
# access, so that `import spexkit` stays light.
_LAZY_MODULES = ("evaluation", "execution", "cache")


def __getattr__(name: str):
    if name == "fit_samples":  # ProxySPEX on values already paid for (loads LightGBM on first use)
        from .solvers.proxyspex import fit_samples

        return fit_samples
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
