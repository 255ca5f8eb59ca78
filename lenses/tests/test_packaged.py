"""Model loading: the offline SmolLM2 alias, local folders, and clear errors."""

import torch

from lenses import packaged as models
from lenses.tests.offline import run_offline


def test_smollm2_loads_offline_and_runs():
    model, tok = models.load_causal_lm("smollm2")
    assert (models.smollm2_dir() / "model.safetensors").is_file()  # the converted copy is kept
    ids = tok("The movie was", return_tensors="pt")
    with torch.inference_mode():
        logits = model(**ids).logits
    assert logits.shape[-1] == model.config.vocab_size
    assert torch.isfinite(logits).all()
    assert tok.chat_template  # the instruct model's template came through the GGUF file


def test_local_folder_goes_through_the_same_loader(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = models.smollm2_dir()
    model, tok = models.load_causal_lm(str(folder))
    assert type(model).__name__ == "LlamaForCausalLM"
    tiny = LlamaForCausalLM(LlamaConfig(vocab_size=tok.vocab_size + 100, hidden_size=16, intermediate_size=32,
                                        num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2))
    tiny.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    small, _ = models.load_causal_lm(str(tmp_path))
    assert small.config.num_hidden_layers == 1


def test_unknown_model_offline_is_a_clear_error():
    out = run_offline("from lenses.packaged import load_causal_lm; load_causal_lm('no-such/model-xyz')", timeout=120)
    assert out.returncode != 0
    assert "ValueError: cannot load model 'no-such/model-xyz'" in out.stderr
