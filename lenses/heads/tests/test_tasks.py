"""IOI prompts: equal token lengths, one-token answers, balanced name orders (tokenizer only)."""

import pytest
import torch

from lenses.heads.tasks import IOI_NAMES, ioi_prompts


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from lenses.packaged import smollm2_dir

    return AutoTokenizer.from_pretrained(smollm2_dir())


def test_prompts_have_equal_length_and_one_token_answers(tokenizer):
    p = ioi_prompts(tokenizer, n=12, seed=3)
    assert p.tokens.dtype == torch.long and p.tokens.shape[0] == 12
    assert all(len(tokenizer.encode(t, add_special_tokens=False)) == p.tokens.shape[1] for t in p.texts)
    for text, row in zip(p.texts, p.tokens):
        assert tokenizer.decode(row) == text  # no special tokens, nothing else added
    for c, w in zip(*p.answers):
        assert c != w
        assert tokenizer.decode([c]) in IOI_NAMES and tokenizer.decode([w]) in IOI_NAMES


def test_answer_is_the_indirect_object(tokenizer):
    p = ioi_prompts(tokenizer, n=8)
    orders = []
    for row, c, w in zip(p.tokens.tolist(), p.correct, p.wrong):
        assert row.count(c) == 1 and row.count(w) == 2  # the subject is named twice, the answer once
        orders.append(row.index(c) < row.index(w))
    assert orders.count(True) == orders.count(False) == 4  # ABBA and BABA alike


def test_seed_fixes_the_prompts(tokenizer):
    a, b = ioi_prompts(tokenizer, n=6, seed=1), ioi_prompts(tokenizer, n=6, seed=1)
    assert a.texts == b.texts and torch.equal(a.tokens, b.tokens)
    assert ioi_prompts(tokenizer, n=6, seed=2).texts != a.texts


def test_bad_names_and_templates_are_refused(tokenizer):
    with pytest.raises(ValueError, match="one token"):
        ioi_prompts(tokenizer, n=2, names=(" Mary", " Bartholomew"))
    with pytest.raises(ValueError, match="different lengths"):
        ioi_prompts(tokenizer, n=2, templates=("When{A} and{B} left,{S} gave it to",
                                                "When{A} and{B} went to the big old store,{S} gave it to"))
    with pytest.raises(ValueError, match="positive int"):
        ioi_prompts(tokenizer, n=0)
