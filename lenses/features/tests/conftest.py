"""A tiny deterministic causal LM (random weights, word-level vocabulary) built in the test."""

import pytest

WORDS = ("a an the this that film movie plot cast story acting music ending was is were are very truly "
         "quite not good great bad awful boring fun long short , . ! ? review : positive negative answer "
         "with one word and but it i loved hated").split()
CHAT = ("{% for m in messages %}<s> {{ m['role'] }} : {{ m['content'] }} </s> {% endfor %}"
        "{% if add_generation_prompt %}<s> assistant : {% endif %}")


def make_tokenizer(chat: bool = False):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<pad>", "<s>", "</s>"]
    vocab = {w: i for i, w in enumerate(specials + WORDS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>", pad_token="<pad>", bos_token="<s>",
                                  eos_token="</s>")
    if chat:
        tok.chat_template = CHAT
    return tok


def make_lm(vocab_size: int, seed: int = 0):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      pad_token_id=1, bos_token_id=2, eos_token_id=3, tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():  # larger weights: values that vary clearly with the mask
        for p in model.parameters():
            if p.dim() == 2:
                p.mul_(8.0)
    return model.eval()


@pytest.fixture(scope="session")
def tiny():
    tok = make_tokenizer()
    return make_lm(len(tok)), tok


@pytest.fixture(scope="session")
def tiny_chat():
    tok = make_tokenizer(chat=True)
    return make_lm(len(tok), seed=1), tok


@pytest.fixture(scope="session")
def smollm2():
    from lenses.packaged import load_causal_lm

    return load_causal_lm("smollm2")
