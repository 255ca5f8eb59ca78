"""Matplotlib figures for results (imported lazily: the core does not need matplotlib)."""

from __future__ import annotations

import numpy as np

from .interactions import Interactions


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


def plot_values(values, labels, title: str = "Shapley values", k: int = 20, ax=None):
    """Bars of per-player values (the k largest in magnitude); returns the axes."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(-np.abs(values), kind="stable")[:k][::-1]
    ax = _axes(ax, (6, 0.3 * len(order) + 1))
    ax.barh(range(len(order)), values[order], color=np.where(values[order] >= 0, "#1f77b4", "#d62728"))
    ax.set_yticks(range(len(order)), [labels[i] for i in order])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_title(title)
    return ax


def plot_result(result: Interactions, k: int = 10, path=None):
    """Shapley values and top interactions side by side; saves to ``path`` when given."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 0.35 * k + 1.5))
    if result.basis in ("fourier", "mobius"):
        plot_values(result.shapley(), result.labels, k=k, ax=left)
        plot_top(result.to("mobius"), k=k, ax=right)
    else:
        left.axis("off")
        plot_top(result, k=k, ax=right)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig


def _value_colours(values):
    import matplotlib.pyplot as plt

    values = np.asarray(values, dtype=np.float64)
    scale = np.abs(values).max() or 1.0
    cmap = plt.get_cmap("RdBu")
    return [cmap(0.5 + 0.5 * v / scale) for v in values]


def plot_segments(labels, values, title: str = "Shapley value of each part", width: int | None = None,
                  ax=None, fontsize: float = 10):
    """The parts in order (words of a prompt, data groups...), each on a background coloured
    by its value (blue positive, red negative), wrapped at the axes width (and at ``width``
    characters per line when given). The figure grows taller when the lines need it.
    Returns the axes."""
    from matplotlib.transforms import offset_copy

    colours = _value_colours(values)
    own = ax is None
    ax = _axes(ax, (10, 1.5))  # its height is fitted to the lines below
    fig = ax.figure
    ax.axis("off")
    ax.set_title(title)
    # Lay out in points from the axes' top-left corner: measured widths, not character counts,
    # so proportional fonts and narrow subplots wrap where the words really end.
    renderer = fig.canvas.get_renderer()
    to_points = 72.0 / fig.dpi
    room = ax.get_window_extent(renderer).width * to_points
    pad, gap, step = 0.2 * fontsize, 0.8 * fontsize, 2.0 * fontsize  # pad: the boxstyle's, in points
    x, row, chars = 0.0, 0, 0
    for text, colour in zip(labels, colours):
        t = ax.text(0, 1, text, family="monospace", fontsize=fontsize, ha="left", va="top",
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": colour, "edgecolor": "none"})
        w = t.get_window_extent(renderer).width * to_points + 2 * pad
        if x > 0 and (x + w > room or (width is not None and chars + len(text) > width)):
            x, row, chars = 0.0, row + 1, 0
        t.set_transform(offset_copy(ax.transAxes, fig=fig, x=x + pad, y=-(row * step + pad), units="points"))
        x += w + gap
        chars += len(text) + 1
    needed = (row + 1) * step / 72.0  # inches of axes height the lines take
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


def plot_network(result: Interactions, k: int = 15, ax=None):
    """Players on a circle, edges for the k strongest pairwise Möbius interactions (width =
    strength, blue synergy / red redundancy), node colour = Shapley value. Returns the axes."""
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
    size = 500  # marker area in points^2
    clear = np.sqrt(size) / 2 + 3  # marker radius + edge + a little space, in points
    for p, colour in zip(players, colours):
        x, y = pos[p]
        ax.scatter([x], [y], s=size, color=colour, edgecolors="black", zorder=2)
        # Offset in points past the drawn marker, text growing away from the centre, so the
        # label clears its node whatever the figure's size.
        ha, dx = ("left", clear) if x > 0.38 else ("right", -clear) if x < -0.38 else ("center", 0)
        va, dy = ("bottom", clear) if y > 0.38 else ("top", -clear) if y < -0.38 else ("center", 0)
        ax.annotate(result.labels[p], (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                    fontsize=9)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.5, 1.5)
    return ax


def plot_heatmap(values, row_labels, col_labels, title: str = "Shapley values", ax=None):
    """A grid of values (e.g. layer x head), diverging colours centred at zero."""
    values = np.asarray(values, dtype=np.float64)
    ax = _axes(ax, (0.45 * values.shape[1] + 2, 0.35 * values.shape[0] + 1.5))
    scale = np.abs(values).max() or 1.0
    im = ax.imshow(values, cmap="RdBu", vmin=-scale, vmax=scale, aspect="auto")
    ax.set_xticks(range(values.shape[1]), col_labels)
    ax.set_yticks(range(values.shape[0]), row_labels)
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    ax.set_title(title)
    return ax
