"""The feature lens: which segments of a prompt interact to produce a real model's output.

>>> from lenses.features import FeatureLens
>>> lens = FeatureLens(model=lambda texts: [t.count("good") for t in texts])
>>> lens.game("good plot, good cast").n_players
4
"""

from .examples import CONTEXT, CONTEXT_TEMPLATE, QUESTION, REVIEW, SENTIMENT_TEMPLATE, load_reviews
from .lens import FeatureLens

__all__ = ["FeatureLens", "load_reviews", "REVIEW", "SENTIMENT_TEMPLATE", "CONTEXT", "CONTEXT_TEMPLATE", "QUESTION"]
