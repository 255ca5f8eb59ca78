"""Lens discovery through a real entry point, registered by a distribution made in the test."""

import sys
import textwrap

import pytest

import spexkit

from .plugin_support import install_lens_entry_points


@pytest.fixture
def fake_lens_dist(tmp_path, monkeypatch):
    (tmp_path / "toy_lens_pkg.py").write_text(
        textwrap.dedent(
            """
            class ToyLens:
                name = "toy"
            """
        )
    )
    install_lens_entry_points(tmp_path, "toy-lens", {"toy": "toy_lens_pkg:ToyLens", "broken": "toy_lens_pkg:Missing"})
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("toy_lens_pkg", None)


def test_available_lenses_finds_registered_lens(fake_lens_dist):
    with pytest.warns(UserWarning, match="broken"):
        lenses = spexkit.available_lenses()
    assert lenses["toy"].__name__ == "ToyLens"
    assert "broken" not in lenses


def test_two_lenses_under_one_name_keep_the_first_and_warn(fake_lens_dist, tmp_path_factory, monkeypatch):
    other = tmp_path_factory.mktemp("other")
    install_lens_entry_points(other, "other-lens", {"toy": "other_lens_pkg:OtherLens"})
    monkeypatch.setattr(sys, "path", sys.path + [str(other)])  # after the first toy lens
    with pytest.warns(UserWarning) as caught:
        lenses = spexkit.available_lenses()
    assert lenses["toy"].__name__ == "ToyLens"
    assert any("registered as 'toy'" in str(w.message) and "other_lens_pkg:OtherLens (ignored)" in str(w.message)
               for w in caught)


def test_core_does_not_import_lenses():
    # Every core module (solvers, widgets, cli, plots included) imported in a fresh
    # interpreter: not one may pull in a lens package.
    import subprocess

    code = textwrap.dedent(
        """
        import pkgutil, sys
        import spexkit

        names = [m.name for m in pkgutil.walk_packages(spexkit.__path__, "spexkit.")
                 if not m.name.endswith("__main__")]  # __main__ would run the CLI
        for name in names:
            __import__(name)
        print(len(names), ",".join(sorted(m for m in sys.modules if m == "lenses" or m.startswith("lenses."))))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, _, leaked = out.stdout.strip().partition(" ")
    assert int(count) >= 25  # the walk really found the core: solvers, the proxyspex steps, widgets, cli
    assert leaked == "", f"core modules imported lenses: {leaked}"
