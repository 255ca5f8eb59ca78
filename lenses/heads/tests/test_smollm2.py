"""The real model: SmolLM2-135M-Instruct booted through TransformerBridge, offline (few, small tests).

Ground truth is the Hugging Face model itself: the bridge runs it unprocessed (no compatibility
mode), so its logits are transformers' logits, and ablating heads on ``hook_z`` is zeroing
those heads' input columns of ``o_proj``.
"""

import numpy as np
import pytest
import torch

from lenses.heads import HeadLens
from lenses.heads.ablation import ablated_logits, mlp_hook_name, replacements
from lenses.heads.induction import repeated_tokens

PROMPT = "The quick brown fox jumps over the lazy dog"


@pytest.fixture(scope="module")
def lens():
    return HeadLens("smollm2", ablation="mean", value="logprob").load()


@pytest.fixture(scope="module")
def hf_eager():
    """The Hugging Face model with eager attention, as the bridge runs it."""
    from transformers import AutoModelForCausalLM

    from lenses.packaged import smollm2_dir

    return AutoModelForCausalLM.from_pretrained(str(smollm2_dir()), dtype=torch.float32,
                                                attn_implementation="eager").eval()


def test_smollm2_is_booted_through_the_bridge(lens):
    from lenses.heads.loading import is_bridge

    model = lens.model_
    assert is_bridge(model) and (model.cfg.n_layers, model.cfg.n_heads) == (30, 9)
    # the model's name, not the user's cache folder, goes into the games' fingerprints
    assert model.cfg.model_name == "SmolLM2-135M-Instruct"


def test_bridge_logits_match_transformers(lens, hf_eager):
    from lenses.packaged import load_causal_lm

    hf, tok = load_causal_lm("smollm2")  # transformers' default attention (sdpa)
    ids = tok(PROMPT, return_tensors="pt").input_ids
    with torch.inference_mode():
        bridge = lens.model_(ids)
        assert (bridge - hf(ids).logits).abs().max().item() < 5e-4
        assert (bridge - hf_eager(ids).logits).abs().max().item() < 1e-4


def test_ablating_heads_is_zeroing_their_o_proj_columns(lens, hf_eager):
    """Zero ablation on the bridge == the Hugging Face model with those heads' o_proj columns zeroed."""
    model = lens.model_
    ids = model.tokenizer(PROMPT, return_tensors="pt").input_ids
    removed = {0: [1, 4], 3: [0], 17: [2, 3, 8], 29: [5]}
    layers = sorted(removed)
    keep = np.ones((1, len(layers), model.cfg.n_heads), dtype=bool)
    for j, layer in enumerate(layers):
        keep[0, j, removed[layer]] = False
    d_head = model.cfg.d_head
    saved = {}
    with torch.inference_mode():
        got = ablated_logits(model, ids, keep, layers, replacements(model, ids, layers, "zero"))
        try:
            for layer, heads in removed.items():
                w = hf_eager.model.layers[layer].self_attn.o_proj.weight
                saved[layer] = w.clone()
                for h in heads:
                    w[:, h * d_head:(h + 1) * d_head] = 0.0
            expected = hf_eager(ids).logits
        finally:
            for layer, w in saved.items():
                hf_eager.model.layers[layer].self_attn.o_proj.weight.copy_(w)
        clean = hf_eager(ids).logits
    assert (got - expected).abs().max().item() < 1e-4
    assert (expected - clean).abs().max().item() > 0.1  # the ablation does change the logits


def test_270_head_game_batches_masks_in_one_forward(lens):
    tokens = repeated_tokens(lens.model_, 1, 6, seed=0)
    reference = repeated_tokens(lens.model_, 8, 6, seed=1)  # mean ablation: statistics of other prompts
    game = lens.game(tokens, positions=list(range(8, 13)), reference=reference)
    assert game.n_players == 270 and game.keep == 0.9
    assert game.labels[0] == "L0H0" and game.labels[-1] == "L29H8"
    masks = np.ones((3, 270), dtype=bool)
    masks[1, ::7] = False
    masks[2, 100:140] = False
    batched = game(masks)
    single = np.array([game(m[None])[0] for m in masks])
    np.testing.assert_allclose(batched, single, atol=1e-4, rtol=0)
    assert batched[0] > batched[2]  # ablating 40 middle heads hurts induction


def test_bad_layers_and_heads_name_the_model_range(lens):
    with pytest.raises(ValueError, match="unknown layer 30: the model has layers 0 .. 29"):
        lens.players(layers=[30])
    with pytest.raises(ValueError, match="head 9 out of range: layer 2 has heads 0 .. 8"):
        lens.players(heads=["L2H9"])
    with pytest.raises(ValueError, match="the prompts tokenize to different lengths"):
        lens.game(["a cat", "the cat sat down on the mat"])


def test_ablating_an_mlp_is_zeroing_that_layer_s_mlp_output(lens, hf_eager):
    """Zero ablation of MLP players on the bridge == the Hugging Face model with those layers'
    MLP outputs zeroed (a forward hook on ``model.layers[l].mlp``), heads and MLPs in one forward."""
    model = lens.model_
    ids = model.tokenizer(PROMPT, return_tensors="pt").input_ids
    mlp_layers, heads = [2, 11, 25], {5: [3]}
    keep = np.ones((1, 1, model.cfg.n_heads), dtype=bool)
    keep[0, 0, heads[5]] = False
    d_head = model.cfg.d_head
    with torch.inference_mode():
        got = ablated_logits(model, ids, keep, [5], replacements(model, ids, [5], "zero"),
                             mlp_keep=np.zeros((1, 3), dtype=bool), mlp_layers=mlp_layers,
                             mlp_replacement=replacements(model, ids, mlp_layers, "zero", hook=mlp_hook_name))
        handles = [hf_eager.model.layers[l].mlp.register_forward_hook(lambda mod, inp, out: torch.zeros_like(out))
                   for l in mlp_layers]
        w = hf_eager.model.layers[5].self_attn.o_proj.weight
        saved = w.clone()
        try:
            w[:, 3 * d_head:4 * d_head] = 0.0
            expected = hf_eager(ids).logits
        finally:
            w.copy_(saved)
            for handle in handles:
                handle.remove()
        clean = hf_eager(ids).logits
    assert (got - expected).abs().max().item() < 1e-4
    assert (expected - clean).abs().max().item() > 0.1


def test_heads_and_mlps_game_labels_and_one_batched_forward(lens):
    tokens = repeated_tokens(lens.model_, 1, 6, seed=0)
    mixed = HeadLens(lens.model_, ablation="mean", components="heads+mlps", batch_size=4)
    game = mixed.game(tokens, layers=[0, 1], positions=list(range(8, 13)), reference=repeated_tokens(
        lens.model_, 8, 6, seed=1))
    assert game.n_players == 20 and game.labels[8:11] == ["L0H8", "L0MLP", "L1H0"]
    assert game.info["players"][9] == (0, "MLP")
    masks = np.random.default_rng(0).random((6, 20)) < 0.7
    batched = game(masks)
    one_at_a_time = np.array([game(m[None])[0] for m in masks])
    np.testing.assert_allclose(batched, one_at_a_time, atol=1e-4)
