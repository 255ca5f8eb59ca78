"""Every shipped lens follows the one lens contract (docs/writing-a-lens.md)."""

from __future__ import annotations

import ast
import inspect
import warnings
from pathlib import Path

import pytest

import spexkit
from spexkit.lens import Lens
from spexkit.widgets import ExplainerWidget

LENSES = Path(__file__).resolve().parents[1]
SHIPPED = ("features", "heads", "data")


def word_lengths(texts):
    """A text model with a stable name: the length of each text."""
    return [float(len(t)) for t in texts]


@pytest.fixture
def tiny_text_model():
    return word_lengths


@pytest.fixture(scope="module")
def induction_model_and_tokens():
    from lenses.heads import induction_model

    return induction_model()


def _lens_classes() -> dict[str, type]:
    found = spexkit.available_lenses()
    missing = set(SHIPPED) - set(found)
    assert not missing, f"entry points missing for {missing}: reinstall with pip install -e ."
    return {name: found[name] for name in SHIPPED}


@pytest.mark.parametrize("name", SHIPPED)
def test_lens_shares_the_contract(name):
    cls = _lens_classes()[name]
    assert issubclass(cls, Lens) and cls.name == name
    params = inspect.signature(cls.__init__).parameters
    assert "value" in params, "the quantity read from the model is called value= in every lens"
    for own in ("load", "is_loaded", "get_params", "clone"):
        assert getattr(cls, own) is getattr(Lens, own), f"{name} overrides {own}: implement _load() instead"
    assert cls.widget is not Lens.widget, f"{name} has no widget of its own"


@pytest.mark.parametrize("name", SHIPPED)
def test_widget_module_never_imports_its_lens_module(name):
    tree = ast.parse((LENSES / name / "widget.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
            imported.update(("." * node.level) + a.name for a in node.names if node.module is None)
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    assert not imported & {".lens", f"lenses.{name}.lens", f"lenses.{name}", "."}, imported
    assert "spexkit.widgets" in imported  # built on the one widget base


def test_construction_loads_nothing_and_clone_keeps_the_arguments(tiny_text_model):
    from lenses.features import FeatureLens

    lens = FeatureLens(tiny_text_model, value="output", segmentation="words", keep=0.7)
    assert not lens.is_loaded and not hasattr(lens, "backend_")  # fitted state only after load()
    assert lens.get_params()["keep"] == 0.7 and lens.get_params()["model"] is tiny_text_model
    game = lens.game("one two three")
    assert lens.is_loaded and lens.backend_ is not None and game.info["segments"].n_players == 3
    other = lens.clone(keep=0.6)
    assert other.keep == 0.6 and other.model is tiny_text_model and not other.is_loaded
    with pytest.raises(TypeError, match="no parameter"):
        lens.clone(temperature=1.0)


def test_lens_widget_is_the_common_widget(tiny_text_model):
    from lenses.features import FeatureLens

    widget = FeatureLens(tiny_text_model, value="output").widget(text="a b c")
    assert isinstance(widget, ExplainerWidget) and widget.box is widget
    widget.method.value = "exact"
    res = widget.run()
    check = widget.check(res.top(1)[0][0])
    assert check["predicted"] == pytest.approx(check["actual"])
    assert set(widget.method.options) == set(spexkit.solvers.available_methods())


def test_a_registered_method_shows_up_in_the_widget():
    from spexkit import solvers

    @solvers.register("test_constant_method")
    def constant(game, budget=None, **_):  # pragma: no cover - only listed, never run
        raise NotImplementedError

    try:
        widget = ExplainerWidget(game=spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=2))
        assert "test_constant_method" in widget.method.options
    finally:
        solvers._METHODS.pop("test_constant_method", None)


def test_renamed_keywords_still_work_with_a_deprecation_warning(induction_model_and_tokens):
    from lenses.heads import HeadLens

    model, tokens = induction_model_and_tokens
    with pytest.warns(DeprecationWarning, match="metric= is deprecated"):
        lens = HeadLens(model, metric="loss")
    assert lens.value == "loss"
    with pytest.raises(TypeError, match="not both"):
        HeadLens(model, metric="loss", value="logprob")
    with pytest.warns(DeprecationWarning, match="max_order= is deprecated"):
        widget = ExplainerWidget(game=spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=2), max_order=2)
    assert widget.max_degree.value == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert HeadLens(model, value="loss").value == "loss"  # the new name warns about nothing


def test_data_lens_fit_is_load_with_a_warning():
    from lenses.data import DataLens, planted_dataset

    train, _, _ = planted_dataset(n_background=2, seed=0)
    lens = DataLens(train, groups="source")
    with pytest.warns(DeprecationWarning, match="use load"):
        assert lens.fit() is lens
    assert lens.is_loaded and lens.groups_.n_groups == 6
