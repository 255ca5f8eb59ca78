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


def test_core_does_not_import_lenses():
    import subprocess

    code = "import sys, spexkit; spexkit.explain; print(any(m.startswith('lenses') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
