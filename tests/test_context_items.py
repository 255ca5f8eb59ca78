"""The context-attribution items (benchmarks/data/context_items.json) are well formed.

The benchmark cuts each context with spexkit's own sentence splitter and scores the gold
sentences against an attribution, so the sentences must split back exactly, the gold indices
must fit the stratum, and the answer must sit where the stratum says it does.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from lenses.features.segments import sentence_spans

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "context_items.json"
STRATA = ("single", "pair", "redundant")
N_SENTENCES = {"single": (10, 16), "pair": (8, 10), "redundant": (10, 16)}
N_GOLD = {"single": 1, "pair": 2, "redundant": 2}

DOC = json.loads(DATA.read_text(encoding="utf-8"))
ITEMS = DOC["items"]


def _occurs(answer: str, sentence: str) -> bool:
    """The answer as a whole word or phrase ("48" is not in "148")."""
    return re.search(r"(?<!\w)" + re.escape(answer) + r"(?!\w)", sentence) is not None


def test_document_shape():
    assert set(DOC) == {"description", "items"}
    assert isinstance(DOC["description"], str) and DOC["description"].strip()
    assert len(ITEMS) == 30
    assert Counter(it["stratum"] for it in ITEMS) == {s: 10 for s in STRATA}
    ids = [it["id"] for it in ITEMS]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("item", ITEMS, ids=[it["id"] for it in ITEMS])
def test_item(item):
    assert set(item) == {"id", "stratum", "sentences", "query", "answer", "gold"}
    stratum = item["stratum"]
    assert stratum in STRATA
    assert item["id"].startswith(stratum + "-")

    sentences = item["sentences"]
    lo, hi = N_SENTENCES[stratum]
    assert isinstance(sentences, list) and lo <= len(sentences) <= hi
    for s in sentences:
        assert isinstance(s, str) and s.strip() == s and s[-1] in ".!?", s
        assert s.isascii() and "\n" not in s, s

    # The benchmark's context is the sentences joined by one space; it must cut back exactly.
    context = " ".join(sentences)
    assert [context[a:b] for a, b in sentence_spans(context)] == sentences

    gold = item["gold"]
    assert isinstance(gold, list) and len(gold) == N_GOLD[stratum]
    assert all(isinstance(g, int) and 0 <= g < len(sentences) for g in gold)
    assert len(set(gold)) == len(gold)

    query, answer = item["query"], item["answer"]
    assert isinstance(query, str) and query.isascii() and query.endswith("?")
    assert isinstance(answer, str) and answer.strip() == answer and 1 <= len(answer.split()) <= 3
    assert answer.lower() not in query.lower()

    hits = [i for i, s in enumerate(sentences) if _occurs(answer, s)]
    if stratum == "pair":
        # Two hops: the answer is in one gold sentence; the other only links the query to it.
        assert len(set(hits) & set(gold)) == 1, hits
    else:
        assert set(gold) <= set(hits), hits
    # No distractor hands out the answer string.
    assert set(hits) <= set(gold), hits
