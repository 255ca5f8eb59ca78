"""Sphinx configuration of the spexkit documentation (``make docs``).

Markdown pages are read by MyST; the tutorial notebooks of ``notebooks/`` are rendered by
MyST-NB from their stored outputs (never executed here: nbval runs them in ``make test``).
Everything builds offline, maths included: MathJax is served from the build's own
``_static/mathjax`` (copied from the ``jupyter-server-mathjax`` package), never from a CDN.
"""

from __future__ import annotations

import filecmp
import importlib.util
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # autodoc imports spexkit and lenses from the checkout

import spexkit  # noqa: E402

project = "spexkit"
author = "the spexkit authors"
copyright = "the spexkit authors"
release = spexkit.__version__
version = release

extensions = [
    "myst_nb",  # also loads myst_parser for the .md pages
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

# ---------------------------------------------------------------- sources
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"


def copy_tutorials(source: Path = ROOT / "notebooks", target: Path = DOCS / "tutorials") -> list[str]:
    """Mirror ``notebooks/*.ipynb`` into ``docs/tutorials/`` (git-ignored) for the build.

    Unchanged notebooks keep their copy (and its time stamp), so incremental builds stay
    incremental; copies of notebooks that no longer exist are removed. Returns the names.
    """
    target.mkdir(exist_ok=True)
    names = sorted(p.name for p in source.glob("*.ipynb"))
    for stale in target.glob("*.ipynb"):
        if stale.name not in names:
            stale.unlink()
    for name in names:
        dest = target / name
        if not dest.exists() or not filecmp.cmp(source / name, dest, shallow=False):
            shutil.copy2(source / name, dest)
    return names


copy_tutorials()

# ---------------------------------------------------------------- MyST / MyST-NB
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # the notebooks are stored with their outputs; nbval checks them
nb_merge_streams = True
# Notebooks are written by hand: a tutorial may skip a heading level.
suppress_warnings = ["myst.header"]

# ---------------------------------------------------------------- API reference
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_mock_imports: list[str] = []
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# intersphinx stays off: the build must not need the network.

# ---------------------------------------------------------------- HTML
html_theme = "furo"
html_title = f"spexkit {release}"
html_static_path: list[str] = []

# ---------------------------------------------------------------- maths, offline
# sphinx.ext.mathjax would load MathJax from a CDN. Instead the MathJax 2.7 files that the
# PyPI package jupyter-server-mathjax ships (the build Jupyter serves itself; a `docs` and
# `dev` extra) are copied into the build's _static/mathjax when the builder starts, and
# every page with maths loads them from there.
MATHJAX_PACKAGE = "jupyter_server_mathjax"
MATHJAX_STATIC = "mathjax"  # folder under the build's _static
mathjax_path = f"{MATHJAX_STATIC}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    # Typeset only what Sphinx marks as maths (class "math"), as MyST-Parser's default
    # does for MathJax 3; stray dollar signs in prose and outputs stay text.
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": False,
        "ignoreClass": ".*",
        "processClass": "math|output_area|tex2jax_process|mathjax_process",
    },
    # The package ships the STIX-Web web fonts only (Jupyter configures them the same way).
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None},
    "messageStyle": "none",
}
# MyST-Parser would add a MathJax 3 configuration; the MathJax 2 one above replaces it.
myst_update_mathjax = False


def mathjax_source() -> Path:
    """The folder of MathJax files in the installed ``jupyter-server-mathjax`` (not imported)."""
    spec = importlib.util.find_spec(MATHJAX_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        static = Path(folder) / "static"
        if (static / "MathJax.js").is_file():
            return static
    raise RuntimeError(
        "the documentation serves MathJax from the package jupyter-server-mathjax, which is not "
        "installed: pip install -e '.[docs]' (or make install)"
    )


def copy_mathjax(target: Path, source: Path | None = None) -> int:
    """Mirror the MathJax files into ``target``; unchanged files are left alone.

    Returns the number of files copied (0 on an up-to-date incremental build).
    """
    source = mathjax_source() if source is None else source
    copied = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        dest = target / path.relative_to(source)
        if dest.is_file() and filecmp.cmp(path, dest):
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        copied += 1
    return copied


def _install_mathjax(app) -> None:
    if app.builder.format == "html":
        copy_mathjax(Path(app.outdir) / "_static" / MATHJAX_STATIC)


def setup(app):
    mathjax_source()  # fail at once, with the fix, when the package is missing
    app.connect("builder-inited", _install_mathjax)
