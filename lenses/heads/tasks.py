"""Prompt sets for tasks a real language model solves, built for the heads lens.

The lens needs prompts of equal length in tokens and, for ``value="logit_diff"``, one
(correct, wrong) answer token per prompt. :func:`ioi_prompts` builds indirect-object
identification prompts that way: fixed templates in which every name is one token, so all
prompts have the same length.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

#: IOI templates: ``{A}`` and ``{B}`` are introduced, the subject ``{S}`` (= B) gives something
#: to the other one, who is the answer. Names carry their leading space; each template has the
#: same number of tokens under the SmolLM2 tokenizer.
IOI_TEMPLATES = (
    "When{A} and{B} went to the store,{S} gave a drink to",
    "When{A} and{B} went to the park,{S} gave a ball to",
    "After{A} and{B} went to the shop,{S} handed a book to",
)

#: First names that are one token each (with a leading space) under the SmolLM2 tokenizer.
IOI_NAMES = (" Mary", " John", " Tom", " James", " Sarah", " Anna", " David", " Paul", " Emma", " Mike",
             " Lisa", " Kate", " Peter", " Mark", " Jack", " Alice", " Bob", " Dan", " Sam", " Ben")


@dataclass
class TaskPrompts:
    """Prompts of one task: ``tokens`` (n, seq) and the (correct, wrong) answer ids per prompt.

    ``HeadLens(..., value="logit_diff").game(p.tokens, answers=p.answers)`` scores the logit
    of ``correct[i]`` minus that of ``wrong[i]`` after the last token of prompt i.
    """

    texts: list[str]
    tokens: "object"  # torch.LongTensor (n, seq)
    correct: list[int]
    wrong: list[int]

    @property
    def answers(self) -> tuple[list[int], list[int]]:
        """``(correct, wrong)``, the ``answers=`` of :meth:`lenses.heads.HeadLens.game`."""
        return self.correct, self.wrong


def _single_token(tokenizer, text: str) -> int:
    ids = tokenizer.encode(text, add_special_tokens=False)
    if len(ids) != 1:
        raise ValueError(f"{text!r} is {len(ids)} tokens under this tokenizer; IOI names must be one token each")
    return int(ids[0])


def ioi_prompts(tokenizer, n: int = 16, *, seed: int = 0, templates: Sequence[str] = IOI_TEMPLATES,
                names: Sequence[str] = IOI_NAMES) -> TaskPrompts:
    """``n`` indirect-object identification prompts of equal token length.

    Prompt i uses template ``i % len(templates)`` and two different random names; half the
    prompts introduce the indirect object first (ABBA: "When Mary and John ..., John gave a
    drink to"), half second (BABA), so the answer is never just the first or the second name.
    The correct answer is the indirect object (" Mary"), the wrong one the subject (" John").
    Tokens are the tokenizer's, without special tokens (no BOS added), so they do not depend
    on how a TransformerLens backend would tokenize text.

    Parameters
    ----------
    tokenizer : a Hugging Face tokenizer (``model.tokenizer`` of a TransformerLens model).
    n : number of prompts.
    seed : seeds the choice of names.
    templates, names : override the defaults; names must be one token each (leading space),
        templates must tokenize to one length once filled in.

    Examples
    --------
    >>> from transformers import AutoTokenizer
    >>> from lenses.packaged import smollm2_dir
    >>> p = ioi_prompts(AutoTokenizer.from_pretrained(smollm2_dir()), n=4)
    >>> p.texts[0]
    'When Peter and Mark went to the store, Mark gave a drink to'
    >>> tuple(p.tokens.shape), len(p.correct), len(p.wrong)
    ((4, 14), 4, 4)
    """
    import torch

    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if len(set(names)) < 2:
        raise ValueError("IOI needs at least two different names")
    ids = {name: _single_token(tokenizer, name) for name in names}
    rng = random.Random(seed)
    texts, correct, wrong = [], [], []
    for i in range(int(n)):
        io, s = rng.sample(list(names), 2)
        a, b = (io, s) if i % 2 == 0 else (s, io)
        texts.append(templates[i % len(templates)].format(A=a, B=b, S=s))
        correct.append(ids[io])
        wrong.append(ids[s])
    rows = [tokenizer.encode(t, add_special_tokens=False) for t in texts]
    lengths = sorted({len(r) for r in rows})
    if len(lengths) > 1:
        raise ValueError(f"the IOI prompts tokenize to different lengths {lengths}; use templates of one length")
    return TaskPrompts(texts, torch.tensor(rows, dtype=torch.long), correct, wrong)
