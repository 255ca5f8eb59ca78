"""What HeadLens(model=...) accepts, on TransformerLens 4 (bridge only) and 3.9 (bridge and HookedTransformer)."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from lenses.heads import HeadLens
from lenses.heads.loading import (
    bridge_class,
    hooked_transformer_class,
    is_bridge,
    is_transformer_lens_model,
    load_model,
)


def test_the_transformer_lens_that_runs_has_what_it_requires():
    """Every requirement of the TransformerLens imported is installed (`make test-tl39` adds 3.9 without them)."""
    from importlib import metadata

    import transformer_lens
    from packaging.requirements import Requirement

    dist = metadata.distribution("transformer-lens")
    expected = os.environ.get("SPEXKIT_EXPECT_TRANSFORMER_LENS")
    if expected:
        assert dist.version == expected
    assert Path(transformer_lens.__file__).resolve().is_relative_to(Path(dist.locate_file("")).resolve())
    unmet = []
    for line in dist.requires or []:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an extra, or another Python
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            unmet.append(f"{req} (not installed)")
            continue
        if not req.specifier.contains(installed, prereleases=True):
            unmet.append(f"{req} (installed: {installed})")
    assert not unmet, f"transformer-lens {dist.version} needs {unmet}"


def test_feature_detection_by_import():
    import transformer_lens

    assert bridge_class() is not None
    if hooked_transformer_class() is None:
        # TransformerLens 4: the removed names raise ImportError, even through hasattr
        with pytest.raises(ImportError, match="removed in TransformerLens 4"):
            hasattr(transformer_lens, "HookedTransformer")


def test_the_tiny_models_are_what_they_claim(tiny_model):
    assert is_bridge(tiny_model) and is_transformer_lens_model(tiny_model)
    assert load_model(tiny_model) is tiny_model  # used as it is
    assert not is_transformer_lens_model(torch.nn.Linear(2, 2))
    assert not is_transformer_lens_model("smollm2")


def test_a_hooked_transformer_still_works(hooked_tiny_model, tiny_tokens):
    """TransformerLens 3.9 users' HookedTransformer: the same batched hooks. On 4, which removed
    the class, the lens must still import and find no HookedTransformer (make test-tl39 runs
    the 3.9 side)."""
    from importlib.metadata import version

    from lenses.heads.ablation import hook_name
    from lenses.heads.loading import hooked_transformer_class

    model = hooked_tiny_model
    if model is None:
        assert int(version("transformer-lens").split(".")[0]) >= 4 and hooked_transformer_class() is None
        return
    assert is_transformer_lens_model(model) and not is_bridge(model)
    lens = HeadLens(model, ablation="zero", batch_size=4)
    game = lens.game(tiny_tokens)
    assert lens.model_ is model and game.n_players == 6
    masks = np.random.default_rng(0).random((6, 6)) < 0.5
    batched = game(masks)
    np.testing.assert_allclose(batched, [game(m[None])[0] for m in masks], atol=1e-5, rtol=0)

    def zero_heads(z, hook):
        z = z.clone()
        z[:, :, [0, 2]] = 0.0
        return z

    with torch.inference_mode():
        logits = model.run_with_hooks(tiny_tokens, fwd_hooks=[(hook_name(0), zero_heads)])
    expected = float(logits[:, -2].log_softmax(-1).gather(-1, tiny_tokens[:, -1:]).mean())
    assert lens.evaluate(game, [0, 2]) == pytest.approx(expected, abs=1e-5)


def test_device_moves_a_given_model(tiny_model, tiny_tokens):
    lens = HeadLens(tiny_model, device="cpu")
    assert lens.load().model_ is tiny_model and str(lens.model_.cfg.device) == "cpu"


def test_what_cannot_be_a_model_is_a_clear_error(tmp_path):
    accepted = "'smollm2', a local Hugging Face folder of a causal LM, a transformers causal LM"
    with pytest.raises(TypeError, match=f"got dict: the heads lens takes {accepted}"):
        load_model({"not": "a model"})
    with pytest.raises(ValueError, match=f"model '{tmp_path / 'missing'}' is not a folder: the heads lens takes"):
        load_model(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=f"model folder '{tmp_path}' has no config.json, so it is not a Hugging Face "
                                         "model folder"):
        load_model(tmp_path)
    with pytest.raises(ValueError, match=r"model '\./no_such_model' is not a folder"):
        HeadLens("./no_such_model").load()


def test_a_folder_the_bridge_cannot_boot_is_a_clear_error(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "no_such_type"}))
    with pytest.raises(ValueError, match=rf"(?s)TransformerBridge cannot boot model folder '{tmp_path}': ValueError: .*"
                                         r"no_such_type.*The heads lens takes 'smollm2'"):
        HeadLens(str(tmp_path)).load()


def test_an_encoder_is_refused_the_bridge_boots_it_but_it_predicts_no_next_token():
    from lenses.packaged import minilm_dir

    with pytest.raises(ValueError, match=r"model folder '.*' is a BertForMaskedLM \(\w+ attention\), not a causal LM: "
                                         "the heads lens reads next-token logits"):
        load_model(minilm_dir())


def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=64, attn_implementation="eager")
    return LlamaForCausalLM(cfg).eval()


def test_a_transformers_model_is_booted_and_ablation_is_zeroing_o_proj_columns():
    """A (model, tokenizer) pair goes through the bridge; its head ablation equals editing the HF weights."""
    import copy

    from transformers import AutoTokenizer

    from lenses.packaged import smollm2_dir

    hf = tiny_llama()
    reference = copy.deepcopy(hf)  # the bridge wraps the model it is given in place
    with pytest.raises(ValueError, match="the LlamaForCausalLM given has no name or folder to load its tokenizer "
                                         r"from: pass HeadLens\(\(model, tokenizer\)\)"):
        HeadLens(hf).load()
    lens = HeadLens((hf, AutoTokenizer.from_pretrained(str(smollm2_dir()))), ablation="zero")
    assert is_bridge(lens.load().model_) and lens.model_.cfg.n_heads == 4
    ids = torch.randint(0, 64, (3, 12), generator=torch.Generator().manual_seed(1))
    # A string answer must be one token; TransformerLens's own check is a bare assert.
    with pytest.raises(ValueError, match=r"answer 'interpretability tooling' is \d+ tokens for this model"):
        HeadLens(lens.model_, value="logit_diff").game(ids, answers=("interpretability tooling", 1))
    game = lens.game(ids)
    assert game.n_players == 8
    removed = [game.labels.index("L0H1"), game.labels.index("L1H2")]
    with torch.inference_mode():
        for layer, head in [(0, 1), (1, 2)]:
            reference.model.layers[layer].self_attn.o_proj.weight[:, head * 8:(head + 1) * 8] = 0.0
        logits = reference(ids).logits
    expected = float(logits[:, -2].log_softmax(-1).gather(-1, ids[:, -1:]).mean())
    assert lens.evaluate(game, removed) == pytest.approx(expected, abs=1e-5)


def test_a_tokenizer_built_in_code_is_named_and_the_advice_works(tmp_path):
    # TransformerBridge reloads the tokenizer by name: one built in code failed with KeyError 'name_or_path'.
    from transformers import AutoTokenizer

    from lenses.features.tests.conftest import make_lm, make_tokenizer

    tok = make_tokenizer()
    lm = make_lm(len(tok))
    with pytest.raises(ValueError, match=r"built in code.*tokenizer.save_pretrained\(folder\)"):
        HeadLens((lm, tok)).load()
    tok.save_pretrained(tmp_path)
    lens = HeadLens((lm, AutoTokenizer.from_pretrained(tmp_path))).load()
    assert lens.model_.cfg.n_layers == 2
