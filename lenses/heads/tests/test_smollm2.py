"""The real model: SmolLM2-135M-Instruct through TransformerLens, offline (few, small tests)."""

import numpy as np
import pytest
import torch

from lenses.heads import HeadLens
from lenses.heads.induction import repeated_tokens


@pytest.fixture(scope="module")
def lens():
    return HeadLens("smollm2", ablation="mean", value="logprob").load()


def test_transformer_lens_logits_match_transformers(lens):
    from lenses.packaged import load_causal_lm

    hf, tok = load_causal_lm("smollm2")
    ids = tok("The quick brown fox jumps over the lazy dog", return_tensors="pt").input_ids
    with torch.inference_mode():
        diff = (lens.model_(ids) - hf(ids).logits).abs().max().item()
    assert diff < 5e-4


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
