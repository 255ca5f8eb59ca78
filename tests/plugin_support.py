"""A lens package "installed" for a test: the entry-point metadata pip would write, in a folder."""

from __future__ import annotations

from pathlib import Path


def install_lens_entry_points(folder: Path, distribution: str, lenses: dict[str, str]) -> Path:
    """Write ``{distribution}-0.1.dist-info`` in ``folder`` registering ``lenses`` ({key: "module:Class"}).

    With ``folder`` on ``sys.path`` (or ``PYTHONPATH`` for a subprocess), ``available_lenses()``
    finds them as it finds an installed package's.
    """
    dist = folder / f"{distribution.replace('-', '_')}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[spexkit.lenses]\n" + "".join(f"{key} = {target}\n" for key, target in lenses.items()))
    return dist
