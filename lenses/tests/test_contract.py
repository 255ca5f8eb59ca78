"""Every shipped lens follows the one lens contract (docs/writing-a-lens.md)."""

from __future__ import annotations

import importlib
import warnings

import pytest

import spexkit
from spexkit.testing import check_lens, check_widget_module
from spexkit.widgets import ExplainerWidget

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
    # the check a plugin runs on its own lens (docs/writing-a-lens.md, "Tests")
    check_lens(_lens_classes()[name], name, registered=True)


@pytest.mark.parametrize("name", SHIPPED)
def test_widget_module_never_imports_its_lens_module(name):
    cls = _lens_classes()[name]
    check_widget_module(importlib.import_module(f"lenses.{name}.widget"), cls.__module__)


def test_a_lens_made_from_a_tiny_model_passes_every_check(tiny_text_model):
    from lenses.features import FeatureLens

    check_lens(FeatureLens, "features", make_lens=lambda: FeatureLens(tiny_text_model, value="output"),
               example="one two three")


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
