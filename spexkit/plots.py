"""Matplotlib figures for results (imported lazily: the core does not need matplotlib)."""

from __future__ import annotations

import warnings

import numpy as np

from .interactions import Interactions, unique_labels
from .validation import check_non_negative_int


def _axes(ax, size):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_top(result: Interactions, k: int = 10, order: int | None = None, ax=None):
    """Horizontal bars of the k largest terms (positive blue, negative red); returns the axes."""
    top = result.top(k, order=order)
    ax = _axes(ax, (6, 0.35 * max(len(top), 1) + 1))
    names = [result.label(t) for t, _ in top][::-1]
    vals = np.array([c for _, c in top][::-1])
    ax.barh(range(len(vals)), vals, color=np.where(vals >= 0, "#1f77b4", "#d62728"))
    ax.set_yticks(range(len(vals)), names)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"{result.basis} coefficient")
    ax.set_title(f"Top interactions ({result.metadata.get('method', '?')})")
    return ax


def _values_for(values, labels, what: str = "labels") -> np.ndarray:
    """``values`` as a 1-D float array with one entry per label, or an error naming the mismatch."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D (one per part), got shape {values.shape}")
    if len(labels) != values.size:
        raise ValueError(f"got {values.size} values for {len(labels)} {what}: give one value per part")
    if values.size == 0:
        raise ValueError("nothing to plot: no parts")
    return values


def plot_values(values, labels, title: str = "Shapley values", k: int = 20, ax=None):
    """Bars of per-player values (the k largest in magnitude); returns the axes.

    Repeated labels are told apart by their player index (:func:`spexkit.interactions.unique_labels`).
    """
    labels = list(labels)
    values = _values_for(values, labels)
    k = check_non_negative_int(k, "k")
    names = unique_labels(labels)
    order = np.argsort(-np.abs(values), kind="stable")[:k][::-1]
    ax = _axes(ax, (6, 0.3 * len(order) + 1))
    ax.barh(range(len(order)), values[order], color=np.where(values[order] >= 0, "#1f77b4", "#d62728"))
    ax.set_yticks(range(len(order)), [names[i] for i in order])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_title(title)
    return ax


def _figure(size, to_file: bool):
    """A new figure: pyplot's (shown inline in a notebook) or, for a file, a standalone one
    drawn by Agg that pyplot never sees, so saving never switches the process's backend."""
    if to_file:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=size)
        FigureCanvasAgg(fig)
        return fig
    import matplotlib.pyplot as plt

    return plt.figure(figsize=size)


def plot_result(result: Interactions, k: int = 10, path=None):
    """Shapley values and top interactions side by side; returns the figure.

    With ``path`` the figure is saved there and not handed to pyplot (nothing pops up, and the
    matplotlib backend is left as it was, e.g. a notebook's inline one).
    """
    fig = _figure((12, 0.35 * k + 1.5), to_file=path is not None)
    left, right = fig.subplots(1, 2)
    if result.basis in ("fourier", "mobius"):
        plot_values(result.shapley(), result.labels, k=k, ax=left)
        plot_top(result.to("mobius"), k=k, ax=right)
    else:
        left.axis("off")
        plot_top(result, k=k, ax=right)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def _value_colours(values):
    import matplotlib.pyplot as plt

    values = np.asarray(values, dtype=np.float64)
    scale = np.abs(values).max() or 1.0
    cmap = plt.get_cmap("RdBu")
    return [cmap(0.5 + 0.5 * v / scale) for v in values]


def _text_colour(background) -> str:
    """Black on light backgrounds, white on dark ones (the strongest parts' deep blue or red).

    >>> _text_colour((0.02, 0.19, 0.38, 1.0)), _text_colour((0.97, 0.97, 0.97, 1.0))
    ('white', 'black')
    """
    r, g, b = background[:3]
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.4 else "black"  # relative luminance


def plot_segments(labels, values, title: str = "Shapley value of each part", width: int | None = None,
                  ax=None, fontsize: float = 10):
    """The parts in order (words of a prompt, data groups...), each on a background coloured
    by its value (blue positive, red negative), wrapped at the axes width (and at ``width``
    characters per line when given). The figure grows taller when the lines need it.
    The labels are drawn as given (a repeated word stays itself: its place in the text tells
    it apart). Returns the axes."""
    own = ax is None
    ax = _axes(ax, (10, 1.5))  # its height is fitted to the lines below
    fig = ax.figure
    ax.axis("off")
    ax.set_title(title)
    needed = _draw_segments(ax, labels, values, width, fontsize)
    fig_w, fig_h = fig.get_size_inches()
    box = ax.get_position()
    if own:  # fit the figure to the lines: room for the title above, a small margin below
        top, bottom = 0.45, 0.1
        fig_h = needed + top + bottom
        fig.set_size_inches(fig_w, fig_h)
        ax.set_position([box.x0, bottom / fig_h, box.width, needed / fig_h])
    elif box.height * fig_h < needed:  # a shared figure: grow it until this axes holds the lines
        fig.set_size_inches(fig_w, needed / box.height)
    return ax


def _draw_segments(ax, labels, values, width, fontsize) -> float:
    """Draw the coloured parts from ``ax``'s top-left corner, wrapped at its width; returns the
    height in inches that the lines take (they stay anchored to the top-left corner when the
    axes is moved or resized afterwards)."""
    from matplotlib.transforms import offset_copy

    labels = list(labels)
    values = _values_for(values, labels)
    colours = _value_colours(values)
    fig = ax.figure
    # Lay out in points from the axes' top-left corner: measured widths, not character counts,
    # so proportional fonts and narrow subplots wrap where the words really end.
    renderer = fig.canvas.get_renderer()
    to_points = 72.0 / fig.dpi
    room = ax.get_window_extent(renderer).width * to_points
    pad, gap, step = 0.2 * fontsize, 0.8 * fontsize, 2.0 * fontsize  # pad: the boxstyle's, in points
    x, row, chars = 0.0, 0, 0
    for text, colour in zip(labels, colours):
        t = ax.text(0, 1, text, family="monospace", fontsize=fontsize, ha="left", va="top",
                    color=_text_colour(colour),
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": colour, "edgecolor": "none"})
        w = t.get_window_extent(renderer).width * to_points + 2 * pad
        if x > 0 and (x + w > room or (width is not None and chars + len(text) > width)):
            x, row, chars = 0.0, row + 1, 0
        t.set_transform(offset_copy(ax.transAxes, fig=fig, x=x + pad, y=-(row * step + pad), units="points"))
        x += w + gap
        chars += len(text) + 1
    return (row + 1) * step / 72.0


def plot_overview(result: Interactions, values=None, k: int = 10, title: str = "Shapley value of each part",
                  width: int | None = None, fig_width: float = 16.0, chart_height: float = 5.5,
                  fontsize: float = 10, path=None):
    """One figure for a text-like input: the parts in order, coloured by ``values`` (default:
    Shapley values), across the top, with the top ``k`` interactions and the pairwise network
    below. The figure's height is laid out from its content: the coloured text takes exactly
    the lines it wraps into, and the charts start right under it.

    The parts are drawn with the result's raw ``labels`` (in place, as in
    :func:`plot_segments`); the charts name players by ``display_labels``. With ``path`` the
    figure is saved there without touching pyplot or the matplotlib backend (as in
    :func:`plot_result`). Returns the figure.
    """
    expansion = result.basis in ("fourier", "mobius")
    if values is None:
        if not expansion:
            raise ValueError(f"pass values: a {result.basis!r} result has no Shapley values")
        values = result.shapley()
    mob = result.to("mobius") if expansion else result
    margin, title_room, gap = 0.25, 0.45, 0.1  # inches: sides, the title above the words, words to charts
    fig = _figure((fig_width, chart_height + 2.0), to_file=path is not None)
    text = fig.add_axes((margin / fig_width, 0.6, 1 - 2 * margin / fig_width, 0.2))
    text.axis("off")
    text.set_title(title)
    needed = _draw_segments(text, result.labels, values, width, fontsize)  # wraps at the final width
    height = title_room + needed + gap + chart_height
    fig.set_size_inches(fig_width, height)
    text.set_position((margin / fig_width, 1 - (title_room + needed) / height, 1 - 2 * margin / fig_width,
                       needed / height))
    grid = fig.add_gridspec(1, 2)
    charts = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])]
    plot_top(mob, k=k, ax=charts[0])
    plot_network(mob, ax=charts[1])
    with warnings.catch_warnings():  # it warns about the text axes, which it rightly leaves alone
        warnings.filterwarnings("ignore", message="This figure includes Axes that are not compatible")
        grid.tight_layout(fig, rect=(0, 0, 1, chart_height / height))  # titles and tick labels included
    for ax in charts:  # the grid moves its axes itself only in figures that pyplot manages
        ax.set_position(ax.get_subplotspec().get_position(fig))
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def plot_network(result: Interactions, k: int = 15, ax=None):
    """Players on a circle, edges for the k strongest pairwise Möbius interactions (width =
    strength, blue synergy / red redundancy), node colour = Shapley value. Nodes are named by
    the result's ``display_labels`` (repeated words carry their player index). Returns the axes."""
    mob = result.to("mobius") if result.basis in ("fourier", "mobius") else result
    pairs = mob.top(k, order=2)
    players = sorted({i for t, _ in pairs for i in t})
    ax = _axes(ax, (6, 6))
    ax.axis("off")
    ax.set_title("Pairwise interactions")
    if not players:
        ax.text(0.5, 0.5, "no pairwise interactions", ha="center", va="center", transform=ax.transAxes)
        return ax
    angle = np.linspace(0, 2 * np.pi, len(players), endpoint=False)
    pos = {p: (np.cos(a), np.sin(a)) for p, a in zip(players, angle)}
    strongest = max(abs(c) for _, c in pairs)
    for (i, j), c in pairs:
        (x0, y0), (x1, y1) = pos[i], pos[j]
        ax.plot([x0, x1], [y0, y1], color="#1f77b4" if c > 0 else "#d62728",
                lw=0.5 + 4.5 * abs(c) / strongest, alpha=0.8, zorder=1)
    if result.basis in ("fourier", "mobius"):
        shap = result.shapley()
        colours = _value_colours(shap[players])
    else:
        colours = ["#dddddd"] * len(players)
    names = result.display_labels
    size = 500  # marker area in points^2
    clear = np.sqrt(size) / 2 + 3  # marker radius + edge + a little space, in points
    for p, colour in zip(players, colours):
        x, y = pos[p]
        ax.scatter([x], [y], s=size, color=colour, edgecolors="black", zorder=2)
        # Offset in points past the drawn marker, text growing away from the centre, so the
        # label clears its node whatever the figure's size.
        ha, dx = ("left", clear) if x > 0.38 else ("right", -clear) if x < -0.38 else ("center", 0)
        va, dy = ("bottom", clear) if y > 0.38 else ("top", -clear) if y < -0.38 else ("center", 0)
        ax.annotate(names[p], (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                    fontsize=9)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.5, 1.5)
    return ax


def plot_heatmap(values, row_labels, col_labels, title: str = "Shapley values", ax=None):
    """A grid of values (e.g. layer x head), diverging colours centred at zero."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"values must be a non-empty 2-D grid (rows x columns), got shape {values.shape}")
    if len(row_labels) != values.shape[0] or len(col_labels) != values.shape[1]:
        raise ValueError(f"a {values.shape[0]} x {values.shape[1]} grid needs {values.shape[0]} row labels and "
                         f"{values.shape[1]} column labels, got {len(row_labels)} and {len(col_labels)}")
    ax = _axes(ax, (0.45 * values.shape[1] + 2, 0.35 * values.shape[0] + 1.5))
    scale = np.abs(values).max() or 1.0
    im = ax.imshow(values, cmap="RdBu", vmin=-scale, vmax=scale, aspect="auto")
    ax.set_xticks(range(values.shape[1]), col_labels)
    ax.set_yticks(range(values.shape[0]), row_labels)
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    ax.set_title(title)
    return ax
