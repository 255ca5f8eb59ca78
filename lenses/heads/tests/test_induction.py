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
