"""FeatureLens on a tiny deterministic causal LM: the real batched path, values, errors."""


import numpy as np
import pytest
import torch

import spexkit
from lenses.features import FeatureLens
from lenses.tests.offline import run_offline

TEXT = "the film was truly good , i loved it but the ending was boring"
TEMPLATE = "review : {text} answer :"


def naive_logits(model, tok, prompt):
    """Reference: the whole prompt string, one forward, no cache, no padding."""
    ids = torch.tensor([tok(prompt, add_special_tokens=False)["input_ids"]])
    with torch.inference_mode():
        return model(ids).logits[0].float()


def random_masks(n, rows=12, seed=0):
    rng = np.random.default_rng(seed)
    masks = rng.random((rows, n)) < 0.6
    masks[0] = True
    masks[1] = False
    return masks


@pytest.mark.parametrize("reuse_prefix", [True, False])
def test_margin_matches_the_model_run_alone(tiny, reuse_prefix):
    model, tok = tiny
    lens = FeatureLens((model, tok), value="margin", labels=("positive", "negative"), batch_size=5,
                       reuse_prefix=reuse_prefix)
    game = lens.game(TEXT, template=TEMPLATE)
    masks = random_masks(game.n_players)
    got = game(masks)
    pos, neg = tok.convert_tokens_to_ids(["positive", "negative"])
    for row, mask in enumerate(masks):
        text = game.info["segments"].render(mask)
        prompt = "review : " + text + " answer :"
        ref = naive_logits(model, tok, prompt)[-1]
        assert got[row] == pytest.approx(float(ref[pos] - ref[neg]), abs=1e-4)
    assert np.ptp(got) > 0.1  # the value really depends on the mask


def test_batched_equals_one_prompt_at_a_time_logprob(tiny):
    model, tok = tiny
    lens = FeatureLens((model, tok), value="logprob", answer_tokens=3, batch_size=8)
    game = lens.game(TEXT, template=TEMPLATE)
    assert len(game.info["answer_ids"]) == 3
    masks = random_masks(game.n_players, rows=10, seed=3)
    batched = game(masks)
    single = np.array([game(m[None])[0] for m in masks])
    np.testing.assert_allclose(batched, single, atol=1e-4)
    # the value is the log-probability of the model's own greedy answer
    ans = game.info["answer_ids"]
    full = "review : " + TEXT + " answer : " + " ".join(tok.convert_ids_to_tokens(ans[:-1]))
    logp = torch.log_softmax(naive_logits(model, tok, full), -1)
    ref = sum(float(logp[-len(ans) + j, a]) for j, a in enumerate(ans))
    assert batched[0] == pytest.approx(ref, abs=1e-4)
    assert batched[0] >= batched[1:].max() - 1.0  # greedy answer: likely on the full prompt


def test_chat_template_is_never_masked_and_prefix_cache_is_used(tiny_chat):
    model, tok = tiny_chat
    lens = FeatureLens((model, tok), value="margin", labels=("positive", "negative"))
    game = lens.game(TEXT, template=TEMPLATE, fixed=["the ending"])
    assert game.info["prompt"].startswith("<s> user : review : ") and game.info["prompt"].endswith("<s> assistant : ")
    assert "ending" not in game.labels and game.n_players == len(TEXT.split()) - 2
    assert game.info["prefix_tokens"] == 5
    masks = random_masks(game.n_players, seed=5)
    cached = game(masks)
    lens.backend_.reuse_prefix = False
    plain = lens.game(TEXT, template=TEMPLATE, fixed=["the ending"])(masks)
    np.testing.assert_allclose(cached, plain, atol=1e-5)
    no_chat = FeatureLens((model, tok), value="margin", labels=("positive", "negative"), chat=False)
    assert not no_chat.game(TEXT, template=TEMPLATE).info["prompt"].startswith("<s> user")


def test_user_value_function_and_placeholder(tiny):
    model, tok = tiny
    good = tok.convert_tokens_to_ids("good")
    lens = FeatureLens((model, tok), value=lambda logits: torch.log_softmax(logits, -1)[:, good],
                       masking="placeholder", placeholder="<unk>")
    game = lens.game(TEXT)
    masks = random_masks(game.n_players, rows=4)
    values = game(masks)
    assert "<unk>" in game.info["segments"].render(masks[1])
    ref = torch.log_softmax(naive_logits(model, tok, "<s> " + game.info["segments"].render(masks[2])), -1)[-1, good]
    assert values[2] == pytest.approx(float(ref), abs=1e-4)
    assert game.fingerprint is None  # a lambda value has no stable identity


def test_explain_and_evaluate_end_to_end(tiny):
    model, tok = tiny
    lens = FeatureLens((model, tok), value="margin", labels=("positive", "negative"))
    game = lens.game("the film was good but boring")
    assert game.keep == 0.8
    res = spexkit.explain(game, method="exact", progress=False)
    assert res.metadata["queries"] == 2 ** 6
    full = np.ones((1, 6), bool)
    assert float(res.predict(full)[0]) == pytest.approx(lens.evaluate(game, removed=[]), abs=1e-6)
    term = res.to("mobius").top(1)[0][0]
    mask = np.ones((1, 6), bool)
    mask[0, list(term)] = False
    assert lens.evaluate(game, removed=list(term)) == pytest.approx(float(res.predict(mask)[0]), abs=1e-6)
    proxy = spexkit.explain(game, method="proxyspex", budget=60, max_degree=2, seed=0, progress=False)
    assert proxy.labels == game.labels


def test_fingerprints_are_stable_and_the_cache_works(tiny, tmp_path):
    model, tok = tiny
    make = lambda: FeatureLens((model, tok), value="margin", labels=("positive", "negative"))  # noqa: E731
    a, b = make().game(TEXT), make().game(TEXT)
    assert a.fingerprint == b.fingerprint and a.fingerprint.startswith("features:")
    assert make().game(TEXT + " !").fingerprint != a.fingerprint
    other = FeatureLens((model, tok), value="margin", labels=("negative", "positive")).game(TEXT)
    assert other.fingerprint != a.fingerprint
    cache = tmp_path / "c.sqlite"
    first = spexkit.explain(a, method="kernelshap", budget=40, seed=0, cache=cache, progress=False)
    again = spexkit.explain(b, method="kernelshap", budget=40, seed=0, cache=cache, progress=False)
    assert again.metadata["queries"] == 0 and first.metadata["queries"] > 0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_transformer_lens_bridge_left_padding():
    """A TransformerLens model (a native TransformerBridge, TL 3.9 and 4) batched with left padding."""
    from transformer_lens.config import TransformerBridgeConfig
    from transformer_lens.model_bridge import TransformerBridge

    from .conftest import make_tokenizer

    tok = make_tokenizer()  # given to the lens, not the bridge: a bridge needs a tokenizer from disk
    torch.manual_seed(0)
    cfg = TransformerBridgeConfig(n_layers=1, d_model=16, d_head=8, n_heads=2, d_mlp=32, d_vocab=len(tok),
                                  n_ctx=64, act_fn="relu", normalization_type="LN", seed=0, device="cpu")
    model = TransformerBridge.boot_native(cfg, device="cpu", dtype=torch.float32).eval()
    lens = FeatureLens(model, tokenizer=tok, value="margin", labels=("positive", "negative"), batch_size=6)
    game = lens.game(TEXT, template=TEMPLATE)
    masks = random_masks(game.n_players, rows=6, seed=2)
    batched = game(masks)
    pos, neg = tok.convert_tokens_to_ids(["positive", "negative"])
    for row, mask in enumerate(masks):
        ids = tok("review : " + game.info["segments"].render(mask) + " answer :", add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            ref = model(torch.tensor([ids]))[0, -1]
        assert batched[row] == pytest.approx(float(ref[pos] - ref[neg]), abs=1e-4)


def named_counter(texts):
    return [float(t.count("good")) - 0.1 * len(t.split()) for t in texts]


def named_vectors(texts):
    return np.array([[t.count("good"), t.count("bad"), len(t) / 10.0] for t in texts])


def test_callable_models():
    lens = FeatureLens(model=named_counter)
    game = lens.game("a good film, good acting, bad ending", template="Review: {text}")
    assert game.fingerprint is not None
    assert lens.evaluate(game, removed=[1]) == pytest.approx(1.0 - 0.1 * 7)  # "Review: a film, good ..."
    vec = FeatureLens(model=named_vectors, value="cosine").game("a good film, bad ending")
    assert vec.value_of([]) == pytest.approx(1.0)
    assert vec.value_of([1]) < 1.0
    with pytest.raises(ValueError, match="cosine"):
        FeatureLens(model=named_vectors).game("a good film")
    with pytest.raises(ValueError, match="stable identity"):
        spexkit.explain(FeatureLens(model=lambda t: [1.0] * len(t)).game("a b c"), method="exact",
                        cache="/tmp/never-created.sqlite", progress=False)


def test_sentence_encoder_cosine():
    lens = FeatureLens(model="all-MiniLM-L6-v2", device="cpu")
    game = lens.game("The acting was wonderful. The plot made no sense. I left early.", template="{text}")
    assert lens.kind_ == "encoder" and game.labels[0] == "The"
    masks = np.ones((3, game.n_players), bool)
    masks[1, :4] = False
    masks[2, :] = False
    masks[2, 0] = True
    values = game(masks)
    assert values[0] == pytest.approx(1.0, abs=1e-5)
    assert values[0] > values[1] > values[2]
    # A text past the encoder's window would be cut silently: refused, naming both lengths.
    window = lens.backend_.window
    assert window is not None and window <= 512
    with pytest.raises(ValueError, match=rf"the text is \d+ tokens; the encoder reads at most {window}"):
        lens.game("word " * (window + 10), template="{text}")


@pytest.mark.parametrize("kwargs, call, message", [
    ({"value": "probability"}, None, "unknown value"),
    ({"segmentation": "letters"}, None, "unknown segmentation"),
    ({"masking": "zero"}, None, "unknown masking"),
    ({"keep": 1.0}, None, "keep must be strictly between 0 and 1, got 1.0"),  # before any model call
    ({"keep": 0}, None, "keep must be strictly between 0 and 1, got 0.0"),
    ({"value": "margin"}, {"text": TEXT}, "two label words, e.g. .*; got None"),
    ({"value": "cosine", "model": "tiny"}, {"text": TEXT}, "does not fit"),
    ({}, {"text": TEXT, "template": "no slot"}, "exactly once"),
    ({}, {"text": ""}, "empty"),
    ({}, {"text": "good"}, "at least two"),
    ({}, {"text": TEXT, "fixed": ["the film was", "was truly"]}, "overlap"),
    ({"value": "margin", "labels": ("good", "good")}, {"text": TEXT}, "same token"),
])
def test_bad_input_is_a_clear_error(tiny, kwargs, call, message):
    model, tok = tiny
    kwargs = dict(kwargs)
    if kwargs.pop("model", None) == "tiny" or "model" not in kwargs:
        kwargs["model"] = (model, tok)
    with pytest.raises(ValueError, match=message):
        lens = FeatureLens(**kwargs)
        lens.game(**call)


def test_unknown_model_name_offline_is_a_clear_error():
    out = run_offline("from lenses.features import FeatureLens; FeatureLens('no-such/model-xyz').game('a b c')")
    assert out.returncode != 0
    assert "ValueError: cannot load model 'no-such/model-xyz'" in out.stderr


@pytest.mark.parametrize("model, message", [
    (lambda ts: [{"label": "POS", "score": 0.9} for _ in ts], r"returned list of dict .*pipeline returns dicts: wrap"),
    (lambda ts: [[{"label": "POS", "score": 0.9}] for _ in ts], "pipeline returns dicts: wrap"),
    (lambda ts: ["positive" for _ in ts], "returned list of str 'positive'$"),
])
def test_a_callable_returning_non_numbers_is_named(model, message):
    with pytest.raises(TypeError, match=f"the model callable must return one number .*{message}"):
        FeatureLens(model=model).game("a truly good film")


def test_a_callable_returning_a_column_is_read_as_one_number_per_string():
    lens = FeatureLens(model=lambda ts: [[float(len(t))] for t in ts])
    game = lens.game("a truly good film")
    assert lens.evaluate(game, removed=[1]) == len("a good film")
    # cosine of one-number "vectors" would be 1.0 everywhere: refused, with the value that fits
    with pytest.raises(ValueError, match="one number per string: use value='output'"):
        FeatureLens(model=lambda ts: [[float(len(t))] for t in ts], value="cosine").game("a truly good film")


def test_a_template_asking_for_a_question_needs_one():
    lens = FeatureLens(model=lambda ts: [float(len(t)) for t in ts], segmentation="sentences")
    with pytest.raises(ValueError, match=r"holds '\{question\}' but no question was given"):
        lens.game("Ann lives in Paris. Bo likes tea.", template="Context: {text}\nQuestion: {question}\nAnswer:")


def test_arguments_the_value_does_not_read_warn():
    lens = FeatureLens(model=lambda ts: [float(len(t)) for t in ts])
    with pytest.warns(UserWarning, match=r"answer= is read only by .*value is 'output' \(callable model\)"):
        lens.game("a truly good film", answer="yes")
    with pytest.warns(UserWarning, match=r"labels= is read only by value='margin'"):
        lens.game("a truly good film", labels=("pos", "neg"))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"answer_tokens": 2.7}, TypeError, "answer_tokens must be a positive int"),
    ({"answer_tokens": 0}, ValueError, "answer_tokens must be a positive int"),
    ({"placeholder": None}, TypeError, "placeholder must be a string"),
    ({"segmentation": 3}, TypeError, "segmentation must be a name, a list of segments or a callable"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive int"),
    ({"max_batch_tokens": 1.5}, TypeError, "max_batch_tokens must be a positive int"),
])
def test_constructor_arguments_are_checked_at_construction(kwargs, error, message):
    with pytest.raises(error, match=message):
        FeatureLens(model=lambda ts: [1.0] * len(ts), **kwargs)


def test_label_words_and_answers_are_checked(tiny):
    model, tok = tiny
    lens = FeatureLens(model=(model, tok), value="margin")
    for bad in ("ab", {"good", "film"}, (1, 2)):
        with pytest.raises(TypeError, match="labels must be two strings in a list or tuple"):
            lens.game(TEXT, template=TEMPLATE, labels=bad)
    if tok.unk_token_id is not None:  # the tiny word-level tokenizer has one
        with pytest.raises(ValueError, match="label word 'zebra' is not in the tokenizer's vocabulary"):
            lens.game(TEXT, template=TEMPLATE, labels=("good", "zebra"))
        with pytest.raises(ValueError, match="answer 'good zebra' holds a word the tokenizer does not know"):
            FeatureLens(model=(model, tok), value="logprob").game(TEXT, template=TEMPLATE, answer="good zebra")
    else:
        raise AssertionError("the tiny tokenizer was meant to have an unknown token")


def test_an_unknown_device_is_refused_before_the_model_moves(tiny):
    model, tok = tiny
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        FeatureLens(model=(model, tok), device="gpu").game(TEXT, template=TEMPLATE)
    assert str(next(model.parameters()).device) == "cpu"


def test_a_tokenizer_that_is_not_the_models_is_named(tiny):
    from .conftest import make_lm

    _, tok = tiny
    small = make_lm(5)  # five embedding rows: every word of TEXT lies past them
    with pytest.raises(ValueError, match="but the model's vocabulary has 5 tokens: pass the tokenizer that belongs"):
        FeatureLens(model=(small, tok), value="margin", labels=("good", "boring")).game(TEXT, template=TEMPLATE)


def test_a_multi_token_label_warns_and_a_question_may_not_hold_the_text_slot(tiny):
    model, tok = tiny
    lens = FeatureLens(model=(model, tok), value="margin")
    with pytest.warns(UserWarning, match="label word 'good film' is 2 tokens; the margin reads only its first, 'good'"):
        lens.game(TEXT, template=TEMPLATE, labels=("good film", "boring"))
    with pytest.raises(ValueError, match=r"the question holds '\{text\}'"):
        FeatureLens(model=lambda ts: [1.0] * len(ts), segmentation="sentences").game(
            "Ann lives in Paris. Bo likes tea.", question="what is {text}?")


def test_a_causal_value_function_taking_two_arguments_is_named(tiny):
    model, tok = tiny
    with pytest.raises(TypeError, match="a causal LM's value function takes one argument, the next-token logits"):
        FeatureLens(model=(model, tok), value=lambda logits, full: logits[:, 0]).game(TEXT, template=TEMPLATE)
    ok = FeatureLens(model=(model, tok), value=lambda logits: logits[:, 4] - logits[:, 5]).game(TEXT, template=TEMPLATE)
    assert np.isfinite(ok.value_of([]))


@pytest.mark.parametrize("text, error", [("", ValueError), ("  ", ValueError), ([], ValueError),
                                         (["good", None], TypeError), (3, TypeError)])
def test_a_bad_prompt_is_refused_before_the_model_loads(text, error):
    loads = []
    lens = FeatureLens(model=lambda texts: loads.append(1) or [0.0] * len(texts))
    with pytest.raises(error):
        lens.game(text)
    assert not lens.is_loaded and loads == []
