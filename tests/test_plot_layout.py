"""Layout of the text-heavy plots: words and labels measured as drawn, not assumed."""

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest

from spexkit import Interactions, plots

WORDS = ("the plot of the comeback curlers isn't very interesting actually, but what i like about men with "
         "brooms and what is kind of special is how the film knows what's unique and quirky about canadians. "
         "the acting is uneven and the jokes land about half the time, yet the whole thing is warm enough to "
         "forgive, and the final match is a genuinely rousing little scene.").split()


def _extents(artists, fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [a.get_window_extent(renderer) for a in artists]


def _assert_apart(boxes):
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not a.overlaps(b), f"boxes {i} and {j} overlap: {a} {b}"


@pytest.mark.parametrize("where", ["own", "subplot"])
def test_long_prompt_wraps_inside_the_figure(where):
    words = WORDS[:60]
    assert len(words) == 60
    values = np.sin(np.arange(60.0))
    ax = None
    if where == "subplot":  # the widget's layout: one of three panels
        _, axes = plt.subplots(1, 3, figsize=(17, 4.5))
        ax = axes[0]
    ax = plots.plot_segments(words, values, ax=ax)
    fig = ax.figure
    assert [t.get_text() for t in ax.texts] == words
    texts = _extents(ax.texts, fig)
    patches = _extents([t.get_bbox_patch() for t in ax.texts], fig)  # the coloured backgrounds
    _assert_apart(texts)
    _assert_apart(patches)
    inside = fig.bbox
    for box in texts + patches:
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
    axes_box = ax.get_window_extent()
    assert max(b.x1 for b in patches) <= axes_box.x1 + 1  # wrapped at the axes' width
    rows = len({round(b.y1) for b in texts})
    assert rows >= 3  # wrapped into several lines, read in order: top to bottom, left to right
    order = sorted(range(60), key=lambda i: (-round(texts[i].y1), texts[i].x0))
    assert order == list(range(60))
    plt.close("all")


def test_figure_grows_with_the_number_of_lines():
    short = plots.plot_segments(WORDS[:5], np.ones(5)).figure.get_size_inches()[1]
    long = plots.plot_segments(WORDS * 3, np.ones(3 * len(WORDS))).figure.get_size_inches()[1]
    assert long > 2 * short
    plt.close("all")


def test_network_labels_clear_their_nodes_in_a_small_figure():
    n = 10
    pairs = [(i, (i + 1) % n) for i in range(n)]
    res = Interactions(pairs, np.linspace(1.0, 2.0, n), n, basis="mobius",
                       labels=[f"player{i}" for i in range(n)])
    _, ax = plt.subplots(figsize=(3, 3))
    plots.plot_network(res, k=n, ax=ax)
    fig = ax.figure
    assert len(ax.collections) == len(ax.texts) == n  # one marker and one label per player
    labels = _extents(ax.texts, fig)
    for marker, text, label in zip(ax.collections, ax.texts, labels):
        # The marker's box: its centre in pixels, half its diameter (sqrt of the area in
        # points^2) plus half its edge.
        cx, cy = ax.transData.transform(marker.get_offsets()[0])
        half = (np.sqrt(marker.get_sizes()[0]) + marker.get_linewidths()[0]) / 2 * fig.dpi / 72
        assert label.x1 <= cx - half or label.x0 >= cx + half or label.y1 <= cy - half or label.y0 >= cy + half, \
            f"label {text.get_text()} covers its node"
    plt.close("all")
