"""Head overlap between the languages' subnetworks (paper figures 12-16).

A head is enabled in a language's subnetwork when its mask entry is 1. The
overlap of languages a and b is the number of heads enabled in both; as a
percentage it is taken of a's enabled heads, so it is not symmetric.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ..errors import LangspecError
from .cells import draw_cells, range_norm, whole
from .checks import masks_and_shares, masks_of, nonempty
from .scatter import scatter_with_r
from .similarity import pairs
from .style import (
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


def shared_heads(masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Language x language number of heads enabled in both subnetworks (diagonal: a language's own)."""
    flat = np.stack([np.asarray(m).ravel() for m in masks.values()]).astype(int)
    return pd.DataFrame(flat @ flat.T, index=list(masks), columns=list(masks))


def overlap_pct(masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Row language's enabled heads that the column language also enables (%); NaN for an empty row mask."""
    shared = shared_heads(masks).astype(float)
    own = np.diag(shared.to_numpy()).copy()
    own[own == 0] = np.nan
    return shared.div(own, axis=0) * 100


@styled
def fig12(masks: dict[str, dict[str, np.ndarray]]) -> Figure:
    """Per task: for each head (x) of each layer (y, 1-based), how many languages' subnetworks enable it.

    ``masks``: task -> language -> [layers, heads] 0/1. Cells run from 0 (no
    language) to the number of languages (shared by all).
    """
    nonempty(masks, "masks")
    counts = {}
    for task, task_masks in masks.items():
        stacked = np.stack(list(masks_of(task_masks, f"task '{task}'").values()))
        layers, heads = stacked.shape[1:]
        counts[task] = (pd.DataFrame(stacked.sum(axis=0), index=range(1, layers + 1), columns=range(1, heads + 1)),
                        len(stacked))
    rows, cols = wrap(len(counts))
    layers, heads = max(c.shape[0] for c, _ in counts.values()), max(c.shape[1] for c, _ in counts.values())
    fig, axes = new_figure(rows, cols, (heads * SMALL_CELL + 1.4, layers * SMALL_CELL + 0.9), (0.0, 0.3))
    for ax, (task, (count, n)) in zip(drop_unused(axes, len(counts)), counts.items()):
        draw_cells(ax, count, SEQUENTIAL, Normalize(0, n), whole, "head", "layer",
                   f"{task}: subnetworks enabling each head (of {n})", "languages", fontsize=6.5)
    fig.suptitle("Head sharing across the languages' subnetworks")
    return fig


@styled
def pair_overlap(masks: dict[str, dict[str, np.ndarray]], task: str) -> Figure:
    """One task's pairwise head overlap: % of the row language's enabled heads (left), number of shared heads (right).

    ``masks``: task -> language -> [layers, heads] 0/1; languages in the order given.
    The left panel is not symmetric: row a, column b is the share of a's enabled
    heads that b also enables.
    """
    if task not in masks:
        raise LangspecError(f"no masks given for task '{task}'")
    task_masks = masks_of(masks[task], f"task '{task}'")
    n = len(task_masks)
    fig, axes = new_figure(1, 2, (n * CELL + 1.6, n * CELL + 1.0), (0.0, 0.3))
    pct, shared = overlap_pct(task_masks), shared_heads(task_masks).astype(float)
    draw_cells(axes[0, 0], pct, SEQUENTIAL, Normalize(0, 100), whole, "language (column)", "language (row)",
               f"{task}: % of row language's heads shared", "% of row language's enabled heads")
    draw_cells(axes[0, 1], shared, SEQUENTIAL, range_norm(shared), whole, "language", "language",
               f"{task}: shared enabled heads", "heads enabled in both")
    fig.suptitle(f"Head overlap between the languages' subnetworks: {task}")
    return fig


def fig13(masks: dict[str, dict[str, np.ndarray]], task: str) -> Figure:
    """Paper figure 13 (XNLI in the paper): :func:`pair_overlap` of ``task``."""
    return pair_overlap(masks, task)


def fig14(masks: dict[str, dict[str, np.ndarray]], task: str) -> Figure:
    """Paper figure 14 (PAWS-X in the paper): :func:`pair_overlap` of ``task``."""
    return pair_overlap(masks, task)


def fig15(masks: dict[str, dict[str, np.ndarray]], task: str) -> Figure:
    """Paper figure 15 (MARC in the paper): :func:`pair_overlap` of ``task``."""
    return pair_overlap(masks, task)


@styled
def fig16(masks: dict[str, dict[str, np.ndarray]], tables: dict[str, pd.DataFrame]) -> Figure:
    """Per task: negative cross-language influence against head overlap, one point per pair test != train.

    ``masks``: task -> language -> [layers, heads] 0/1; ``tables``: task -> shares
    table of the own-language subnetworks after SFT. x = % of the test
    language's enabled heads also enabled by the training language; y =
    share_pct of sign neg (%), with Pearson r.
    """
    points = {}
    for task, (task_masks, shares) in masks_and_shares(masks, tables, "neg").items():
        influence = pairs(shares)
        points[task] = (pairs(overlap_pct(task_masks)).loc[influence.index], influence)
    colours = palette(test for _, influence in points.values() for test, _ in influence.index)
    rows, cols = wrap(len(points))
    fig, axes = new_figure(rows, cols, PANEL, (0.8, 0.3))
    for ax, (task, (overlap, influence)) in zip(drop_unused(axes, len(points)), points.items()):
        scatter_with_r(ax, overlap.to_numpy(), influence.to_numpy(), [colours[test] for test, _ in influence.index],
                       "head overlap (% of test language's heads)", "negative share of training language (%)",
                       f"{task}: pairs test ≠ train")
    legend(fig, colours, "test language")
    fig.suptitle("Head overlap and negative cross-language influence (after SFT)")
    return fig
