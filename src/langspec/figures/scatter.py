"""The scatter primitive: points coloured by a group, a least-squares line and Pearson r."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from .stats import describe, pearson
from .style import GUIDE


def scatter_with_r(ax: Axes, x: np.ndarray, y: np.ndarray, colours: Sequence[tuple],
                   xlabel: str, ylabel: str, title: str) -> float:
    """Scatter ``y`` against ``x`` (one colour per point), fit a line, and give r and n under the title.

    Returns Pearson r over the finite pairs (NaN when undefined).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    r = pearson(x, y)
    ax.scatter(x[keep], y[keep], c=[colours[i] for i in np.flatnonzero(keep)], s=22, alpha=0.85, linewidths=0)
    if np.isfinite(r):
        slope, intercept = np.polyfit(x[keep], y[keep], 1)
        line = np.linspace(x[keep].min(), x[keep].max(), 2)
        ax.plot(line, slope * line + intercept, color=GUIDE, linewidth=1, linestyle="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}\n{describe(r, int(keep.sum()))}")
    ax.margins(0.08)
    return r
