"""The ground-truth model: a 2-layer attention-only transformer trained on induction.

Without LayerNorm and MLPs, predicting the second copy of a repeated random sequence takes
two heads in series: a *previous-token head* in layer 0 writes "the token before me was B"
into each position, and an *induction head* in layer 1 uses it to attend from the current
token A to the token that followed the earlier A. Neither head does anything for the metric
alone, so the circuit is a second-order AND (a Möbius pair term, docs/design.md section 3) that
no first-order attribution shows. ``train_induction.py`` makes the shipped weights.

The model is a TransformerLens-native ``TransformerBridge`` (``TransformerBridge.boot_native``,
TransformerLens 3.9 and 4), and the weights file holds the bridge's own state-dict keys
(``embed.weight``, ``blocks.0.attn.q.weight``...).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spexkit.validation import check_random_state

#: where ``train_induction.py`` writes the weights and ``induction_model()`` reads them
WEIGHTS = Path(__file__).with_name("induction_model.safetensors")

#: token 0 opens every sequence; the others are drawn uniformly
BOS = 0

#: the architecture of the shipped model (keyword arguments of ``TransformerBridgeConfig``)
CONFIG = dict(
    n_layers=2,
    n_heads=4,
    d_model=64,
    d_head=16,
    d_vocab=64,
    n_ctx=32,
    attn_only=True,
    normalization_type=None,
    positional_embedding_type="standard",
    model_name="spexkit-induction-2l",
)


def induction_tokens(n_prompts: int = 32, seq_len: int = 32, *, d_vocab: int = CONFIG["d_vocab"],
                     seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Repeated random token sequences with varying offsets.

    Each row is ``[BOS, o random tokens, A, A]`` with a random sequence ``A`` of length
    ``T = (seq_len - 1 - o) / 2``; the offset ``o`` varies over the rows, so the repeat starts
    at different positions. Every row ends on the last token of the second copy, which only
    induction can predict.

    Parameters
    ----------
    n_prompts, seq_len : int
        Shape of the batch; ``seq_len`` is at least 6.
    d_vocab : int
        Tokens are drawn from ``1 .. d_vocab - 1`` (0 is BOS).
    seed : int or numpy.random.Generator

    Returns
    -------
    tokens : int64 array (n_prompts, seq_len)
    repeated : bool array (n_prompts, seq_len)
        True where a token is predictable by induction (the second copy after its first token).

    Examples
    --------
    >>> tokens, repeated = induction_tokens(2, 12, seed=0)
    >>> tokens.shape, bool(repeated[:, -1].all())
    ((2, 12), True)
    >>> row = tokens[0]; T = int(repeated[0].sum()) + 1
    >>> bool((row[-T:] == row[-2 * T:-T]).all())
    True
    """
    rng = check_random_state(seed)
    if seq_len < 6:
        raise ValueError(f"seq_len must be at least 6, got {seq_len}")
    # o has the parity of seq_len - 1 so that the two copies fill the rest exactly
    offsets = np.arange((seq_len - 1) % 2, min(10, seq_len - 5), 2)
    tokens = np.empty((n_prompts, seq_len), dtype=np.int64)
    repeated = np.zeros((n_prompts, seq_len), dtype=bool)
    for row in range(n_prompts):
        o = int(rng.choice(offsets))
        t = (seq_len - 1 - o) // 2
        a = rng.integers(1, d_vocab, size=t)
        tokens[row] = np.concatenate([[BOS], rng.integers(1, d_vocab, size=o), a, a])
        repeated[row, 1 + o + t + 1:] = True
    return tokens, repeated


def make_induction_model(seed: int = 0):
    """An untrained ``TransformerBridge`` with the shipped architecture (random weights from ``seed``)."""
    import torch

    from .loading import _require_bridge

    TransformerBridge = _require_bridge()
    from transformer_lens.config import TransformerBridgeConfig

    cfg = TransformerBridgeConfig(**CONFIG, seed=seed, device="cpu")
    return TransformerBridge.boot_native(cfg, device="cpu", dtype=torch.float32, model_name=CONFIG["model_name"])


def induction_model(n_prompts: int = 32, seed: int = 0):
    """The shipped 2-layer induction model and a batch of induction prompts.

    Parameters
    ----------
    n_prompts : int
        Rows of the returned prompt batch (see :func:`induction_tokens`).
    seed : int
        Seed of the prompts.

    Returns
    -------
    model : transformer_lens TransformerBridge
        A TransformerLens-native bridge (``boot_native``), in eval mode, on the CPU.
    tokens : torch.LongTensor (n_prompts, 32)
        Each row ends on a token that only induction predicts, so the default metric of
        :class:`~lenses.heads.HeadLens` (log-prob of the last token) measures induction.

    Examples
    --------
    >>> model, tokens = induction_model()
    >>> model.cfg.n_layers, model.cfg.n_heads, tuple(tokens.shape)
    (2, 4, (32, 32))
    """
    import torch
    from safetensors.torch import load_file

    if not WEIGHTS.is_file():
        raise FileNotFoundError(f"{WEIGHTS} is missing: run python -m lenses.heads.train_induction")
    model = make_induction_model()
    state = load_file(str(WEIGHTS))
    expected = set(model.state_dict())
    if set(state) != expected:
        raise ValueError(f"{WEIGHTS} does not fit the architecture (TransformerBridge keys): missing "
                         f"{sorted(expected - set(state))}, unexpected {sorted(set(state) - expected)}; "
                         "retrain it with python -m lenses.heads.train_induction")
    model.load_state_dict(state, strict=True)
    model.eval()
    tokens, _ = induction_tokens(n_prompts, CONFIG["n_ctx"], seed=seed)
    return model, torch.from_numpy(tokens)


def repeated_tokens(model, n_prompts: int = 1, length: int = 20, *, seed=0):
    """Induction prompts for any model: ``[BOS, A, A]`` with ``A`` random tokens of ``length``.

    Token ids are drawn above the first 100 (where tokenizers keep their special tokens);
    BOS is the tokenizer's when it has one, else 0.

    Examples
    --------
    >>> model, _ = induction_model()
    >>> tuple(repeated_tokens(model, 2, 5).shape)
    (2, 11)
    """
    import torch

    rng = check_random_state(seed)
    vocab = int(model.cfg.d_vocab)
    low = 100 if vocab > 1000 else 1
    bos = getattr(getattr(model, "tokenizer", None), "bos_token_id", None)
    bos = 0 if bos is None else int(bos)
    a = rng.integers(low, vocab, size=(n_prompts, length))
    rows = np.concatenate([np.full((n_prompts, 1), bos), a, a], axis=1)
    return torch.from_numpy(rows.astype(np.int64))
