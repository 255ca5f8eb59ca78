"""Batched hook ablation: equal to one mask at a time, right statistics, scoped hooks, errors."""

import re

import numpy as np
import pytest
import torch

from lenses.heads import HeadLens
from lenses.heads.ablation import hook_name


def random_masks(n, n_players, seed=0):
    rng = np.random.default_rng(seed)
    masks = rng.random((n, n_players)) < 0.5
    masks[0] = True
    masks[1] = False
    return masks


@pytest.mark.parametrize("ablation", ["zero", "mean", "resample"])
@pytest.mark.parametrize("metric", ["logprob", "loss"])
def test_batched_equals_one_mask_at_a_time(tiny_model, tiny_tokens, ablation, metric):
    lens = HeadLens(tiny_model, ablation=ablation, value=metric, batch_size=16)
    game = lens.game(tiny_tokens)
    masks = random_masks(12, game.n_players)
    batched = game(masks)
    single = np.array([game(m[None])[0] for m in masks])
    np.testing.assert_allclose(batched, single, atol=1e-5, rtol=0)
    # chunking inside one call of fn gives the same values
    chunked = HeadLens(tiny_model, ablation=ablation, value=metric, batch_size=5).game(tiny_tokens)(masks)
    np.testing.assert_allclose(batched, chunked, atol=1e-5, rtol=0)
    assert np.ptp(batched) > 1e-3  # the masks do change the metric


def test_a_batch_of_masks_is_one_forward_pass(tiny_model, tiny_tokens):
    game = HeadLens(tiny_model, batch_size=64).game(tiny_tokens)
    calls = []
    handle = tiny_model.embed.register_forward_hook(lambda mod, inp, out: calls.append(inp[0].shape[0]))
    try:
        game(random_masks(10, game.n_players))
    finally:
        handle.remove()
    assert calls == [10 * tiny_tokens.shape[0]]


def manual_value(model, tokens, removed, replacement_of):
    """Metric with heads removed, one hook per head, written independently of the lens."""
    def hook(z, hook):
        layer = int(hook.name.split(".")[1])
        z = z.clone()
        for l, h in removed:
            if l == layer:
                z[:, :, h] = replacement_of(layer, h, z.shape)
        return z

    with torch.inference_mode():
        logits = model.run_with_hooks(tokens, fwd_hooks=[(hook_name(l), hook) for l in range(model.cfg.n_layers)])
    logp = logits[:, -2].log_softmax(-1).gather(-1, tokens[:, -1:])[:, 0]
    return float(logp.mean())


def test_mean_ablation_uses_the_reference_statistics(tiny_model, tiny_tokens):
    g = torch.Generator().manual_seed(5)
    reference = torch.randint(0, 20, (6, 12), generator=g)  # longer: cut to the prompts' length
    _, cache = tiny_model.run_with_cache(reference[:, :10])
    removed = [(0, 1), (1, 0), (1, 2)]

    def mean_of(layer, head, shape):
        return cache[hook_name(layer)][:, :, head].mean(0)  # per position, over the reference batch

    expected = manual_value(tiny_model, tiny_tokens, removed, mean_of)
    lens = HeadLens(tiny_model, ablation="mean")
    game = lens.game(tiny_tokens, reference=reference)
    got = lens.evaluate(game, removed=[game.labels.index(f"L{l}H{h}") for l, h in removed])
    assert got == pytest.approx(expected, abs=1e-5)
    # the prompts' own mean is a different statistic, hence a different value
    own = lens.game(tiny_tokens)
    assert abs(lens.evaluate(own, removed=[own.labels.index(f"L{l}H{h}") for l, h in removed]) - got) > 1e-4


def test_zero_and_resample_ablation_match_manual_hooks(tiny_model, tiny_tokens):
    removed = [(0, 2), (1, 1)]
    lens = HeadLens(tiny_model, ablation="zero")
    game = lens.game(tiny_tokens)
    idx = [game.labels.index(f"L{l}H{h}") for l, h in removed]
    zero = manual_value(tiny_model, tiny_tokens, removed, lambda l, h, shape: 0.0)
    assert lens.evaluate(game, idx) == pytest.approx(zero, abs=1e-5)
    # resample with a one-row reference: every prompt takes that row's head outputs
    reference = tiny_tokens[2:3]
    _, cache = tiny_model.run_with_cache(reference)
    resampled = manual_value(tiny_model, tiny_tokens, removed, lambda l, h, shape: cache[hook_name(l)][0, :, h])
    lens = HeadLens(tiny_model, ablation="resample")
    assert lens.evaluate(lens.game(tiny_tokens, reference=reference), idx) == pytest.approx(resampled, abs=1e-5)


def test_resample_pairs_each_prompt_with_another(tiny_model, tiny_tokens):
    from lenses.heads.ablation import replacements

    repl = replacements(tiny_model, tiny_tokens, [0], "resample", seed=3)[0]
    _, cache = tiny_model.run_with_cache(tiny_tokens)
    z = cache[hook_name(0)]
    for i in range(tiny_tokens.shape[0]):
        matches = [j for j in range(tiny_tokens.shape[0]) if torch.equal(repl[i], z[j])]
        assert matches and i not in matches


def test_hooks_do_not_outlive_the_forward_pass(tiny_model, tiny_tokens):
    clean = tiny_model(tiny_tokens)

    def broken(logits, tokens):
        raise RuntimeError("metric failed")

    game = HeadLens(tiny_model, ablation="zero", value=broken).game(tiny_tokens)
    with pytest.raises(RuntimeError, match="metric failed"):
        game(np.zeros((2, game.n_players), dtype=bool))
    assert all(not hp.fwd_hooks for hp in tiny_model.hook_dict.values())
    torch.testing.assert_close(tiny_model(tiny_tokens), clean)


def test_layers_and_heads_choose_the_players(tiny_model, tiny_tokens):
    lens = HeadLens(tiny_model)
    assert lens.game(tiny_tokens, layers=[1]).labels == ["L1H0", "L1H1", "L1H2"]
    game = lens.game(tiny_tokens, heads=["L1H2", (0, 0)])
    assert game.labels == ["L0H0", "L1H2"]
    # a head that is not a player always runs: the all-kept mask is the clean model
    clean = HeadLens(tiny_model).game(tiny_tokens)
    assert game(np.ones((1, 2), bool))[0] == pytest.approx(clean(np.ones((1, 6), bool))[0], abs=1e-6)


def test_fingerprint_is_stable_and_tracks_settings(tiny_model, tiny_tokens):
    a = HeadLens(tiny_model).game(tiny_tokens).fingerprint
    assert a == HeadLens(tiny_model).game(tiny_tokens.clone()).fingerprint
    assert a != HeadLens(tiny_model, ablation="zero").game(tiny_tokens).fingerprint
    assert a != HeadLens(tiny_model).game(tiny_tokens, layers=[0]).fingerprint
    assert a != HeadLens(tiny_model).game(tiny_tokens[:2]).fingerprint


def test_keep_defaults_to_mostly_kept_for_big_games(tiny_model, tiny_tokens):
    assert HeadLens(tiny_model).game(tiny_tokens).keep == 0.5
    assert HeadLens(tiny_model, keep=0.8).game(tiny_tokens).keep == 0.8


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(layers=[2]), ValueError, "unknown layer 2: the model has layers 0 .. 1"),
    (dict(layers=[-1]), ValueError, "unknown layer"),
    (dict(heads=[(0, 3)]), ValueError, "head 3 out of range: layer 0 has heads 0 .. 2"),
    (dict(heads=["L0-H1"]), ValueError, r"unknown component 'L0-H1': use labels like 'L3H5' or 'L3MLP', with layers 0 \.\. 1 "
                                        r"and heads 0 \.\. 2"),
    (dict(heads="L0H7"), ValueError, "head 7 out of range: layer 0 has heads 0 .. 2"),
    (dict(heads=[3]), ValueError, r"unknown component 3: give \(layer, head\) or \(layer, 'MLP'\) pairs, or labels like 'L3H5'"),
    (dict(heads=["L2H0"]), ValueError, "unknown layer 2: the model has layers 0 .. 1"),
    (dict(heads=[(0, 1)], layers=[0]), ValueError, "not both"),
    (dict(positions=[0]), ValueError, "not a predicted token"),
    # not whole numbers: refused, never truncated or passed to int() unchecked
    (dict(heads=[(0, 1.5)]), ValueError, "head 1.5 out of range: layer 0 has heads 0 .. 2"),
    (dict(heads=[(0, True)]), ValueError, "head True out of range"),
    (dict(heads=[("x", 1)]), ValueError, "unknown layer 'x': the model has layers 0 .. 1"),
    (dict(layers=[0.5]), ValueError, "unknown layer 0.5"),
    (dict(layers=["0"]), ValueError, "unknown layer '0'"),
    (dict(positions="first"), ValueError, "positions must be ints, 'last' or 'all', got 'first'"),
    (dict(positions=[2.5]), ValueError, "positions must be ints"),
    (dict(positions=["x"]), ValueError, "positions must be ints"),
])
def test_bad_players_and_positions_are_clear_errors(tiny_model, tiny_tokens, kwargs, error, match):
    with pytest.raises(error, match=match):
        HeadLens(tiny_model).game(tiny_tokens, **kwargs)


def test_a_single_head_label_is_one_player(tiny_model, tiny_tokens):
    assert HeadLens(tiny_model).game(tiny_tokens, heads="L1H2").labels == ["L1H2"]


@pytest.mark.parametrize("ragged", [
    [[1, 2, 3], [4, 5]],
    [torch.tensor([1, 2, 3]), torch.tensor([4, 5])],
    (np.array([1, 2, 3, 4]), np.array([5, 6, 7])),
])
def test_token_prompts_of_different_lengths_are_refused(tiny_model, ragged):
    lengths = sorted({len(r) for r in ragged})
    with pytest.raises(ValueError, match=re.escape(f"the prompts have different lengths in tokens {lengths}; pass "
                                                   "prompts of equal length")):
        HeadLens(tiny_model).game(ragged)
    with pytest.raises(ValueError, match="different lengths in tokens"):  # the reference batch too
        HeadLens(tiny_model).game([[1, 2, 3], [4, 5, 6]], reference=ragged)


def test_token_prompts_as_lists_of_equal_length_work(tiny_model, tiny_tokens):
    as_lists = HeadLens(tiny_model).game([row.tolist() for row in tiny_tokens])
    as_tensors = HeadLens(tiny_model).game(list(tiny_tokens))
    clean = HeadLens(tiny_model).game(tiny_tokens)
    assert as_lists.fingerprint == as_tensors.fingerprint == clean.fingerprint


def test_an_unknown_hook_is_a_clear_error(tiny_model):
    from lenses.heads.ablation import check_hooks

    with pytest.raises(ValueError, match=r"unknown hook 'blocks\.5\.attn\.hook_z': TransformerBridge has no hook of "
                                         r"that name; nearest: blocks\.\d\.attn\.hook_z"):
        check_hooks(tiny_model, ["blocks.5.attn.hook_z"])
    with pytest.raises(ValueError, match="unknown hook 'nothing_like_it'.*it has .* hooks, e.g."):
        check_hooks(tiny_model, ["nothing_like_it"])


def test_bad_models_and_settings_are_clear_errors(tiny_model, tiny_tokens):
    with pytest.raises(TypeError, match="HeadLens needs a TransformerLens model or something it can boot, got Linear: "
                                        "the heads lens takes 'smollm2', a local Hugging Face folder"):
        HeadLens(torch.nn.Linear(3, 3)).game(tiny_tokens)
    with pytest.raises(ValueError, match="unknown ablation 'noise'; use one of zero, mean, resample"):
        HeadLens(tiny_model, ablation="noise")
    with pytest.raises(ValueError, match="unknown value 'kl'; use one of logprob, logit_diff, loss, accuracy"):
        HeadLens(tiny_model, value="kl")  # when the lens is made, before any model is booted
    for empty in ("", "   ", [], [""]):
        with pytest.raises(ValueError, match="the prompts are empty"):
            HeadLens(tiny_model).game(empty)
    with pytest.raises(ValueError, match="needs answers"):
        HeadLens(tiny_model, value="logit_diff").game(tiny_tokens)
    with pytest.raises(ValueError, match="token ids must lie in"):
        HeadLens(tiny_model).game(tiny_tokens + 100)
    with pytest.raises(ValueError, match="at least 2 prompts"):
        HeadLens(tiny_model, ablation="resample").game(tiny_tokens[:1])
    with pytest.raises(ValueError, match="mean ablation over one prompt leaves its heads unchanged"):
        HeadLens(tiny_model, ablation="mean").game(tiny_tokens[:1])
    with pytest.raises(ValueError, match="shorter than the prompts"):
        HeadLens(tiny_model, ablation="mean").game(tiny_tokens, reference=tiny_tokens[:, :5])
    with pytest.raises(ValueError, match="more than the model's context"):
        HeadLens(tiny_model).game(torch.zeros((1, 17), dtype=torch.long))


def test_a_model_without_head_hooks_is_a_clear_error(tiny_model):
    class NoHooks:
        cfg = tiny_model.cfg
        hook_dict = {}

        def hooks(self, fwd_hooks=()):
            raise AssertionError

    with pytest.raises(TypeError, match="no per-head output hooks: missing"):
        HeadLens(NoHooks()).load()


def test_more_bad_input_names_the_problem(tiny_model, tiny_tokens):
    # Each of these once surfaced as a torch or TransformerLens error (or not at all).
    with pytest.raises(ValueError, match=r"one number per row .* shape \(4,\); got shape \(\)"):
        HeadLens(tiny_model, value=lambda logits, tokens: logits.mean()).game(tiny_tokens).value_of([])
    with pytest.raises(TypeError, match="must return a tensor of one number per row.*got NoneType"):
        HeadLens(tiny_model, value=lambda logits, tokens: None).game(tiny_tokens).value_of([])
    whole = HeadLens(tiny_model, value=lambda logits, tokens: logits.argmax(-1)[:, -1]).game(tiny_tokens)
    assert np.isfinite(whole.value_of([]))  # integer values are read as numbers
    with pytest.raises(ValueError, match="has no tokenizer, so prompts cannot be given as text"):
        HeadLens(tiny_model).game("a b c")
    for bad in (None, [1, "a"]):
        with pytest.raises(TypeError, match="tokens must be token ids"):
            HeadLens(tiny_model).game(bad)
    with pytest.raises(ValueError, match="HeadLens needs an int seed"):
        HeadLens(tiny_model, seed=None).game(tiny_tokens)
    with pytest.raises(TypeError, match="seed must be .* got str 'x'"):
        HeadLens(tiny_model, seed="x").game(tiny_tokens)
    with pytest.raises(ValueError, match=r"the same token for prompt\(s\) \[0\]"):
        HeadLens(tiny_model, value="logit_diff").game(tiny_tokens, answers=(1, 1))
    with pytest.warns(UserWarning, match="positions= is read only by value='logprob' or 'accuracy'; value='loss'"):
        HeadLens(tiny_model, value="loss").game(tiny_tokens, positions=[3])
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        HeadLens(tiny_model, device="gpu").game(tiny_tokens)


def test_an_unavailable_device_leaves_the_model_where_it_was(tiny_model, tiny_tokens, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a machine without CUDA, on any machine
    before = str(tiny_model.cfg.device)
    with pytest.raises(ValueError, match="device='cuda' but CUDA is not available"):
        HeadLens(tiny_model, device="cuda").game(tiny_tokens)
    assert str(tiny_model.cfg.device) == before
    assert np.isfinite(HeadLens(tiny_model).game(tiny_tokens).value_of([]))  # still usable
