"""Lens discovery through the ``spexkit.lenses`` entry-point group.

The core never imports a lens: a lens package declares, in its pyproject.toml,

    [project.entry-points."spexkit.lenses"]
    features = "lenses.features:FeatureLens"

and :func:`available_lenses` loads whatever is installed.
"""

from __future__ import annotations

import warnings
from importlib.metadata import entry_points

ENTRY_POINT_GROUP = "spexkit.lenses"


def available_lenses() -> dict[str, type]:
    """Installed lenses by name, e.g. ``{"features": FeatureLens, ...}``.

    A lens that fails to import is skipped with a warning that names it and the error,
    so one broken plugin never hides the others. Two installed packages that register
    different lenses under one name: the first on ``sys.path`` is kept, with a warning that
    names both (rename one entry point).

    Examples
    --------
    >>> isinstance(available_lenses(), dict)
    True
    """
    found: dict[str, type] = {}
    source: dict[str, str] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):  # stable: sys.path order kept
        if ep.name in source:
            if ep.value != source[ep.name]:  # (the same value: one distribution seen twice on sys.path)
                warnings.warn(f"two spexkit lenses are registered as {ep.name!r}: {source[ep.name]} (kept) and "
                              f"{ep.value} (ignored); rename one entry point", stacklevel=2)
            continue
        source[ep.name] = ep.value
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # noqa: BLE001 - any plugin error must not break discovery
            warnings.warn(f"spexkit lens {ep.name!r} ({ep.value}) failed to load: {exc!r}", stacklevel=2)
    return found
