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
