"""SmolLM2 as a bridge the user made, as a transformers model, and in the feature lens."""

import numpy as np
import pytest
import torch

from lenses.heads import HeadLens
from lenses.packaged import smollm2_dir

TEXT = "The cat sat on the mat. The cat sat on the"


@pytest.fixture(scope="module")
def bridge():
    """A bridge the user booted themselves."""
    from transformer_lens.model_bridge import TransformerBridge

    return TransformerBridge.boot_transformers(str(smollm2_dir()), device="cpu", dtype=torch.float32)


def test_bridge_game_batched_equals_single_and_ablation_matters(bridge):
    tokens = bridge.tokenizer(TEXT, return_tensors="pt")["input_ids"]
    lens = HeadLens(bridge, ablation="zero", value="logprob")
    game = lens.game(tokens, layers=[0, 1])
    assert lens.model_ is bridge  # used as it is
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


def test_a_transformers_model_and_a_folder_give_the_bridges_values(bridge):
    from lenses.packaged import load_causal_lm

    tokens = bridge.tokenizer(TEXT, return_tensors="pt")["input_ids"]
    masks = np.random.default_rng(0).random((3, 18)) < 0.7
    expected = HeadLens(bridge, ablation="zero").game(tokens, layers=[0, 1])(masks)
    hf, _ = load_causal_lm("smollm2")
    for model in (hf, smollm2_dir()):
        lens = HeadLens(model, ablation="zero")
        assert type(lens.load().model_).__name__ == "TransformerBridge"
        np.testing.assert_allclose(lens.game(tokens, layers=[0, 1])(masks), expected, atol=1e-4, rtol=0)


def test_the_feature_lens_accepts_a_bridge(bridge):
    """The feature lens pads a bridge's batches through its forward, as transformers would run them."""
    from transformers import AutoModelForCausalLM

    from lenses.features import FeatureLens

    hf = AutoModelForCausalLM.from_pretrained(str(smollm2_dir()), attn_implementation="eager").eval()
    text, template = "a good film with bad acting and a great ending", "Review: {text}\nSentiment:"
    masks = np.random.default_rng(0).random((5, 10)) < 0.6
    values = []
    for model in (bridge, (hf, bridge.tokenizer)):
        lens = FeatureLens(model, value="margin", labels=(" positive", " negative"), batch_size=5)
        game = lens.game(text, template=template)
        assert lens.kind_ == "causal" and game.n_players == 10
        values.append(game(masks))
    assert FeatureLens(bridge).load().backend_.hooked
    np.testing.assert_allclose(values[0], values[1], atol=1e-4, rtol=0)
