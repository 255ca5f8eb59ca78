"""The real model: SmolLM2-135M-Instruct offline, one batched evaluation, left padding."""

import numpy as np
import pytest
import torch

from lenses.features import FeatureLens

REVIEW = "A slow start, but the acting is superb and the ending moved me."
TEMPLATE = "Is this review positive or negative?\nReview: {text}"


def test_smollm2_batched_equals_one_prompt(smollm2):
    model, tok = smollm2
    lens = FeatureLens((model, tok), value="margin", labels=("positive", "negative"), batch_size=4)
    game = lens.game(REVIEW, template=TEMPLATE)
    assert game.info["prompt"].startswith("<|im_start|>system") and game.n_players == 13
    masks = np.ones((4, game.n_players), bool)
    masks[1, [0, 1, 2]] = False  # different lengths: the batch is left-padded
    masks[2, 3:9] = False
    masks[3, ::2] = False
    batched = game(masks)
    assert np.isfinite(batched).all() and np.ptp(batched) > 0.05
    for row, mask in enumerate(masks):
        assert game(mask[None])[0] == pytest.approx(batched[row], abs=1e-4)
    # and against the whole prompt run alone, without the prefix cache
    prompt = game.info["prompt"].replace(REVIEW, game.info["segments"].render(masks[2]))
    ids = torch.tensor([tok(prompt, add_special_tokens=False)["input_ids"]])
    with torch.inference_mode():
        last = model(ids).logits[0, -1]
    pos, neg = game.info["label_ids"]
    assert batched[2] == pytest.approx(float(last[pos] - last[neg]), abs=1e-3)
