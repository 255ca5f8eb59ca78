"""Prompt segmentation and masking: which parts of a text are players, and the text a mask leaves.

A text is cut into *segments* (character spans). Segments that overlap a ``fixed`` substring
are never masked; every other segment is a player. The characters between segments (the
*glue*: spaces, newlines) stay as they are, except that removing a segment also removes the
glue in front of it, so ``"a good film"`` without ``good`` reads ``"a film"``, not ``"a  film"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from numbers import Integral
from typing import Callable, Sequence

import numpy as np

SEGMENTATIONS = ("words", "sentences", "tokens")
MASKINGS = ("remove", "placeholder")

_WORD = re.compile(r"\S+")
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")


def word_spans(text: str) -> list[tuple[int, int]]:
    """Spans of whitespace-separated words (punctuation stays with its word).

    >>> word_spans("A good, long film.")
    [(0, 1), (2, 7), (8, 12), (13, 18)]
    """
    return [m.span() for m in _WORD.finditer(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of sentences: up to and including ``.``, ``!``, ``?`` runs or a line break.

    >>> text = "Great cast. Weak plot! Why?"
    >>> [text[a:b] for a, b in sentence_spans(text)]
    ['Great cast.', 'Weak plot!', 'Why?']
    """
    spans = []
    for m in _SENTENCE.finditer(text):
        a, b = m.span()
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            spans.append((a, b))
    return spans


def token_spans(text: str, tokenizer) -> list[tuple[int, int]]:
    """Spans of the model's tokens (leading whitespace left out), from the tokenizer's offsets."""
    if tokenizer is None or not getattr(tokenizer, "is_fast", False):
        raise ValueError("segmentation='tokens' needs a model with a fast (Rust) tokenizer")
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    spans = []
    for a, b in enc["offset_mapping"]:
        while a < b and text[a].isspace():
            a += 1
        if b > a and (not spans or a >= spans[-1][1]):
            spans.append((a, b))
    return spans


def spans_of_substrings(text: str, parts: Sequence[str], what: str) -> list[tuple[int, int]]:
    """Locate each substring in ``text``, in order, each after the previous one."""
    spans, start = [], 0
    for part in parts:
        if not isinstance(part, str) or not part.strip():
            raise ValueError(f"{what} must be non-empty strings, got {part!r}")
        at = text.find(part, start)
        if at < 0:
            raise ValueError(f"{what} {part!r} does not occur in the text (after position {start})")
        spans.append((at, at + len(part)))
        start = at + len(part)
    return spans


@dataclass
class SegmentedText:
    """A text cut into segments, with the players among them.

    Attributes
    ----------
    text : the whole text.
    spans : (start, end) of every segment, in order, non-overlapping.
    is_player : one flag per segment; False for segments inside a fixed part.
    masking, placeholder : how a removed player is rendered.
    """

    text: str
    spans: list[tuple[int, int]]
    is_player: list[bool]
    masking: str = "remove"
    placeholder: str = "_"
    players: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.players = [i for i, p in enumerate(self.is_player) if p]

    @property
    def n_players(self) -> int:
        return len(self.players)

    @property
    def labels(self) -> list[str]:
        """The players' own text, e.g. the words."""
        return [self.text[a:b] for a, b in (self.spans[i] for i in self.players)]

    def render(self, kept: np.ndarray) -> str:
        """The text that one mask leaves (``kept``: bool per player, True = kept)."""
        keep_seg = np.ones(len(self.spans), dtype=bool)
        keep_seg[self.players] = np.asarray(kept, dtype=bool)
        out: list[str] = []
        prev_end = 0
        lead = self.text[: self.spans[0][0]] if self.spans else ""
        carry = ""  # glue of a removed segment, kept when the next one is glued on (sub-word tokens)
        for (a, b), keep in zip(self.spans, keep_seg):
            glue = self.text[prev_end:a]
            prev_end = b
            if keep or self.masking == "placeholder":
                piece = self.text[a:b] if keep else self.placeholder
                out.append((glue or carry if out else lead) + piece)
                carry = ""
            elif not carry:
                carry = glue
        tail = self.text[prev_end:]
        return "".join(out) + tail

    def render_many(self, masks: np.ndarray) -> list[str]:
        return [self.render(row) for row in masks]


def check_text(text) -> str:
    """The prompt as one string: ``text`` itself, or its segments joined by spaces; an empty
    prompt, or a segment that is not a string, is refused (before any model is loaded).

    Examples
    --------
    >>> check_text(["a", "good film"])
    'a good film'
    >>> check_text(["good", None])
    Traceback (most recent call last):
    ...
    TypeError: segment 1 is a NoneType (None), not a string: give the segments as strings
    """
    if isinstance(text, (list, tuple)):
        odd = next((i for i, p in enumerate(text) if not isinstance(p, str)), None)
        if odd is not None:  # str() would send "None" or "3" to the model as words
            raise TypeError(f"segment {odd} is a {type(text[odd]).__name__} ({text[odd]!r:.40}), not a string: "
                            "give the segments as strings")
        text = " ".join(text)
    if not isinstance(text, str):
        raise TypeError(f"text must be a string or a list of segments, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("the prompt is empty: give a non-empty text")
    return text


def segment(text, segmentation="words", *, fixed: Sequence[str] | None = None, tokenizer=None,
            masking: str = "remove", placeholder: str = "_") -> SegmentedText:
    """Cut ``text`` into players.

    Parameters
    ----------
    text : str, or a list of strings (the segments themselves, joined by spaces).
    segmentation : ``"words"``, ``"sentences"``, ``"tokens"`` (needs ``tokenizer``), a list of
        substrings of ``text`` in order, or a callable ``text -> list of substrings or spans``.
    fixed : substrings of ``text`` that are never masked (the segments they touch are kept).

    Examples
    --------
    >>> seg = segment("a truly good film", fixed=["good film"])
    >>> seg.labels
    ['a', 'truly']
    >>> seg.render([False, True])
    'truly good film'
    """
    if isinstance(text, (list, tuple)):
        segmentation = list(text)
    text = check_text(text)
    if masking not in MASKINGS:
        raise ValueError(f"unknown masking {masking!r}; choose one of {', '.join(MASKINGS)}")
    if isinstance(segmentation, str):
        if segmentation == "words":
            spans = word_spans(text)
        elif segmentation == "sentences":
            spans = sentence_spans(text)
        elif segmentation == "tokens":
            spans = token_spans(text, tokenizer)
        else:
            raise ValueError(f"unknown segmentation {segmentation!r}; choose one of "
                             f"{', '.join(SEGMENTATIONS)}, a list of segments or a callable")
    elif callable(segmentation):
        found = segmentation(text)
        expected = "the segmenter must return a list of substrings of the text or of (start, end) spans"
        if isinstance(found, str) or not isinstance(found, Iterable):  # a lone string would split into characters
            raise TypeError(f"{expected}; got {type(found).__name__} {found!r:.60}")
        found = list(found)
        if found and all(isinstance(s, str) for s in found):
            spans = spans_of_substrings(text, found, "segments")
        else:
            odd = next((s for s in found if isinstance(s, (str, bytes)) or not isinstance(s, Sequence) or len(s) != 2
                        or not all(isinstance(x, (Integral, np.integer)) and not isinstance(x, bool) for x in s)),
                       None)
            if odd is not None:
                raise TypeError(f"{expected}, not a mix; got the entry {odd!r}")
            spans = [(int(a), int(b)) for a, b in found]
            bad = next(((a, b) for a, b in spans if not 0 <= a < b <= len(text)), None)
            if bad is not None:
                raise ValueError(f"the segmenter returned span {bad}, outside the text (0 .. {len(text)}) or empty; "
                                 "spans are (start, end) character offsets with start < end")
            if any(a1 < a0 for (a0, _), (a1, _) in zip(spans, spans[1:])):
                raise ValueError("the segmenter's spans must be in text order")
    else:
        spans = spans_of_substrings(text, list(segmentation), "segments")
    for (a0, b0), (a1, b1) in zip(spans, spans[1:]):
        if a1 < b0:
            raise ValueError(f"segments overlap: {text[a0:b0]!r} and {text[a1:b1]!r}")
    fixed_spans = spans_of_fixed(text, fixed or [])
    is_player = [not any(a < fb and fa < b for fa, fb in fixed_spans) for a, b in spans]
    seg = SegmentedText(text, spans, is_player, masking=masking, placeholder=placeholder)
    if seg.n_players < 2:
        raise ValueError(
            f"the prompt has {seg.n_players} maskable segment(s) with segmentation={segmentation!r}; "
            "interactions need at least two (use a longer text, a finer segmentation, or fewer fixed parts)"
        )
    return seg


def spans_of_fixed(text: str, fixed: Sequence[str]) -> list[tuple[int, int]]:
    """Spans of the fixed substrings (first occurrence of each); overlapping ones are an error."""
    if isinstance(fixed, str):
        fixed = [fixed]
    spans = []
    for part in fixed:
        if not isinstance(part, str) or not part.strip():
            raise ValueError(f"fixed parts must be non-empty strings, got {part!r}")
        at = text.find(part)
        if at < 0:
            raise ValueError(f"fixed part {part!r} does not occur in the text")
        spans.append((at, at + len(part), part))
    spans.sort()
    for (a0, b0, p0), (a1, b1, p1) in zip(spans, spans[1:]):
        if a1 < b0:
            raise ValueError(f"fixed parts overlap: {p0!r} and {p1!r}; merge them into one")
    return [(a, b) for a, b, _ in spans]


Segmenter = Callable[[str], Sequence]
