"""Segmentation, masking and fixed parts."""

import numpy as np
import pytest

from lenses.features.segments import segment, sentence_spans, token_spans

from .conftest import make_tokenizer


def test_words_remove_and_placeholder():
    seg = segment("The film was  truly good.")
    assert seg.labels == ["The", "film", "was", "truly", "good."]
    assert seg.render(np.array([1, 0, 1, 0, 1], bool)) == "The was good."
    assert seg.render(np.array([0, 1, 1, 1, 1], bool)) == "film was  truly good."
    assert seg.render(np.zeros(5, bool)) == ""
    ph = segment("The film was good", masking="placeholder", placeholder="[X]")
    assert ph.render(np.array([1, 0, 1, 0], bool)) == "The [X] was [X]"


def test_sentences_tokens_and_user_segments():
    text = "Great cast. Weak plot!\nWhy? It drags"
    assert [text[a:b] for a, b in sentence_spans(text)] == ["Great cast.", "Weak plot!", "Why?", "It drags"]
    assert segment(text, "sentences").render(np.array([1, 0, 1, 1], bool)) == "Great cast.\nWhy? It drags"
    tok = make_tokenizer()
    seg = segment("the film , was good", "tokens", tokenizer=tok)
    assert seg.labels == ["the", "film", ",", "was", "good"]
    user = segment("the film was good", ["the film", "was good"])
    assert user.labels == ["the film", "was good"]
    listed = segment(["a good", "film", "indeed"])
    assert listed.text == "a good film indeed" and listed.n_players == 3
    by_fn = segment("x-y-z", lambda t: [(0, 1), (2, 3), (4, 5)])
    assert by_fn.labels == ["x", "y", "z"]


def test_fixed_parts_are_never_players():
    seg = segment("a truly good film, really", fixed=["good film"])
    assert seg.labels == ["a", "truly", "really"]
    assert seg.render(np.array([0, 0, 0], bool)) == "good film,"


@pytest.mark.parametrize("text, kwargs, message", [
    ("", {}, "empty"),
    ("   \n ", {}, "empty"),
    ("word", {}, "at least two"),
    ("a good film", {"fixed": ["a good", "good film"]}, "overlap"),
    ("a good film", {"fixed": ["a", "good"]}, "at least two"),
    ("a good film", {"fixed": ["great"]}, "does not occur"),
    ("a good film", {"segmentation": ["good", "a"]}, "does not occur"),
    ("a good film", {"segmentation": "paragraphs"}, "unknown segmentation"),
    ("a good film", {"masking": "blur"}, "unknown masking"),
    ("a good film", {"segmentation": lambda t: [(0, 1), (2, 40)]}, r"span \(2, 40\), outside the text \(0 .. 11\)"),
    ("a good film", {"segmentation": lambda t: [(0, 1), (3, 3)]}, r"span \(3, 3\).* or empty"),
    ("a good film", {"segmentation": lambda t: [(7, 11), (0, 1)]}, "in text order"),
])
def test_bad_input_is_a_clear_error(text, kwargs, message):
    with pytest.raises(ValueError, match=message):
        segment(text, **kwargs)


def test_tokens_need_a_tokenizer():
    with pytest.raises(ValueError, match="tokenizer"):
        token_spans("a b", None)


def test_removing_a_sub_word_token_keeps_the_space():
    seg = segment("The unbelievably good", ["The", "unbelie", "vably", "good"])
    assert seg.render(np.array([1, 0, 1, 1], bool)) == "The vably good"
    assert seg.render(np.array([1, 0, 0, 1], bool)) == "The good"


@pytest.mark.parametrize("segmenter, message", [
    (lambda t: t.split()[1], "got str 'good'"),  # one string: used to become its characters
    (lambda t: None, "got NoneType None"),  # a segmenter that forgot to return
    (lambda t: ["a", (2, 6)], "not a mix; got the entry 'a'"),
    (lambda t: [(0, 1, 2)], r"not a mix; got the entry \(0, 1, 2\)"),
    (lambda t: [(0.0, 1.0), (2, 6)], r"got the entry \(0.0, 1.0\)"),
])
def test_a_segmenter_returning_the_wrong_thing_is_named(segmenter, message):
    with pytest.raises(TypeError, match=f"the segmenter must return a list of substrings .*{message}"):
        segment("a good film", segmenter)


@pytest.mark.parametrize("parts, message", [(["good", None], r"segment 1 is a NoneType \(None\)"),
                                            (["good", 3], "segment 1 is a int"), ([b"good", "film"], "segment 0 is a bytes")])
def test_segments_that_are_not_strings_are_refused_not_turned_into_words(parts, message):
    with pytest.raises(TypeError, match=message):  # str() would send the word "None" to the model
        segment(parts)
