"""Head overlap between the languages' subnetworks (paper figures 12-16).

A head is enabled in a language's subnetwork when its mask entry is 1. The
overlap of languages a and b is the number of heads enabled in both; as a
percentage it is taken of a's enabled heads, so it is not symmetric. Every
replicate prunes its own masks: heatmaps show means over replicates and hatch
the cells whose 95% interval does not tell them apart from chance, i.e. from
languages that enable heads independently at their own densities. Each function
takes the figure's source-data frame (:mod:`langspec.stats.source_data.heads`) and only draws it.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from langspec.figures.cells import count, draw_cells, flags, grid, range_norm, whole
from langspec.figures.marks import explain, fdr_text
from langspec.figures.scatter import replicate_legend, scatter_points
from langspec.figures.style import (
    CELL,
    PANEL,
    SEQUENTIAL,
    SMALL_CELL,
    drop_unused,
    legend,
    new_figure,
    palette,
    styled,
    wrap,
)


@styled
def fig12(frame: pd.DataFrame) -> Figure:
    """Per task: for each head (x) of each layer (y, 1-based), how many languages' subnetworks enable it.

    ``frame``: :func:`langspec.stats.source_data.heads.fig12`. Cells run from 0 (no language) to the number
    of languages (shared by all): the mean over replicates, hatched unless its t-test against the count
    expected by chance (the sum of the languages' densities) survives the false discovery rate control over
    every head of every panel.
    """
    tasks = list(dict.fromkeys(frame["task"]))
    rows, cols = wrap(len(tasks))
    layers, heads = frame["layer"].nunique(), frame["head"].nunique()
    fig, axes = new_figure(rows, cols, (heads * SMALL_CELL + 1.4, layers * SMALL_CELL + 0.9), (0.0, 0.65))
    for ax, task in zip(drop_unused(axes, len(tasks)), tasks):
        part = frame[frame["task"] == task]
        mean, n = grid(part, "layer", "head", "mean"), int(part["n_languages"].iloc[0])
        draw_cells(ax, mean, SEQUENTIAL, Normalize(0, n), count(mean.to_numpy()), "head", "layer",
                   f"{task}: subnetworks enabling each head (of {n})", "languages", fontsize=6.5,
                   supported=grid(part, "layer", "head", "robust"))
    counts = frame.groupby("task", sort=False)["n_replicates"].first().astype(int).tolist()
    explain(fig, fdr_text(counts, "the count if languages chose heads independently", int(flags(frame["tested"]).sum()),
                          "heads"))
    fig.suptitle("Head sharing across the languages' subnetworks")
    return fig


@styled
def pair_overlap(frame: pd.DataFrame) -> Figure:
    """One task's pairwise head overlap: % of the row language's enabled heads (left), number of shared heads (right).

    ``frame``: :func:`langspec.stats.source_data.heads.pair_overlap`; languages in its order. The left panel
    is not symmetric: row a, column b is the share of a's enabled heads that b also enables. Cells are means
    over replicates, hatched unless their t-test against chance (b enabling heads independently at its density
    p_b: 100 · p_b, and own_a · p_b heads) survives the false discovery rate control over both panels'
    off-diagonal cells; the diagonal (a language with itself) is not tested, so never robust.
    """
    task = frame["task"].iloc[0]
    pct, shared = (frame[frame["statistic"] == name] for name in ("overlap_pct", "shared_heads"))
    n = pct["lang_a"].nunique()
    fig, axes = new_figure(1, 2, (n * CELL + 1.6, n * CELL + 1.0), (0.0, 0.65))
    draw_cells(axes[0, 0], grid(pct, "lang_a", "lang_b", "mean"), SEQUENTIAL, Normalize(0, 100), whole,
               "language (column)", "language (row)", f"{task}: % of row language's heads shared",
               "% of row language's enabled heads", supported=grid(pct, "lang_a", "lang_b", "robust"), missing="–")
    values = grid(shared, "lang_a", "lang_b", "mean")
    draw_cells(axes[0, 1], values, SEQUENTIAL, range_norm(values), count(values.to_numpy()), "language", "language",
               f"{task}: shared enabled heads", "heads enabled in both", supported=grid(shared, "lang_a", "lang_b", "robust"))
    explain(fig, fdr_text([int(frame["n_replicates"].iloc[0])],
                          "chance (column language enabling heads independently at its density)",
                          int(flags(frame["tested"]).sum()), untested="diagonal: a language with itself"))
    fig.suptitle(f"Head overlap between the languages' subnetworks: {task}")
    return fig


def fig13(frame: pd.DataFrame) -> Figure:
    """Paper figure 13 (XNLI in the paper): :func:`pair_overlap` of its task."""
    return pair_overlap(frame)


def fig14(frame: pd.DataFrame) -> Figure:
    """Paper figure 14 (PAWS-X in the paper): :func:`pair_overlap` of its task."""
    return pair_overlap(frame)


def fig15(frame: pd.DataFrame) -> Figure:
    """Paper figure 15 (MARC in the paper): :func:`pair_overlap` of its task."""
    return pair_overlap(frame)


@styled
def fig16(frame: pd.DataFrame) -> Figure:
    """Per task: negative cross-language influence against head overlap, one point per pair test != train and replicate.

    ``frame``: :func:`langspec.stats.source_data.heads.fig16`. x = % of the test language's enabled heads
    also enabled by the training language; y = share_pct of sign neg (%); Pearson r pooled over replicates with
    its 95% interval.
    """
    colours = palette(frame["test_lang"])
    tasks = list(dict.fromkeys(frame["task"]))
    rows, cols = wrap(len(tasks))
    fig, axes = new_figure(rows, cols, PANEL, (0.9, 0.6))
    for ax, task in zip(drop_unused(axes, len(tasks)), tasks):
        scatter_points(ax, frame[frame["task"] == task], "overlap_pct", "share_pct", colours, "test_lang",
                       "head overlap (% of test language's heads)", "negative share of training language (%)",
                       f"{task}: pairs test ≠ train", "pairs")
    legend(fig, colours, "test language")
    replicate_legend(fig, sorted(set(frame["replicate"].astype(int))))
    fig.suptitle("Head overlap and negative cross-language influence (after SFT)")
    return fig
