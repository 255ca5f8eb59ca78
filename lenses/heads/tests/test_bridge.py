"""The heads lens on TransformerLens's TransformerBridge (same hook names as HookedTransformer)."""

import numpy as np
import pytest
import torch

from lenses.heads import HeadLens
from lenses.packaged import smollm2_dir


@pytest.fixture(scope="module")
def bridge():
    from transformer_lens.model_bridge.bridge import TransformerBridge

    return TransformerBridge.boot_transformers(str(smollm2_dir()))


def test_bridge_game_batched_equals_single_and_ablation_matters(bridge):
    tokens = bridge.tokenizer("The cat sat on the mat. The cat sat on the", return_tensors="pt")["input_ids"]
    game = HeadLens(bridge, ablation="zero", value="logprob").game(tokens, layers=[0, 1])
    assert game.n_players == 18 and game.labels[0] == "L0H0"
    masks = np.ones((4, game.n_players), dtype=bool)
    masks[1, 0] = False
    masks[2, 9:] = False
    masks[3, :] = False
    batched = game(masks)
    single = np.array([game(m[None, :])[0] for m in masks])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    with torch.inference_mode():
        clean = torch.log_softmax(bridge(tokens)[0, -2], -1)[tokens[0, -1]].item()
    assert batched[0] == pytest.approx(clean, abs=1e-4)
    assert batched[3] < batched[0] - 1.0  # silencing two layers' heads hurts the prediction
