"""Long contexts in the feature lens: sentences as players, the log-odds value, shared-prefix
reuse across masks, token-count micro-batches and the errors raised before any model call."""

import numpy as np
import pytest
import torch

from lenses.features import FeatureLens
from lenses.features.backends import CausalLM, plan_shared_prefixes
from lenses.features.lens import CONTEXT_TEMPLATE

SENTENCES = ["the film was good .", "the plot was boring .", "i loved the music .", "the cast was great .",
             "the ending was awful .", "this story is long .", "the acting was quite fun .", "it was not bad .",
             "i hated the ending .", "the music was truly great ."]
CONTEXT = " ".join(SENTENCES)
TEMPLATE = "review : {text} answer :"


def naive_answer_logprob(model, tok, prompt: str, answer_ids: list[int]) -> float:
    ids = tok(prompt, add_special_tokens=False)["input_ids"] + answer_ids[:-1]
    with torch.inference_mode():
        logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), -1)
    return float(sum(logp[len(ids) - len(answer_ids) + j, a] for j, a in enumerate(answer_ids)))


def sentence_masks(n: int, rows: int, seed: int) -> np.ndarray:
    masks = np.random.default_rng(seed).random((rows, n)) < 0.5
    masks[0], masks[1] = True, False
    masks[2:5] = masks[5]  # duplicates: identical bodies share everything but the answer
    return masks


def test_sentences_are_the_players_and_logit_prob_is_the_log_odds(tiny):
    model, tok = tiny
    lp = FeatureLens((model, tok), value="logprob", segmentation="sentences").game(
        CONTEXT, template=TEMPLATE, answer="positive")
    lo = FeatureLens((model, tok), value="logit_prob", segmentation="sentences").game(
        CONTEXT, template=TEMPLATE, answer="positive")
    assert lo.labels == SENTENCES and lo.fingerprint != lp.fingerprint
    masks = sentence_masks(lo.n_players, 12, seed=0)
    logp = lp(masks)
    np.testing.assert_allclose(lo(masks), logp - np.log1p(-np.exp(logp)), rtol=1e-9, atol=1e-9)
    for row in (0, 1, 7):
        prompt = "review : " + lp.info["segments"].render(masks[row]) + " answer :"
        assert logp[row] == pytest.approx(naive_answer_logprob(model, tok, prompt, lp.info["answer_ids"]), abs=1e-4)


@pytest.mark.parametrize("value", ["logprob", "margin"])
def test_shared_prefixes_give_the_values_of_the_plain_path(tiny, value):
    model, tok = tiny
    kwargs = dict(value=value, labels=("positive", "negative"), segmentation="sentences", batch_size=8)
    shared = FeatureLens((model, tok), **kwargs)
    plain = FeatureLens((model, tok), reuse_prefix=False, **kwargs)
    shared.load().backend_.forward_overhead = 0  # share wherever tokens are saved (the tiny model is cheap)
    game = shared.game(CONTEXT, template=TEMPLATE, answer="positive" if value == "logprob" else None)
    masks = sentence_masks(game.n_players, 48, seed=1)
    got = game(masks)
    assert shared.backend_.shared_tokens > 0  # the masks' common first sentences ran once per micro-batch
    ref = plain.game(CONTEXT, template=TEMPLATE, answer="positive" if value == "logprob" else None)(masks)
    assert plain.backend_.shared_tokens == 0
    np.testing.assert_allclose(got, ref, atol=1e-4)
    assert np.ptp(got) > 0.1


def test_micro_batches_are_bounded_by_tokens(tiny):
    model, tok = tiny
    lm = CausalLM(model, tok, micro_batch=16, max_batch_tokens=60)
    bodies = [[5] * n for n in (3, 50, 10, 70, 20, 20, 5, 9)]
    batches = list(lm._micro_batches(list(range(len(bodies))), bodies, prefix_len=4))
    assert sorted(i for b in batches for i in b) == list(range(len(bodies)))
    for batch in batches:
        longest = max(4 + len(bodies[i]) for i in batch)
        assert len(batch) == 1 or len(batch) * longest <= 60  # a row longer than the budget runs alone
    assert [3] in batches
    # the values do not depend on how the rows are grouped
    lens = FeatureLens((model, tok), value="margin", labels=("positive", "negative"), segmentation="sentences")
    small = FeatureLens((model, tok), value="margin", labels=("positive", "negative"), segmentation="sentences",
                        max_batch_tokens=64)
    masks = sentence_masks(len(SENTENCES), 20, seed=2)
    np.testing.assert_allclose(small.game(CONTEXT, template=TEMPLATE)(masks),
                               lens.game(CONTEXT, template=TEMPLATE)(masks), atol=1e-4)


def test_common_prefix_is_capped_so_every_row_keeps_the_positions_it_reads(tiny):
    model, tok = tiny
    lm = CausalLM(model, tok)
    lm.forward_overhead = 0
    prefix = tok("review :", add_special_tokens=False)["input_ids"]
    kv = lm.prefix_cache(prefix)
    body = tok(CONTEXT + " answer :", add_special_tokens=False)["input_ids"]
    bodies = [body, list(body), body[:-3] + body[-2:], body[:12] + body[30:]]
    out = lm.last_logits(prefix, bodies, keep=2, kv=kv)
    ref = CausalLM(model, tok, reuse_prefix=False).last_logits(prefix, bodies, keep=2)
    assert lm.shared_tokens > 0
    torch.testing.assert_close(out, ref, atol=1e-4, rtol=0)


def random_bodies(rows: int, seed: int) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    segments = [list(rng.integers(0, 50, rng.integers(3, 12))) for _ in range(10)]
    masks = rng.random((rows, 10)) < 0.5
    return [sum((s for s, k in zip(segments, m) if k), []) + [7, 8, 9] for m in masks]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_prefix_plan_covers_every_row_once_and_never_costs_more_than_flat(seed):
    from lenses.features.backends import _batches_cost

    bodies = random_bodies(96, seed)
    plan = plan_shared_prefixes(bodies, keep=2, overhead=4, micro_batch=8)
    seen = []

    def walk(node, shared):
        assert node.start == len(shared)
        for i in node.rows + [r for c in node.children for r in rows_of(c)]:
            assert list(bodies[i][: node.end]) == shared + list(bodies[node.any_row()][node.start : node.end])
            assert len(bodies[i]) - node.end >= 2  # the positions the value reads stay in every row
        seen.extend(node.rows)
        for child in node.children:
            walk(child, shared + list(bodies[node.any_row()][node.start : node.end]))

    def rows_of(node):
        return node.rows + [r for c in node.children for r in rows_of(c)]

    walk(plan, [])
    assert sorted(seen) == list(range(len(bodies)))
    flat = _batches_cost([len(b) for b in bodies], 8, 4)
    assert plan.cost <= flat and plan.children  # random keep-0.5 masks share their first segments
    assert plan.cost < 0.9 * flat


def test_question_fills_the_context_template(tiny):
    model, tok = tiny
    lens = FeatureLens((model, tok), value="logprob", segmentation="sentences", chat=False)
    game = lens.game(CONTEXT, question="was the film good ?", answer="positive")
    prefix, suffix = CONTEXT_TEMPLATE.split("{text}")
    assert game.info["prompt"] == prefix + CONTEXT + suffix.replace("{question}", "was the film good ?")
    own = lens.game(CONTEXT, template="review : {text} {question} answer :", question="good ?", answer="positive")
    assert own.info["prompt"] == "review : " + CONTEXT + " good ? answer :"


@pytest.mark.parametrize("text, kwargs, error, message", [
    ("", {}, ValueError, "empty"),
    ("   ", {}, ValueError, "empty"),
    ("the film was good .", {}, ValueError, "at least two"),
    (CONTEXT, {"answer": 3}, TypeError, "answer must be a string"),
    (CONTEXT, {"answer": ["positive"]}, TypeError, "answer must be a string"),
    (CONTEXT, {"template": "no slot"}, ValueError, "exactly once"),
    (CONTEXT, {"question": "good ?", "template": "review : {text}"}, ValueError, "must contain '{question}'"),
    (CONTEXT, {"question": " "}, ValueError, "question must be a non-empty string"),
    (" ".join(SENTENCES * 6), {}, ValueError, r"context window is 256 tokens"),
])
def test_bad_context_input_fails_before_any_model_call(tiny, text, kwargs, error, message):
    model, tok = tiny
    calls = []
    hook = model.register_forward_pre_hook(lambda module, args: calls.append(1))
    try:
        lens = FeatureLens((model, tok), value="logit_prob", segmentation="sentences")
        with pytest.raises(error, match=message):
            lens.game(text, **{"template": TEMPLATE, **kwargs})
    finally:
        hook.remove()
    assert calls == []


def test_the_window_error_names_both_lengths(tiny):
    model, tok = tiny
    lens = FeatureLens((model, tok), value="logprob", segmentation="words", answer_tokens=2)
    with pytest.raises(ValueError) as info:
        lens.game(" ".join(SENTENCES * 6), template=TEMPLATE)
    n_tokens = 4 + len(" ".join(SENTENCES * 6).split())  # word-level: one token per word, 4 in the template
    assert f"the prompt is {n_tokens} tokens" in str(info.value) and "256" in str(info.value)


def test_leave_one_out_over_a_thousand_words_plans_a_deep_chain():
    rng = np.random.default_rng(0)
    words = [list(rng.integers(0, 5000, rng.integers(1, 3))) for _ in range(1000)]
    masks = np.vstack([np.ones((1, 1000), bool), ~np.eye(1000, dtype=bool)])
    bodies = [sum((w for w, k in zip(words, m) if k), []) + [1, 2] for m in masks]
    plan = plan_shared_prefixes(bodies, keep=1, overhead=48, micro_batch=16)
    covered, depth = [], 0

    def walk(node, level):
        nonlocal depth
        depth = max(depth, level)
        covered.extend(node.rows)
        for child in node.children:
            walk(child, level + 1)

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(5000)
    try:
        walk(plan, 0)
    finally:
        sys.setrecursionlimit(limit)
    assert sorted(covered) == list(range(1001)) and depth > 100  # rows dropping late words share long prefixes
    from lenses.features.backends import _batches_cost

    assert plan.cost < 0.7 * _batches_cost([len(b) for b in bodies], 16, 48)
