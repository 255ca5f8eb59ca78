"""HeadLens: attention heads as players, silenced through TransformerLens hooks."""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

from spexkit.game import Game
from spexkit.identity import model_identity
from spexkit.lens import Lens, renamed_keyword
from spexkit.validation import check_positive_int, check_probability, check_seed

from .ablation import ablated_logits, mlp_hook_name, check_ablation, check_hooked_model, replacements
from .metrics import METRICS, as_index, check_answers, get_metric, target_positions

_LABEL = re.compile(r"^L(\d+)(?:H(\d+)|(MLP))$")

#: logits held in memory by one forward pass (floats); sets the default masks per forward
_LOGIT_BUDGET = 2**26


COMPONENTS = ("heads", "mlps", "heads+mlps")
MLP = "MLP"  # the second entry of an MLP player: (layer, "MLP")


def head_label(layer: int, head) -> str:
    """``"L{layer}H{head}"`` for a head, ``"L{layer}MLP"`` for a layer's MLP (``head="MLP"``).

    >>> head_label(3, 5), head_label(3, "MLP")
    ('L3H5', 'L3MLP')
    """
    return f"L{layer}MLP" if head == MLP else f"L{layer}H{head}"


def _player_order(player) -> tuple:
    layer, unit = player
    return (layer, 1, 0) if unit == MLP else (layer, 0, unit)


_TOKENS_ARE = "tokens must be token ids (n_prompts, seq), a string or a list of strings"


class HeadLens(Lens):
    """Players are attention heads (and MLP layers); removing one replaces its output.

    A head's output is replaced in ``blocks.{l}.attn.hook_z``, an MLP's in
    ``blocks.{l}.hook_mlp_out``, all masks of a batch in one forward pass.

    Parameters
    ----------
    model : str, path, transformers model, TransformerBridge or HookedTransformer
        ``"smollm2"`` (SmolLM2-135M-Instruct, offline), a local Hugging Face folder of a causal
        LM, or a transformers causal LM object (or a ``(model, tokenizer)`` pair): booted
        through TransformerLens's ``TransformerBridge``, unprocessed, so values match the
        Hugging Face model. A ``TransformerBridge`` you booted, or a ``HookedTransformer``
        (TransformerLens 3.9), is used as it is. See ``lenses.heads.loading``.
    ablation : {"mean", "zero", "resample"}
        What a removed head outputs: the mean of its output over a reference batch (per
        position), zeros, or its output on another reference prompt (a fixed pairing).
    value : {"logprob", "logit_diff", "loss", "accuracy"} or callable, default "logprob"
        The value read from the logits, averaged over the prompts. A callable takes
        ``(logits, tokens)`` of shapes (rows, seq, vocab) and (rows, seq) and returns one
        value per row. See :func:`lenses.heads.metrics.get_metric`.
    keep : float, optional
        Probability that sampling methods keep a head. Default: 0.9 for games of more than
        32 heads (ablating half the heads of a real LLM destroys it), else 0.5.
    batch_size : int, optional
        Masks evaluated in one forward pass (the prompts are repeated once per mask).
        Default: as many as fit about 256 MB of logits, at most 64.
    device : str, optional
        Where a model loaded by name goes (``"auto"``: the GPU when there is one); a model
        passed in is moved there. Default: CPU for names, the model's device otherwise.
    seed : int
        Fixes the pairing of prompts with reference prompts in resample ablation.
    components : {"heads", "mlps", "heads+mlps"}
        Which components are players: attention heads (``"L3H5"``), MLP layers
        (``"L3MLP"``), or both. An MLP is ablated like a head (zero, mean or resample).
    metric : deprecated name of ``value``.

    Attributes
    ----------
    model_ : the TransformerLens model, set by :meth:`load` (on first use).
    model_id_ : digest of the model's weights, the model's part of the games' fingerprints.

    Examples
    --------
    >>> import spexkit
    >>> from lenses.heads import HeadLens, induction_model
    >>> model, tokens = induction_model()
    >>> lens = HeadLens(model, ablation="mean", value="logprob")
    >>> game = lens.game(tokens)
    >>> game.n_players, game.labels[:3]
    (8, ['L0H0', 'L0H1', 'L0H2'])
    >>> full = lens.evaluate(game, removed=[])
    >>> broken = lens.evaluate(game, removed=[game.labels.index("L0H1")])
    >>> bool(full > broken + 1.0)  # the previous-token head carries induction
    True
    """

    name = "heads"

    def __init__(self, model="smollm2", ablation: str = "mean", value=None, *,
                 keep: float | None = None, batch_size: int | None = None, device: str | None = None,
                 seed: int = 0, components: str = "heads", metric=None) -> None:
        self.model = model
        self.ablation = ablation
        # ``metric`` was this lens's name for what every lens calls ``value``.
        self.value = renamed_keyword("metric", "value", metric, value, default="logprob",
                                     owner="HeadLens")
        self.metric = None
        self.keep = keep
        self.batch_size = batch_size
        self.device = device
        self.seed = seed
        self.components = components
        check_ablation(ablation)
        if not callable(self.value) and self.value not in METRICS:
            raise ValueError(f"unknown value {self.value!r}; use one of {', '.join(METRICS)} or a callable "
                             "(logits, tokens) -> Tensor (rows,)")
        if keep is not None:
            check_probability(keep, "keep")
        if components not in COMPONENTS:
            raise ValueError(f"unknown components {components!r}; choose one of {', '.join(COMPONENTS)}")
        if batch_size is not None:
            check_positive_int(batch_size, "batch_size")

    # ------------------------------------------------------------------ model
    def _load(self) -> None:
        """Boot the model (or check a given one) and digest its weights."""
        from .loading import load_model

        if check_seed(self.seed) is None:
            raise ValueError("HeadLens needs an int seed (got None): resample ablation draws its rows with it")
        model = load_model(self.model, device=self.device)
        check_hooked_model(model)
        self.model_ = model
        self.model_id_ = model_identity(model)

    # ------------------------------------------------------------------ inputs
    def _tokens(self, tokens):
        import torch

        if (isinstance(tokens, str) and not tokens.strip()) or (isinstance(tokens, (list, tuple)) and (
                not tokens or any(isinstance(t, str) and not t.strip() for t in tokens))):
            raise ValueError(f"the prompts are empty ({tokens!r}): give one or more prompts of at least 2 tokens")
        model = self.load().model_  # after the checks that need no model
        if tokens is None:
            raise TypeError(f"{_TOKENS_ARE}; got None")
        if isinstance(tokens, str) or (isinstance(tokens, (list, tuple)) and tokens and isinstance(tokens[0], str)):
            texts = [tokens] if isinstance(tokens, str) else list(tokens)
            if not all(isinstance(t, str) for t in texts):
                raise TypeError(f"{_TOKENS_ARE}; got a list mixing strings and other things")
            if getattr(model, "tokenizer", None) is None:
                raise ValueError("this model has no tokenizer, so prompts cannot be given as text: pass token ids, "
                                 "a tensor or array of shape (n_prompts, seq)")
            lengths = {int(model.to_tokens(t).shape[1]) for t in texts}
            if len(lengths) > 1:
                raise ValueError(f"the prompts tokenize to different lengths {sorted(lengths)}; pass prompts of "
                                 "equal length in tokens, or a token tensor")
            tokens = model.to_tokens(texts)
        elif isinstance(tokens, (list, tuple)) and tokens and np.ndim(tokens[0]) >= 1:
            lengths = {len(row) for row in tokens}
            if len(lengths) > 1:
                raise ValueError(f"the prompts have different lengths in tokens {sorted(lengths)}; pass prompts of "
                                 "equal length (every mask is evaluated on the whole batch, position by position)")
            tokens = [row.tolist() if hasattr(row, "tolist") else list(row) for row in tokens]
        try:
            t = torch.as_tensor(np.asarray(tokens) if not torch.is_tensor(tokens) else tokens)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(f"{_TOKENS_ARE}; got {type(tokens).__name__} {tokens!r:.60}") from exc
        if t.ndim == 1:
            t = t[None, :]
        if t.ndim != 2 or t.shape[1] < 2 or t.shape[0] < 1:
            raise ValueError(f"tokens must be (n_prompts, seq) with seq >= 2, got shape {tuple(t.shape)}")
        if t.dtype.is_floating_point or t.dtype == torch.bool:
            raise TypeError(f"tokens must be integer token ids, got {t.dtype}")
        vocab = model.cfg.d_vocab
        if int(t.min()) < 0 or int(t.max()) >= vocab:
            raise ValueError(f"token ids must lie in [0, {vocab - 1}], got [{int(t.min())}, {int(t.max())}]")
        if t.shape[1] > model.cfg.n_ctx:
            raise ValueError(f"prompts have {t.shape[1]} tokens, more than the model's context {model.cfg.n_ctx}")
        return t.long().to(model.cfg.device)

    def players(self, layers=None, heads=None) -> list[tuple]:
        """The players for a choice of layers or of components.

        ``heads``: (layer, head) pairs, (layer, "MLP") or labels like ``"L1H3"`` and
        ``"L1MLP"``; ``layers``: ints, whose heads and/or MLPs (as ``components`` says) are
        players. At most one of the two; neither means every layer.

        Examples
        --------
        >>> from lenses.heads import HeadLens, induction_model
        >>> HeadLens(induction_model()[0]).players(heads=["L1H3", (0, 2)])
        [(0, 2), (1, 3)]
        >>> HeadLens("smollm2", components="heads+mlps").players(layers=[3])[-2:]
        [(3, 8), (3, 'MLP')]
        """
        cfg = self.load().model_.cfg
        if layers is not None and heads is not None:
            raise ValueError("choose players by layers or by heads, not both")
        hint = (f"labels like 'L3H5' or 'L3MLP', with layers 0 .. {cfg.n_layers - 1} and heads "
                f"0 .. {cfg.n_heads - 1}")
        if heads is not None:
            out = set()
            for h in [heads] if isinstance(heads, str) else heads:
                if isinstance(h, str):
                    m = _LABEL.match(h)
                    if not m:
                        raise ValueError(f"unknown component {h!r}: use {hint}")
                    h = (int(m[1]), MLP if m[3] else int(m[2]))
                elif np.ndim(h) != 1 or len(h) != 2:
                    raise ValueError(f"unknown component {h!r}: give (layer, head) or (layer, 'MLP') pairs, or {hint}")
                layer = self._check_layer(h[0])
                if isinstance(h[1], str) and h[1] == MLP:
                    out.add((layer, MLP))
                    continue
                head = as_index(h[1])
                if head is None or not 0 <= head < cfg.n_heads:
                    raise ValueError(f"head {h[1]!r} out of range: layer {layer} has heads 0 .. {cfg.n_heads - 1}")
                out.add((layer, head))
            if not out:
                raise ValueError("heads is empty")
            self._check_mlps(out)
            return sorted(out, key=_player_order)
        if layers is None:
            layers = range(cfg.n_layers)
        elif isinstance(layers, (int, np.integer)):
            layers = [layers]
        chosen = sorted({self._check_layer(l) for l in layers})
        if not chosen:
            raise ValueError("layers is empty")
        units = ([h for h in range(cfg.n_heads)] if "heads" in self.components else []) + \
            ([MLP] if "mlps" in self.components else [])
        players = [(l, u) for l in chosen for u in units]
        self._check_mlps(players)
        return players

    def _check_mlps(self, players) -> None:
        model = self.model_
        missing = [l for l, u in players if u == MLP and mlp_hook_name(l) not in model.hook_dict]
        if missing:
            raise ValueError(f"the model has no MLP output hook in layer(s) {missing} ({mlp_hook_name(missing[0])}): "
                             f"an attention-only model has heads only; use components='heads'")

    def _check_layer(self, layer) -> int:
        n = self.load().model_.cfg.n_layers
        index = as_index(layer)
        if index is None or not 0 <= index < n:
            raise ValueError(f"unknown layer {layer!r}: the model has layers 0 .. {n - 1}")
        return index

    # ------------------------------------------------------------------ game
    def game(self, tokens, layers=None, *, heads=None, positions=None, answers=None, reference=None) -> Game:
        """The Game whose players are the chosen components (True in a mask = the component runs).

        Parameters
        ----------
        tokens : LongTensor or array (n_prompts, seq), or str / list of str
            The prompt batch; every mask is evaluated on all of it and the metric averaged.
        layers : int or sequence of int, optional
            Every head of these layers is a player (default: all layers).
        heads : sequence of (layer, head), (layer, "MLP") or labels, optional
            Exactly these components are players (instead of ``layers``), e.g.
            ``["L0H1", "L1MLP"]``.
        positions : "last", "all", int or sequence of int, optional
            Tokens scored by ``"logprob"`` / ``"accuracy"``: each is predicted from the
            tokens before it (default: the last token).
        answers : (correct, wrong), optional
            Token ids or strings for ``value="logit_diff"``.
        reference : tokens, optional
            Reference batch for mean and resample ablation (default: the prompts).

        Returns
        -------
        spexkit.Game
            Labels ``"L{layer}H{head}"`` and ``"L{layer}MLP"``; ``info["players"]`` holds
            (layer, head) and (layer, "MLP"); a fingerprint of the model weights, prompts and
            settings keys the on-disk cache.
        """
        import torch

        model = self.load().model_
        toks = self._tokens(tokens)
        players = self.players(layers, heads)
        is_mlp = np.array([u == MLP for _, u in players])
        head_players = [p for p in players if p[1] != MLP]
        layer_list = sorted({l for l, _ in head_players})
        col = {l: j for j, l in enumerate(layer_list)}
        rows = np.array([col[l] for l, _ in head_players], dtype=np.int64)
        cols = np.array([h for _, h in head_players], dtype=np.int64)
        mlp_layers = [l for l, u in players if u == MLP]
        n_prompts, seq = toks.shape
        ref = None if reference is None else self._tokens(reference)
        to_token = None  # answers given as text are then refused by name (TransformerLens would assert)
        if answers is not None and getattr(model, "tokenizer", None) is not None:
            def to_token(s):
                ids = model.to_tokens(s, prepend_bos=False).reshape(-1)
                if ids.numel() != 1:  # TransformerLens's own check is a bare assert
                    raise ValueError(f"answer {s!r} is {ids.numel()} tokens for this model; give one-token "
                                     "answers (often with a leading space, e.g. ' Mary') or token ids")
                return int(ids[0])
        answer_ids = check_answers(answers, n_prompts, to_token, d_vocab=model.cfg.d_vocab)
        metric = get_metric(self.value, seq=seq, positions=positions, answers=answer_ids)
        with torch.inference_mode():
            repl = replacements(model, toks, layer_list, self.ablation, ref, seed=self.seed)
            mlp_repl = replacements(model, toks, mlp_layers, self.ablation, ref, seed=self.seed,
                                    hook=mlp_hook_name) if mlp_layers else None
        per_forward = self.batch_size or max(1, min(64, _LOGIT_BUDGET // (n_prompts * seq * model.cfg.d_vocab)))
        n_heads = model.cfg.n_heads

        def value(masks: np.ndarray) -> np.ndarray:
            masks = np.asarray(masks, dtype=bool)
            out = np.empty(masks.shape[0])
            with torch.inference_mode():
                for start in range(0, masks.shape[0], per_forward):
                    chunk = masks[start:start + per_forward]
                    keep = np.ones((chunk.shape[0], len(layer_list), n_heads), dtype=bool)
                    keep[:, rows, cols] = chunk[:, ~is_mlp]
                    logits = ablated_logits(model, toks, keep, layer_list, repl, mlp_keep=chunk[:, is_mlp],
                                            mlp_layers=mlp_layers, mlp_replacement=mlp_repl)
                    rep = toks.repeat(chunk.shape[0], 1)
                    vals = _metric_rows(metric(logits, rep), chunk.shape[0] * n_prompts)
                    out[start:start + chunk.shape[0]] = vals.reshape(chunk.shape[0], n_prompts).mean(1).cpu().numpy()
            return out

        keep_p = self.keep if self.keep is not None else (0.9 if len(players) > 32 else 0.5)
        settings = repr((self.ablation, self.value if isinstance(self.value, str) else
                         getattr(self.value, "__qualname__", repr(self.value)), target_positions(positions, seq),
                         answer_ids,
                         self.seed, players))
        h = hashlib.blake2b(digest_size=16)
        for part in (toks, ref):
            if part is not None:
                h.update(part.cpu().numpy().tobytes())
        h.update(settings.encode())
        fingerprint = f"heads|{self.model_id_}|{h.hexdigest()}"
        # info["players"]: (layer, head) or (layer, "MLP") of each player, for plots and widgets
        return Game(value, len(players), labels=[head_label(l, hd) for l, hd in players], keep=keep_p,
                    fingerprint=fingerprint, info={"players": players})

    def evaluate(self, game: Game, removed: Sequence[int] = ()) -> float:
        """The value with exactly the components ``removed`` (player indices) ablated.

        Runs the model (no surrogate, no cache).
        """
        return game.value_of(removed)

    def widget(self, tokens=None, **kwargs):
        """The interactive explorer, a :class:`~lenses.heads.widget.HeadWidget`."""
        from .widget import HeadWidget

        return HeadWidget(self, tokens, **kwargs)


def _metric_rows(vals, rows: int):
    """The value function's output as float64 (rows,), or an error naming what it returned."""
    import torch

    try:
        vals = torch.as_tensor(vals)
    except (TypeError, RuntimeError, ValueError) as exc:
        raise TypeError(f"the value function must return a tensor of one number per row, shape ({rows},); "
                        f"got {type(vals).__name__}") from exc
    if tuple(vals.shape) != (rows,):
        raise ValueError(f"the value function must return one number per row (the batch of ablated prompts), "
                         f"shape ({rows},); got shape {tuple(vals.shape)}")
    return vals.double()
