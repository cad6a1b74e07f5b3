"""Subnetwork (mask) similarity against positive cross-language influence (paper figures 8 and 9).

Similarity of two languages' subnetworks is the cosine of their flattened
binary head masks (``langspec.heads.masks.cosine``); cross-language influence of a
pair is the share (%) of the test language's top-k positive training examples
that come from the other (training) language. Every replicate has its own masks
and shares: similarities are averaged over replicates (and tested against the
cosine of independent masks of the same densities), correlations are taken per
replicate and pooled with an interval. Both figures take their source-data frame
(:func:`langspec.stats.source_data.heads.fig8`, :func:`~langspec.stats.source_data.heads.fig9`) and only draw it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from langspec.figures.cells import draw_cells, flags, grid, range_norm, two_decimals
from langspec.figures.marks import explain, fdr_text
from langspec.figures.scatter import replicate_legend, scatter_points
from langspec.figures.style import (
    CELL,
    GUIDE,
    HATCH,
    HATCH_COLOUR,
    LANGUAGE_COLOURS,
    PANEL,
    SEQUENTIAL,
    drop_unused,
    faded,
    legend,
    new_figure,
    palette,
    styled,
    wrap,
)

SIMILARITY = "subnetwork cosine similarity"


@styled
def fig8(frame: pd.DataFrame) -> Figure:
    """Per task: mask cosine similarity per language pair (left) and positive influence against it (right).

    ``frame``: :func:`langspec.stats.source_data.heads.fig8`. Left (rows ``part`` similarity): mean cosine
    over replicates, hatched unless its t-test against the cosine of independent masks of the same densities
    survives the false discovery rate control over every off-diagonal cell of the figure (the diagonal, a mask
    with itself, is not tested, so never robust). Right (rows ``part`` pairs): every replicate's ordered pairs
    test != train, x = cosine similarity, y = share_pct (sign pos, %), with r pooled over replicates.
    """
    cells, points = frame[frame["part"] == "similarity"], frame[frame["part"] == "pairs"]
    tasks = list(dict.fromkeys(frame["task"]))
    n = int(cells.groupby("task")["lang_a"].nunique().max())
    fig, axes = new_figure(len(tasks), 2, (max(n * CELL + 1.6, PANEL[0]), max(n * CELL + 1.2, PANEL[1] + 0.3)), (0.9, 0.65))
    colours = palette(points["test_lang"])
    for task, (left, right) in zip(tasks, axes):
        part = cells[cells["task"] == task]
        mean = grid(part, "lang_a", "lang_b", "mean")
        draw_cells(left, mean, SEQUENTIAL, range_norm(mean), two_decimals, "language", "language",
                   f"{task}: {SIMILARITY}", "cosine similarity", supported=grid(part, "lang_a", "lang_b", "robust"))
        scatter_points(right, points[points["task"] == task], "cosine", "share_pct", colours, "test_lang", SIMILARITY,
                       "positive share of training language (%)", f"{task}: pairs test ≠ train", "pairs")
    legend(fig, colours, "test language")
    replicate_legend(fig, sorted(set(points["replicate"].astype(int))))
    counts = cells.groupby("task", sort=False)["n_replicates"].first().astype(int).tolist()
    explain(fig, fdr_text(counts, "the cosine of independent masks √(p_a·p_b)", int(flags(cells["tested"]).sum()),
                          untested="diagonal: a mask with itself"))
    fig.suptitle("Subnetwork similarity and positive cross-language influence (after SFT)")
    return fig


@styled
def fig9(frame: pd.DataFrame) -> Figure:
    """Per task: Pearson r between each layer's mask cosine similarity and positive cross-language influence.

    ``frame``: :func:`langspec.stats.source_data.heads.fig9`. One bar per layer (1-based, x): r pooled over
    replicates, with its 95% interval as an error bar; hatched and washed out unless its test of r = 0
    survives the false discovery rate control over every layer of every panel (one replicate: nothing is
    marked). A layer whose similarity is the same for every pair in every replicate has no r and is marked "n/a".
    """
    tasks = list(dict.fromkeys(frame["task"]))
    rows, cols = wrap(len(tasks))
    fig, axes = new_figure(rows, cols, PANEL, (0.0, 0.75))
    colour = LANGUAGE_COLOURS[0]
    for ax, task in zip(drop_unused(axes, len(tasks)), tasks):
        pooled = frame[frame["task"] == task]
        r = pooled["r"].to_numpy(float)
        low, high = pooled["ci_low"].to_numpy(float), pooled["ci_high"].to_numpy(float)
        layers = pooled["layer"].to_numpy(int)
        supported = flags(pooled["robust"])
        bars = ax.bar(layers, np.nan_to_num(r), color=[colour if ok else faded(colour) for ok in supported], linewidth=0)
        for bar, ok in zip(bars, supported):
            if not ok:
                bar.set_hatch(HATCH)
                bar.set_hatchcolor(HATCH_COLOUR)
        shown = np.isfinite(r) & np.isfinite(low) & np.isfinite(high)
        ax.errorbar(layers[shown], r[shown], yerr=[r[shown] - low[shown], high[shown] - r[shown]], fmt="none",
                    ecolor="0.15", elinewidth=0.7, capsize=2, capthick=0.7)
        for layer in layers[~np.isfinite(r)]:
            ax.text(layer, 0, "n/a", ha="center", va="bottom")
        ax.axhline(0, color=GUIDE, linewidth=0.8)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xticks(layers)
        ax.set_xlabel("layer")
        ax.set_ylabel("Pearson r")
        ax.set_title(f"{task}: layer similarity vs positive influence")
    explain(fig, fdr_text(frame["n_replicates"].tolist(), "r = 0 (on Fisher z)", int(flags(frame["tested"]).sum()), "layers"),
            extra=[(Patch(color=colour), "r pooled over replicates (Fisher z), with its 95% interval")])
    fig.suptitle("Correlation of per-layer subnetwork similarity with positive cross-language influence")
    return fig
