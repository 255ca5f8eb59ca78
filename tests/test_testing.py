"""spexkit.testing: the lens-contract checks a plugin runs; each broken rule is named."""

import textwrap

import pytest

import spexkit
from spexkit.lens import Lens
from spexkit.testing import check_lens, check_widget_module


class Good(Lens):
    name = "good"

    def __init__(self, model=None, value="sum"):
        self.model = model
        self.value = value

    def _load(self):
        self.scale_ = 2.0

    def game(self, n):
        self.load()
        return spexkit.Game(lambda m: self.scale_ * m.sum(1), n_players=n)

    def widget(self, **options):  # pragma: no cover - only its presence is checked
        return super().widget(**options)


def test_a_lens_that_follows_the_contract_passes():
    check_lens(Good, "good", make_lens=lambda: Good(model=object()), example=4)


def _variant(**members):
    return type("Bad", (Good,), members)


@pytest.mark.parametrize("cls, message", [
    (_variant(name="other"), "entry-point key is 'good'"),
    (_variant(load=lambda self: self), "overrides load"),
    (_variant(clone=lambda self, **c: self), "overrides clone"),
    (_variant(__init__=lambda self, model=None: setattr(self, "model", model)), "no value= argument"),
    (_variant(widget=Lens.widget), "no widget of its own"),
])
def test_a_broken_class_rule_is_named(cls, message):
    with pytest.raises(AssertionError, match=message):
        check_lens(cls, "good")


def test_a_lens_without_a_widget_of_its_own_may_say_so():
    check_lens(_variant(widget=Lens.widget), "good", own_widget=False)


def _loads_in_init(self, model=None, value="sum"):
    Good.__init__(self, model, value)
    self.load()


def _fitted_in_init(self, model=None, value="sum"):
    Good.__init__(self, model, value)
    self.table_ = {}


def _copies_model(self, model=None, value="sum"):
    Good.__init__(self, None if model is None else list(model), value)


def _renames_model(self, model=None, value="sum"):
    self.net, self.value = model, value


def _game_without_load(self, n):
    self.scale_ = 1.0
    return spexkit.Game(lambda m: m.sum(1) * 1.0, n_players=n)


def _evaluate_elsewhere(self, game, removed=()):
    return 99.0


@pytest.mark.parametrize("members, message", [
    ({"__init__": _loads_in_init}, "loaded itself"),
    ({"__init__": _fitted_in_init}, r"fitted attributes \['table_'\]"),
    ({"__init__": _copies_model}, "changed the argument 'model'"),
    ({"__init__": _renames_model}, r"does not store the argument\(s\) \['model'\]"),
    ({"game": _game_without_load}, "must call self.load"),
    ({"evaluate": _evaluate_elsewhere}, "evaluate"),
])
def test_a_broken_lifecycle_rule_is_named(members, message):
    cls = _variant(**members)
    with pytest.raises(AssertionError, match=message):
        check_lens(cls, "good", make_lens=lambda: cls(model=[1, 2]), example=3)


def test_make_lens_must_build_the_class_checked():
    with pytest.raises(AssertionError, match="not a Good"):
        check_lens(Good, "good", make_lens=lambda: _variant()())


def test_registered_needs_the_entry_point():
    with pytest.raises(AssertionError, match="entry point 'good'"):
        check_lens(Good, "good", registered=True)


@pytest.mark.parametrize("source, ok", [
    ("from spexkit.widgets import ExplainerWidget\nfrom .helpers import THINGS\n", True),
    ("from spexkit.widgets import ExplainerWidget\nfrom . import helpers\n", True),
    ("import spexkit.widgets\n", True),
    ("from spexkit.widgets import ExplainerWidget\nfrom .columns import ColumnLens\n", False),
    ("from spexkit.widgets import ExplainerWidget\nfrom . import columns\n", False),
    ("from spexkit.widgets import ExplainerWidget\nfrom my_lenses import columns\n", False),
    ("from spexkit.widgets import ExplainerWidget\nimport my_lenses.columns\n", False),
    ("from spexkit.widgets import ExplainerWidget\nfrom . import ColumnLens\n", False),  # the package's __init__
    ("import numpy\n", False),  # not built on the common widget
])
def test_the_widget_module_check(tmp_path, source, ok):
    package = tmp_path / "my_lenses"
    package.mkdir()
    for name in ("__init__", "columns", "helpers"):
        (package / f"{name}.py").write_text("")
    widget = package / "columns_widget.py"
    widget.write_text(textwrap.dedent(source))
    if ok:
        check_widget_module(widget, "my_lenses.columns")
    else:
        with pytest.raises(AssertionError, match="columns_widget.py"):
            check_widget_module(widget, "my_lenses.columns")
