"""Subnetwork (mask) similarity against positive cross-language influence (paper figures 8 and 9).

Similarity of two languages' subnetworks is the cosine of their flattened
binary head masks (``langspec.masks.cosine``); cross-language influence of a
pair is the share (%) of the test language's top-k positive training examples
that come from the other (training) language.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from ..masks import cosine
from .cells import draw_cells, range_norm
from .checks import masks_and_shares
from .scatter import scatter_with_r
from .stats import pearson
from .style import (
    CELL,
    GUIDE,
    LANGUAGE_COLOURS,
    PANEL,
    SEQUENTIAL,
    drop_unused,
    legend,
    new_figure,
    palette,
    styled,
    wrap,
)


def cosines(masks: Mapping[str, np.ndarray], layer: int | None = None) -> pd.DataFrame:
    """Language x language cosine similarity of the masks (of one ``layer`` when given)."""
    part = {lang: torch.as_tensor(m if layer is None else m[layer]) for lang, m in masks.items()}
    return pd.DataFrame([[cosine(part[a], part[b]) for b in part] for a in part], index=list(part), columns=list(part))


def pairs(values: pd.DataFrame) -> pd.Series:
    """Entries of a language x language matrix whose row and column languages differ, indexed (row, column)."""
    rows, cols = np.indices(values.shape).reshape(2, -1)
    index, columns = values.index.to_numpy()[rows], values.columns.to_numpy()[cols]
    keep = index != columns
    return pd.Series(values.to_numpy()[rows[keep], cols[keep]], index=pd.MultiIndex.from_arrays([index[keep], columns[keep]]))


@styled
def fig8(masks: dict[str, dict[str, np.ndarray]], tables: dict[str, pd.DataFrame]) -> Figure:
    """Per task: mask cosine similarity per language pair (left) and positive influence against it (right).

    ``masks``: task -> language -> [layers, heads] 0/1; ``tables``: task -> shares
    table of the own-language subnetworks after SFT. Right: one point per
    ordered pair test != train, x = cosine similarity, y = share_pct (sign pos, %).
    """
    inputs = masks_and_shares(masks, tables, "pos")
    n = max(len(shares) for _, shares in inputs.values())
    fig, axes = new_figure(len(inputs), 2, (max(n * CELL + 1.6, PANEL[0]), max(n * CELL + 1.0, PANEL[1])), (0.8, 0.3))
    colours = palette(lang for _, shares in inputs.values() for lang in shares.index)
    for (task, (task_masks, shares)), (left, right) in zip(inputs.items(), axes):
        similarity = cosines(task_masks)
        draw_cells(left, similarity, SEQUENTIAL, range_norm(similarity), lambda v: f"{v:.2f}", "language", "language",
                   f"{task}: subnetwork cosine similarity", "cosine similarity")
        influence = pairs(shares)
        scatter_with_r(right, pairs(similarity).loc[influence.index].to_numpy(), influence.to_numpy(),
                       [colours[test] for test, _ in influence.index], "subnetwork cosine similarity",
                       "positive share of training language (%)", f"{task}: pairs test ≠ train")
    legend(fig, colours, "test language")
    fig.suptitle("Subnetwork similarity and positive cross-language influence (after SFT)")
    return fig


def layer_correlations(task_masks: Mapping[str, np.ndarray], shares: pd.DataFrame) -> np.ndarray:
    """Per layer: Pearson r over pairs test != train of that layer's mask cosine and positive share (%)."""
    influence = pairs(shares).dropna()
    layers = next(iter(task_masks.values())).shape[0]
    return np.array([pearson(pairs(cosines(task_masks, layer)).loc[influence.index].to_numpy(), influence.to_numpy())
                     for layer in range(layers)])


@styled
def fig9(masks: dict[str, dict[str, np.ndarray]], tables: dict[str, pd.DataFrame]) -> Figure:
    """Per task: Pearson r between each layer's mask cosine similarity and positive cross-language influence.

    Same inputs as :func:`fig8`. One bar per layer (1-based, x); a layer whose
    similarity is the same for every pair has no r and is marked "n/a".
    """
    inputs = masks_and_shares(masks, tables, "pos")
    rows, cols = wrap(len(inputs))
    fig, axes = new_figure(rows, cols, PANEL, (0.0, 0.3))
    for ax, (task, (task_masks, shares)) in zip(drop_unused(axes, len(inputs)), inputs.items()):
        r = layer_correlations(task_masks, shares)
        layers = np.arange(1, len(r) + 1)
        ax.bar(layers, np.nan_to_num(r), color=LANGUAGE_COLOURS[0])
        for layer in layers[~np.isfinite(r)]:
            ax.text(layer, 0, "n/a", ha="center", va="bottom")
        ax.axhline(0, color=GUIDE, linewidth=0.8)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xticks(layers)
        ax.set_xlabel("layer")
        ax.set_ylabel("Pearson r")
        ax.set_title(f"{task}: layer similarity vs positive influence")
    fig.suptitle("Correlation of per-layer subnetwork similarity with positive cross-language influence")
    return fig
