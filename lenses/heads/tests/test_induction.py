"""The shipped induction model: the lens recovers its previous-token x induction head pair."""

import numpy as np
import pytest
import torch

import spexkit
from lenses.heads import HeadLens, induction_tokens
from lenses.heads.train_induction import head_scores


def circuit_by_attention(model):
    """The circuit read from attention patterns alone, independently of the lens."""
    tok, rep = induction_tokens(64, model.cfg.n_ctx, seed=99)
    with torch.inference_mode():
        prev, ind = head_scores(model, torch.from_numpy(tok), torch.from_numpy(rep))
    return f"L0H{int(prev.argmax())}", f"L1H{int(ind.argmax())}"


def test_induction_model_is_small_and_does_induction(induction):
    from lenses.heads.induction import WEIGHTS

    model, tokens = induction
    assert WEIGHTS.stat().st_size < 1_000_000
    assert model.cfg.normalization_type is None and model.cfg.attn_only
    with torch.inference_mode():
        logp = model(tokens)[:, -2].log_softmax(-1).gather(-1, tokens[:, -1:])
    assert float(logp.exp().mean()) > 0.9  # far above chance (1/63)


def test_the_weights_are_a_native_bridges_state_dict(induction):
    """Stored in the bridge's key format, and read the same by TransformerLens 3.9 and 4."""
    from safetensors import safe_open

    from lenses.heads.induction import WEIGHTS
    from lenses.heads.loading import is_bridge

    model, tokens = induction
    assert is_bridge(model) and model.cfg.model_name == "spexkit-induction-2l"
    with safe_open(str(WEIGHTS), "pt") as f:
        keys = set(f.keys())
    assert keys == set(model.state_dict()) and "blocks.0.attn.q.weight" in keys
    # values recorded on TransformerLens 4.3 (the `make test-tl39` job checks 3.9 against them)
    game = HeadLens(model).game(tokens)
    assert game.value_of([]) == pytest.approx(-0.0045955, abs=1e-5)
    assert game.value_of([1, 6]) == pytest.approx(-4.1782637, abs=1e-4)


@pytest.mark.parametrize("ablation", ["mean", "zero"])
def test_exact_mobius_recovers_the_pair(induction, ablation):
    model, tokens = induction
    game = HeadLens(model, ablation=ablation, value="logprob").game(tokens)
    mob = spexkit.explain(game, method="exact", progress=False).to("mobius")
    (top, coef), = mob.top(1)
    assert [game.labels[i] for i in top] == list(circuit_by_attention(model))
    first = max(abs(c) for _, c in mob.top(game.n_players, order=1))
    assert coef > 5 * first  # dominant: far above every single head's own term
    # a first-order method sees two important heads, but not that they work only together
    shapley = mob.shapley()
    assert sorted(np.argsort(-shapley)[:2]) == sorted(top)


def test_proxyspex_recovers_the_pair_with_few_queries(induction):
    model, tokens = induction
    game = HeadLens(model).game(tokens)
    res = spexkit.explain(game, method="proxyspex", budget=120, max_degree=2, seed=0, progress=False)
    assert res.metadata["queries"] <= 120
    (top, coef), = res.to("mobius").top(1)
    assert [game.labels[i] for i in top] == list(circuit_by_attention(model))


def test_training_script_runs_and_writes_weights(tmp_path, capsys):
    from lenses.heads import train_induction

    out = tmp_path / "w.safetensors"
    train_induction.main(["--steps", "20", "--finetune-steps", "5", "--out", str(out)])
    assert out.stat().st_size < 1_000_000
    assert "induction score" in capsys.readouterr().out


def test_induction_tokens_are_repeats_with_varying_offsets():
    tokens, repeated = induction_tokens(50, 32, seed=0)
    assert tokens[:, 0].tolist() == [0] * 50
    starts = {int(np.argmax(r)) for r in repeated}
    assert len(starts) > 1  # the repeat starts at different positions
    for row, rep in zip(tokens, repeated):
        t = int(rep.sum()) + 1
        np.testing.assert_array_equal(row[-t:], row[-2 * t:-t])
    with pytest.raises(ValueError, match="at least 6"):
        induction_tokens(2, 4)
