"""Metrics: one number per prompt row, read from the logits of an ablated forward pass.

Every metric has the signature ``metric(logits, tokens) -> Tensor (rows,)`` with ``logits``
(rows, seq, d_vocab) and ``tokens`` (rows, seq); the lens averages the rows of each mask.
The built-ins are made by :func:`get_metric`, which binds what they need (the scored
positions, the answer tokens).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

METRICS = ("logprob", "logit_diff", "loss", "accuracy")


def as_index(x) -> int | None:
    """``x`` as an int when it is a whole number (not a bool, not 2.5, not "2"), else None."""
    if isinstance(x, (bool, np.bool_, str)):
        return None
    try:
        i = int(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return i if i == x else None


def target_positions(positions, seq: int) -> list[int]:
    """Indices p of the tokens a metric predicts (each read from the logits at p - 1).

    ``None`` or ``"last"``: the last token; ``"all"``: every token after the first; an int or
    a sequence of ints (negative ones count from the end).
    """
    if positions is None or (isinstance(positions, str) and positions == "last"):
        return [seq - 1]
    if isinstance(positions, str) and positions == "all":
        return list(range(1, seq))
    if isinstance(positions, str):
        raise ValueError(f"positions must be ints, 'last' or 'all', got {positions!r}")
    if hasattr(positions, "detach"):  # a torch tensor, on any device
        positions = positions.detach().cpu().tolist()
    items = np.asarray(positions, dtype=object).reshape(-1).tolist()  # scalar, list or array
    out = []
    for p in items:
        p = as_index(p.item() if hasattr(p, "item") else p)
        if p is None:
            raise ValueError(f"positions must be ints, 'last' or 'all', got {positions!r}")
        q = int(p) + seq if p < 0 else int(p)
        if not 1 <= q < seq:
            raise ValueError(f"position {p} is not a predicted token of a {seq}-token prompt (use 1 .. {seq - 1})")
        out.append(q)
    if not out:
        raise ValueError("positions is empty")
    return out


def _token_logprobs(logits, tokens, positions):
    import torch

    pos = torch.as_tensor(positions, device=logits.device)
    logp = logits[:, pos - 1].log_softmax(-1)
    return logp, logp.gather(-1, tokens[:, pos, None])[..., 0]


def get_metric(metric, *, seq: int, positions=None, answers=None) -> Callable:
    """The metric function ``(logits, tokens) -> Tensor (rows,)``.

    - ``"logprob"``: mean log-probability of the true next token at the scored positions.
    - ``"accuracy"``: fraction of scored positions where the true token is the top guess.
    - ``"loss"``: mean next-token cross-entropy over the whole prompt (lower is better).
    - ``"logit_diff"``: logit of ``answers[0]`` minus logit of ``answers[1]`` after the last
      prompt token; ``answers`` are (correct, wrong) token ids, one each or one per prompt.
    - a callable ``(logits, tokens) -> Tensor (rows,)``, used as it is.
    """
    if positions is not None and (callable(metric) or metric in ("loss", "logit_diff")):
        import warnings

        warnings.warn(f"positions= is read only by value='logprob' or 'accuracy'; value="
                      f"{'a function' if callable(metric) else repr(metric)} ignores it", UserWarning, stacklevel=3)
    if callable(metric):
        return metric
    if metric not in METRICS:
        raise ValueError(f"unknown value {metric!r}; use one of {', '.join(METRICS)} or a callable "
                         "(logits, tokens) -> one value per row")
    if metric == "logit_diff":
        if answers is None:
            raise ValueError("value='logit_diff' needs answers=(correct, wrong) token ids")
        correct, wrong = answers
        same = [i for i, (c, w) in enumerate(zip(correct * (len(wrong) // len(correct) or 1),
                                                  wrong * (len(correct) // len(wrong) or 1))) if c == w]
        if same:
            raise ValueError(f"the correct and the wrong answer are the same token for prompt(s) {same[:10]}: "
                             "their logit difference is 0 under every ablation")

        def logit_diff(logits, tokens):
            import torch

            last = logits[:, -1]
            rows = last.shape[0]
            c = torch.as_tensor(correct, device=last.device).reshape(-1)
            w = torch.as_tensor(wrong, device=last.device).reshape(-1)
            c = c.repeat(rows // c.numel()) if c.numel() > 1 else c.expand(rows)
            w = w.repeat(rows // w.numel()) if w.numel() > 1 else w.expand(rows)
            return last.gather(-1, c[:, None])[:, 0] - last.gather(-1, w[:, None])[:, 0]

        return logit_diff
    if answers is not None:
        raise ValueError(f"answers only go with value='logit_diff', not {metric!r}")
    if metric == "loss":
        pos = target_positions("all", seq)

        def loss(logits, tokens):
            return -_token_logprobs(logits, tokens, pos)[1].mean(-1)

        return loss
    pos = target_positions(positions, seq)
    if metric == "logprob":

        def logprob(logits, tokens):
            return _token_logprobs(logits, tokens, pos)[1].mean(-1)

        return logprob

    def accuracy(logits, tokens):
        import torch

        guess = logits[:, torch.as_tensor(pos, device=logits.device) - 1].argmax(-1)
        return (guess == tokens[:, pos]).float().mean(-1)

    return accuracy


def _token_id(x, to_token: Callable[[str], int] | None, d_vocab: int | None) -> int:
    """One answer as a token id: a string through ``to_token``, an int checked against the vocabulary."""
    if isinstance(x, str):
        if to_token is None:
            raise TypeError(f"answer {x!r} is a string, but the model has no tokenizer to read it: "
                            "give the answers as token ids")
        i = to_token(x)
        if d_vocab is not None and not 0 <= i < d_vocab:  # a tokenizer larger than the model's vocabulary
            raise ValueError(f"answer {x!r} is token id {i}, outside the model's vocabulary (0 .. {d_vocab - 1})")
        return i
    if as_index(x) is None:
        raise TypeError(f"answers must be token ids (ints) or one-token strings, got {x!r}")
    if d_vocab is not None and not 0 <= int(x) < d_vocab:
        raise ValueError(f"answer token id {int(x)} is outside the vocabulary (0 .. {d_vocab - 1})")
    return int(x)


def check_answers(answers, n_prompts: int, to_token: Callable[[str], int] | None = None,
                  d_vocab: int | None = None):
    """(correct, wrong) as int lists; strings go through ``to_token`` (one token each), ids are
    checked against ``d_vocab`` (when given) so that a bad id fails here, not inside a forward."""
    if answers is None:
        return None
    if isinstance(answers, str) or len(answers) != 2:
        raise ValueError(f"answers must be a pair (correct, wrong), got {answers!r}")
    out = []
    for side in answers:
        items = [side] if isinstance(side, (int, str)) or not isinstance(side, Sequence) else list(side)
        if hasattr(side, "tolist"):
            items = side.reshape(-1).tolist()
        ids = [_token_id(x, to_token, d_vocab) for x in items]
        if len(ids) not in (1, n_prompts):
            raise ValueError(f"answers need one token or one per prompt ({n_prompts}), got {len(ids)}")
        out.append(ids)
    return tuple(out)
