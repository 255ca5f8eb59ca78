"""Models for the heads lens, booted through TransformerLens's ``TransformerBridge``.

TransformerLens 4 has one model class, ``TransformerBridge``; TransformerLens 3.9 has it
too, next to the older ``HookedTransformer``. :func:`load_model` turns whatever the user
gives the lens into a model with per-head hooks (``blocks.{l}.attn.hook_z``):

* ``"smollm2"`` (SmolLM2-135M-Instruct): booted offline from the local float32 folder of
  :func:`lenses.packaged.smollm2_dir`;
* a local Hugging Face folder (any causal LM architecture the bridge supports), or a hub
  name for online users;
* a transformers causal LM object, or a ``(model, tokenizer)`` pair: the bridge wraps that
  model in place (its modules become the bridge's, and attention runs eagerly so that the
  hooks see it);
* a ``TransformerBridge`` the user booted, or a ``HookedTransformer`` (TransformerLens
  3.9): used as they are.

Weights are not processed: no ``enable_compatibility_mode()``, so a booted model's logits are
the Hugging Face model's. Which classes the installed TransformerLens has is found by
importing them (``try/except ImportError``): on TransformerLens 4 even
``hasattr(transformer_lens, "HookedTransformer")`` raises ImportError.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lenses.packaged import SMOLLM2_ALIASES, resolve_device, smollm2_dir

#: what HeadLens(model=...) accepts, for error messages
ACCEPTED = ("'smollm2', a local Hugging Face folder of a causal LM, a transformers causal LM (or a "
            "(model, tokenizer) pair), a TransformerBridge, or a HookedTransformer (TransformerLens 3.9)")

#: the model name recorded for the offline SmolLM2, whatever the local folder is called
SMOLLM2_NAME = "SmolLM2-135M-Instruct"


def bridge_class():
    """``TransformerBridge``, or None when the installed TransformerLens has none (before 3.9)."""
    try:
        from transformer_lens.model_bridge import TransformerBridge
    except ImportError:
        return None
    return TransformerBridge


def hooked_transformer_class():
    """``HookedTransformer`` on TransformerLens 3.x; None on 4, which removed it."""
    try:
        from transformer_lens import HookedTransformer
    except ImportError:
        return None
    return HookedTransformer


def is_transformer_lens_model(model) -> bool:
    """Whether ``model`` is a ``TransformerBridge`` or a ``HookedTransformer``.

    Imports nothing when TransformerLens is not loaded yet: no model of its classes can
    exist then.

    Examples
    --------
    >>> is_transformer_lens_model("smollm2")
    False
    """
    if "transformer_lens" not in sys.modules:
        return False
    classes = tuple(c for c in (bridge_class(), hooked_transformer_class()) if c is not None)
    return bool(classes) and isinstance(model, classes)


def is_bridge(model) -> bool:
    """Whether ``model`` is a ``TransformerBridge``."""
    if "transformer_lens" not in sys.modules:
        return False
    cls = bridge_class()
    return cls is not None and isinstance(model, cls)


def _is_transformers_model(model) -> bool:
    if "transformers" not in sys.modules:
        return False
    from transformers import PreTrainedModel

    return isinstance(model, PreTrainedModel)


def _require_bridge():
    cls = bridge_class()
    if cls is None:
        raise ImportError("the heads lens boots models with TransformerLens's TransformerBridge, which this "
                          "TransformerLens does not have: pip install 'transformer-lens>=3.9,<5'")
    return cls


def boot(source: str, device: str | None = None, *, hf_model=None, tokenizer=None, shown=None):
    """``TransformerBridge.boot_transformers`` in float32, with a clear error when it fails.

    ``source``: a local folder or hub name (with ``hf_model``, the name the model was loaded
    from). ``shown``: how the error names what the user gave (default ``source``).
    """
    import torch

    TransformerBridge = _require_bridge()
    shown = source if shown is None else shown
    try:
        bridge = TransformerBridge.boot_transformers(source, device=device, dtype=torch.float32,
                                                     hf_model=hf_model, tokenizer=tokenizer)
    except Exception as exc:  # the bridge raises many kinds (OSError, ValueError, KeyError...)
        raise ValueError(f"TransformerBridge cannot boot {shown}: {type(exc).__name__}: {exc}. "
                         f"The heads lens takes {ACCEPTED}") from exc
    check_causal(bridge, shown)
    return bridge


def check_causal(model, shown=None) -> None:
    """Fail clearly unless ``model`` is a causal LM: the heads lens reads next-token logits.

    A bridge's ``cfg.attention_dir`` says "bidirectional" for encoders on TransformerLens 4
    (3.9 says "causal" for every model), and a booted Hugging Face model's architecture
    (``cfg.architecture``, a transformers class name) must be one of transformers' causal LMs.
    """
    cfg = model.cfg
    direction = getattr(cfg, "attention_dir", "causal")
    architecture = getattr(cfg, "architecture", None)
    causal = direction == "causal"
    if causal and isinstance(architecture, str) and architecture != "TransformerLensNative":
        try:
            from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        except ImportError:  # pragma: no cover - a transformers without the mapping: trust the bridge
            pass
        else:
            causal = architecture in set(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values())
    if not causal:
        shown = f"the {type(model).__name__} given" if shown is None else shown
        raise ValueError(f"{shown} is a {architecture or type(model).__name__} ({direction} attention), not a "
                         f"causal LM: the heads lens reads next-token logits. It takes {ACCEPTED}")


def _boot_name(name, device: str | None):
    text = os.fspath(name)
    if text in SMOLLM2_ALIASES:
        bridge = boot(str(smollm2_dir()), device, shown=f"model {text!r}")
        # the folder lives in the user's cache: record the model's own name instead, so that
        # the model's digest (and the games' fingerprints) are the same on every machine
        bridge.cfg.model_name = SMOLLM2_NAME
        config = getattr(bridge, "config", None)
        if config is not None and hasattr(config, "_name_or_path"):
            config._name_or_path = SMOLLM2_ALIASES[-1]
        return bridge
    path = Path(text).expanduser()
    looks_local = isinstance(name, os.PathLike) or path.is_absolute() or text.startswith((".", "~")) or path.exists()
    if looks_local:
        if not path.is_dir():
            raise ValueError(f"model {text!r} is not a folder: the heads lens takes {ACCEPTED}")
        if not (path / "config.json").is_file():
            raise ValueError(f"model folder {text!r} has no config.json, so it is not a Hugging Face model "
                             f"folder: the heads lens takes {ACCEPTED}")
        return boot(str(path), device, shown=f"model folder {text!r}")
    # a hub name, for online users (nothing is downloaded when the hub is out of reach)
    return boot(text, device, shown=f"model {text!r} (not 'smollm2', not a local folder; tried as a hub name)")


def _boot_transformers_model(hf_model, tokenizer, device: str | None):
    config = getattr(hf_model, "config", None)
    name = getattr(config, "_name_or_path", "") or ""
    if tokenizer is None and not name:
        raise ValueError(f"the {type(hf_model).__name__} given has no name or folder to load its tokenizer "
                         "from: pass HeadLens((model, tokenizer))")
    if tokenizer is not None and not getattr(tokenizer, "init_kwargs", {}).get("name_or_path"):
        # TransformerBridge reloads the tokenizer by name to add its BOS handling.
        raise ValueError("the tokenizer given was built in code, and TransformerBridge reloads a tokenizer by its "
                         "name or folder: save it (tokenizer.save_pretrained(folder)), load it back with "
                         "AutoTokenizer.from_pretrained(folder), and pass that one")
    if device is not None:
        hf_model.to(device)
    if not name:
        name = getattr(config, "model_type", None) or type(hf_model).__name__
    return boot(name, device, hf_model=hf_model, tokenizer=tokenizer, shown=f"the {type(hf_model).__name__} given")


def load_model(model="smollm2", device: str | None = None):
    """A TransformerLens model with per-head hooks, from anything the heads lens accepts.

    Parameters
    ----------
    model : str, path, transformers model, (model, tokenizer), TransformerBridge or HookedTransformer
        See the module's description. Names and Hugging Face models are booted through
        ``TransformerBridge`` in float32; TransformerLens models are used as they are.
    device : str, optional
        Where the model goes (``"auto"``: the GPU when there is one). Default: the CPU for a
        name or folder, the model's own device otherwise.

    Examples
    --------
    >>> model = load_model("smollm2")
    >>> type(model).__name__, model.cfg.n_layers, model.cfg.n_heads
    ('TransformerBridge', 30, 9)
    """
    if isinstance(model, (str, os.PathLike)):
        return _boot_name(model, resolve_device(device))
    device = None if device is None else resolve_device(device)
    if is_transformer_lens_model(model):
        check_causal(model)
        if device is not None:
            model.to(device, print_details=False)
        return model
    if isinstance(model, tuple) and len(model) == 2 and _is_transformers_model(model[0]):
        return _boot_transformers_model(model[0], model[1], device)
    if _is_transformers_model(model):
        return _boot_transformers_model(model, None, device)
    if all(hasattr(model, a) for a in ("cfg", "hook_dict", "hooks")):
        # another hooked model (HookedRootModule-like): the lens checks its hooks
        if device is not None:
            model.to(device)
        return model
    raise TypeError(f"HeadLens needs a TransformerLens model or something it can boot, got "
                    f"{type(model).__name__}: the heads lens takes {ACCEPTED}")
