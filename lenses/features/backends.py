"""Models behind the feature lens: one batched scoring path per kind of model.

* :class:`CausalLM` — a transformers causal LM (or a TransformerLens ``TransformerBridge`` or
  ``HookedTransformer``): many masked prompts per forward pass, left-padded with an attention mask and explicit
  position ids, micro-batches bounded by a token count (long prompts get fewer rows per pass).
  The never-masked template prefix runs once; its key/value cache is reused by every mask
  (transformers models). Masked prompts that start with the same tokens (every segment before
  the first removed one) are grouped by :func:`plan_shared_prefixes`, and a group's shared
  part runs once where that costs less than running it in every prompt. The output head runs
  only at the positions the value reads (``logits_to_keep``).
* :class:`Encoder` — a sentence encoder (mean-pooled, normalised embeddings).
* :class:`TextFunction` — any Python callable on a list of strings.
"""

from __future__ import annotations

import inspect
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np


def _torch():
    import torch

    return torch


def model_device(model) -> str:
    try:
        return str(next(model.parameters()).device)
    except (StopIteration, AttributeError):
        return "cpu"


@dataclass
class PrefixNode:
    """A group of bodies sharing ``body[:end]``; ``body[start:end]`` runs once for all of them.

    ``children`` are sub-groups sharing more; ``rows`` run from ``end`` in micro-batches.
    """

    start: int
    end: int
    rows: list[int] = field(default_factory=list)
    children: list["PrefixNode"] = field(default_factory=list)
    cost: float = 0.0

    @property
    def size(self) -> int:
        return len(self.rows) + sum(c.size for c in self.children)

    def any_row(self) -> int:
        return self.rows[0] if self.rows else self.children[0].any_row()


def _batches_cost(lengths, micro_batch: int, overhead: int) -> float:
    """Tokens computed (padding included) running these lengths in length-sorted micro-batches."""
    lengths = np.sort(np.asarray(lengths, dtype=np.int64))
    if lengths.size == 0:
        return 0.0
    longest = lengths[micro_batch - 1 :: micro_batch].tolist()
    if lengths.size % micro_batch:
        longest.append(int(lengths[-1]))
    sizes = [micro_batch] * (lengths.size // micro_batch) + ([lengths.size % micro_batch] if lengths.size % micro_batch else [])
    return float(sum(overhead + k * m for k, m in zip(sizes, longest)))


def plan_shared_prefixes(bodies: Sequence[Sequence[int]], keep: int, *, overhead: int = 48,
                         micro_batch: int = 16) -> PrefixNode:
    """Group token sequences into a tree of shared prefixes that costs the fewest tokens to run.

    Masks that keep the same first segments give bodies with the same first tokens. A group's
    common tokens can run once (one batch-1 pass extending the key/value cache) instead of
    once per body; a sub-group is split off when its own plan, plus that pass, costs less
    than leaving its bodies in the parent's micro-batches. Cost counts tokens run, padding
    included, plus ``overhead`` tokens per forward pass. Every body keeps at least ``keep``
    tokens outside the shared part (the positions the value reads).

    Examples
    --------
    >>> bodies = [[1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 0], [5, 6]]
    >>> plan = plan_shared_prefixes(bodies, keep=1, overhead=1)
    >>> plan.rows, [(c.start, c.end, c.rows) for c in plan.children]
    ([2], [(0, 8, [0, 1])])
    """

    lengths = np.array([len(b) for b in bodies], dtype=np.int64)
    tokens = np.full((len(bodies), int(lengths.max(initial=0)) + 1), -1, dtype=np.int64)  # -1: past the end
    for i, b in enumerate(bodies):
        tokens[i, : len(b)] = b

    def common_end(rows: np.ndarray, start: int) -> int:
        limit = int(lengths[rows].min()) - keep
        if limit <= start:
            return start
        same = (tokens[rows, start:limit] == tokens[rows[0], start:limit]).all(0)
        return start + (int(np.argmin(same)) if not same.all() else same.size)

    def plan(rows: np.ndarray, start: int) -> PrefixNode:
        end = common_end(rows, start) if rows.size > 1 else start
        node = PrefixNode(start, end)
        longer = lengths[rows] - keep > end  # could share more with bodies continuing alike
        node.rows.extend(int(i) for i in rows[~longer])
        ahead = rows[longer]
        for token in np.unique(tokens[ahead, end]):
            group = ahead[tokens[ahead, end] == token]
            if group.size > 1:
                child = plan(group, end)
                if child.cost < _batches_cost(lengths[group] - end, micro_batch, overhead):
                    node.children.append(child)
                    continue
            node.rows.extend(int(i) for i in group)
        node.rows.sort()
        run_once = (overhead + end - start) if end > start else 0
        node.cost = (run_once + sum(c.cost for c in node.children)
                     + _batches_cost(lengths[node.rows] - end, micro_batch, overhead))
        flat = _batches_cost(lengths[rows] - start, micro_batch, overhead)
        if flat <= node.cost:  # sharing does not pay here: run every body from ``start``
            return PrefixNode(start, start, sorted(int(i) for i in rows), cost=flat)
        return node

    with _deep_recursion(len(bodies)):
        return plan(np.arange(len(bodies)), 0)


@contextmanager
def _deep_recursion(levels: int):
    """Room for ``levels`` nested calls: leave-one-out masks over a long text make a chain of
    groups, one level per segment (a 1,000-word text nests 1,000 deep)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 3 * levels + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


class CausalLM:
    """Scores token sequences ``prefix + body`` with a causal LM, in micro-batches.

    Parameters
    ----------
    model : a transformers ``*ForCausalLM``, or a TransformerLens ``TransformerBridge`` or ``HookedTransformer``.
    tokenizer : its tokenizer (a pad token is set to EOS when missing).
    micro_batch : at most this many sequences per forward pass.
    max_batch_tokens : at most this many tokens (rows x longest row, prefix included) per
        forward pass, which bounds memory on long prompts; a row longer than this runs alone.
    reuse_prefix : run the shared prefix once and reuse its key/value cache (transformers
        models with a ``DynamicCache``), and also the first tokens that groups of bodies share
        (:func:`plan_shared_prefixes`); False runs every full sequence (the naive path).
    """

    def __init__(self, model, tokenizer, *, micro_batch: int = 16, max_batch_tokens: int = 8192,
                 reuse_prefix: bool = True) -> None:
        self.model = model
        self.tokenizer = tokenizer
        if tokenizer is None:
            raise ValueError("a causal LM needs its tokenizer: pass FeatureLens(..., tokenizer=...)")
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)
        self.micro_batch = int(micro_batch)
        self.max_batch_tokens = int(max_batch_tokens)
        self.shared_tokens = 0  # tokens that ran once for a group instead of once per body (last_logits)
        from lenses.heads.loading import is_transformer_lens_model

        # a TransformerBridge or HookedTransformer (or another hooked model) pads through its own forward
        self.hooked = is_transformer_lens_model(model) or hasattr(model, "cfg") and hasattr(model, "run_with_hooks")
        params = set(inspect.signature(model.forward).parameters) if not self.hooked else set()
        self.cache_arg = "cache" if "cache" in params else ("past_key_values" if "past_key_values" in params else None)
        self.keep_arg = "logits_to_keep" in params
        self.reuse_prefix = bool(reuse_prefix) and not self.hooked and self.cache_arg is not None
        self.device = model_device(model)
        # The fixed cost of one forward pass in tokens' worth of compute, for prefix planning:
        # ~40-60 ms a pass for SmolLM2 on a CPU (~1.3 ms a token); launches dominate on a GPU.
        self.forward_overhead = 256 if str(self.device).startswith("cuda") else 48

    @property
    def window(self) -> int | None:
        """The longest sequence the model accepts (positions), when it says."""
        for cfg in (getattr(self.model, "config", None), getattr(self.model, "cfg", None)):
            for name in ("max_position_embeddings", "n_positions", "n_ctx"):
                size = getattr(cfg, name, None)
                if isinstance(size, int) and size > 0:
                    return size
        return None

    @property
    def vocab_size(self) -> int | None:
        """Rows of the model's input embedding (token ids must lie below), when it says."""
        emb = getattr(self.model, "get_input_embeddings", None)
        try:
            weight = getattr(emb(), "weight", None) if callable(emb) else None
        except (NotImplementedError, AttributeError):  # a model that does not say
            weight = None
        if weight is not None and getattr(weight, "ndim", 0) == 2:
            return int(weight.shape[0])
        size = getattr(getattr(self.model, "cfg", None), "d_vocab", None)
        return size if isinstance(size, int) else None

    # ------------------------------------------------------------------ tokens
    def encode(self, text: str, special: bool = False) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def encode_many(self, texts: Sequence[str]) -> list[list[int]]:
        if not texts:
            return []
        return [list(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    # ------------------------------------------------------------------ forward
    def prefix_cache(self, prefix: Sequence[int]):
        """The key/value cache of the prefix (batch 1), or None when it is not reused."""
        if not self.reuse_prefix or not prefix:
            return None
        torch = _torch()
        ids = torch.tensor([list(prefix)], device=self.device)
        with torch.inference_mode():
            out = self.model(input_ids=ids, use_cache=True)
        cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
        if cache is None or not hasattr(cache, "layers"):
            self.reuse_prefix = False
            return None
        return [(layer.keys, layer.values) for layer in cache.layers]

    def _expanded(self, kv, batch: int):
        from transformers import DynamicCache

        # expand() makes views: each forward's update concatenates into new tensors, so the
        # stored prefix is never written to and serves every batch.
        data = [(k.expand(batch, -1, -1, -1), v.expand(batch, -1, -1, -1)) for k, v in kv]
        return DynamicCache(ddp_cache_data=data, config=getattr(self.model, "config", None))

    def last_logits(self, prefix: Sequence[int], bodies: Sequence[Sequence[int]], keep: int, kv=None):
        """float32 logits at the last ``keep`` positions of every ``prefix + body``: (B, keep, V).

        Bodies run in micro-batches sorted by length; within one, shorter bodies are left-padded
        (padding sits between the prefix and the body, masked out, and position ids count only
        real tokens, so a padded row equals the row run alone). With a prefix cache, bodies
        that start with the same tokens (masks keeping the same first segments) are grouped
        by :func:`plan_shared_prefixes`: each group's common tokens run once on top of the
        cache, and its bodies run only from there.
        """
        torch = _torch()
        out: list = [None] * len(bodies)
        if kv is None:
            self._run_rows(list(prefix), bodies, range(len(bodies)), 0, keep, None, out)
        else:
            plan = plan_shared_prefixes(bodies, keep, overhead=self.forward_overhead, micro_batch=self.micro_batch)
            with _deep_recursion(len(bodies)):
                self._run_plan(plan, list(prefix), bodies, keep, kv, out)
        return torch.stack(out)

    def _run_plan(self, node: "PrefixNode", prefix: list, bodies, keep: int, kv, out: list) -> None:
        if node.end > node.start:
            shared = list(bodies[node.any_row()][node.start : node.end])
            kv = self._extend_cache(kv, len(prefix), shared)
            prefix = prefix + shared
            self.shared_tokens += len(shared) * (node.size - 1)
        for child in node.children:
            self._run_plan(child, prefix, bodies, keep, kv, out)
        if node.rows:
            self._run_rows(prefix, bodies, node.rows, node.end, keep, kv, out)

    def _run_rows(self, prefix: list, bodies, rows, start: int, keep: int, kv, out: list) -> None:
        """Run ``bodies[rows][start:]`` after ``prefix`` in length-sorted micro-batches."""
        rows = sorted(rows, key=lambda i: len(bodies[i]))
        for idx in self._micro_batches(rows, bodies, len(prefix) - start):
            logits = self._forward(prefix, [bodies[i][start:] for i in idx], keep, kv)
            for row, i in enumerate(idx):
                out[i] = logits[row]

    def _micro_batches(self, order: Sequence[int], bodies, prefix_len: int):
        """Consecutive runs of ``order`` with at most ``micro_batch`` rows and ``max_batch_tokens`` tokens."""
        batch: list[int] = []
        longest = 0
        for i in order:
            size = prefix_len + len(bodies[i])
            if batch and (len(batch) >= self.micro_batch or (len(batch) + 1) * max(longest, size) > self.max_batch_tokens):
                yield batch
                batch, longest = [], 0
            batch.append(i)
            longest = max(longest, size)
        if batch:
            yield batch

    def _extend_cache(self, kv, prefix_len: int, tokens: Sequence[int]):
        """The key/value cache of ``prefix + tokens`` (batch 1), from the prefix's."""
        torch = _torch()
        ids = torch.tensor([list(tokens)], device=self.device)
        mask = torch.ones((1, prefix_len + len(tokens)), dtype=torch.long, device=self.device)
        positions = torch.arange(prefix_len, prefix_len + len(tokens), device=self.device)[None]
        kwargs = {"input_ids": ids, "attention_mask": mask, "position_ids": positions, "use_cache": True,
                  self.cache_arg: self._expanded(kv, 1)}
        if self.keep_arg:
            kwargs["logits_to_keep"] = 1
        with torch.inference_mode():
            out = self.model(**kwargs)
        cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
        return [(layer.keys, layer.values) for layer in cache.layers]

    def _forward(self, prefix, bodies, keep, kv):
        torch = _torch()
        B = len(bodies)
        L = max(len(b) for b in bodies)
        P = len(prefix)
        shortest = min(len(b) for b in bodies)
        if P + shortest < keep:
            raise ValueError("a masked prompt is shorter than the positions the value reads")
        # A body shorter than the positions read (everything masked) reads into the prefix:
        # that micro-batch takes the full path.
        cached = kv is not None and P > 0 and shortest >= keep
        if cached:
            # Padding sits between the cached prefix and each body.
            ids = torch.full((B, L), self.pad_id, dtype=torch.long)
            mask = torch.zeros((B, P + L), dtype=torch.long)
            mask[:, :P] = 1
            for r, body in enumerate(bodies):
                ids[r, L - len(body) :] = torch.tensor(list(body), dtype=torch.long)
                mask[r, P + L - len(body) :] = 1
        else:
            ids, mask = self._left_pad_full(prefix, bodies, L)
        positions = (mask.cumsum(1) - 1).clamp(min=0)
        ids, mask, positions = ids.to(self.device), mask.to(self.device), positions.to(self.device)
        with torch.inference_mode():
            if self.hooked:
                logits = self.model(ids, attention_mask=mask, padding_side="left")
                return logits[:, -keep:].float()
            kwargs = {"input_ids": ids, "attention_mask": mask, "position_ids": positions[:, -ids.shape[1] :]}
            if cached:
                kwargs[self.cache_arg] = self._expanded(kv, B)
            if self.keep_arg:
                kwargs["logits_to_keep"] = keep
            logits = self.model(**kwargs).logits
            return logits[:, -keep:].float()

    def _left_pad_full(self, prefix, bodies, L):
        torch = _torch()
        P, B = len(prefix), len(bodies)
        ids = torch.full((B, P + L), self.pad_id, dtype=torch.long)
        mask = torch.zeros((B, P + L), dtype=torch.long)
        for r, body in enumerate(bodies):
            seq = list(prefix) + list(body)
            ids[r, P + L - len(seq) :] = torch.tensor(seq, dtype=torch.long)
            mask[r, P + L - len(seq) :] = 1
        return ids, mask

    def greedy(self, prefix: Sequence[int], body: Sequence[int], n_tokens: int) -> list[int]:
        """The model's own greedy continuation of ``prefix + body`` (stops after EOS)."""
        torch = _torch()
        eos = self.tokenizer.eos_token_id
        answer: list[int] = []
        for _ in range(int(n_tokens)):
            logits = self.last_logits(prefix, [list(body) + answer], keep=1)
            tok = int(torch.argmax(logits[0, -1]))
            answer.append(tok)
            if eos is not None and tok == eos:
                break
        return answer


class Encoder:
    """A sentence encoder: mean pooling over the last hidden states, L2-normalised.

    Encoders with absolute position embeddings see positions from 0 at the first token,
    so their batches are right-padded (with the attention mask); causal LMs are left-padded.
    """

    def __init__(self, model, tokenizer, *, micro_batch: int = 32) -> None:
        if tokenizer is None:
            raise ValueError("a sentence encoder needs its tokenizer: pass FeatureLens(..., tokenizer=...)")
        self.model, self.tokenizer = model, tokenizer
        self.micro_batch = int(micro_batch)
        self.device = model_device(model)

    @property
    def window(self) -> int | None:
        """The most tokens the encoder reads: its position embeddings or its tokenizer's limit,
        whichever is smaller (beyond it, ``embed`` would cut the text)."""
        sizes = [getattr(getattr(self.model, "config", None), "max_position_embeddings", None),
                 getattr(self.tokenizer, "model_max_length", None)]
        sizes = [s for s in sizes if isinstance(s, int) and 0 < s < 1_000_000]  # 1e30: "no limit"
        return min(sizes) if sizes else None

    def check_fits(self, text: str) -> None:
        """Refuse a text longer than the window: its cut tail would get no attribution at all."""
        n = len(self.tokenizer(text)["input_ids"])
        if self.window is not None and n > self.window:
            raise ValueError(f"the text is {n} tokens; the encoder reads at most {self.window}, so the parts "
                             "past that would get no attribution: shorten the text or the template")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        torch = _torch()
        out = []
        for start in range(0, len(texts), self.micro_batch):
            chunk = list(texts[start : start + self.micro_batch])
            enc = self.tokenizer(chunk, padding=True, truncation=True, return_tensors="pt")
            enc = {k: v.to(self.device) for k, v in enc.items()}
            with torch.inference_mode():
                hidden = self.model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy())
        return np.concatenate(out).astype(np.float64)


class TextFunction:
    """Any callable on a list of strings returning one number (or one vector) per string."""

    def __init__(self, fn: Callable[[list[str]], object]) -> None:
        self.fn = fn

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        out = self.fn(list(texts))
        if hasattr(out, "detach"):
            out = out.detach().float().cpu().numpy()
        try:
            out = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            first = next(iter(out), None) if isinstance(out, (list, tuple)) else out
            inner = first[0] if isinstance(first, list) and first else first
            hint = ('; a Hugging Face pipeline returns dicts: wrap it, e.g. lambda texts: [o["score"] for o in '
                    "pipe(texts)]") if isinstance(inner, dict) else ""
            raise TypeError(f"the model callable must return one number (or one vector of numbers) per string; "
                            f"it returned {type(out).__name__} of {type(first).__name__} {first!r:.80}{hint}") from exc
        if out.ndim == 2 and out.shape[1] == 1:  # one number per string, as a column
            out = out[:, 0]
        if out.shape[:1] != (len(texts),) or out.ndim > 2:
            raise ValueError(f"the model callable must return one number or vector per string: got shape "
                             f"{out.shape} for {len(texts)} strings")
        return out


def cosine(vectors: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row with ``reference``."""
    num = vectors @ reference
    den = np.linalg.norm(vectors, axis=1) * np.linalg.norm(reference)
    return num / np.maximum(den, 1e-12)
