"""Head overlap between the languages' subnetworks (paper figures 12-16).

A head is enabled in a language's subnetwork when its mask entry is 1. The
overlap of languages a and b is the number of heads enabled in both; as a
percentage it is taken of a's enabled heads, so it is not symmetric. Every
replicate prunes its own masks: heatmaps show means over replicates and hatch
the cells whose 95% interval does not tell them apart from chance, i.e. from
languages that enable heads independently at their own densities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from langspec.core.errors import LangspecError
from langspec.figures.cells import count, draw_cells, range_norm, whole
from langspec.figures.marks import explain, interval_label
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
from langspec.stats.heads import pairs
from langspec.stats.replicates import summarize


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


def densities(masks: Mapping[str, np.ndarray]) -> np.ndarray:
    """Fraction of heads each language's subnetwork enables, in the order of ``masks``."""
    return np.array([np.asarray(m, float).mean() for m in masks.values()])


def chance_shared(masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Heads enabled in both a and b if b chose its heads independently at its density: own_a · p_b."""
    own = np.array([np.asarray(m, float).sum() for m in masks.values()])
    return pd.DataFrame(np.outer(own, densities(masks)), index=list(masks), columns=list(masks))


def chance_pct(masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """% of a's heads that b also enables if b chose its heads independently: 100 · p_b, in every row."""
    p = densities(masks)
    return pd.DataFrame(np.tile(100 * p, (len(p), 1)), index=list(masks), columns=list(masks))


def against_chance(observed: Sequence[pd.DataFrame], chance: Sequence[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean over replicates of ``observed``, and whether its 95% interval excludes each replicate's ``chance``.

    The replicate differences observed − chance are summarized against 0 with
    :func:`langspec.stats.replicates.summarize`; one replicate gives no interval.
    """
    index, columns = observed[0].index, observed[0].columns
    values = np.stack([o.loc[index, columns].to_numpy(float) for o in observed])
    expected = np.stack([c.loc[index, columns].to_numpy(float) for c in chance])
    summary = summarize(values - expected)
    present = np.isfinite(values).sum(axis=0)
    mean = np.where(present > 0, np.nansum(values, axis=0) / np.maximum(present, 1), np.nan)
    return pd.DataFrame(mean, index=index, columns=columns), pd.DataFrame(summary["robust"], index=index, columns=columns)


def head_counts(replicates: Sequence[Mapping[str, np.ndarray]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Layers (1-based) x heads (1-based): mean number of languages enabling the head, and whether it beats chance.

    Chance is the sum of the languages' densities (each language enabling a head
    independently at its own density), per replicate.
    """
    layers, heads = next(iter(replicates[0].values())).shape
    index, columns = range(1, layers + 1), range(1, heads + 1)
    observed = [pd.DataFrame(np.stack(list(m.values())).sum(axis=0), index=index, columns=columns) for m in replicates]
    chance = [pd.DataFrame(np.full((layers, heads), densities(m).sum()), index=index, columns=columns) for m in replicates]
    return against_chance(observed, chance)


def _chance_label(replicates_: int, what: str) -> str:
    return interval_label([replicates_], None, what)


@styled
def fig12(masks: dict[str, list[dict[str, np.ndarray]]]) -> Figure:
    """Per task: for each head (x) of each layer (y, 1-based), how many languages' subnetworks enable it.

    ``masks``: task -> one language -> [layers, heads] 0/1 dict per replicate.
    Cells run from 0 (no language) to the number of languages (shared by all):
    the mean over replicates, hatched where its 95% interval includes the count
    expected by chance (the sum of the languages' densities).
    """
    nonempty(masks, "masks")
    counts = {}
    for task, reps in masks.items():
        checked = replicate_masks(reps, f"task '{task}'")
        counts[task] = (*head_counts(checked), len(checked[0]), len(checked))
    rows, cols = wrap(len(counts))
    layers = max(c.shape[0] for c, *_ in counts.values())
    heads = max(c.shape[1] for c, *_ in counts.values())
    fig, axes = new_figure(rows, cols, (heads * SMALL_CELL + 1.4, layers * SMALL_CELL + 0.9), (0.0, 0.65))
    for ax, (task, (mean, supported, n, _)) in zip(drop_unused(axes, len(counts)), counts.items()):
        draw_cells(ax, mean, SEQUENTIAL, Normalize(0, n), count(mean.to_numpy()), "head", "layer",
                   f"{task}: subnetworks enabling each head (of {n})", "languages", fontsize=6.5, supported=supported)
    explain(fig, _chance_label(max(r for *_, r in counts.values()),
                               "the count expected if languages chose heads independently (sum of densities)"))
    fig.suptitle("Head sharing across the languages' subnetworks")
    return fig


@styled
def pair_overlap(masks: dict[str, list[dict[str, np.ndarray]]], task: str) -> Figure:
    """One task's pairwise head overlap: % of the row language's enabled heads (left), number of shared heads (right).

    ``masks``: task -> one language -> [layers, heads] 0/1 dict per replicate;
    languages in the order given. The left panel is not symmetric: row a,
    column b is the share of a's enabled heads that b also enables. Cells are
    means over replicates, hatched where the 95% interval includes chance
    (b enabling heads independently at its density p_b: 100 · p_b, and own_a · p_b heads).
    """
    if task not in masks:
        raise LangspecError(f"no masks given for task '{task}'")
    reps = replicate_masks(masks[task], f"task '{task}'")
    n = len(reps[0])
    fig, axes = new_figure(1, 2, (n * CELL + 1.6, n * CELL + 1.0), (0.0, 0.65))
    pct, pct_ok = against_chance([overlap_pct(m) for m in reps], [chance_pct(m) for m in reps])
    shared, shared_ok = against_chance([shared_heads(m) for m in reps], [chance_shared(m) for m in reps])
    draw_cells(axes[0, 0], pct, SEQUENTIAL, Normalize(0, 100), whole, "language (column)", "language (row)",
               f"{task}: % of row language's heads shared", "% of row language's enabled heads", supported=pct_ok,
               missing="–")
    draw_cells(axes[0, 1], shared, SEQUENTIAL, range_norm(shared), count(shared.to_numpy()), "language", "language",
               f"{task}: shared enabled heads", "heads enabled in both", supported=shared_ok)
    explain(fig, _chance_label(len(reps), "chance: column language enabling heads independently at its density"))
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
