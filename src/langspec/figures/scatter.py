"""The scatter primitive: every replicate's points (a marker per replicate), a fitted line each, r with its interval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from langspec.figures.marks import describe
from langspec.figures.style import GUIDE
from langspec.stats.correlations import correlation, pearson

#: Marker of each replicate's points (cycled beyond eight replicates).
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def scatter_replicates(ax: Axes, replicates: Sequence[tuple[np.ndarray, np.ndarray, Sequence[tuple]]],
                       xlabel: str, ylabel: str, title: str, unit: str) -> dict:
    """Scatter every replicate's (x, y, colour per point), fit a line per replicate, and put r under the title.

    Replicate r's points use marker ``MARKERS[r]``. Pearson r is taken per
    replicate over its finite pairs and pooled with
    :func:`langspec.stats.correlations.correlation` (Fisher z; 95% interval), whose
    result is returned.
    """
    rs, counts = [], []
    for r, (x, y, colours) in enumerate(replicates):
        x, y = np.asarray(x, float), np.asarray(y, float)
        keep = np.isfinite(x) & np.isfinite(y)
        ax.scatter(x[keep], y[keep], c=[colours[i] for i in np.flatnonzero(keep)], marker=MARKERS[r % len(MARKERS)],
                   s=18, alpha=0.8, linewidths=0)
        rs.append(pearson(x, y))
        counts.append(int(keep.sum()))
        if np.isfinite(rs[-1]):
            slope, intercept = np.polyfit(x[keep], y[keep], 1)
            line = np.linspace(x[keep].min(), x[keep].max(), 2)
            ax.plot(line, slope * line + intercept, color=GUIDE, linewidth=0.8, linestyle="--")
    summary = correlation(rs, counts)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}\n{describe(summary, counts, unit)}")
    ax.margins(0.08)
    return summary


def replicate_legend(fig: Figure, replicates: int) -> None:
    """A legend right of the panels, under the colour legend: the marker of each replicate."""
    handles = [Line2D([], [], color="0.35", marker=MARKERS[r % len(MARKERS)], markersize=4, linestyle="", label=f"rep{r}")
               for r in range(replicates)]
    fig.legend(handles=handles, title="replicate", loc="outside right lower", frameon=False)
