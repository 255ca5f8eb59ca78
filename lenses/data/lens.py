"""DataLens: which groups of training examples, together, make a model decide as it does.

Players are groups of training examples; an ablation retrains a small model without the
removed groups and reads its output on one test example (or its loss on a test set).
Features are computed once (TF-IDF for text, standardised columns for tables) and subset by
rows; every retraining is seeded, so the same mask always gives the same value.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from spexkit.game import Game
from spexkit.identity import digest
from spexkit.lens import Lens
from spexkit.validation import check_players, check_positive_int, check_seed

from . import sources
from .encoding import FeatureEncoder
from .groups import Groups, make_groups
from .learners import VALUES, ModelSpec, resolve_model, single_threaded
from .value import RetrainValue

_FORMAT = "spexkit-data-lens/1"


class DataLens(Lens):
    """Data attribution by retraining on subsets of groups of training examples.

    Parameters
    ----------
    dataset : datasets.Dataset, datasets.DatasetDict, pandas.DataFrame or str
        The training set. A ``DatasetDict`` trains on ``"train"`` and offers its ``"test"``
        (else ``"validation"``) split as test examples; a string is passed to
        ``datasets.load_dataset`` (online). Offline sets: :func:`load_movie_reviews`,
        :func:`load_sklearn_dataset`, :func:`planted_dataset`.
    model : str or callable
        A preset (``"logreg"``, ``"mlp"``; see :mod:`lenses.data.learners`) or a callable
        returning an unfitted scikit-learn-style classifier, which is fitted on the lens's
        feature matrix (sparse for text). Its ``random_state``, if left at None, is set to
        ``seed``.
    label_column : str
        Column of class labels (any values; ``ClassLabel`` names are shown when present).
    text_column : str, optional
        Column of text, encoded by TF-IDF.
    feature_columns : str or list of str, optional
        Numeric columns, standardised. With neither given, a column named ``"text"`` is used
        if there is one, else every numeric column but the label (and a grouping column).
    groups : str, int, or one key per example
        A column name (one group per value), ``"kmeans"`` (``n_groups`` clusters),
        ``"examples"`` (one per example), an int chunk size, an array of group keys or a
        list of lists of rows (see :mod:`lenses.data.groups`).
    n_groups : int
        Number of clusters for ``groups="kmeans"``.
    value : ``"margin"``, ``"logprob"`` or ``"loss"``
        What a retraining reports (see :func:`lenses.data.learners.read_value`): the margin of
        the test example's true label (default), its log-probability, or the mean loss over
        a test set.
    clip : float
        Bound on the magnitude of every value (a retraining that separates its data can
        give huge margins; the solvers need finite, comparable numbers).
    seed : int
        Seed of the k-means grouping, the text embedding, and every retraining.
    max_features : int
        Largest TF-IDF vocabulary.

    Attributes
    ----------
    groups_ : :class:`~lenses.data.groups.Groups`, the players (``groups_.ids``: the group
        of every training row).
    classes_ : list, the label values (codes 0 .. K-1 in this order).
    class_names_ : list of str, names of the classes.
    encoder_ : :class:`~lenses.data.encoding.FeatureEncoder`
    X_ : the training features (computed once).
    y_ : int array, class codes of the training rows.
    train_ : pandas.DataFrame, the training rows (only the columns used).
    test_ : pandas.DataFrame or None, held-out rows offered as test examples.

    Notes
    -----
    A retraining whose kept rows hold fewer than two classes fits nothing: its value is the
    constant model's, with Laplace-smoothed class frequencies of the kept rows; with every
    group removed, the uniform prior (margin 0).

    Examples
    --------
    >>> from lenses.data import DataLens, planted_dataset
    >>> train, test_example, truth = planted_dataset(n_background=4, seed=0)
    >>> lens = DataLens(train, model="logreg", groups="source")
    >>> lens.group_table()[["group", "size"]].head(3)
              group  size
    0  source=and_a    30
    1  source=and_b    30
    2   source=bg0    40
    >>> game = lens.game(test_example)
    >>> game.n_players
    8
    >>> lens.evaluate(game, removed=[]) > 0 > lens.evaluate(game, removed=[0])
    True
    """

    name = "data"

    def __init__(self, dataset, model="logreg", label_column: str = "label", text_column: str | None = None,
                 feature_columns: Sequence[str] | None = None, groups="kmeans", n_groups: int = 64, *,
                 value: str = "margin", clip: float = 10.0, seed: int = 0, max_features: int = 20_000) -> None:
        self.dataset = dataset
        self.model = model
        self.label_column = label_column
        self.text_column = text_column
        self.feature_columns = feature_columns
        self.groups = groups
        self.n_groups = n_groups
        self.value = value
        self.clip = clip
        self.seed = seed
        self.max_features = max_features

    def __repr__(self) -> str:
        model = self.model if isinstance(self.model, str) else getattr(self.model, "__name__", "custom")
        return f"DataLens(model={model!r}, groups={self.groups!r}, n_groups={self.n_groups})"

    # ----------------------------------------------------------------- fitting
    def fit(self) -> DataLens:
        """Deprecated name of :meth:`load` (every lens loads through ``load()``)."""
        import warnings

        warnings.warn("DataLens.fit() is deprecated and will be removed in the next release; use load()",
                      DeprecationWarning, stacklevel=2)
        return self.load()

    def _load(self) -> None:
        """Read the data, compute the features once, and build the groups.

        :meth:`load` calls it once (every method that needs the data calls ``load()``);
        call ``lens.load()`` yourself to inspect the groups first.
        """
        with single_threaded():  # small dense linear algebra: threads only contend
            self._fit()

    def _fit(self) -> None:
        if self.value not in VALUES:
            raise ValueError(f"unknown value {self.value!r}; choose one of {', '.join(VALUES)}")
        if isinstance(self.clip, bool) or not isinstance(self.clip, (int, float, np.integer, np.floating)):
            raise TypeError(f"clip must be a positive finite number, got {type(self.clip).__name__} {self.clip!r}")
        clip = float(self.clip)
        if not np.isfinite(clip) or clip <= 0:
            raise ValueError(f"clip must be a positive finite number, got {self.clip!r}")
        if check_seed(self.seed) is None:
            raise ValueError("DataLens needs an int seed (got None): every retraining is seeded so that "
                             "the same mask always gives the same value")
        self.spec_: ModelSpec = resolve_model(self.model)
        train, held = sources.split_dataset(self.dataset)
        columns = self._columns(train)
        self.text_column_, self.feature_columns_ = columns["text"], columns["features"]
        needed = [self.label_column, *columns["inputs"]]
        group_col = self.groups if isinstance(self.groups, str) and self.groups not in ("kmeans", "examples") else None
        if group_col is not None and group_col not in columns["all"]:
            raise ValueError(f"groups={group_col!r} is neither a column of the dataset nor 'kmeans' or 'examples' "
                             f"(columns: {', '.join(map(str, columns['all']))})")
        if group_col is not None and group_col not in needed:
            needed.append(group_col)
        frame = sources.to_frame(train, needed, what="the dataset")
        if len(frame) < 2:
            raise ValueError(f"the dataset needs at least 2 training examples, got {len(frame)}")
        labels = frame[self.label_column]
        if labels.isna().any():
            raise ValueError(f"label column {self.label_column!r} has missing values in rows "
                             f"{np.flatnonzero(labels.isna().to_numpy())[:10].tolist()}")
        codes, classes = pd.factorize(labels, sort=True)
        if len(classes) < 2:
            raise ValueError(f"label column {self.label_column!r} holds a single class ({classes[0]!r}); "
                             "a classifier needs at least two")
        self.classes_ = list(classes)
        names = sources.class_names(train, self.label_column)
        self.class_names_ = [names[c] if names and isinstance(c, (int, np.integer)) and 0 <= c < len(names)
                             else str(c) for c in self.classes_]
        self.y_ = codes.astype(np.int64)
        self.train_ = frame
        self.test_ = held
        self.encoder_ = FeatureEncoder(self.text_column_, self.feature_columns_, max_features=self.max_features,
                                       seed=int(self.seed)).fit(frame)
        self.X_ = self.encoder_.transform(frame)
        self._embedding = None
        self.groups_: Groups = make_groups(self.groups, frame, self.embedding, self.n_groups, int(self.seed))
        if isinstance(self.groups, str) and self.groups == "kmeans" and self.encoder_.is_text:
            self.groups_ = self._with_top_terms(self.groups_)
        # Rows are identified by their inputs: a test example equal to a training row is refused.
        self._train_keys = {key: i for i, key in enumerate(self._keys(frame))}
        self._data_digest = digest(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes(),
                                   self.classes_)

    def _columns(self, train) -> dict:
        if not hasattr(train, "column_names") and not hasattr(train, "columns"):
            raise TypeError("DataLens takes a Hugging Face datasets.Dataset or DatasetDict (or a data set's name), "
                            f"or a pandas DataFrame; got {type(train).__name__}")
        have = list(getattr(train, "column_names", None) or getattr(train, "columns", []))
        if hasattr(train, "__len__") and len(train) == 0:
            raise ValueError(f"the dataset has no rows (columns: {', '.join(map(str, have)) or 'none'})")
        if self.label_column not in have:
            raise ValueError(f"the dataset has no label column {self.label_column!r} (columns: "
                             f"{', '.join(map(str, have))}); pass label_column=...")
        feats = self.feature_columns
        if isinstance(feats, str):  # one column named by itself, not its characters
            feats = [feats]
        text, feats = self.text_column, (list(feats) if feats is not None else None)
        if text is None and feats is None:
            if "text" in have:
                text = "text"
            else:
                frame = sources.to_frame(sources.head(train, 50), what="the dataset")
                skip = {self.label_column, self.groups if isinstance(self.groups, str) else None}
                feats = [c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])]
                if not feats:
                    raise ValueError("found no text column named 'text' and no numeric feature column; "
                                     "pass text_column=... or feature_columns=[...]")
        if feats is not None and self.label_column in feats:
            raise ValueError(f"the label column {self.label_column!r} cannot also be a feature column")
        inputs = ([text] if text is not None else []) + (feats or [])
        return {"text": text, "features": feats or None, "inputs": inputs, "all": have}

    def embedding(self) -> np.ndarray:
        """Dense rows of the training set (LSA for text): what k-means and dense models see."""
        if getattr(self, "_embedding", None) is None:
            self._embedding = self.encoder_.embed(self.X_)
        return self._embedding

    def _with_top_terms(self, groups: Groups) -> Groups:
        """Cluster labels with the cluster's most distinctive words: ``k07:funny/comedy``."""
        words = self.encoder_.top_terms(self.X_, groups.ids, k=2)
        labels = [f"{label}:{'/'.join(w)}" if w else label for label, w in zip(groups.labels, words)]
        return Groups.from_ids(groups.ids, labels)

    def _keys(self, frame: pd.DataFrame) -> list[tuple]:
        cols = ([self.text_column_] if self.text_column_ else []) + list(self.feature_columns_ or [])
        return list(frame[cols].itertuples(index=False, name=None))

    def _inputs(self, frame: pd.DataFrame):
        return self.encoder_.embed(self.encoder_.transform(frame)) if self.spec_.input == "embedding" \
            else self.encoder_.transform(frame)

    def _model_input(self):
        return self.embedding() if self.spec_.input == "embedding" else self.X_

    # ----------------------------------------------------------------- groups
    def group_table(self) -> pd.DataFrame:
        """One row per group (player): index, label, size, and class counts.

        Examples
        --------
        >>> from lenses.data import DataLens, load_sklearn_dataset
        >>> lens = DataLens(load_sklearn_dataset("iris"), groups=50)
        >>> lens.group_table()
           player       group  size  setosa  versicolor  virginica
        0       0     rows 0-49    50      50           0          0
        1       1   rows 50-99    50       0          50          0
        2       2  rows 100-149    50       0           0         50
        """
        self.load()
        g = self.groups_
        counts = np.zeros((g.n_groups, len(self.classes_)), dtype=np.int64)
        np.add.at(counts, (g.ids, self.y_), 1)
        table = pd.DataFrame({"player": np.arange(g.n_groups), "group": list(g.labels), "size": g.sizes})
        for c, name in enumerate(self.class_names_):
            table[name] = counts[:, c]
        return table

    def group_examples(self, group: int, k: int = 5) -> pd.DataFrame:
        """The first ``k`` training rows of one group (player index)."""
        k = check_positive_int(k, "k")
        self.load()
        n = self.groups_.n_groups
        if isinstance(group, bool) or not isinstance(group, (int, np.integer)) or not 0 <= group < n:
            raise ValueError(f"unknown group {group!r}: the players are 0 .. {n - 1}")
        rows = self.groups_.members(int(group))[:k]
        return self.train_.iloc[rows]

    # ----------------------------------------------------------------- games
    def game(self, test_example, *, batch_size: int = 8) -> Game:
        """The game of one test example: players are the groups; value: a retraining's output.

        Parameters
        ----------
        test_example : dict, pandas Series, or (for ``value="loss"``) a set of rows
            Must hold the label column and the input columns, and must not be a training row.
        batch_size : int
            Retrainings per call of the value function: small batches let parallel workers
            share the work and the progress bar move.

        Returns
        -------
        spexkit.Game
            Labels are the group labels; its fingerprint covers the data, groups, model,
            test example, value and seed, so an on-disk cache is safe to reuse.
        """
        self.load()
        frame = self._test_frame(test_example)
        y_test = self._label_codes(frame)
        X_test = self._inputs(frame)
        fn = RetrainValue(self._model_input(), self.y_, self.groups_.ids, X_test, y_test, self.spec_,
                          len(self.classes_), value=self.value, clip=float(self.clip), seed=int(self.seed))
        test_digest = digest(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        fingerprint = "|".join([
            _FORMAT, f"data={self._data_digest}", f"groups={digest(self.groups_.ids.tobytes(), self.groups_.labels)}",
            f"model={self.spec_.name}", f"value={self.value}", f"clip={float(self.clip)}", f"seed={int(self.seed)}",
            f"test={test_digest}",
        ])
        return Game(fn, self.groups_.n_groups, labels=list(self.groups_.labels), keep=0.5,
                    batch_size=batch_size, fingerprint=fingerprint)

    def _test_frame(self, test_example) -> pd.DataFrame:
        cols = [self.label_column, *(([self.text_column_] if self.text_column_ else []) + list(self.feature_columns_ or []))]
        frame = sources.to_frame(test_example, what="the test example")
        frame = sources.to_frame(frame, cols, what="the test example")
        if len(frame) == 0:
            raise ValueError("the test example is empty")
        if self.value != "loss" and len(frame) != 1:
            raise ValueError(f"value={self.value!r} reads one test example; got {len(frame)} rows "
                             "(use value='loss' for a test set)")
        for r, key in enumerate(self._keys(frame)):
            if key in self._train_keys:
                where = "the test example" if len(frame) == 1 else f"test row {r}"
                raise ValueError(f"{where} is training row {self._train_keys[key]}: retraining without its group "
                                 "would measure memorisation; choose an example outside the training set")
        return frame

    def _label_codes(self, frame: pd.DataFrame) -> np.ndarray:
        lookup = {c: i for i, c in enumerate(self.classes_)}
        out = []
        for value in frame[self.label_column]:
            if value not in lookup:
                raise ValueError(f"the test label {value!r} is not a class of the training set "
                                 f"(classes: {self.classes_})")
            out.append(lookup[value])
        return np.asarray(out, dtype=np.int64)

    def test_examples(self, k: int | None = None) -> list[dict]:
        """Held-out rows offered as test examples (from a ``DatasetDict``'s test split)."""
        k = None if k is None else check_positive_int(k, "k")
        self.load()
        if self.test_ is None:
            return []
        cols = [self.label_column, *(([self.text_column_] if self.text_column_ else []) + list(self.feature_columns_ or []))]
        held = self.test_ if k is None else sources.head(self.test_, k)
        return sources.to_frame(held, cols, what="the test split").to_dict("records")

    # ----------------------------------------------------------------- the real model
    def retrain(self, removed: Sequence[int] = ()):
        """The model fitted without the listed groups (None if fewer than two classes remain)."""
        self.load()
        mask = self._mask(removed)
        fn = RetrainValue(self._model_input(), self.y_, self.groups_.ids, None, np.zeros(0), self.spec_,
                          len(self.classes_), seed=int(self.seed))
        with single_threaded():
            return fn.fit(mask)

    def _mask(self, removed: Sequence[int]) -> np.ndarray:
        mask = np.ones(self.groups_.n_groups, dtype=bool)
        mask[check_players(removed, mask.size, "removed groups")] = False
        return mask

    def widget(self, test_examples=None, **options):
        """The interactive explorer, a :class:`~lenses.data.widget.DataWidget`."""
        from .widget import DataWidget

        return DataWidget(self, test_examples=test_examples, **options)


__all__ = ["DataLens"]
