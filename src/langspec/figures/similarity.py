"""Subnetwork (mask) similarity against positive cross-language influence (paper figures 8 and 9).

Similarity of two languages' subnetworks is the cosine of their flattened
binary head masks (``langspec.heads.masks.cosine``); cross-language influence of a
pair is the share (%) of the test language's top-k positive training examples
that come from the other (training) language. Every replicate has its own masks
and shares: similarities are averaged over replicates (and tested against the
cosine of independent masks of the same densities), correlations are taken per
replicate and pooled with an interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from langspec.figures.cells import draw_cells, range_norm, two_decimals
from langspec.figures.marks import explain, fdr_text
from langspec.figures.scatter import replicate_legend, scatter_replicates
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
from langspec.stats.correlations import correlation, pearson
from langspec.stats.frames import masks_and_shares
from langspec.stats.heads import cosines, mean_cosines, pairs
from langspec.stats.multiplicity import fdr_keep, tested

SIMILARITY = "subnetwork cosine similarity"


@styled
def fig8(masks: dict[str, list[dict[str, np.ndarray]]], tables: dict[str, list[pd.DataFrame]]) -> Figure:
    """Per task: mask cosine similarity per language pair (left) and positive influence against it (right).

    ``masks``: task -> one language -> [layers, heads] 0/1 dict per replicate;
    ``tables``: task -> one shares table per replicate (own-language subnetworks
    after SFT), replicate i with masks i. Left: mean cosine over replicates,
    hatched unless its t-test against the cosine of independent masks of the
    same densities survives the false discovery rate control over every
    off-diagonal cell of the figure (the diagonal, a mask with itself, is not
    tested, so never robust). Right: every replicate's ordered pairs test != train,
    x = cosine similarity, y = share_pct (sign pos, %), with r pooled over replicates.
    """
    inputs = masks_and_shares(masks, tables, "pos")
    n = max(len(shares) for reps in inputs.values() for _, shares in reps)
    fig, axes = new_figure(len(inputs), 2, (max(n * CELL + 1.6, PANEL[0]), max(n * CELL + 1.2, PANEL[1] + 0.3)), (0.9, 0.65))
    colours = palette(lang for reps in inputs.values() for _, shares in reps for lang in shares.index)
    similarity = {task: mean_cosines([m for m, _ in reps]) for task, reps in inputs.items()}
    keep = fdr_keep([p for _, p in similarity.values()])
    for (task, reps), (left, right), robust in zip(inputs.items(), axes, keep):
        mean = similarity[task][0]
        draw_cells(left, mean, SEQUENTIAL, range_norm(mean), two_decimals, "language", "language",
                   f"{task}: {SIMILARITY}", "cosine similarity", supported=robust)
        points = []
        for task_masks, shares in reps:
            influence = pairs(shares)
            points.append((pairs(cosines(task_masks)).loc[influence.index].to_numpy(), influence.to_numpy(),
                           [colours[test] for test, _ in influence.index]))
        scatter_replicates(right, points, SIMILARITY, "positive share of training language (%)",
                           f"{task}: pairs test ≠ train", "pairs")
    legend(fig, colours, "test language")
    replicate_legend(fig, max(len(reps) for reps in inputs.values()))
    counts = [len(reps) for reps in inputs.values()]
    explain(fig, fdr_text(counts, "the cosine of independent masks √(p_a·p_b)", tested([p for _, p in similarity.values()]),
                          untested="diagonal: a mask with itself"))
    fig.suptitle("Subnetwork similarity and positive cross-language influence (after SFT)")
    return fig


def layer_correlations(task_masks: Mapping[str, np.ndarray], shares: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Per layer: Pearson r over pairs test != train of that layer's mask cosine and positive share (%); and the number of pairs."""
    influence = pairs(shares).dropna()
    layers = next(iter(task_masks.values())).shape[0]
    r = np.array([pearson(pairs(cosines(task_masks, layer)).loc[influence.index].to_numpy(), influence.to_numpy())
                  for layer in range(layers)])
    return r, len(influence)


def pooled_layer_correlations(reps: Sequence[tuple[Mapping[str, np.ndarray], pd.DataFrame]]) -> pd.DataFrame:
    """Per layer (1-based index): r pooled over replicates with its 95% interval (:func:`langspec.stats.correlations.correlation`)."""
    per = [layer_correlations(task_masks, shares) for task_masks, shares in reps]
    layers = len(per[0][0])
    rows = [correlation([r[layer] for r, _ in per], [n for _, n in per]) for layer in range(layers)]
    return pd.DataFrame(rows, index=pd.RangeIndex(1, layers + 1, name="layer"))


@styled
def fig9(masks: dict[str, list[dict[str, np.ndarray]]], tables: dict[str, list[pd.DataFrame]]) -> Figure:
    """Per task: Pearson r between each layer's mask cosine similarity and positive cross-language influence.

    Same inputs as :func:`fig8`. One bar per layer (1-based, x): r pooled over
    replicates, with its 95% interval as an error bar; hatched and washed out
    unless its test of r = 0 survives the false discovery rate control over
    every layer of every panel (one replicate: nothing is marked). A layer whose similarity is the same for
    every pair in every replicate has no r and is marked "n/a".
    """
    inputs = masks_and_shares(masks, tables, "pos")
    pooled_ = {task: pooled_layer_correlations(reps) for task, reps in inputs.items()}
    keep = iter(fdr_keep([pooled["p_value"].to_numpy(float) for pooled in pooled_.values()]))
    m = tested([pooled["p_value"].to_numpy(float) for pooled in pooled_.values()])
    rows, cols = wrap(len(inputs))
    fig, axes = new_figure(rows, cols, PANEL, (0.0, 0.75))
    colour = LANGUAGE_COLOURS[0]
    counts = []
    for ax, (task, pooled) in zip(drop_unused(axes, len(inputs)), pooled_.items()):
        r = pooled["r"].to_numpy(float)
        low, high = pooled["ci_low"].to_numpy(float), pooled["ci_high"].to_numpy(float)
        layers = pooled.index.to_numpy()
        supported = next(keep)
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
        counts += pooled["n_replicates"].tolist()
    explain(fig, fdr_text(counts, "r = 0 (on Fisher z)", m, "layers"), extra=[(Patch(color=colour), "r pooled over replicates (Fisher z), with its 95% interval")])
    fig.suptitle("Correlation of per-layer subnetwork similarity with positive cross-language influence")
    return fig
