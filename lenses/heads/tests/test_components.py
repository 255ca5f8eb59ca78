"""MLP layers as players beside heads: labels, choice, ablation, errors (tiny models)."""

import numpy as np
import pytest
import torch

from lenses.heads import HeadLens
from lenses.heads.ablation import mlp_hook_name


def test_components_choose_the_players(tiny_model, tiny_tokens):
    heads = HeadLens(tiny_model).game(tiny_tokens)
    mlps = HeadLens(tiny_model, components="mlps").game(tiny_tokens)
    both = HeadLens(tiny_model, components="heads+mlps").game(tiny_tokens)
    assert heads.labels == ["L0H0", "L0H1", "L0H2", "L1H0", "L1H1", "L1H2"]
    assert mlps.labels == ["L0MLP", "L1MLP"] and mlps.info["players"] == [(0, "MLP"), (1, "MLP")]
    assert both.labels == ["L0H0", "L0H1", "L0H2", "L0MLP", "L1H0", "L1H1", "L1H2", "L1MLP"]
    chosen = HeadLens(tiny_model).game(tiny_tokens, heads=["L1MLP", "L0H2"])
    assert chosen.labels == ["L0H2", "L1MLP"]


@pytest.mark.parametrize("ablation", ["zero", "mean", "resample"])
def test_an_mlp_player_replaces_that_layer_s_mlp_output(tiny_model, tiny_tokens, ablation):
    """Removing L1MLP == running the model with hook_mlp_out of layer 1 replaced by the lens's
    replacement (zero, the reference mean, or the paired reference output)."""
    lens = HeadLens(tiny_model, ablation=ablation, value="logprob", components="mlps", seed=3)
    game = lens.game(tiny_tokens, positions="all")
    removed = lens.evaluate(game, removed=[1])
    kept = lens.evaluate(game, removed=[])
    with torch.inference_mode():
        _, cache = tiny_model.run_with_cache(tiny_tokens, names_filter=lambda n: n == mlp_hook_name(1))
        out = cache[mlp_hook_name(1)]
        if ablation == "zero":
            new = torch.zeros_like(out)
        elif ablation == "mean":
            new = out.mean(0, keepdim=True).expand_as(out)
        else:
            rng = np.random.default_rng(3)
            batch = tiny_tokens.shape[0]
            new = out[torch.as_tensor((np.arange(batch) + rng.integers(1, batch)) % batch)]
        logits = tiny_model.run_with_hooks(tiny_tokens, fwd_hooks=[(mlp_hook_name(1), lambda a, hook: new)])
    logp = torch.log_softmax(logits[:, :-1], -1).gather(2, tiny_tokens[:, 1:, None])[..., 0]
    assert removed == pytest.approx(float(logp.mean()), abs=1e-5)
    assert abs(removed - kept) > 1e-3  # the MLP matters


def test_bad_components_and_labels_are_clear_errors(tiny_model, tiny_tokens):
    with pytest.raises(ValueError, match="unknown components 'attention'; choose one of heads, mlps, heads\\+mlps"):
        HeadLens(tiny_model, components="attention")
    with pytest.raises(ValueError, match="unknown component 'L1MLPX'"):
        HeadLens(tiny_model).game(tiny_tokens, heads=["L1MLPX"])
    with pytest.raises(ValueError, match="unknown layer 7"):
        HeadLens(tiny_model).game(tiny_tokens, heads=["L7MLP"])
