"""Sanity check of the context-attribution items on the real model: do the gold sentences matter?

For every item of ``benchmarks/data/context_items.json`` this scores the answer under
SmolLM2-135M-Instruct (CPU, float32, one thread): the log-probability of the answer's tokens
(summed; answer tokenised without special tokens) right after the chat-templated prompt of one
user message ``"Context: {context}\\n\\nQuery: {query}"``, with the context being

* ``full``: all sentences;
* ``no gold``: the gold sentences removed;
* ``gold only``: only the gold sentences;
* for ``pair`` items also ``-g1`` / ``-g2``: one of the two gold sentences removed.

It prints one row per item and a summary per stratum: how many items have
log p(full) > log p(no gold), the median drop, and the items where removing the gold sentences
*raises* the answer's log-probability by more than ``--bad`` nats (candidates for rewording).
The model is tiny, so not every item is expected to pass. This is a data check, not part of
the test suite and not a benchmark with targets.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/context_items_check.py
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/context_items_check.py --ids pair-01,pair-02
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / "data" / "context_items.json"


def answer_logprob(model, tok, context: str, query: str, answer: str) -> float:
    """Sum of log p(answer token | prompt, earlier answer tokens) after the chat prompt.

    Examples
    --------
    >>> model, tok = load_causal_lm("smollm2", device="cpu")  # doctest: +SKIP
    >>> answer_logprob(model, tok, "Ann lives in Oslo.", "Where does Ann live?", "Oslo") < 0  # doctest: +SKIP
    True
    """
    import torch

    prompt = tok.apply_chat_template(
        [{"role": "user", "content": f"Context: {context}\n\nQuery: {query}"}],
        add_generation_prompt=True,
        tokenize=False,
    )
    # The template already carries its special tokens; add none a second time.
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    a_ids = tok(answer, add_special_tokens=False)["input_ids"]
    if not a_ids:
        raise ValueError(f"answer {answer!r} tokenises to nothing")
    ids = torch.tensor([p_ids + a_ids])
    with torch.no_grad():
        logits = model(ids).logits[0].double()
    logp = torch.log_softmax(logits[len(p_ids) - 1 : -1], dim=-1)
    return float(logp[torch.arange(len(a_ids)), torch.tensor(a_ids)].sum())


def context_of(sentences: list[str], drop: set[int]) -> str:
    """The sentences not in ``drop``, joined by one space (the benchmark's context format)."""
    return " ".join(s for i, s in enumerate(sentences) if i not in drop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", default="", help="comma-separated item ids (default: all)")
    parser.add_argument("--bad", type=float, default=1.0,
                        help="flag items where removing the gold raises log p by more than this (nats)")
    args = parser.parse_args(argv)

    import torch

    from lenses.packaged import load_causal_lm

    torch.set_num_threads(1)
    items = json.loads(DATA.read_text())["items"]
    if args.ids:
        wanted = set(args.ids.split(","))
        items = [it for it in items if it["id"] in wanted]
        if not items:
            raise SystemExit(f"no item matches --ids {args.ids!r}")
    model, tok = load_causal_lm("smollm2", device="cpu")

    print("| item | answer | full | no gold | gold only | -g1 | -g2 | full > no gold |")
    print("|---|---|---:|---:|---:|---:|---:|:---:|")
    rows = []
    for it in items:
        s, gold = it["sentences"], it["gold"]
        n = len(s)
        lp = {
            "full": answer_logprob(model, tok, context_of(s, set()), it["query"], it["answer"]),
            "no_gold": answer_logprob(model, tok, context_of(s, set(gold)), it["query"], it["answer"]),
            "gold_only": answer_logprob(model, tok, context_of(s, set(range(n)) - set(gold)),
                                        it["query"], it["answer"]),
        }
        if it["stratum"] == "pair":
            for k, g in enumerate(gold, 1):
                lp[f"-g{k}"] = answer_logprob(model, tok, context_of(s, {g}), it["query"], it["answer"])
        rows.append((it, lp))
        g1, g2 = (f"{lp[k]:.2f}" if k in lp else "" for k in ("-g1", "-g2"))
        print(f"| {it['id']} | {it['answer']} | {lp['full']:.2f} | {lp['no_gold']:.2f} | "
              f"{lp['gold_only']:.2f} | {g1} | {g2} | {'yes' if lp['full'] > lp['no_gold'] else 'NO'} |",
              flush=True)

    print()
    print("| stratum | items | full > no gold | median drop (nats) | gold removal raises log p by > "
          f"{args.bad:g} |")
    print("|---|---:|---:|---:|---|")
    for stratum in ("single", "pair", "redundant"):
        sub = [(it, lp) for it, lp in rows if it["stratum"] == stratum]
        if not sub:
            continue
        drop = np.array([lp["full"] - lp["no_gold"] for _, lp in sub], dtype=np.float64)
        bad = [it["id"] for (it, _), d in zip(sub, drop) if d < -args.bad]
        print(f"| {stratum} | {len(sub)} | {int((drop > 0).sum())}/{len(sub)} | {np.median(drop):.2f} | "
              f"{', '.join(bad) or '-'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
