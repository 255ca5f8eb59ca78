"""Stable identities for on-disk caches: of callables, of models' weights, of any values.

A cached value is only reused when the game that asks for it is the same game, so every
lens keys its games by what changes their values: the model's weights, the input and the
settings. These helpers are the one place that turns those into short digests.
"""

from __future__ import annotations

import hashlib
from typing import Any


def digest(*parts: Any, size: int = 20) -> str:
    """A hex digest of ``parts`` (bytes as they are, anything else through ``str``).

    Examples
    --------
    >>> digest("model", 3) == digest("model", 3) != digest("model", 4)
    True
    >>> len(digest(b"raw bytes", size=8))
    8
    """
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\x1f")  # a separator, so that ("ab", "c") and ("a", "bc") differ
    return h.hexdigest()[:size]


def callable_identity(fn: Any) -> str | None:
    """``module.qualname`` of a function, or None when it has no name stable across processes.

    A lambda or a function defined inside another gets a new identity in every process,
    so a game built on one cannot be cached without an explicit fingerprint.

    Examples
    --------
    >>> callable_identity(digest)
    'spexkit.identity.digest'
    >>> callable_identity(lambda x: x) is None
    True
    """
    name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"
    return None if "<lambda>" in name or "<locals>" in name else name


def model_identity(model: Any, *, every_weight: bool = True) -> str:
    """Digest of a torch model's class, name and weights (``state_dict``, or ``parameters``).

    ``every_weight=False`` hashes a sample of each eighth tensor's first values: enough to
    tell checkpoints apart, and quick for large language models.
    """
    import torch

    config = getattr(model, "config", None) or getattr(model, "cfg", None)
    name = getattr(config, "_name_or_path", None) or getattr(config, "model_name", None) or ""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{type(model).__name__}|{name}".encode())
    if hasattr(model, "state_dict"):
        tensors = list(model.state_dict().items())
    else:
        tensors = [(str(i), p) for i, p in enumerate(model.parameters())]
    h.update(str(sum(t.numel() for _, t in tensors)).encode())
    step = 1 if every_weight else max(1, len(tensors) // 8)
    with torch.inference_mode():
        for key, t in tensors[::step]:
            h.update(key.encode())
            flat = t.detach().reshape(-1)
            if not every_weight:
                flat = flat[:512]
            h.update(flat.to("cpu", torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()
