"""Sphinx configuration of the spexkit documentation (``make docs``).

Markdown pages are read by MyST; the tutorial notebooks of ``notebooks/`` are rendered by
MyST-NB from their stored outputs (never executed here: nbval runs them in ``make test``).
Everything builds offline.
"""

from __future__ import annotations

import filecmp
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
