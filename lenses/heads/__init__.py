"""The heads lens: which attention heads, and which pairs of them, drive a model's output.

Players are attention heads of a TransformerLens model; a mask silences the removed heads
through hooks on ``blocks.{l}.attn.hook_z`` (zero, mean or resample ablation), many masks
per forward pass. ``induction_model()`` is a ground truth: a 2-layer attention-only model
whose induction circuit is a previous-token head AND an induction head.
"""

from .induction import induction_model, induction_tokens
from .lens import HeadLens, head_label

__all__ = ["HeadLens", "induction_model", "induction_tokens", "head_label"]
