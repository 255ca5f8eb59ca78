#!/usr/bin/env python
"""Peer side of the context-attribution benchmark: ContextCite and captum's LLMAttribution.

Runs in its own virtual environment (never imports spexkit) as a subprocess of the
benchmark::

    .peer-venvs/context/bin/python benchmarks/context_peers.py IN.json OUT.json
    .peer-venvs/context/bin/python benchmarks/context_peers.py \\
        benchmarks/data/context_peers_example.json OUT.json --model-dir DIR
    .peer-venvs/context/bin/python benchmarks/context_peers.py FITS.json OUT.json --solve

For each question–context item (a list of sentences, a query and a fixed answer) it asks
which sentences drove the answer, with

* ContextCite (``context-cite`` 0.0.4): a LASSO surrogate of the logit of the answer's
  probability on random keep/drop masks of the sentences; the attributions are its
  weights. Its own defaults are used (``ablation_keep_prob=0.5``, ``batch_size=1``,
  ``LassoRegression(lasso_alpha=0.01)``), ``num_ablations`` set to each budget. Its masks
  are drawn by ContextCite itself, mask k from ``np.random.RandomState(k)``, so they do not
  depend on the input's ``seed``;
* captum 0.9 ``LLMAttribution`` over a ``TextTemplateInput`` (one feature per sentence,
  baseline the empty string) with FeatureAblation, ShapleyValueSampling, Lime and
  KernelShap at their defaults; the target is the answer's log-probability
  (``attr_target="log_prob"``).

Both peers see the same prompt: the chat-template-wrapped (``add_generation_prompt=True``)
ContextCite default template ``"Context: {context}\\n\\nQuery: {query}"``, where the
context is the kept sentences joined by one space, tokenised without added special tokens,
followed by the answer's tokens. ``prompt_example`` in the output is that prompt for the
first item with every sentence kept.

How the peers are fed our sentences and our answer:

* ContextCite gets a partitioner (a subclass of its ``BaseContextPartitioner``) whose
  sources are exactly the input sentences, so neither nltk nor spacy splits anything. Its
  ``utils`` module calls ``nltk.download("punkt_tab")`` at import; that is replaced by a
  no-op before the import (no data is fetched or needed).
* ContextCite generates its response on first use and caches the whole output text in
  ``_cache["output"]`` (prompt + response); the worker fills that cache with the prompt
  plus the given answer, so nothing is generated and the answer's tokens are
  ``tokenizer(prompt + answer)`` past the prompt's tokens. The worker checks that these are
  the tokens captum scores for its ``target`` string (it errors otherwise).

Budgets and what is counted: ``forward_calls`` counts calls of the model's ``forward``
(wrapped on the instance), ``rows`` the sequences they carried, and for captum
``evaluations`` the calls of LLMAttribution's scoring function (one perturbed prompt
each). Per budget B with n sentences: ContextCite ``num_ablations = B``; FeatureAblation
runs once (n + 1 evaluations, budget null); ShapleyValueSampling ``n_samples =
max(1, (B - 1) // n)`` permutations (1 + n_samples * n evaluations); Lime and KernelShap
``n_samples = B`` (KernelShap's first two samples are the full and empty prompts). captum
scores in one forward pass per evaluation (``forward_in_tokens=False``), as ContextCite
does; ``"captum_forward_in_tokens": true`` in the input selects token-by-token scoring
(one forward per answer token) without the KV cache (``use_cached_outputs=False``).
captum's own default, token by token with the cache, is not used: with transformers 5.24
it returns wrong log-probabilities past the first answer token (on the example's first
item, -11.52 for the full prompt where the one-pass and the uncached paths both give
-1.785).

Input JSON::

    {"model_dir": "...", "seed": 0, "threads": 2,
     "items": [{"id": "...", "sentences": ["...", ...], "query": "...", "answer": "..."}],
     "contextcite_budgets": [32, 64, 128, 256],
     "captum_methods": ["FeatureAblation", "ShapleyValueSampling", "Lime", "KernelShap"],
     "captum_budgets": [32, 64, 128, 256],
     "contextcite_nested": false,            # optional: one ContextCite run at the largest budget, refitted per budget
     "contextcite_batch_size": null,         # optional: ablations per forward (speed only; default: its own, 1)
                                             # an item may carry its own "contextcite_budgets"
     "captum_forward_in_tokens": false,      # optional
     "record_evaluations": true,             # optional: masks and values of every call
     "throughput": {"calls": N}}             # optional

With ``throughput``, each item is also timed: ContextCite at its default batch size running
N ablations, and captum FeatureAblation (n + 1 evaluations); queries/s for each.

Output JSON: ``versions``, ``settings`` (prompt format and every peer default used),
``prompt_example``, and ``items``, each with ``prompt_tokens``, ``answer_ids``,
``full_value`` (both targets on the unablated prompt), ``contextcite`` (one record per
budget: ``scores``, ``intercept``, ``masks`` (1 = sentence kept), ``values`` (the logit of
the answer's probability it measured on each mask), ``forward_calls``, ``rows``,
``wall_s``), ``captum`` (one record per method and budget: ``scores``, ``intercept`` where
the method fits one, ``n_samples``, ``evaluations``, ``forward_calls``, ``wall_s``, and
``masks``/``values`` of its evaluations) and, if asked, ``throughput``.

Install (Python 3.11; torch first, pinned, so pip never swaps in a CUDA build)::

    python3 -m venv .peer-venvs/context
    .peer-venvs/context/bin/pip install torch==2.13.0
    .peer-venvs/context/bin/pip install torch==2.13.0 context-cite==0.0.4 \\
        captum==0.9.0 transformers==5.24.0

(resolved here: numpy 2.4.6, scikit-learn 1.9.1, datasets 5.2.0, nltk 3.10.4.) The model
is a local transformers folder (SmolLM2-135M-Instruct in the benchmark), loaded in
float32; nothing is fetched from a hub.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

os.environ.setdefault("TQDM_DISABLE", "1")  # ContextCite wraps its loader in tqdm
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import nltk  # noqa: E402

# context_cite.utils runs nltk.download("punkt_tab") at import; we give it our own
# sentences, so the tokenizer data is never needed and nothing may be downloaded.
nltk.download = lambda *args, **kwargs: False

import numpy as np  # noqa: E402
import torch  # noqa: E402
from captum.attr import (  # noqa: E402
    FeatureAblation,
    KernelShap,
    Lime,
    LLMAttribution,
    ShapleyValueSampling,
    TextTemplateInput,
)
from context_cite import ContextCiter  # noqa: E402
from context_cite.context_citer import DEFAULT_PROMPT_TEMPLATE  # noqa: E402
from context_cite.context_partitioner import BaseContextPartitioner  # noqa: E402
from context_cite.utils import aggregate_logit_probs  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

JOINER = " "
CAPTUM_METHODS = {
    "FeatureAblation": FeatureAblation,
    "ShapleyValueSampling": ShapleyValueSampling,
    "Lime": Lime,
    "KernelShap": KernelShap,
}


# ------------------------------------------------------------------ prompt and counting

class SentencePartitioner(BaseContextPartitioner):
    """ContextCite sources that are exactly the given sentences, joined by ``joiner``.

    Parameters
    ----------
    sentences : list of str
        The sources, in order; none may be empty.
    joiner : str
        Put between consecutive kept sentences.

    Examples
    --------
    >>> p = SentencePartitioner(["A b.", "C d.", "E f."])
    >>> p.get_context(np.array([True, False, True]))
    'A b. E f.'
    """

    def __init__(self, sentences: list[str], joiner: str = JOINER) -> None:
        super().__init__(joiner.join(sentences))
        self._sentences = list(sentences)
        self.joiner = joiner

    @property
    def num_sources(self) -> int:
        return len(self._sentences)

    def split_context(self) -> None:
        """Nothing to split: the sources are given."""

    def get_source(self, index: int) -> str:
        return self._sentences[index]

    def get_context(self, mask: Optional[np.ndarray] = None) -> str:
        if mask is None:
            return self.context
        keep = np.asarray(mask, dtype=bool)
        if keep.shape != (len(self._sentences),):
            raise ValueError(f"mask of shape {keep.shape} for {len(self._sentences)} sources")
        return self.joiner.join(s for s, k in zip(self._sentences, keep) if k)


def chat_prompt(tokenizer: Any, context: str, query: str) -> str:
    """The prompt text ContextCite builds (its ``_get_prompt_ids``), before tokenising.

    Parameters
    ----------
    tokenizer : transformers tokenizer with a chat template
    context, query : str

    Returns
    -------
    str
        ``DEFAULT_PROMPT_TEMPLATE`` filled in, as the single user message of the chat
        template, with the assistant turn opened.
    """
    prompt = DEFAULT_PROMPT_TEMPLATE.format(context=context, query=query)
    return tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )


class ForwardCounter:
    """Counts calls of ``model.forward`` (and the sequences they carry) by wrapping it.

    captum calls ``model.forward`` directly and ContextCite calls ``model(...)``; both
    reach the instance attribute set here.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        self.calls = 0
        self.rows = 0
        self._inner = model.forward

        def counted(*args: Any, **kwargs: Any) -> Any:
            ids = kwargs.get("input_ids", args[0] if args else None)
            self.calls += 1
            self.rows += int(ids.shape[0]) if ids is not None else 1
            return self._inner(*args, **kwargs)

        model.forward = counted

    def reset(self) -> None:
        self.calls = 0
        self.rows = 0


# ------------------------------------------------------------------------ ContextCite

def make_citer(model: Any, tokenizer: Any, item: dict, num_ablations: int,
               batch_size: Optional[int] = None) -> ContextCiter:
    """A ContextCiter on our sentences whose response is fixed to the item's answer.

    ``batch_size`` (ablations per forward) changes only its speed; None keeps its default.
    """
    part = SentencePartitioner(item["sentences"])
    extra = {} if batch_size is None else {"batch_size": int(batch_size)}
    cc = ContextCiter(model, tokenizer, part.context, item["query"],
                      num_ablations=num_ablations, partitioner=part, **extra)
    _, prompt = cc._get_prompt_ids(return_prompt=True)
    # ContextCite caches prompt + generated text here; filling it skips generation.
    cc._cache["output"] = prompt + item["answer"]
    return cc


def check_response(cc: ContextCiter, tokenizer: Any, item: dict) -> list[int]:
    """The answer's token ids as ContextCite scores them; errors if tokenising
    prompt + answer does not keep the prompt's tokens as a prefix."""
    prompt_ids = cc._get_prompt_ids()
    full = cc._output_tokens["input_ids"]
    if full[: len(prompt_ids)] != prompt_ids:
        raise ValueError(f"item {item['id']}: prompt + answer re-tokenises the prompt")
    response_ids = list(cc._response_ids)
    if tokenizer.decode(response_ids) != item["answer"]:
        raise ValueError(f"item {item['id']}: answer tokens decode to "
                         f"{tokenizer.decode(response_ids)!r}, not {item['answer']!r}")
    return response_ids


def run_contextcite(model: Any, tokenizer: Any, counter: ForwardCounter, item: dict,
                    budget: int, batch_size: Optional[int] = None) -> dict:
    """ContextCite at its defaults with ``num_ablations=budget`` (and ``batch_size`` if given)."""
    counter.reset()
    t0 = time.perf_counter()
    cc = make_citer(model, tokenizer, item, budget, batch_size)
    scores = cc.get_attributions(verbose=False)
    wall = time.perf_counter() - t0
    calls, rows = counter.calls, counter.rows
    # Same fit again (Lasso with random_state=0 is deterministic) for its intercept.
    weight, bias = cc._get_attributions_for_ids_range(*cc._indices_to_token_indices())
    if not np.allclose(weight, scores):
        raise RuntimeError("ContextCite's refit disagrees with its attributions")
    masks = np.asarray(cc._masks, dtype=bool)
    values = aggregate_logit_probs(cc._logit_probs)
    return {
        "budget": budget,
        "num_ablations": budget,
        "scores": np.asarray(scores, dtype=np.float64).tolist(),
        "intercept": float(np.asarray(bias).reshape(-1)[0]),
        "masks": masks.astype(int).tolist(),
        "values": np.asarray(values, dtype=np.float64).tolist(),
        "forward_calls": calls,
        "rows": rows,
        "wall_s": wall,
    }


def run_contextcite_nested(model: Any, tokenizer: Any, counter: ForwardCounter, item: dict,
                           budgets: list[int], batch_size: Optional[int] = None) -> list[dict]:
    """ContextCite at every budget from one run at the largest.

    ContextCite's mask k comes from ``RandomState(k)`` and each forward scores one mask
    (``batch_size=1``), so its run at budget B measures exactly the first B masks of the run
    at the largest budget. Each budget's surrogate is ContextCite's own solver fitted on those
    B masks and values; its calls are B and its time the share of model time plus its fit.
    """
    top = run_contextcite(model, tokenizer, counter, item, max(budgets), batch_size)
    cc = make_citer(model, tokenizer, item, max(budgets))
    start, end = cc._indices_to_token_indices()
    n_tokens = end - start
    masks = np.asarray(top["masks"], dtype=bool)
    values = np.asarray(top["values"], dtype=np.float64)
    out = []
    for b in sorted(budgets):
        if b == max(budgets):
            out.append(top)
            continue
        t0 = time.perf_counter()
        weight, bias = cc.solver.fit(masks[:b], values[:b], n_tokens)
        fit = time.perf_counter() - t0
        out.append({"budget": b, "num_ablations": b, "scores": np.asarray(weight, dtype=np.float64).tolist(),
                    "intercept": float(np.asarray(bias).reshape(-1)[0]), "masks": top["masks"][:b],
                    "values": top["values"][:b], "forward_calls": b, "rows": b,
                    "wall_s": top["wall_s"] * b / max(budgets) + fit, "nested": True})
    return out


# ----------------------------------------------------------------------------- captum

def make_template(tokenizer: Any, query: str) -> Callable[..., str]:
    """captum template: sentence values (kept text or the "" baseline) -> chat prompt."""
    def fmt(*values: str) -> str:
        return chat_prompt(tokenizer, JOINER.join(v for v in values if v), query)
    return fmt


def captum_n_samples(method: str, budget: Optional[int], n: int) -> Optional[int]:
    """The ``n_samples`` argument that spends at most ``budget`` evaluations."""
    if method == "FeatureAblation":
        return None
    if method == "ShapleyValueSampling":
        return max(1, (budget - 1) // n)
    return budget


def run_captum(model: Any, tokenizer: Any, counter: ForwardCounter, item: dict,
               method: str, budget: Optional[int], seed: int, forward_in_tokens: bool,
               record: bool) -> dict:
    """One captum LLMAttribution run; the answer's log-probability is the target."""
    n = len(item["sentences"])
    inp = TextTemplateInput(make_template(tokenizer, item["query"]), values=item["sentences"],
                            baselines=[""] * n)
    llm = LLMAttribution(CAPTUM_METHODS[method](model), tokenizer, attr_target="log_prob")
    inner = llm.attr_method.forward_func
    log: list[tuple[list[int], float]] = []

    def scored(perturbed: torch.Tensor, *args: Any) -> torch.Tensor:
        out = inner(perturbed, *args)
        total = out.reshape(-1)[0]  # per-token methods return [total, token_1, ...]
        log.append((perturbed.reshape(-1).to(torch.int64).tolist(), float(total)))
        return out

    llm.attr_method.forward_func = scored
    n_samples = captum_n_samples(method, budget, n)
    kwargs = {} if n_samples is None else {"n_samples": n_samples}
    torch.manual_seed(seed)
    np.random.seed(seed)
    counter.reset()
    t0 = time.perf_counter()
    res = llm.attribute(inp, target=item["answer"], forward_in_tokens=forward_in_tokens,
                        use_cached_outputs=False, **kwargs)
    wall = time.perf_counter() - t0
    rec = {
        "method": method,
        "budget": budget,
        "n_samples": n_samples,
        "scores": res.seq_attr.to(torch.float64).cpu().tolist(),
        "intercept": None,
        "evaluations": len(log),
        "forward_calls": counter.calls,
        "rows": counter.rows,
        "wall_s": wall,
    }
    if method in ("Lime", "KernelShap"):
        bias = llm.attr_method.interpretable_model.bias()
        rec["intercept"] = None if bias is None else float(bias.reshape(-1)[0])
    if record:
        rec["masks"] = [m for m, _ in log]
        rec["values"] = [v for _, v in log]
    return rec


# ------------------------------------------------------------------------ throughput

def run_throughput(model: Any, tokenizer: Any, counter: ForwardCounter, item: dict,
                   calls: int, seed: int, forward_in_tokens: bool) -> dict:
    """Queries per second: ContextCite's ablations, captum FeatureAblation's n + 1."""
    counter.reset()
    cc = make_citer(model, tokenizer, item, calls)
    t0 = time.perf_counter()
    cc._masks  # noqa: B018  (property: runs the ablations)
    cc_wall = time.perf_counter() - t0
    cc_calls = counter.calls
    fa = run_captum(model, tokenizer, counter, item, "FeatureAblation", None, seed,
                    forward_in_tokens, record=False)
    return {
        "contextcite": {"ablations": calls, "batch_size": cc.batch_size,
                        "forward_calls": cc_calls, "wall_s": cc_wall,
                        "queries_per_s": calls / cc_wall},
        "captum_feature_ablation": {"evaluations": fa["evaluations"],
                                    "forward_calls": fa["forward_calls"],
                                    "wall_s": fa["wall_s"],
                                    "queries_per_s": fa["evaluations"] / fa["wall_s"]},
    }


# ------------------------------------------------------------------------------ main

def validate(spec: dict) -> None:
    """Clear errors for a malformed input."""
    if not spec.get("model_dir"):
        raise ValueError("model_dir is required (in the input or --model-dir)")
    if not isinstance(spec.get("items"), list) or not spec["items"]:
        raise ValueError("items must be a non-empty list")
    for it in spec["items"]:
        for key in ("id", "sentences", "query", "answer"):
            if key not in it:
                raise ValueError(f"item {it.get('id')!r} lacks {key!r}")
        s = it["sentences"]
        if not s or any(not isinstance(x, str) or not x.strip() or x != x.strip() for x in s):
            raise ValueError(f"item {it['id']!r}: sentences must be non-empty stripped strings")
        if not it["answer"]:
            raise ValueError(f"item {it['id']!r}: empty answer")
    unknown = set(spec.get("captum_methods", [])) - set(CAPTUM_METHODS)
    if unknown:
        raise ValueError(f"unknown captum methods {sorted(unknown)}; known {list(CAPTUM_METHODS)}")
    for key in ("contextcite_budgets", "captum_budgets"):
        if any(int(b) < 2 for b in spec.get(key, [])):
            raise ValueError(f"{key} must be integers >= 2")


def versions() -> dict:
    import captum
    import context_cite
    import sklearn
    import transformers
    from importlib.metadata import version
    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "captum": captum.__version__,
            "context_cite": version("context-cite"),
            "context_cite_module_version": context_cite.__version__,
            "numpy": np.__version__, "scikit_learn": sklearn.__version__}


def settings(forward_in_tokens: bool) -> dict:
    sig = inspect.signature(ContextCiter.__init__).parameters
    cc_defaults = {k: sig[k].default for k in ("num_ablations", "ablation_keep_prob",
                                                 "batch_size", "source_type")}
    return {
        "prompt": {"template": DEFAULT_PROMPT_TEMPLATE, "sentence_joiner": JOINER,
                   "chat_template": True, "add_generation_prompt": True,
                   "system_message": "the chat template's default (none passed)",
                   "add_special_tokens": False,
                   "scored": "prompt ids followed by the answer's ids, one forward pass"},
        "contextcite": {"defaults": cc_defaults, "num_ablations": "= budget",
                        "solver": "LassoRegression(lasso_alpha=0.01) on standardised masks, "
                                  "fit to values / n_answer_tokens, rescaled back",
                        "target": "logit of the answer's probability: log p - log(1 - p)",
                        "mask_seeds": "mask k ~ np.random.RandomState(k), k = 0..budget-1 "
                                      "(base_seed 0; independent of the input seed)",
                        "mask_meaning": "1 = sentence kept",
                        "response": "fixed: _cache['output'] = prompt + answer"},
        "captum": {"target": "log-probability of the answer (attr_target='log_prob')",
                   "input": "TextTemplateInput, one feature per sentence, baseline ''",
                   "forward_in_tokens": forward_in_tokens,
                   "use_cached_outputs": False,
                   "n_samples": {"FeatureAblation": "none (n + 1 evaluations)",
                                 "ShapleyValueSampling": "max(1, (budget - 1) // n)",
                                 "Lime": "budget", "KernelShap": "budget"},
                   "method_defaults": "captum's (Lime: SkLearnLasso(alpha=0.01), cosine "
                                      "exp kernel width 1, Bernoulli(0.5) masks; KernelShap: "
                                      "SkLearnLinearRegression on Shapley-kernel samples)",
                   "seeding": "torch.manual_seed(seed) and np.random.seed(seed) per run"},
    }


def solve(spec: dict) -> dict:
    """ContextCite's own default solver on masks and values given to it (no model).

    Input ``{"fits": [{"key", "masks", "values", "n_tokens"}]}``; output one ``weights`` /
    ``bias`` per fit, as :class:`ContextCiter` would compute them from those ablations. The
    benchmark uses it to fit ContextCite on many disjoint blocks of masks already paid for.
    """
    from context_cite.solver import LassoRegression

    solver = LassoRegression()
    fits = []
    for f in spec["fits"]:
        weights, bias = solver.fit(np.asarray(f["masks"], dtype=bool), np.asarray(f["values"], dtype=np.float64),
                                   int(f["n_tokens"]))
        fits.append({"key": f["key"], "weights": np.asarray(weights, dtype=np.float64).ravel().tolist(),
                     "bias": float(np.asarray(bias).reshape(-1)[0])})
    return {"versions": versions(), "solver": f"context_cite.solver.LassoRegression(lasso_alpha={solver.lasso_alpha})",
            "fits": fits}


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--model-dir", default=None, help="overrides the input's model_dir")
    ap.add_argument("--solve", action="store_true", help="only fit ContextCite's solver on the input's masks "
                                                          "and values (see solve())")
    args = ap.parse_args(argv)
    spec = json.loads(Path(args.input).read_text())
    if args.solve:
        Path(args.output).write_text(json.dumps(solve(spec)))
        return 0
    if args.model_dir:
        spec["model_dir"] = args.model_dir
    validate(spec)
    torch.set_num_threads(int(spec.get("threads", 1)))
    seed = int(spec.get("seed", 0))
    in_tokens = bool(spec.get("captum_forward_in_tokens", False))
    record = bool(spec.get("record_evaluations", True))

    tokenizer = AutoTokenizer.from_pretrained(spec["model_dir"])
    if spec.get("contextcite_batch_size"):
        tokenizer.padding_side = "left"  # ContextCite asserts it when it batches ablations
    model = AutoModelForCausalLM.from_pretrained(spec["model_dir"], dtype=torch.float32)
    model.eval()
    counter = ForwardCounter(model)

    out: dict = {"versions": versions(), "model_dir": spec["model_dir"], "seed": seed,
                 "threads": torch.get_num_threads(), "settings": settings(in_tokens), "items": []}
    for idx, item in enumerate(spec["items"]):
        n = len(item["sentences"])
        cc = make_citer(model, tokenizer, item, 2)
        prompt_ids, prompt = cc._get_prompt_ids(return_prompt=True)
        answer_ids = check_response(cc, tokenizer, item)
        captum_ids = tokenizer.encode(item["answer"], add_special_tokens=False)
        if captum_ids != answer_ids:
            raise ValueError(f"item {item['id']}: captum's target tokens {captum_ids} differ "
                             f"from ContextCite's {answer_ids}")
        tmpl = make_template(tokenizer, item["query"])
        probe = np.arange(n) % 2 == 0
        for mask in (np.ones(n, dtype=bool), probe):
            a = tokenizer.encode(tmpl(*[s if k else "" for s, k in zip(item["sentences"], mask)]))
            if a != cc._get_prompt_ids(mask=mask):
                raise ValueError(f"item {item['id']}: captum and ContextCite prompts differ")
        if idx == 0:
            out["prompt_example"] = prompt
        # Both targets on the full prompt, from one forward pass.
        with torch.no_grad():
            ids = torch.tensor([prompt_ids + answer_ids])
            logp = torch.log_softmax(model(input_ids=ids).logits[0, len(prompt_ids) - 1:-1], -1)
            tok = logp[torch.arange(len(answer_ids)), torch.tensor(answer_ids)].double()
        total = float(tok.sum())
        rec: dict = {
            "id": item["id"], "n": n, "prompt_tokens": len(prompt_ids),
            "answer_tokens": len(answer_ids), "answer_ids": answer_ids,
            "full_value": {"log_prob": total,
                           "logit_prob": total - float(np.log(-np.expm1(total)))},
            "contextcite": [], "captum": [],
        }
        cc_budgets = [int(b) for b in item.get("contextcite_budgets", spec.get("contextcite_budgets", []))]
        cc_batch = spec.get("contextcite_batch_size")
        if cc_budgets and spec.get("contextcite_nested", False):
            rec["contextcite"] = run_contextcite_nested(model, tokenizer, counter, item, cc_budgets, cc_batch)
        else:
            rec["contextcite"] = [run_contextcite(model, tokenizer, counter, item, b, cc_batch) for b in cc_budgets]
        for r in rec["contextcite"]:
            print(f"[{item['id']}] ContextCite B={r['budget']}: {r['forward_calls']} calls, "
                  f"{r['wall_s']:.1f} s", file=sys.stderr)
        for m in spec.get("captum_methods", []):
            budgets = [None] if m == "FeatureAblation" else [int(b) for b in
                                                              spec.get("captum_budgets", [])]
            for b in budgets:
                r = run_captum(model, tokenizer, counter, item, m, b, seed, in_tokens, record)
                rec["captum"].append(r)
                print(f"[{item['id']}] captum {m} B={b}: {r['evaluations']} evaluations, "
                      f"{r['forward_calls']} forward calls, {r['wall_s']:.1f} s", file=sys.stderr)
        if spec.get("throughput"):
            rec["throughput"] = run_throughput(model, tokenizer, counter, item,
                                               int(spec["throughput"]["calls"]), seed, in_tokens)
        out["items"].append(rec)
    Path(args.output).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
