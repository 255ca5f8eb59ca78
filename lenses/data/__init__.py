"""The data lens: which groups of training examples interact to make a model's prediction.

>>> from lenses.data import DataLens, planted_dataset
>>> train, test_example, truth = planted_dataset(n_background=4, seed=0)
>>> lens = DataLens(train, model="logreg", groups="source")
>>> game = lens.game(test_example)
>>> game.labels[:2]
['source=and_a', 'source=and_b']
"""

from .groups import Groups
from .lds import linear_datamodel, linear_datamodeling_score, lds_comparison
from .lens import DataLens
from .learners import PRESETS, TorchMLPClassifier
from .planted import planted_dataset
from .sources import load_movie_reviews, load_sklearn_dataset

__all__ = [
    "DataLens",
    "Groups",
    "PRESETS",
    "TorchMLPClassifier",
    "lds_comparison",
    "linear_datamodel",
    "linear_datamodeling_score",
    "load_movie_reviews",
    "load_sklearn_dataset",
    "planted_dataset",
]
