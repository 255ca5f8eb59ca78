"""Lens discovery through a real entry point, registered by a distribution made in the test."""

import sys
import textwrap

import pytest

import spexkit


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
    dist = tmp_path / "toy_lens-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-lens\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[spexkit.lenses]\ntoy = toy_lens_pkg:ToyLens\nbroken = toy_lens_pkg:Missing\n"
    )
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
    dist = other / "other_lens-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: other-lens\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[spexkit.lenses]\ntoy = other_lens_pkg:OtherLens\n")
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
