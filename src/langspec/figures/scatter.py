"""The scatter primitive: every replicate's points (a marker per replicate), a fitted line each, r with its interval.

It draws the scatter rows of a source-data frame (:mod:`langspec.stats.source_data.heads`): one row per point
and replicate, with the replicate's line (``replicate_r``, ``slope``, ``intercept``) and the panel's r pooled
over replicates (``r``, ``r_ci_low``, ``r_ci_high``, ``r_replicates``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from langspec.figures.marks import describe
from langspec.figures.style import GUIDE

#: Marker of each replicate's points (cycled beyond eight replicates).
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def marker(replicate: int) -> str:
    """The marker of replicate ``replicate``'s points (by its number, so a replicate keeps it across panels)."""
    return MARKERS[int(replicate) % len(MARKERS)]


def scatter_points(ax: Axes, points: pd.DataFrame, x: str, y: str, colours: Mapping[str, tuple], colour_by: str,
                   xlabel: str, ylabel: str, title: str, unit: str) -> None:
    """Scatter each replicate's (``x``, ``y``) points of one panel, coloured by column ``colour_by``, draw its line,
    and put r pooled over replicates under the title (:func:`langspec.figures.marks.describe`).

    ``points``: the panel's rows of a source-data frame (a point with a missing value is not drawn).
    """
    counts = []
    for replicate, part in points.groupby("replicate", sort=False):
        xs, ys = part[x].to_numpy(float), part[y].to_numpy(float)
        keep = np.isfinite(xs) & np.isfinite(ys)
        ax.scatter(xs[keep], ys[keep], c=[colours[name] for name in part[colour_by].to_numpy()[keep]],
                   marker=marker(replicate), s=18, alpha=0.8, linewidths=0)
        counts.append(int(keep.sum()))
        first = part.iloc[0]
        if np.isfinite(float(first["replicate_r"])) and keep.any():
            ends = np.array([xs[keep].min(), xs[keep].max()])
            ax.plot(ends, float(first["slope"]) * ends + float(first["intercept"]), color=GUIDE, linewidth=0.8,
                    linestyle="--")
    first = points.iloc[0]
    summary = {"r": float(first["r"]), "ci_low": float(first["r_ci_low"]), "ci_high": float(first["r_ci_high"]),
               "n_replicates": int(first["r_replicates"])}
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}\n{describe(summary, counts, unit)}")
    ax.margins(0.08)


def replicate_legend(fig: Figure, replicates: int | Sequence[int]) -> None:
    """A legend right of the panels, under the colour legend: the marker of each replicate (``replicates``: their
    numbers, or how many: 0, 1, ...)."""
    numbers = range(replicates) if isinstance(replicates, (int, np.integer)) else [int(r) for r in replicates]
    handles = [Line2D([], [], color="0.35", marker=marker(r), markersize=4, linestyle="", label=f"rep{r}")
               for r in numbers]
    fig.legend(handles=handles, title="replicate", loc="outside right lower", frameon=False)
