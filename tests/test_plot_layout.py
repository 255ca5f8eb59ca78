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


def _overview_result(words):
    n = len(words)
    pairs = [(0, 3), (11, 16), (3, 26), (12, 30), (5, 9, 12), (1, 2), (4, 6)]
    terms = [(i,) for i in range(n)] + [t for t in pairs if max(t) < n]
    coef = np.sin(np.arange(len(terms), dtype=float)) + 0.1
    return Interactions(terms, coef, n, basis="mobius", labels=words, metadata={"method": "fake"})


@pytest.mark.parametrize("to_file", [False, True], ids=["pyplot", "file"])
@pytest.mark.parametrize("n_words", [8, len(WORDS), 3 * len(WORDS)])
def test_overview_puts_the_charts_right_under_the_text(n_words, to_file, tmp_path):
    """The demo's figure: the coloured text takes the lines it needs and the charts start just
    below it, for a short and a long text (it used to leave a wide empty band)."""
    words = (WORDS * 3)[:n_words]
    path = tmp_path / "overview.png" if to_file else None
    fig = plots.plot_overview(_overview_result(words), k=8, path=path, title="Shapley value of each word")
    text_ax, *charts = fig.axes
    assert len(charts) == 2 and [t.get_text() for t in text_ax.texts] == words  # the raw words, in place
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    inch = fig.dpi
    words_box = [t.get_bbox_patch().get_window_extent(renderer) for t in text_ax.texts]
    text_bottom = min(b.y0 for b in words_box) / inch
    chart_boxes = [ax.get_tightbbox(renderer) for ax in charts]  # with titles, ticks and tick labels
    charts_top = max(b.y1 for b in chart_boxes) / inch
    gap = text_bottom - charts_top
    assert 0.05 < gap < 0.5, f"gap between the text and the charts: {gap:.2f} in"
    title = text_ax.title.get_window_extent(renderer)
    assert max(b.y1 for b in words_box) < title.y0 and title.y1 <= fig.bbox.y1  # title above the words, inside
    width, height = fig.get_size_inches()
    assert height - title.y1 / inch < 0.3  # and no band above it either
    for box in words_box + chart_boxes:
        assert 0 <= box.x0 and box.x1 <= width * inch and box.y0 >= 0
    assert min(b.y0 for b in chart_boxes) / inch < 0.3  # the charts reach down to the bottom edge
    if to_file:
        assert path.read_bytes()[:4] == b"\x89PNG"
    plt.close("all")


def test_overview_grows_with_the_text():
    short = plots.plot_overview(_overview_result(WORDS[:8])).get_size_inches()[1]
    long = plots.plot_overview(_overview_result(WORDS * 3)).get_size_inches()[1]
    assert long - short > 1.0  # about eight more lines of words
    plt.close("all")


def test_segment_text_stays_readable_on_the_darkest_backgrounds():
    import matplotlib.pyplot as plt

    ax = plots.plot_segments(["strong", "weak", "against"], [1.0, 0.05, -1.0])
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours == {"strong": "white", "weak": "black", "against": "white"}
    plt.close(ax.figure)
