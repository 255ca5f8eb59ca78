"""The data lens in Jupyter: pick data, grouping, model and test example; run; check.

The lens's own controls sit on top of the common :class:`spexkit.widgets.ExplainerWidget`
(method, budget, degree, Run with progress, plots of group Shapley values, top group
interactions and their network, and the counterfactual check, which retrains without the
chosen groups and shows the surrogate's prediction next to the actual value). The widget
receives its lens and never imports the lens module: other settings give ``lens.clone(...)``.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from spexkit.widgets import ExplainerWidget

from .learners import PRESETS
from .sources import class_names


@dataclass
class DataSource:
    """A dataset the widget offers: training data, test rows, and how to read them."""

    load: Callable[[], tuple]  # () -> (training data, list of test rows as dicts)
    label_column: str = "label"
    text_column: str | None = None
    feature_columns: list | None = None
    groups: object = "kmeans"
    n_groups: int = 16
    lens: object = None  # the DataLens this source came from, if any
    _loaded: tuple | None = field(default=None, repr=False)

    def get(self) -> tuple:
        if self._loaded is None:
            self._loaded = self.load()
        return self._loaded


def _planted():
    from .planted import planted_dataset

    train, test, _ = planted_dataset(n_background=12, seed=0)
    return train, [test]


def _movie_reviews(n_train: int = 2000, n_test: int = 20):
    from .sources import load_movie_reviews

    split = load_movie_reviews(n=n_train + n_test, seed=0).train_test_split(
        test_size=n_test, seed=0, stratify_by_column="label")
    return split["train"], split["test"].to_pandas().to_dict("records")


def _breast_cancer(n_test: int = 20):
    from .sources import load_sklearn_dataset

    split = load_sklearn_dataset("breast_cancer").train_test_split(test_size=n_test, seed=0, stratify_by_column="label")
    return split["train"], split["test"].to_pandas().to_dict("records")


def builtin_sources() -> dict[str, DataSource]:
    """The offline datasets offered by default (loaded only when chosen)."""
    return {
        "planted (16 groups)": DataSource(_planted, groups="source"),
        "movie reviews (2,000)": DataSource(_movie_reviews, text_column="text", n_groups=32),
        "breast cancer": DataSource(_breast_cancer, n_groups=16),
    }


GROUPINGS = [("k-means clusters", "kmeans"), ("fixed-size chunks", "chunks"), ("one per example", "examples")]


class DataWidget(ExplainerWidget):
    """Widget of the data lens (``lens.widget()`` returns one).

    Parameters
    ----------
    lens : DataLens
        Offered first ("this lens"), with its own settings; the built-in datasets get
        lenses cloned from it. Its test examples are ``test_examples`` or, for a
        ``DatasetDict``, its test split.
    test_examples : list of dict rows, optional
        Test examples for ``lens``.
    sources : dict name -> :class:`DataSource`, optional
        More datasets to offer (default: :func:`builtin_sources`).
    method, budget, max_degree : initial values of the common controls.
    n_test : int
        Most test examples shown in the picker.

    Examples
    --------
    >>> from lenses.data import DataLens, planted_dataset
    >>> train, test_example, _ = planted_dataset(n_background=4, seed=0)
    >>> w = DataLens(train, groups="source").widget(test_examples=[test_example], budget=200)
    >>> w.dataset.value, w.grouping.value
    ('this lens', 'source')
    >>> w.dataset.value = "planted (16 groups)"
    >>> w.grouping.value
    'source'
    """

    title = "spexkit · data lens: which groups of training data interact"
    unit = "retrainings"
    default_max_degree = 2

    def __init__(self, lens, test_examples=None, *, sources: dict | None = None, method: str = "auto",
                 budget: int = 300, max_degree: int | None = None, n_test: int = 20,
                 max_order: int | None = None) -> None:
        if not all(hasattr(lens, name) for name in ("dataset", "clone", "load", "game", "group_table")):
            raise TypeError(f"lens must be a DataLens, got {type(lens).__name__}")
        self._test_examples = test_examples
        self._extra_sources = sources
        self.n_test = int(n_test)
        self._lenses: dict = {}
        super().__init__(lens, method=method, budget=budget, max_degree=max_degree, max_order=max_order)

    def lens_controls(self):
        import ipywidgets as w

        from .sources import split_dataset

        lens, test_examples = self.lens, self._test_examples
        self.sources: dict[str, DataSource] = {
            "this lens": DataSource(lambda: (split_dataset(lens.dataset)[0], self._lens_tests(lens, test_examples)),
                                    label_column=lens.label_column, text_column=lens.text_column,
                                    feature_columns=lens.feature_columns, groups=lens.groups,
                                    n_groups=lens.n_groups, lens=lens)}
        self.sources.update(builtin_sources() if self._extra_sources is None else self._extra_sources)
        models = list(PRESETS)
        if not isinstance(lens.model, str):
            models = ["custom"] + models
        self.dataset = w.Dropdown(options=list(self.sources), description="Dataset")
        self.grouping = w.Dropdown(options=GROUPINGS, value="kmeans", description="Groups")
        self.n_groups = w.BoundedIntText(value=16, min=2, max=2000, description="How many")
        self.model = w.Dropdown(options=models, value=models[0], description="Model")
        self.test_picker = w.Dropdown(options=[], description="Test example",
                                      layout=w.Layout(width="60%"))
        self.groups_view = w.HTML(value="")
        self.dataset.observe(lambda _: self._on_dataset(), names="value")
        self._on_dataset()
        return [w.HBox([self.dataset, self.model]), w.HBox([self.grouping, self.n_groups]),
                self.test_picker, self.groups_view]

    # ----------------------------------------------------------------- controls
    @staticmethod
    def _lens_tests(lens, test_examples) -> list[dict]:
        if test_examples is not None:
            from .sources import to_frame

            return to_frame(test_examples, what="test_examples").to_dict("records")
        return lens.test_examples()

    def _source(self) -> DataSource:
        return self.sources[self.dataset.value]

    def _on_dataset(self) -> None:
        src = self._source()
        train, tests = src.get()
        columns = list(getattr(train, "column_names", None) or getattr(train, "columns", []))
        options = list(GROUPINGS)
        for col in columns:
            if col != src.label_column and col != src.text_column and col not in (src.feature_columns or []) \
                    and _is_categorical(train, col):
                options.append((f"column: {col}", col))
        value = src.groups if isinstance(src.groups, str) else "kmeans"
        if isinstance(value, str) and value not in [v for _, v in options] and value in columns:
            options.append((f"column: {value}", value))  # e.g. a lens grouped by a numeric column
        if src.lens is not None and not isinstance(src.lens.groups, str):
            options.insert(0, ("as in the lens", "lens"))
            value = "lens"
        self.grouping.options = options
        self.grouping.value = value if value in [v for _, v in options] else "kmeans"
        self.n_groups.value = int(src.n_groups)
        if src.lens is not None and not isinstance(src.lens.model, str):
            self.model.value = "custom"
        elif src.lens is not None:
            self.model.value = src.lens.model
        names = class_names(train, src.label_column) if hasattr(train, "features") else None
        self.test_picker.options = [(_describe(row, src.label_column, src.text_column, i, names), i)
                                    for i, row in enumerate(tests[: self.n_test])]
        self.test_picker.value = 0 if tests else None
        self.groups_view.value = "" if tests else (
            "<i>No test examples for this dataset: pass test_examples=[...] or a DatasetDict with a test split.</i>")

    # ----------------------------------------------------------------- lens and game
    def current_lens(self):
        """The lens for the current controls (cloned from the widget's lens once per setting)."""
        src = self._source()
        key = (self.dataset.value, self.grouping.value, int(self.n_groups.value), self.model.value)
        if key not in self._lenses:
            lens = src.lens
            train, _ = src.get()
            groups = self.grouping.value
            if lens is not None and groups == "lens":
                groups = lens.groups
            n_rows = len(train)
            if groups == "chunks":
                groups = max(1, math.ceil(n_rows / int(self.n_groups.value)))
            model = self.lens.model if self.model.value == "custom" else self.model.value
            same = (lens is not None and model is lens.model and _same_spec(groups, lens.groups)
                    and (not _same_spec(groups, "kmeans") or int(self.n_groups.value) == lens.n_groups))
            self._lenses[key] = lens if same else self.lens.clone(
                dataset=train, model=model, label_column=src.label_column, text_column=src.text_column,
                feature_columns=src.feature_columns, groups=groups, n_groups=int(self.n_groups.value))
        self.active_lens = self._lenses[key].load()
        self.groups_view.value = _group_html(self.active_lens)
        return self.active_lens

    def build_game(self):
        """The game of the chosen test example under the current controls."""
        _, tests = self._source().get()
        if not tests or self.test_picker.value is None:
            raise ValueError("choose a test example (this dataset offers none)")
        lens = self.current_lens()
        return lens.game(tests[int(self.test_picker.value)])


def _same_spec(a, b) -> bool:
    if a is b:
        return True
    return isinstance(a, (str, int)) and type(a) is type(b) and a == b


def _is_categorical(train, col) -> bool:
    feats = getattr(train, "features", None)
    if feats is not None and col in feats:
        dtype = getattr(feats[col], "dtype", "")
        return dtype in ("string", "large_string", "bool") or type(feats[col]).__name__ == "ClassLabel"
    import pandas as pd

    series = train[col] if isinstance(train, pd.DataFrame) else None
    return series is not None and (series.dtype == object or pd.api.types.is_string_dtype(series))


def _describe(row: dict, label_column: str, text_column: str | None, i: int, names=None) -> str:
    label = row.get(label_column, "?")
    if names and isinstance(label, (int, np.integer)) and 0 <= label < len(names):
        label = names[label]
    text_column = text_column or ("text" if "text" in row else None)
    if text_column and text_column in row:
        text = " ".join(str(row[text_column]).split())
        return f"#{i} [{label}] {text[:70]}{'…' if len(text) > 70 else ''}"
    return f"#{i} [{label}]"


def _group_html(lens, k: int = 12) -> str:
    table = lens.group_table()
    sizes = table["size"].to_numpy()
    head = (f"<b>{len(table)} groups</b> over {int(sizes.sum())} training examples "
            f"(sizes {int(sizes.min())}–{int(sizes.max())}, median {int(np.median(sizes))})")
    rows = table.sort_values("size", ascending=False).head(k)
    cells = "".join(
        "<tr>" + "".join(f"<td style='padding:0 6px'>{html.escape(str(v))}</td>" for v in r) + "</tr>"
        for r in rows.itertuples(index=False, name=None))
    header = "".join(f"<th style='padding:0 6px'>{html.escape(str(c))}</th>" for c in rows.columns)
    more = f"<br><i>… and {len(table) - k} more</i>" if len(table) > k else ""
    return f"{head}<table><tr>{header}</tr>{cells}</table>{more}"
