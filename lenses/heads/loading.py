"""TransformerLens models by name, offline first.

``"smollm2"`` (SmolLM2-135M-Instruct) comes from the local float32 folder of
:func:`lenses.packaged.smollm2_dir`. TransformerLens's ``from_pretrained`` does not know that
folder's name, so the config and weights go through its lower-level loaders, with the
Hugging Face model loaded from the same folder (nothing is downloaded). Weights are not
processed (no LayerNorm folding or centring), so logits match transformers.
"""

from __future__ import annotations

from lenses.packaged import SMOLLM2_ALIASES, load_causal_lm, resolve, resolve_device


def load_hooked(name: str = "smollm2", device: str | None = None):
    """A ``HookedTransformer`` for a causal LM name or local folder.

    Examples
    --------
    >>> model = load_hooked("smollm2")
    >>> model.cfg.n_layers, model.cfg.n_heads
    (30, 9)
    """
    import logging

    import torch
    from transformer_lens import HookedTransformer
    from transformer_lens import loading_from_pretrained as loading

    device = resolve_device(device)
    path = resolve(name)
    hf_model, tokenizer = load_causal_lm(name)
    level = logging.getLogger().level
    try:
        cfg = loading.get_pretrained_model_config(path, hf_cfg=hf_model.config.to_dict(), fold_ln=False,
                                                  device=device, dtype=torch.float32)
        state = loading.get_pretrained_state_dict(path, cfg, hf_model, dtype=torch.float32)
    finally:
        logging.getLogger().setLevel(level)
    if name in SMOLLM2_ALIASES:
        cfg.model_name = "SmolLM2-135M-Instruct"
    model = HookedTransformer(cfg, tokenizer, move_to_device=False)
    model.load_and_process_state_dict(state, fold_ln=False, center_writing_weights=False,
                                      center_unembed=False, fold_value_biases=False,
                                      refactor_factored_attn_matrices=False)
    model.move_model_modules_to_device()
    model.eval()
    del hf_model
    return model
