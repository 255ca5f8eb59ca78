"""FeatureLens: which segments of a prompt interact to produce a real model's output.

Players are segments of the prompt (words, sentences, model tokens or the user's own); a
mask removes some of them (or replaces them with a placeholder) and the value is read from
the real model on the masked prompt. Everything goes through one batched path (see
:mod:`lenses.features.backends`).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import Sequence

import numpy as np

import spexkit
from spexkit.identity import callable_identity, model_identity
from spexkit.lens import Lens
from spexkit.validation import check_positive_int, check_probability

from ..packaged import ENCODER_ALIASES, load_encoder
from .backends import CausalLM, Encoder, TextFunction, cosine, model_device
from .examples import CONTEXT_TEMPLATE
from .segments import MASKINGS, SEGMENTATIONS, check_text, segment

VALUES = ("auto", "logprob", "logit_prob", "margin", "cosine", "output")
_SENTINEL = "\u2063SPEXKIT_TEXT\u2063"


def _is_causal_lm(model) -> bool:
    from lenses.heads.loading import is_transformer_lens_model

    if is_transformer_lens_model(model):  # a TransformerBridge, or a HookedTransformer (TransformerLens 3.9)
        return True
    name = type(model).__name__
    return name.endswith("ForCausalLM") or name.endswith("LMHeadModel") or (
        hasattr(model, "generate") and callable(getattr(model, "get_output_embeddings", None))
        and model.get_output_embeddings() is not None)


def _required_positional(fn) -> int:
    """How many positional arguments ``fn`` needs (0 when its signature cannot be read)."""
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 0
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params)


def log_odds(logp):
    """log p - log(1 - p) from log p (a torch tensor), stable near p = 0 and p = 1.

    p = 1 exactly (log p = 0) would be infinite; it is clipped at 1 - 1e-12 (log-odds ~27.6).

    >>> import torch
    >>> round(float(log_odds(torch.tensor(-0.6931471805599453, dtype=torch.float64))), 12)
    0.0
    """
    import torch

    logp = logp.clamp(max=float(np.log1p(-1e-12)))
    return logp - torch.log(-torch.expm1(logp))


class FeatureLens(Lens):
    """Explain a language model's output through interactions between prompt segments.

    Parameters
    ----------
    model : ``"smollm2"`` (offline SmolLM2-135M-Instruct), any transformers causal LM name,
        ``"all-MiniLM-L6-v2"`` (offline sentence encoder; any encoder name with
        ``value="cosine"``), a transformers model object (with ``tokenizer``), a
        ``(model, tokenizer)`` pair, a TransformerLens ``TransformerBridge`` (or ``HookedTransformer``
        on TransformerLens 3.9), or any callable
        on a list of strings returning one number (or one vector) per string.
    value : ``"logprob"`` (log-probability of the answer: the model's own greedy answer on the
        full prompt, or the one given to :meth:`game`; causal LMs), ``"logit_prob"`` (the
        answer's log-odds, log p - log(1 - p), ContextCite's target), ``"margin"`` (logit of ``labels[0]`` minus ``labels[1]`` at the
        answer position), ``"cosine"`` (similarity of the masked text's embedding to the full
        text's; encoders and vector callables), ``"output"`` (a callable's number), ``"auto"``
        (the first that fits the model), or a function: for causal LMs
        ``fn(next_token_logits (batch, vocab)) -> (batch,)``, for encoders and callables
        ``fn(outputs (batch, ...), full_output) -> (batch,)``.
    segmentation : ``"words"``, ``"sentences"``, ``"tokens"``, a callable ``text -> segments``.
        A list of strings passed as the text is used as the segments themselves.
    masking : ``"remove"`` the segment, or replace it with ``placeholder``.
    labels : the two label words of ``value="margin"``, e.g. ``("positive", "negative")``.
    answer_tokens : length of the greedy answer scored by ``value="logprob"``.
    chat : wrap the template in the tokenizer's chat template (``"auto"``: when it has one).
    keep : probability that sampling methods keep a segment (masked prompts stay readable).
    batch_size : at most this many masked prompts per forward pass (default 16 on CPU, 64 on GPU).
    max_batch_tokens : at most this many tokens per forward pass (rows x longest row; default
        8,192 on CPU, 65,536 on GPU), so long prompts get fewer rows and memory stays bounded.
    reuse_prefix : run the never-masked prefix once and reuse its key/value cache; masked
        prompts that start with the same kept segments also share those tokens' cache.
    tokenizer, device : for model objects / where named models are loaded.

    Examples
    --------
    >>> lens = FeatureLens(model=lambda texts: [len(t) for t in texts])
    >>> game = lens.game("a truly great film")
    >>> game.labels
    ['a', 'truly', 'great', 'film']
    >>> lens.evaluate(game, removed=[1])
    12.0
    """

    name = "features"

    def __init__(self, model="smollm2", value="auto", segmentation="words", masking: str = "remove", *,
                 labels: Sequence[str] | None = None, answer_tokens: int = 5, placeholder: str = "_",
                 chat="auto", keep: float = 0.8, batch_size: int | None = None, max_batch_tokens: int | None = None,
                 reuse_prefix: bool = True, tokenizer=None, device: str | None = None) -> None:
        if isinstance(value, str) and value not in VALUES:
            raise ValueError(f"unknown value {value!r}; choose one of {', '.join(VALUES)} or pass a function")
        if not isinstance(value, str) and not callable(value):
            raise TypeError(f"value must be a name or a function, got {type(value).__name__}")
        if isinstance(segmentation, str) and segmentation not in SEGMENTATIONS:
            raise ValueError(f"unknown segmentation {segmentation!r}; choose one of {', '.join(SEGMENTATIONS)}, "
                             "or pass a callable")
        if masking not in MASKINGS:
            raise ValueError(f"unknown masking {masking!r}; choose one of {', '.join(MASKINGS)}")
        if not isinstance(segmentation, str) and not callable(segmentation) and \
                not isinstance(segmentation, (list, tuple)):
            raise TypeError(f"segmentation must be a name, a list of segments or a callable, got "
                            f"{type(segmentation).__name__}")
        check_positive_int(answer_tokens, "answer_tokens")
        if not isinstance(placeholder, str):
            raise TypeError(f"placeholder must be a string, got {type(placeholder).__name__}")
        for size, name in ((batch_size, "batch_size"), (max_batch_tokens, "max_batch_tokens")):
            if size is not None:
                check_positive_int(size, name)
        if chat not in ("auto", True, False):
            raise ValueError(f"chat must be 'auto', True or False, got {chat!r}")
        check_probability(keep, "keep")
        self.model = model
        self.value = value
        self.segmentation = segmentation
        self.masking = masking
        self.labels = labels
        self.answer_tokens = answer_tokens
        self.placeholder = placeholder
        self.chat = chat
        self.keep = keep
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.reuse_prefix = reuse_prefix
        self.tokenizer = tokenizer
        self.device = device

    def __repr__(self) -> str:
        model = self.model if isinstance(self.model, str) else type(self.model).__name__
        return f"FeatureLens(model={model!r}, value={self.value!r}, segmentation={self.segmentation!r}, masking={self.masking!r})"

    # ------------------------------------------------------------------ model
    def _micro_batch(self, device: str) -> int:
        if self.batch_size is not None:
            return check_positive_int(self.batch_size, "batch_size")
        return 64 if str(device).startswith("cuda") else 16

    def _batch_tokens(self, device: str) -> int:
        if self.max_batch_tokens is not None:
            return check_positive_int(self.max_batch_tokens, "max_batch_tokens")
        return 65536 if str(device).startswith("cuda") else 8192

    def _load(self) -> None:
        """Load the model (named models once per lens) and the backend that runs it.

        Sets ``backend_`` (what runs the masked prompts), ``kind_`` (``"causal"``,
        ``"encoder"`` or ``"callable"``), ``value_`` (the value read, ``"auto"`` resolved) and
        ``model_id_`` (the model's part of the games' fingerprints; None for a callable without
        a stable name).
        """
        model, tok = self.model, self.tokenizer
        if isinstance(model, tuple) and len(model) == 2:
            model, tok = model
        if isinstance(model, str):
            from lenses.packaged import load_causal_lm, resolve_device

            device = resolve_device(self.device, default="auto")
            name = model
            if model.lower() in ENCODER_ALIASES or self.value == "cosine":
                model, tok = load_encoder(name, device)
                self.kind_ = "encoder"
            else:
                model, tok = load_causal_lm(name, device=device)
                self.kind_ = "causal"
            self.model_id_ = f"{self.kind_}:{name}|{model_identity(model, every_weight=False)}"
        elif hasattr(model, "parameters") and (hasattr(model, "forward") or hasattr(model, "cfg")):
            if tok is None:
                tok = getattr(model, "tokenizer", None)
            if tok is None and getattr(getattr(model, "config", None), "_name_or_path", ""):
                from transformers import AutoTokenizer

                tok = AutoTokenizer.from_pretrained(model.config._name_or_path)
            self.kind_ = "causal" if _is_causal_lm(model) else "encoder"
            if self.device is not None:
                from lenses.packaged import resolve_device

                model.to(resolve_device(self.device))  # checked first: a failed move would leave it half-moved
            self.model_id_ = f"{self.kind_}:{model_identity(model, every_weight=False)}"
        elif callable(model):
            self.kind_ = "callable"
            ident = callable_identity(model)
            self.model_id_ = None if ident is None else f"callable:{ident}"
        else:
            raise TypeError(f"model must be a name, a transformers or TransformerLens model, or a callable on "
                            f"a list of strings; got {type(model).__name__}")
        if self.kind_ == "causal":
            device = model_device(model)
            self.backend_ = CausalLM(model, tok, micro_batch=self._micro_batch(device),
                                     max_batch_tokens=self._batch_tokens(device), reuse_prefix=self.reuse_prefix)
        elif self.kind_ == "encoder":
            self.backend_ = Encoder(model, tok, micro_batch=2 * self._micro_batch(model_device(model)))
        else:
            self.backend_ = TextFunction(model)
        self._check_value()
        self.value_ = self._resolved_value()

    def _resolved_value(self):
        if callable(self.value) or self.value != "auto":
            return self.value
        return {"causal": "logprob", "encoder": "cosine", "callable": "output"}[self.kind_]

    def _check_value(self) -> None:
        value = self._resolved_value()
        if callable(value):
            return
        fits = {"causal": ("logprob", "logit_prob", "margin"), "encoder": ("cosine",), "callable": ("output", "cosine")}[self.kind_]
        if value not in fits:
            raise ValueError(f"value={value!r} does not fit a {self.kind_} model; use one of {', '.join(fits)}")

    @property
    def tokenizer_(self):
        return getattr(self.load().backend_, "tokenizer", None)

    # ------------------------------------------------------------------ prompt
    def _split_template(self, template: str | None, for_causal: bool) -> tuple[str, str]:
        """(prefix, suffix) strings around the text, with the chat template applied."""
        if template is None:
            template = "{text}"
        if not isinstance(template, str) or template.count("{text}") != 1:
            raise ValueError(f"template must contain '{{text}}' exactly once, got {template!r}")
        filled = template.replace("{text}", _SENTINEL)
        tok = self.tokenizer_ if for_causal else None
        use_chat = for_causal and (self.chat is True or (self.chat == "auto" and getattr(tok, "chat_template", None)))
        if use_chat:
            if not getattr(tok, "chat_template", None):
                raise ValueError("chat=True but the tokenizer has no chat template")
            filled = tok.apply_chat_template([{"role": "user", "content": filled}], add_generation_prompt=True,
                                             tokenize=False)
        prefix, suffix = filled.split(_SENTINEL)
        return prefix, suffix

    def game(self, text, template: str | None = None, fixed: Sequence[str] | None = None, *,
             labels: Sequence[str] | None = None, answer: str | None = None,
             question: str | None = None) -> spexkit.Game:
        """The Game of one prompt: players are the maskable segments of ``text``.

        Parameters
        ----------
        text : the prompt text (or a list of segments), e.g. a context to attribute.
        template : ``"...{text}..."``; the rest of the template is never masked (chat models
            get their chat template around it). With ``question``, it may also hold
            ``{question}``; the default is then :data:`CONTEXT_TEMPLATE`.
        fixed : substrings of ``text`` that are never masked.
        labels : label words of ``value="margin"`` (overrides the lens's).
        answer : the answer scored by ``value="logprob"`` / ``"logit_prob"`` (default: the
            model's greedy answer on the full prompt).
        question : a question about the text (context attribution), never masked.

        Examples
        --------
        >>> lens = FeatureLens(model=lambda texts: [t.count("Paris") for t in texts], segmentation="sentences")
        >>> game = lens.game("Ann lives in Paris. Bo likes tea.", question="Where does Ann live?")
        >>> game.labels
        ['Ann lives in Paris.', 'Bo likes tea.']
        """
        check_text(text)  # an empty or ill-typed prompt is refused before the model loads
        if answer is not None and not isinstance(answer, str):
            raise TypeError(f"answer must be a string, got {type(answer).__name__}")
        if question is not None:
            if not isinstance(question, str) or not question.strip():
                raise ValueError(f"question must be a non-empty string, got {question!r}")
            if "{text}" in question:
                raise ValueError(f"the question holds '{{text}}', which marks where the text goes in a template: "
                                 f"reword the question ({question!r})")
            template = CONTEXT_TEMPLATE if template is None else template
            if "{question}" not in template:
                raise ValueError(f"a template used with question= must contain '{{question}}', got {template!r}")
            template = template.replace("{question}", question)
        elif template is not None and "{question}" in template:
            raise ValueError("the template holds '{question}' but no question was given: pass question=...")
        backend = self.load().backend_
        tok = getattr(backend, "tokenizer", None)
        seg = segment(text, self.segmentation, fixed=fixed, tokenizer=tok, masking=self.masking,
                      placeholder=self.placeholder)
        value = self._resolved_value()
        self._warn_unread(value, answer=answer, labels=labels)
        prefix, suffix = self._split_template(template, self.kind_ == "causal")
        info = {"lens": "features", "model": self.model_id_, "value": value if isinstance(value, str) else
                callable_identity(value), "masking": self.masking, "placeholder": self.placeholder,
                "text": seg.text, "spans": seg.spans, "players": seg.players, "prefix": prefix, "suffix": suffix}
        if self.kind_ == "causal":
            fn, extra = self._causal_value(backend, seg, prefix, suffix, value, labels, answer)
        else:
            fn, extra = self._text_value(backend, seg, prefix, suffix, value)
        info.update(extra)
        stable = info["model"] is not None and info["value"] is not None
        fingerprint = ("features:" + hashlib.sha256(json.dumps(info, sort_keys=True, default=str).encode())
                       .hexdigest()) if stable else None
        micro = getattr(backend, "micro_batch", 16)
        # info: the segments (to render masked prompts), the full prompt, and what the value
        # reads (answer ids, label ids, token counts).
        return spexkit.Game(fn, n_players=seg.n_players, labels=seg.labels, keep=self.keep,
                            batch_size=4 * micro, fingerprint=fingerprint,
                            info={"segments": seg, "prompt": prefix + seg.text + suffix, **extra})

    def _warn_unread(self, value, *, answer, labels) -> None:
        """Warn about arguments of :meth:`game` that this lens's value does not read."""
        shown = repr(value) if isinstance(value, str) else "a function"
        if answer is not None and value not in ("logprob", "logit_prob"):
            warnings.warn(f"answer= is read only by value='logprob' or 'logit_prob' of a causal LM; this lens's "
                          f"value is {shown} ({self.kind_} model), so the answer is ignored", stacklevel=3)
        if labels is not None and value != "margin":
            warnings.warn(f"labels= is read only by value='margin' of a causal LM; this lens's value is {shown} "
                          f"({self.kind_} model), so the labels are ignored", stacklevel=3)

    def _causal_value(self, lm: CausalLM, seg, prefix: str, suffix: str, value, labels, answer):
        # A space before the text belongs to the text's first token (as it would in one string).
        stripped = prefix.rstrip(" ")
        lead, prefix = prefix[len(stripped):], stripped
        prefix_ids = lm.encode(prefix, special=self.chat is False or not getattr(lm.tokenizer, "chat_template", None))
        if not prefix_ids:  # something to condition on when the whole text is masked
            start = lm.tokenizer.bos_token_id if lm.tokenizer.bos_token_id is not None else lm.tokenizer.eos_token_id
            prefix_ids = [int(start)] if start is not None else []
        kv_holder: dict = {}

        def bodies_of(texts):
            return lm.encode_many([lead + t + suffix for t in texts])

        def kv():
            if "kv" not in kv_holder:
                kv_holder["kv"] = lm.prefix_cache(prefix_ids)
            return kv_holder["kv"]

        full_body = bodies_of([seg.text])[0]
        vocab = lm.vocab_size
        if vocab is not None and max(prefix_ids + full_body, default=0) >= vocab:
            raise ValueError(f"the tokenizer gives token id {max(prefix_ids + full_body)}, but the model's vocabulary "
                             f"has {vocab} tokens: pass the tokenizer that belongs to this model")
        extra: dict = {"prefix_tokens": len(prefix_ids), "full_tokens": len(prefix_ids) + len(full_body)}
        scored = value in ("logprob", "logit_prob")
        ans = lm.encode(answer) if scored and answer is not None else []
        if scored and answer is not None and not ans:
            raise ValueError(f"answer {answer!r} is empty: it has no tokens")
        _refuse_unknown_tokens(lm, ans, f"answer {answer!r} holds a word the tokenizer does not know",
                               "the score would be that of the unknown token")
        # Checked before any model call: the full prompt plus the answer it reads must fit.
        needed = extra["full_tokens"] + (max(len(ans), int(self.answer_tokens)) if scored else 0)
        if lm.window is not None and needed > lm.window:
            raise ValueError(f"the prompt is {extra['full_tokens']} tokens (with the answer, {needed}); the model's "
                             f"context window is {lm.window} tokens: shorten the text or the template")
        if scored:
            if not ans:
                ans = lm.greedy(prefix_ids, full_body, int(self.answer_tokens))
            extra.update(answer=lm.tokenizer.decode(ans), answer_ids=ans)
            ans_t = None

            def fn(masks):
                nonlocal ans_t
                import torch

                bodies = [b + ans[:-1] for b in bodies_of(seg.render_many(masks))]
                logits = lm.last_logits(prefix_ids, bodies, keep=len(ans), kv=kv())
                if ans_t is None:
                    ans_t = torch.tensor(ans, device=logits.device)
                logp = torch.log_softmax(logits, dim=-1)
                total = logp.gather(2, ans_t.expand(logits.shape[0], -1).unsqueeze(-1)).sum((1, 2)).double()
                if value == "logit_prob":
                    return log_odds(total).cpu().numpy()
                return total.cpu().numpy()
        elif value == "margin":
            words = labels if labels is not None else self.labels
            if isinstance(words, (str, set, frozenset)) or words is not None and not all(isinstance(w, str)
                                                                                        for w in words):
                raise TypeError(f"labels must be two strings in a list or tuple, e.g. ('positive', 'negative'); "
                                f"got {words!r}")
            if words is None or len(words) != 2:
                raise ValueError(f"value='margin' needs two label words, e.g. labels=('positive', 'negative'); "
                                 f"got {words!r}")
            space = not (prefix + lead + seg.text + suffix)[-1:].isspace()
            ids = [self._label_token(lm, w, space) for w in words]
            if ids[0] == ids[1]:
                raise ValueError(f"the label words {tuple(words)} start with the same token; choose other words")
            extra.update(labels=list(words), label_ids=ids)

            def fn(masks):
                logits = lm.last_logits(prefix_ids, bodies_of(seg.render_many(masks)), keep=1, kv=kv())[:, -1]
                return (logits[:, ids[0]] - logits[:, ids[1]]).cpu().numpy()
        else:
            user = value
            if _required_positional(user) > 1:
                raise TypeError("a causal LM's value function takes one argument, the next-token logits "
                                "(batch, vocab), and returns (batch,); this one needs more (encoders and callables "
                                "take fn(outputs, full_output))")

            def fn(masks):
                logits = lm.last_logits(prefix_ids, bodies_of(seg.render_many(masks)), keep=1, kv=kv())[:, -1]
                out = user(logits)
                return out.detach().cpu().numpy() if hasattr(out, "detach") else np.asarray(out)
        return fn, extra

    @staticmethod
    def _label_token(lm: CausalLM, word: str, space: bool) -> int:
        ids = lm.encode((" " if space else "") + word)
        _refuse_unknown_tokens(lm, ids, f"label word {word!r} is not in the tokenizer's vocabulary",
                               "choose another word")
        # Skip a lone-space token some tokenizers emit first.
        for k, i in enumerate(ids):
            if lm.tokenizer.decode([i]).strip():
                if len(ids) > k + 1:
                    warnings.warn(f"label word {word!r} is {len(ids) - k} tokens; the margin reads only its first, "
                                  f"{lm.tokenizer.decode([i])!r}", UserWarning, stacklevel=4)
                return int(i)
        raise ValueError(f"label word {word!r} has no token")

    def _text_value(self, backend, seg, prefix: str, suffix: str, value):
        def texts_of(masks):
            return [prefix + t + suffix for t in seg.render_many(masks)]

        if isinstance(backend, Encoder):
            backend.check_fits(prefix + seg.text + suffix)  # before any model call
        run = backend.embed if isinstance(backend, Encoder) else backend
        full = run([prefix + seg.text + suffix])[0]
        if not callable(value) and value == "output" and np.ndim(full) != 0:
            raise ValueError("value='output' needs the callable to return one number per string; "
                             "it returns vectors: use value='cosine'")
        if not callable(value) and value == "cosine" and np.ndim(full) != 1:
            raise ValueError("value='cosine' needs one vector per string; the model returns one number per "
                             "string: use value='output'")

        def fn(masks):
            out = run(texts_of(masks))
            if callable(value):
                return np.asarray(value(out, full), dtype=np.float64)
            return out if value == "output" else cosine(out, full)

        return fn, {}

    # ------------------------------------------------------------------ widget
    def widget(self, text: str | None = None, template: str | None = None, **options):
        """The interactive explorer, a :class:`~lenses.features.widget.FeatureWidget`."""
        from .widget import FeatureWidget

        return FeatureWidget(self, text=text, template=template, **options)


def _refuse_unknown_tokens(lm: CausalLM, ids: list[int], problem: str, advice: str) -> None:
    """A word the tokenizer maps to its unknown token would be scored as that token, silently."""
    unk = getattr(lm.tokenizer, "unk_token_id", None)
    if unk is not None and unk in ids:
        raise ValueError(f"{problem} (it maps to {lm.tokenizer.unk_token!r}): {advice}")
