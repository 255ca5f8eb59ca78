"""Batched head ablation through TransformerLens hooks on ``blocks.{l}.attn.hook_z``.

The same code serves a ``TransformerBridge`` (TransformerLens 3.9 and 4) and a
``HookedTransformer`` (3.9): both name the per-head output ``blocks.{l}.attn.hook_z``, of
shape (batch, pos, n_heads, d_head), and scope hooks with ``model.hooks``.

A batch of masks costs one forward pass: the prompt batch is repeated once per mask, and
one hook per layer replaces the ablated heads' outputs row block by row block. The hooks
live only for that forward pass (``model.hooks``), so a failed forward leaves the model
clean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

if TYPE_CHECKING:  # torch is imported where the forward runs; the name is for annotations
    import torch

ABLATIONS = ("zero", "mean", "resample")


def hook_name(layer: int) -> str:
    """The TransformerLens name of a layer's per-head attention output (``blocks.{l}.attn.hook_z``).

    The same name on a ``TransformerBridge`` (TransformerLens 3.9 and 4) and a
    ``HookedTransformer`` (3.9), so no TransformerLens module is needed to spell it.

    Examples
    --------
    >>> hook_name(3)
    'blocks.3.attn.hook_z'
    """
    return f"blocks.{int(layer)}.attn.hook_z"


def mlp_hook_name(layer: int) -> str:
    """The TransformerLens name of a layer's MLP output (``blocks.{l}.hook_mlp_out``).

    Examples
    --------
    >>> mlp_hook_name(3)
    'blocks.3.hook_mlp_out'
    """
    return f"blocks.{int(layer)}.hook_mlp_out"


def check_hooks(model, names) -> None:
    """Fail clearly, naming the hook and the model's hooks nearest to it, unless ``model`` has ``names``.

    Examples
    --------
    >>> from lenses.heads import induction_model
    >>> check_hooks(induction_model()[0], ["blocks.0.attn.hook_zz"])
    Traceback (most recent call last):
    ...
    ValueError: unknown hook 'blocks.0.attn.hook_zz': TransformerBridge has no hook of that name; nearest: blocks.0.attn.hook_z, ...
    """
    import difflib

    hook_dict = model.hook_dict
    for name in names:
        if name not in hook_dict:
            near = difflib.get_close_matches(name, list(hook_dict), n=3, cutoff=0.6)
            hint = f"nearest: {', '.join(near)}" if near else f"it has {len(hook_dict)} hooks, e.g. {', '.join(list(hook_dict)[:3])}"
            raise ValueError(f"unknown hook {name!r}: {type(model).__name__} has no hook of that name; {hint}")


def check_hooked_model(model) -> None:
    """Fail clearly unless ``model`` is a TransformerLens model with per-head output hooks."""
    cfg = getattr(model, "cfg", None)
    hook_dict = getattr(model, "hook_dict", None)
    if cfg is None or hook_dict is None or not hasattr(model, "hooks"):
        from .loading import ACCEPTED

        raise TypeError(f"HeadLens needs a TransformerLens model, got {type(model).__name__}: it takes {ACCEPTED}")
    missing = [hook_name(l) for l in range(cfg.n_layers) if hook_name(l) not in hook_dict]
    if missing:
        raise TypeError(f"{type(model).__name__} has no per-head output hooks: missing {missing[:3]} "
                        f"(the heads lens ablates heads in blocks.{{layer}}.attn.hook_z)")


def check_ablation(ablation: str) -> str:
    if ablation not in ABLATIONS:
        raise ValueError(f"unknown ablation {ablation!r}; use one of {', '.join(ABLATIONS)}")
    return ablation


def reference_z(model, tokens, layers: Sequence[int], hook: Callable[[int], str] = hook_name
                ) -> dict[int, "torch.Tensor"]:
    """Each layer's activation at ``hook(layer)`` on ``tokens`` (``hook_z``: (batch, seq, n_heads, d_head))."""
    names = {hook(l) for l in layers}
    _, cache = model.run_with_cache(tokens, names_filter=lambda name: name in names)
    return {l: cache[hook(l)] for l in layers}


def replacements(model, tokens, layers: Sequence[int], ablation: str, reference=None,
                 seed=0, hook: Callable[[int], str] = hook_name) -> dict[int, "torch.Tensor"]:
    """What an ablated head outputs instead, per layer, broadcastable to (batch, seq, heads, d_head).

    ``hook=mlp_hook_name`` gives the same for MLP layers, broadcastable to (batch, seq, d_model).

    ``zero``: zeros. ``mean``: the mean over the reference prompts at each position (a causal
    model's ``z`` at position p depends only on tokens up to p, so a longer reference is cut
    to the prompts' length). ``resample``: the output on another prompt; prompt i always
    takes reference row ``pairing[i]`` (fixed by ``seed``), so the game stays deterministic.
    With no reference, the prompts themselves serve, and resampling never pairs a prompt with
    itself.
    """
    import torch

    check_ablation(ablation)
    check_hooks(model, [hook(l) for l in layers])
    batch, seq = tokens.shape
    cfg = model.cfg
    if ablation == "zero":
        return {l: torch.zeros((), dtype=cfg.dtype, device=tokens.device) for l in layers}
    own = reference is None
    ref = tokens if own else reference
    if ref.shape[1] < seq:
        raise ValueError(f"reference prompts have {ref.shape[1]} tokens, shorter than the prompts' {seq}: "
                         f"{ablation} ablation needs a reference activation at every position")
    if ablation == "mean" and ref.shape[0] < 2:
        raise ValueError("mean ablation over one prompt leaves its heads unchanged: pass more prompts or a "
                         "reference batch (reference=...)")
    ref = ref[:, :seq]
    z = reference_z(model, ref, layers, hook)
    if ablation == "mean":
        return {l: z[l].mean(0, keepdim=True) for l in layers}
    rng = np.random.default_rng(seed)
    if own:
        if batch < 2:
            raise ValueError("resample ablation needs at least 2 prompts or a reference batch")
        pairing = (np.arange(batch) + rng.integers(1, batch)) % batch  # a shift: nobody keeps its own
    else:
        pairing = rng.integers(0, ref.shape[0], size=batch)
    idx = torch.as_tensor(pairing, device=tokens.device)
    return {l: z[l][idx] for l in layers}


def make_hook(keep: "torch.Tensor", replacement: "torch.Tensor", n_prompts: int) -> Callable:
    """A ``hook_z`` hook: row block b (one mask's prompts) keeps the heads ``keep[b]`` marks.

    ``keep``: bool (n_masks, n_heads) on the model's device.
    """
    import torch

    def ablate_heads(z, hook):
        rows, seq, n_heads, d_head = z.shape
        z = z.view(keep.shape[0], n_prompts, seq, n_heads, d_head)
        new = torch.where(keep[:, None, None, :, None], z, replacement.to(z.dtype))
        return new.view(rows, seq, n_heads, d_head)

    return ablate_heads


def make_mlp_hook(keep: "torch.Tensor", replacement: "torch.Tensor", n_prompts: int) -> Callable:
    """A ``hook_mlp_out`` hook: row block b keeps the layer's MLP output where ``keep[b]``.

    ``keep``: bool (n_masks,) on the model's device.
    """
    import torch

    def ablate_mlp(out, hook):
        rows, seq, d_model = out.shape
        out = out.view(keep.shape[0], n_prompts, seq, d_model)
        new = torch.where(keep[:, None, None, None], out, replacement.to(out.dtype))
        return new.view(rows, seq, d_model)

    return ablate_mlp


def ablated_logits(model, tokens, keep: np.ndarray, layers: Sequence[int],
                   replacement: dict[int, "torch.Tensor"], *, mlp_keep: np.ndarray | None = None,
                   mlp_layers: Sequence[int] = (), mlp_replacement: dict[int, "torch.Tensor"] | None = None):
    """Logits of ``tokens`` under each mask, in one forward pass.

    Parameters
    ----------
    tokens : LongTensor (n_prompts, seq)
    keep : bool array (n_masks, len(layers), n_heads); True = the head is kept.
    layers : the layers ``keep`` covers (heads of other layers are always kept).
    replacement : from :func:`replacements`.
    mlp_keep : bool array (n_masks, len(mlp_layers)); True = the layer's MLP is kept.
    mlp_layers, mlp_replacement : the MLP layers ``mlp_keep`` covers, and from
        :func:`replacements` with ``hook=mlp_hook_name``.

    Returns
    -------
    logits : Tensor (n_masks * n_prompts, seq, d_vocab); rows of mask b are
        ``b * n_prompts .. (b + 1) * n_prompts - 1``.
    """
    import torch

    n_masks = keep.shape[0]
    n_prompts = tokens.shape[0]
    keep_t = torch.as_tensor(np.ascontiguousarray(keep), device=tokens.device)
    hooks = [(hook_name(l), make_hook(keep_t[:, j], replacement[l], n_prompts))
             for j, l in enumerate(layers) if not bool(keep[:, j].all())]
    if mlp_keep is not None and len(mlp_layers):
        mlp_t = torch.as_tensor(np.ascontiguousarray(mlp_keep), device=tokens.device)
        hooks += [(mlp_hook_name(l), make_mlp_hook(mlp_t[:, j], mlp_replacement[l], n_prompts))
                  for j, l in enumerate(mlp_layers) if not bool(mlp_keep[:, j].all())]
    repeated = tokens.repeat(n_masks, 1)
    with model.hooks(fwd_hooks=hooks):
        return model(repeated, return_type="logits")
