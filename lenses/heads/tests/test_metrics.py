"""Metrics read the right logits: checked against direct computation on the clean model."""

import numpy as np
import pytest
import torch

from lenses.heads import HeadLens


def clean_value(tiny_model, tiny_tokens, **kw):
    lens = HeadLens(tiny_model, **{k: v for k, v in kw.items() if k in ("value",)})
    game = lens.game(tiny_tokens, **{k: v for k, v in kw.items() if k != "value"})
    return lens.evaluate(game, removed=[])


def test_builtin_metrics_on_the_clean_model(tiny_model, tiny_tokens):
    with torch.inference_mode():
        logits = tiny_model(tiny_tokens)
    logp = logits.log_softmax(-1)
    target = logp[:, :-1].gather(-1, tiny_tokens[:, 1:, None])[..., 0]  # (batch, seq-1)
    assert clean_value(tiny_model, tiny_tokens, value="logprob") == pytest.approx(float(target[:, -1].mean()), abs=1e-5)
    assert clean_value(tiny_model, tiny_tokens, value="logprob", positions="all") == pytest.approx(
        float(target.mean()), abs=1e-5)
    assert clean_value(tiny_model, tiny_tokens, value="logprob", positions=[3, -1]) == pytest.approx(
        float(target[:, [2, -1]].mean()), abs=1e-5)
    assert clean_value(tiny_model, tiny_tokens, value="loss") == pytest.approx(float(-target.mean()), abs=1e-5)
    guess = logits[:, :-1].argmax(-1) == tiny_tokens[:, 1:]
    assert clean_value(tiny_model, tiny_tokens, value="accuracy", positions="all") == pytest.approx(
        float(guess.float().mean()), abs=1e-6)
    diff = logits[:, -1, 3] - logits[:, -1, 7]
    assert clean_value(tiny_model, tiny_tokens, value="logit_diff", answers=(3, 7)) == pytest.approx(
        float(diff.mean()), abs=1e-5)
    per_prompt = logits[torch.arange(4), -1, [1, 2, 3, 4]] - logits[:, -1, 5]
    assert clean_value(tiny_model, tiny_tokens, value="logit_diff", answers=([1, 2, 3, 4], 5)) == pytest.approx(
        float(per_prompt.mean()), abs=1e-5)


def test_a_user_metric_gets_logits_and_tokens_per_row(tiny_model, tiny_tokens):
    def top_logit(logits, tokens):
        assert logits.ndim == 3 and tokens.shape == logits.shape[:2]
        return logits[:, -1].max(-1).values

    lens = HeadLens(tiny_model, value=top_logit, batch_size=4)
    game = lens.game(tiny_tokens)
    masks = np.random.default_rng(0).random((6, game.n_players)) < 0.5
    vals = game(masks)
    assert vals.shape == (6,) and np.isfinite(vals).all()


def test_answers_need_logit_diff_and_a_pair(tiny_model, tiny_tokens):
    with pytest.raises(ValueError, match="only go with value='logit_diff'"):
        HeadLens(tiny_model).game(tiny_tokens, answers=(1, 2))
    with pytest.raises(ValueError, match="a pair"):
        HeadLens(tiny_model, value="logit_diff").game(tiny_tokens, answers=(1, 2, 3))
    with pytest.raises(ValueError, match="one token or one per prompt"):
        HeadLens(tiny_model, value="logit_diff").game(tiny_tokens, answers=([1, 2], 3))


def test_answer_ids_are_checked_before_any_forward(tiny_model, tiny_tokens):
    lens = HeadLens(tiny_model, value="logit_diff")
    d_vocab = tiny_model.cfg.d_vocab
    for bad in (d_vocab, -1):
        with pytest.raises(ValueError, match=rf"answer token id {bad} is outside the vocabulary \(0 .. {d_vocab - 1}\)"):
            lens.game(tiny_tokens, answers=(bad, 1))
    with pytest.raises(TypeError, match=r"token ids \(ints\) or one-token strings, got 1.5"):
        lens.game(tiny_tokens, answers=(1.5, 2))
    with pytest.raises(TypeError, match="got True"):
        lens.game(tiny_tokens, answers=(True, 2))
    with pytest.raises(ValueError, match="a pair"):
        lens.game(tiny_tokens, answers="ab")
    assert getattr(tiny_model, "tokenizer", None) is None  # TransformerLens's to_tokens would assert
    with pytest.raises(TypeError, match="'a' is a string, but the model has no tokenizer to read it: give the answers"):
        lens.game(tiny_tokens, answers=("a", "b"))


@pytest.mark.parametrize("keep", [0.0, 1.0, 1.5, -0.1])
def test_keep_is_checked_when_the_lens_is_made(tiny_model, keep):
    with pytest.raises(ValueError, match=f"keep must be strictly between 0 and 1, got {float(keep)}"):
        HeadLens(tiny_model, keep=keep)


def test_positions_as_an_array_are_read_like_a_list(tiny_model, tiny_tokens):
    as_list = clean_value(tiny_model, tiny_tokens, value="logprob", positions=[3, -1])
    assert clean_value(tiny_model, tiny_tokens, value="logprob", positions=np.array([3, -1])) == as_list
    assert clean_value(tiny_model, tiny_tokens, value="logprob", positions=np.int64(3)) == \
        clean_value(tiny_model, tiny_tokens, value="logprob", positions=3)


def test_positions_as_a_tensor_and_non_finite_positions():
    from lenses.heads.metrics import target_positions

    assert target_positions(torch.tensor([3, -1]), 10) == [3, 9]
    for bad in (float("inf"), float("nan"), [float("inf")]):
        with pytest.raises(ValueError, match="positions must be ints"):
            target_positions(bad, 10)


def test_a_string_answer_past_the_model_vocabulary_is_refused():
    from lenses.heads.metrics import check_answers

    with pytest.raises(ValueError, match=r"answer ' Mary' is token id 5000, outside the model's vocabulary \(0 .. 63\)"):
        check_answers((" Mary", 1), 1, to_token=lambda s: 5000, d_vocab=64)
    with pytest.raises(TypeError, match="got inf"):
        check_answers((float("inf"), 1), 1, d_vocab=64)
