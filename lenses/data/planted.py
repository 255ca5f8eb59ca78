"""A tabular dataset with planted group interactions: ground truth for the data lens.

Groups (column ``source``): background groups ``bg00``, ``bg01``, ... of ordinary examples,
and four special ones, built around three binary features of the test example:

- ``and_a``: rows with ``x_and = x_shared = 1``, mostly positive. Alone, the model cannot tell
  which of the two features makes them positive and gives each half the credit.
- ``and_b``: rows with ``x_shared = 1`` only, mostly negative. Alone it says nothing about
  ``x_and``; next to ``and_a`` it *explains away* ``x_shared``, so all the credit moves to
  ``x_and``, which the test example has. Together the two raise the test margin by far more
  than the sum of their separate effects: a positive pairwise (AND) interaction.
- ``dup_1`` and ``dup_2``: near-duplicates (the same rows up to tiny noise), mostly positive,
  with ``x_dup = 1``. Either one alone teaches the model about ``x_dup``; the second adds
  almost nothing: a negative pairwise interaction (redundancy).

The test example (``x_and = x_dup = 1``, label 1) is placed so that with every group kept
the retrained logistic regression (the ``"logreg"`` preset) classifies it correctly, and
removing ``and_a`` or ``and_b`` flips it (they flip it only together), while removing one
duplicate leaves it, and removing both flips it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spexkit.validation import check_positive_int

N_NOISE = 5
FEATURES = ["x_and", "x_shared", "x_dup"] + [f"z{i}" for i in range(N_NOISE)]


def _rows(rng, n, on, positive, noise_scale):
    X = np.zeros((n, len(FEATURES)))
    X[:, on] = 1.0
    X[:, 3:] = rng.normal(scale=noise_scale, size=(n, N_NOISE))
    y = np.zeros(n, dtype=np.int64)
    y[: int(round(positive * n))] = 1
    return X, y


def _frame(X, y, source) -> pd.DataFrame:
    frame = pd.DataFrame(X, columns=FEATURES)
    frame["label"] = y
    frame["source"] = source
    return frame


def planted_dataset(n_background: int = 12, background_size: int = 40, special_size: int = 30, seed: int = 0):
    """The planted dataset, a held-out test example, and the planted truth.

    Parameters
    ----------
    n_background : int
        Number of background groups (players besides the four special groups).
    background_size, special_size : int
        Rows per background group and per special group.
    seed : int

    Returns
    -------
    dataset : datasets.Dataset
        Columns ``x_and``, ``x_shared``, ``x_dup``, ``z0``..``z4``, ``label`` and ``source``.
    test_example : dict
        A row that is not in the dataset.
    truth : dict
        ``"together"``: the labels of the two groups that only together flip the
        prediction (a positive interaction with ``groups="source"``); ``"redundant"``: the
        labels of the two near-duplicate groups (a negative interaction).

    Examples
    --------
    >>> ds, test_example, truth = planted_dataset(n_background=4)
    >>> ds.num_rows, sorted(set(ds["source"]))[:3]
    (280, ['and_a', 'and_b', 'bg0'])
    >>> truth["together"]
    ('source=and_a', 'source=and_b')
    """
    import datasets

    n_background = check_positive_int(n_background, "n_background")
    rng = np.random.default_rng(seed)
    beta = rng.normal(size=N_NOISE)
    beta /= np.linalg.norm(beta)
    width = len(str(max(int(n_background) - 1, 1)))
    parts = []
    for g in range(int(n_background)):
        Z = rng.normal(size=(background_size, N_NOISE))
        score = Z @ beta + 0.5 * rng.normal(size=background_size)
        y = (score > np.quantile(score, 0.7)).astype(np.int64)  # 30% positive
        X = np.hstack([np.zeros((background_size, 3)), Z])
        parts.append(_frame(X, y, f"bg{g:0{width}d}"))
    parts.append(_frame(*_rows(rng, special_size, [0, 1], 0.9, 0.3), "and_a"))
    parts.append(_frame(*_rows(rng, special_size, [1], 0.1, 0.3), "and_b"))
    Xd, yd = _rows(rng, special_size, [2], 0.8, 0.3)
    parts.append(_frame(Xd, yd, "dup_1"))
    parts.append(_frame(Xd + rng.normal(scale=0.01, size=Xd.shape), yd.copy(), "dup_2"))
    frame = pd.concat(parts, ignore_index=True)
    offset = _calibrate(frame, beta)
    test = {c: 0.0 for c in FEATURES}
    test.update({"x_and": 1.0, "x_dup": 1.0, "label": 1})
    test.update({f"z{i}": float(-offset * beta[i]) for i in range(N_NOISE)})
    features = datasets.Features({**{c: datasets.Value("float64") for c in FEATURES},
                                  "label": datasets.ClassLabel(names=["negative", "positive"]),
                                  "source": datasets.Value("string")})
    ds = datasets.Dataset.from_pandas(frame, features=features, preserve_index=False)
    truth = {"together": ("source=and_a", "source=and_b"), "redundant": ("source=dup_1", "source=dup_2")}
    return ds, test, truth


def _calibrate(frame: pd.DataFrame, beta: np.ndarray) -> float:
    """How far to move the test example along -beta so its full-data margin sits halfway
    between 0 and the margin gained by adding ``and_b`` (so that both groups are needed).

    The background decides the weights on the noise columns, so moving the test example
    shifts every retraining's margin by nearly the same amount: the margin is affine in it.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from .learners import single_threaded

    X = frame[FEATURES].to_numpy()
    y = frame["label"].to_numpy()
    scaler = StandardScaler().fit(X)

    def margin(rows, offset):
        x = np.zeros((1, len(FEATURES)))
        x[0, [0, 2]] = 1.0
        x[0, 3:] = -offset * beta
        model = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(X[rows]), y[rows])
        return float(model.decision_function(scaler.transform(x))[0])

    every = np.ones(len(frame), dtype=bool)
    without_b = (frame["source"] != "and_b").to_numpy()
    with single_threaded():
        full0, full1 = margin(every, 0.0), margin(every, 1.0)
        gain = full0 - margin(without_b, 0.0)  # what and_b adds on top of the rest
    slope = full0 - full1
    return (full0 - 0.5 * gain) / slope
