"""Head overlap between the languages' subnetworks (paper figures 12-16).

A head is enabled in a language's subnetwork when its mask entry is 1. The
overlap of languages a and b is the number of heads enabled in both; as a
percentage it is taken of a's enabled heads, so it is not symmetric. Every
replicate prunes its own masks: heatmaps show means over replicates and hatch
the cells whose 95% interval does not tell them apart from chance, i.e. from
languages that enable heads independently at their own densities.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from langspec.core.errors import LangspecError
from langspec.figures.cells import count, draw_cells, range_norm, whole
from langspec.figures.marks import explain, fdr_text
from langspec.figures.scatter import replicate_legend, scatter_replicates
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
from langspec.stats.frames import masks_and_shares, nonempty, replicate_masks
from langspec.stats.heads import (
    against_chance,
    chance_pct,
    chance_shared,
    head_counts,
    overlap_pct,
    pairs,
    shared_heads,
)
from langspec.stats.multiplicity import fdr_keep, tested


@styled
def fig12(masks: dict[str, list[dict[str, np.ndarray]]]) -> Figure:
    """Per task: for each head (x) of each layer (y, 1-based), how many languages' subnetworks enable it.

    ``masks``: task -> one language -> [layers, heads] 0/1 dict per replicate.
    Cells run from 0 (no language) to the number of languages (shared by all):
    the mean over replicates, hatched unless its t-test against the count
    expected by chance (the sum of the languages' densities) survives the false
    discovery rate control over every head of every panel.
    """
    nonempty(masks, "masks")
    counts = {}
    for task, reps in masks.items():
        checked = replicate_masks(reps, f"task '{task}'")
        counts[task] = (*head_counts(checked), len(checked[0]), len(checked))
    keep = iter(fdr_keep([p for _, p, _, _ in counts.values()]))
    m = tested([p for _, p, _, _ in counts.values()])
    rows, cols = wrap(len(counts))
    layers = max(c.shape[0] for c, *_ in counts.values())
    heads = max(c.shape[1] for c, *_ in counts.values())
    fig, axes = new_figure(rows, cols, (heads * SMALL_CELL + 1.4, layers * SMALL_CELL + 0.9), (0.0, 0.65))
    for ax, (task, (mean, _, n, _)) in zip(drop_unused(axes, len(counts)), counts.items()):
        draw_cells(ax, mean, SEQUENTIAL, Normalize(0, n), count(mean.to_numpy()), "head", "layer",
                   f"{task}: subnetworks enabling each head (of {n})", "languages", fontsize=6.5, supported=next(keep))
    explain(fig, fdr_text([r for *_, r in counts.values()], "the count if languages chose heads independently",
                          m, "heads"))
    fig.suptitle("Head sharing across the languages' subnetworks")
    return fig


@styled
def pair_overlap(masks: dict[str, list[dict[str, np.ndarray]]], task: str) -> Figure:
    """One task's pairwise head overlap: % of the row language's enabled heads (left), number of shared heads (right).

    ``masks``: task -> one language -> [layers, heads] 0/1 dict per replicate;
    languages in the order given. The left panel is not symmetric: row a,
    column b is the share of a's enabled heads that b also enables. Cells are
    means over replicates, hatched unless their t-test against chance (b
    enabling heads independently at its density p_b: 100 · p_b, and own_a · p_b
    heads) survives the false discovery rate control over both panels'
    off-diagonal cells; the diagonal (a language with itself) is not tested, so never robust.
    """
    if task not in masks:
        raise LangspecError(f"no masks given for task '{task}'")
    reps = replicate_masks(masks[task], f"task '{task}'")
    n = len(reps[0])
    fig, axes = new_figure(1, 2, (n * CELL + 1.6, n * CELL + 1.0), (0.0, 0.65))
    pct, pct_p = against_chance([overlap_pct(m) for m in reps], [chance_pct(m) for m in reps], diagonal=False)
    shared, shared_p = against_chance([shared_heads(m) for m in reps], [chance_shared(m) for m in reps], diagonal=False)
    pct_ok, shared_ok = fdr_keep([pct_p, shared_p])
    draw_cells(axes[0, 0], pct, SEQUENTIAL, Normalize(0, 100), whole, "language (column)", "language (row)",
               f"{task}: % of row language's heads shared", "% of row language's enabled heads", supported=pct_ok,
               missing="–")
    draw_cells(axes[0, 1], shared, SEQUENTIAL, range_norm(shared), count(shared.to_numpy()), "language", "language",
               f"{task}: shared enabled heads", "heads enabled in both", supported=shared_ok)
    explain(fig, fdr_text([len(reps)], "chance (column language enabling heads independently at its density)",
                          tested([pct_p, shared_p]), untested="diagonal: a language with itself"))
    fig.suptitle(f"Head overlap between the languages' subnetworks: {task}")
    return fig


def fig13(masks: dict[str, list[dict[str, np.ndarray]]], task: str) -> Figure:
    """Paper figure 13 (XNLI in the paper): :func:`pair_overlap` of ``task``."""
    return pair_overlap(masks, task)


def fig14(masks: dict[str, list[dict[str, np.ndarray]]], task: str) -> Figure:
    """Paper figure 14 (PAWS-X in the paper): :func:`pair_overlap` of ``task``."""
    return pair_overlap(masks, task)


def fig15(masks: dict[str, list[dict[str, np.ndarray]]], task: str) -> Figure:
    """Paper figure 15 (MARC in the paper): :func:`pair_overlap` of ``task``."""
    return pair_overlap(masks, task)


@styled
def fig16(masks: dict[str, list[dict[str, np.ndarray]]], tables: dict[str, list[pd.DataFrame]]) -> Figure:
    """Per task: negative cross-language influence against head overlap, one point per pair test != train and replicate.

    ``masks``: task -> one language -> [layers, heads] 0/1 dict per replicate;
    ``tables``: task -> one shares table per replicate (own-language
    subnetworks after SFT), replicate i with masks i. x = % of the test
    language's enabled heads also enabled by the training language; y =
    share_pct of sign neg (%); Pearson r pooled over replicates with its 95% interval.
    """
    points = {}
    for task, reps in masks_and_shares(masks, tables, "neg").items():
        points[task] = []
        for task_masks, shares in reps:
            influence = pairs(shares)
            points[task].append((pairs(overlap_pct(task_masks)).loc[influence.index], influence))
    colours = palette(test for reps in points.values() for _, influence in reps for test, _ in influence.index)
    rows, cols = wrap(len(points))
    fig, axes = new_figure(rows, cols, PANEL, (0.9, 0.6))
    for ax, (task, reps) in zip(drop_unused(axes, len(points)), points.items()):
        scatter_replicates(ax, [(overlap.to_numpy(), influence.to_numpy(), [colours[test] for test, _ in influence.index])
                                for overlap, influence in reps],
                           "head overlap (% of test language's heads)", "negative share of training language (%)",
                           f"{task}: pairs test ≠ train", "pairs")
    legend(fig, colours, "test language")
    replicate_legend(fig, max(len(reps) for reps in points.values()))
    fig.suptitle("Head overlap and negative cross-language influence (after SFT)")
    return fig
