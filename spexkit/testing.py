"""Checks a lens package runs in its own tests: does a lens follow the lens contract?

:func:`check_lens` is what spexkit's own contract test runs on the shipped lenses; a plugin
calls it on its lens the same way (docs/writing-a-lens.md, "Tests"). Each check that fails
raises ``AssertionError`` with a message that names the rule broken and how to fix it.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import numpy as np

from .game import Game
from .lens import Lens

__all__ = ["check_lens", "check_widget_module"]

#: methods every lens inherits from :class:`~spexkit.lens.Lens` and never overrides
INHERITED = ("load", "is_loaded", "get_params", "clone")


def check_lens(cls: type, name: str, make_lens: Callable[[], Lens] | None = None, example: Any = None, *,
               own_widget: bool = True, registered: bool = False) -> None:
    """Assert that the lens class ``cls`` follows the lens contract under the entry-point key ``name``.

    Parameters
    ----------
    cls : the lens class.
    name : its entry-point key; ``cls.name`` must equal it.
    make_lens : builds a lens cheaply (a tiny model): its lifecycle is checked — construction
        loads nothing and sets no fitted attribute (``*_``), ``get_params`` returns the
        arguments as stored, ``clone`` makes an unloaded copy with the same arguments.
    example : an input for ``make_lens().game(example)``: the game is checked too (the lens
        is loaded by it, labels match the players, and ``evaluate`` with nothing removed is
        the game's value of the full set).
    own_widget : the lens has a widget of its own (every lens whose ``game`` takes an input);
        False for a lens that relies on the base class's widget.
    registered : the lens must also be installed: ``spexkit.available_lenses()[name] is cls``.

    Examples
    --------
    >>> import spexkit
    >>> from spexkit.lens import Lens
    >>> class Sum(Lens):
    ...     name = "sum"
    ...     def __init__(self, value="sum", scale=1.0):
    ...         self.value, self.scale = value, scale
    ...     def _load(self):
    ...         self.factor_ = self.scale
    ...     def game(self, n):
    ...         self.load()
    ...         return spexkit.Game(lambda m: self.factor_ * m.sum(1), n_players=n)
    >>> check_lens(Sum, "sum", make_lens=lambda: Sum(scale=2.0), example=3, own_widget=False)
    >>> check_lens(Sum, "total", own_widget=False)
    Traceback (most recent call last):
    ...
    AssertionError: Sum.name is 'sum' but its entry-point key is 'total': set name = 'total'
    """
    label = getattr(cls, "__name__", repr(cls))
    _require(isinstance(cls, type) and issubclass(cls, Lens), f"{label} must subclass spexkit.lens.Lens")
    _require(cls.name == name, f"{label}.name is {cls.name!r} but its entry-point key is {name!r}: "
                               f"set name = {name!r}")
    params = inspect.signature(cls.__init__).parameters
    _require("value" in params, f"{label}.__init__ has no value= argument: every lens names the quantity "
                                "it reads from the model value=")
    for own in INHERITED:
        _require(getattr(cls, own) is getattr(Lens, own), f"{label} overrides {own}: implement _load() instead")
    if own_widget:
        _require(cls.widget is not Lens.widget, f"{label} has no widget of its own: override widget() "
                                                "(or pass own_widget=False if its game() needs no input)")
    if registered:
        from .plugins import available_lenses

        found = available_lenses().get(name)
        _require(found is cls, f"the entry point {name!r} gives {found!r}, not {label}: register it under "
                               '[project.entry-points."spexkit.lenses"] and reinstall')
    if make_lens is None:
        return
    lens = make_lens()
    _require(type(lens) is cls, f"make_lens() returned a {type(lens).__name__}, not a {label}")
    _require(not lens.is_loaded, f"{label}() loaded itself: construction must load nothing (do it in _load())")
    fitted = sorted(k for k in vars(lens) if k.endswith("_") and not k.startswith("_"))
    _require(not fitted, f"{label}() set fitted attributes {fitted} before load(): set them in _load()")
    missing = [key for key in cls._param_names() if not hasattr(lens, key)]
    _require(not missing, f"{label}() does not store the argument(s) {missing}: __init__ must store every "
                          "argument unchanged, under the argument's name (scikit-learn's convention)")
    stored = lens.get_params()
    other = lens.clone()
    _require(type(other) is cls and not other.is_loaded, "clone() must return an unloaded lens of the same class")
    for key, given in stored.items():
        _require(getattr(other, key) is given, f"clone() changed the argument {key!r}: __init__ must store "
                                               "every argument unchanged, under the argument's name")
    if example is None:
        return
    game = lens.game(example)
    _require(isinstance(game, Game), f"{label}.game() returned a {type(game).__name__}, not a spexkit.Game")
    _require(lens.is_loaded, f"{label}.game() must call self.load()")
    _require(len(game.labels) == game.n_players, "the game needs one label per player")
    full = float(np.asarray(game(np.ones((1, game.n_players), dtype=bool)))[0])
    _require(np.isclose(lens.evaluate(game, removed=[]), full),
             f"{label}.evaluate(game, removed=[]) differs from the game's value of the full set ({full})")


def check_widget_module(widget_module: ModuleType | str | Path, lens_module: str) -> None:
    """Assert that a lens's widget module is built on the common widget and never imports its lens module.

    ``widget_module`` is the module (or its source file, taken to sit in the lens's package);
    ``lens_module`` the dotted name of the lens's module (``cls.__module__``). The lens imports
    its widget inside ``widget()``; the widget only uses the lens it receives, so the two never
    import each other. Importing the lens's package (whose ``__init__`` usually imports the lens)
    counts as importing it; its other submodules are fine.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> src = pathlib.Path(tempfile.mkdtemp()) / "columns_widget.py"
    >>> _ = src.write_text("from spexkit.widgets import ExplainerWidget\\nfrom .columns import ColumnLens\\n")
    >>> check_widget_module(src, "my_lenses.columns")
    Traceback (most recent call last):
    ...
    AssertionError: columns_widget.py imports my_lenses.columns, its lens's module or package: the widget must only use the lens it receives
    """
    lens_package = lens_module.rpartition(".")[0]
    if isinstance(widget_module, ModuleType):
        path, package = Path(widget_module.__file__ or ""), widget_module.__package__ or ""
    else:
        path, package = Path(widget_module), lens_package
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            for alias in node.names:
                if not (module == package and _is_submodule(path.parent, alias.name)):
                    imported.add(module)  # a name from the module itself (its __init__ for a package)
                imported.add(f"{module}.{alias.name}" if module else alias.name)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    bad = sorted(imported & ({lens_module, lens_package} - {""}))
    _require(not bad, f"{path.name} imports {', '.join(bad)}, its lens's module or package: "
                      "the widget must only use the lens it receives")
    _require(any(name == "spexkit.widgets" or name.startswith("spexkit.widgets.") for name in imported),
             f"{path.name} does not import spexkit.widgets: a lens's widget subclasses ExplainerWidget")


def _require(condition: object, message: str) -> None:
    # an explicit raise: assert statements vanish under python -O
    if not condition:
        raise AssertionError(message)


def _is_submodule(folder: Path, name: str) -> bool:
    return (folder / f"{name}.py").exists() or (folder / name / "__init__.py").exists()
