"""The documentation site builds offline with no warnings (what ``make docs`` runs)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_without_warnings(tmp_path):
    # Sphinx is a dev dependency: a missing one is a broken install, so this fails, not skips.
    import sphinx  # noqa: F401

    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    assert "WARNING" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr[-8000:]

    for page in ["index.html", "getting-started.html", "concepts.html", "solvers.html",
                 "writing-a-lens.html", "benchmarks.html", "lenses/features.html",
                 "lenses/heads.html", "lenses/data.html", "api/index.html", "api/core.html",
                 "tutorials.html", "design.html"]:
        assert (out / page).is_file(), page
    # autodoc ran: the API page documents the front door, and every lens class is there
    core = (out / "api" / "core.html").read_text()
    assert 'id="spexkit.explain"' in core and 'id="spexkit.Interactions"' in core
    lenses = (out / "api" / "lenses.html").read_text()
    for anchor in ["lenses.features.FeatureLens", "lenses.heads.HeadLens", "lenses.data.DataLens"]:
        assert f'id="{anchor}"' in lenses, anchor
    # every notebook is a tutorial page, rendered from its stored outputs
    assert "00_quickstart" in notebooks
    for name in notebooks:
        assert (out / "tutorials" / f"{name}.html").is_file(), name
    # maths render offline: pages load MathJax from the build's own _static, never a CDN
    assert (out / "_static" / "mathjax" / "MathJax.js").is_file()
    assert (out / "_static" / "mathjax" / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()
    assert 'src="_static/mathjax/MathJax.js?config=' in (out / "design.html").read_text()
    for page in out.rglob("*.html"):
        for src in re.findall(r'src="([^"]*mathjax[^"]*)"', page.read_text(), flags=re.IGNORECASE):
            assert "//" not in src and "_static/mathjax/MathJax.js" in src, (page, src)


def _load_conf():
    spec = importlib.util.spec_from_file_location("spexkit_docs_conf", ROOT / "docs" / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_mathjax_path_is_local():
    # The package that ships MathJax is a docs/dev dependency: missing, the install is broken.
    conf = _load_conf()
    assert "sphinx.ext.mathjax" in conf.extensions
    path = conf.mathjax_path
    assert "://" not in path and not path.startswith("/"), path  # relative to the build's _static
    file, _, query = path.partition("?")
    static, _, rest = file.partition("/")
    assert static == conf.MATHJAX_STATIC and rest == "MathJax.js", path
    source = conf.mathjax_source()  # the files copied into _static/mathjax at build time
    assert (source / "MathJax.js").is_file()
    config = query.removeprefix("config=").split(",")[0]
    assert (source / "config" / f"{config}.js").is_file(), config
    # MathJax 2 reads its configuration from mathjax2_config (MathJax 3/4 settings would be ignored)
    assert "MathJax.version=\"2." in (source / "MathJax.js").read_text(errors="replace")
    assert conf.mathjax2_config["tex2jax"]["processClass"].startswith("math")


def test_no_references_outside_the_repository():
    """The repository stands alone: no tracked file points to the external design or style
    notes or to a sibling folder of the checkout (the design notes are docs/design.md)."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    top = subprocess.run([git, "rev-parse", "--show-toplevel"], cwd=ROOT, capture_output=True, text=True)
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != ROOT:
        pytest.skip("not a git checkout of this repository (e.g. an unpacked sdist)")
    # Escaped patterns, so that this file does not match itself.
    proc = subprocess.run([git, "grep", "-n", "-I", "-e", r"DESIGN\.md", "-e", r"STYLE\.md", "-e", r"\.\./shared"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.returncode == 1, f"references to files outside the repository:\n{proc.stdout}"
