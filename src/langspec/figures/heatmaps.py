"""Heatmaps of language shares: training language on x, test language on y (paper figures 2-4, 6, 11, 19).

A share is the percentage of a test language's top-k most positively (or
negatively) influential training examples that come from a training language;
a change is the condition's share minus the baseline's, in percentage points (pp).
Every heatmap draws the mean over replicates of an aggregated table and hatches
the cells that are not robust: a cell is robust when its t-test against 0
(changes) or the equal share 100 / L (shares) is kept by the Benjamini–Hochberg
procedure at q = 0.05 over all cells of the figure; with one replicate no cell
is. A cell without a value says "n < min" (too few test examples). Each function
takes the figure's source-data frame (:mod:`langspec.stats.source_data.heads`,
one row per cell, in the order drawn) and only draws it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from langspec.figures.cells import draw_cells, flags, grid, one_decimal, range_norm, signed, symmetric_norm
from langspec.figures.marks import explain, fdr_label
from langspec.figures.style import (
    CELL,
    DIVERGING,
    SEQUENTIAL,
    SIGN_NAMES,
    drop_unused,
    new_figure,
    styled,
    wrap,
)

CHANGE = "change in share of top-k (pp)"
SHARE = "share of top-k (%)"
TRAIN, TEST = "training language", "test language"
#: Height (inches) added under the panels for the legend that explains the marks (up to three lines).
NOTE = 0.8


def _panel_size(rows: int, cols: int) -> tuple[float, float]:
    """Inches of one heatmap panel with ``rows`` x ``cols`` cells, labels and colour bar."""
    return cols * CELL + 1.5, rows * CELL + 0.9


#: How each measure is drawn: colour map, colour limits, cell text, colour bar label.
_DRAW = {
    "change_pct": (DIVERGING, symmetric_norm, signed, CHANGE),
    "share_pct": (SEQUENTIAL, range_norm, one_decimal, SHARE),
}


def reference_text(parts: list[pd.DataFrame], measure: str) -> str:
    """What an unsupported cell's interval includes: 0, or the equal share 100 / L."""
    if measure == "change_pct":
        return "0"
    equal = sorted({round(float(r), 1) for part in parts for r in part["reference"] if np.isfinite(r)})
    value = f" = {equal[0]:.1f}%" if len(equal) == 1 else ""
    return f"the equal share 100/L{value}"


def _note(fig: Figure, frame: pd.DataFrame) -> None:
    """The legend under the panels: hatching, replicates, the FDR control; "n < min" when a cell has no value."""
    measure = frame["measure"].iloc[0]
    explain(fig, fdr_label([frame], reference_text([frame], measure), int(flags(frame["tested"]).sum())),
            missing=bool(frame["mean"].isna().any()))


def _sign_grid(frame: pd.DataFrame, title: str) -> Figure:
    """Rows = tasks, columns = positive / negative: one heatmap of the measure's mean each, unsupported cells hatched."""
    measure = frame["measure"].iloc[0]
    tasks = list(dict.fromkeys(frame["task"]))
    n = int(frame.groupby("task")["test_lang"].nunique().max())
    cmap, norm, fmt, label = _DRAW[measure]
    fig, axes = new_figure(len(tasks), 2, _panel_size(n, n), (0.0, 0.3 + NOTE))
    for task, panels in zip(tasks, axes):
        for sign, ax in zip(SIGN_NAMES, panels):
            part = frame[(frame["task"] == task) & (frame["sign"] == sign)]
            mean = grid(part, "test_lang", "train_lang", "mean")
            draw_cells(ax, mean, cmap, norm(mean), fmt, TRAIN, TEST, f"{task}: {SIGN_NAMES[sign]} influence", label,
                       supported=grid(part, "test_lang", "train_lang", "robust"))
    _note(fig, frame)
    fig.suptitle(title)
    return fig


@styled
def fig2(frame: pd.DataFrame) -> Figure:
    """After full fine-tuning: each task's own-language subnetwork vs the full model.

    ``frame``: :func:`langspec.stats.source_data.heads.fig2`. Cells: mean change_pct (pp) over replicates,
    hatched where it is not robust (FDR over the figure's cells); one row of panels per task, columns positive
    and negative influence.
    """
    return _sign_grid(frame, "After full fine-tuning: own-language subnetwork vs full model")


@styled
def neurons_tracin(frame: pd.DataFrame) -> Figure:
    """Figure 2 asked of language-specific neurons: each test language scored with its own LAPE neurons deactivated
    vs the full model (``frame`` as :func:`fig2`'s, from the condition ``neurons``)."""
    return _sign_grid(frame, "After full fine-tuning: own LAPE neurons deactivated vs full model")


@styled
def fig3(frame: pd.DataFrame) -> Figure:
    """Random and suboptimal subnetworks for one test language (after full fine-tuning).

    ``frame``: :func:`langspec.stats.source_data.heads.fig3`. Rows = conditions, columns = training
    languages, value = mean change_pct (pp) of the test language, hatched where it is not robust; positive and
    negative panels.
    """
    task, test_lang = frame["task"].iloc[0], frame["test_lang"].iloc[0]
    conditions = list(dict.fromkeys(frame["condition"]))
    train = list(dict.fromkeys(frame["train_lang"]))
    fig, axes = new_figure(1, 2, _panel_size(len(conditions), len(train)), (0.0, 0.3 + NOTE))
    for ax, sign in zip(axes[0], SIGN_NAMES):
        part = frame[frame["sign"] == sign]
        values = grid(part, "condition", "train_lang", "mean")
        draw_cells(ax, values, DIVERGING, symmetric_norm(values), signed, TRAIN, "subnetwork",
                   f"{SIGN_NAMES[sign]} influence", CHANGE, supported=grid(part, "condition", "train_lang", "robust"))
    _note(fig, frame)
    fig.suptitle(f"{task}, test language {test_lang}: random (R) and suboptimal subnetworks vs full model")
    return fig


@styled
def fig4(frame: pd.DataFrame) -> Figure:
    """After SFT: each task's own-language subnetwork (trained with SFT) vs the full model after full fine-tuning.

    ``frame``: :func:`langspec.stats.source_data.heads.fig4`. Cells: mean change_pct (pp), hatched where it is
    not robust; rows = tasks, columns = positive / negative.
    """
    return _sign_grid(frame, "After SFT: own-language subnetwork vs full model after full fine-tuning")


@styled
def fig6(frame: pd.DataFrame) -> Figure:
    """SFT with random subnetworks vs full fine-tuning.

    ``frame``: :func:`langspec.stats.source_data.heads.fig6`. Cells: mean change_pct (pp), hatched where it is
    not robust; rows = tasks, columns = positive / negative.
    """
    return _sign_grid(frame, "After SFT with random subnetworks: random subnetwork vs full model after full fine-tuning")


@styled
def fig11(frame: pd.DataFrame) -> Figure:
    """Baseline: share (%) of each training language in each test language's top-k, full model.

    ``frame``: :func:`langspec.stats.source_data.heads.fig11`. Cells: mean share_pct (%), hatched where it is
    not robust against the equal share 100 / L (the frame's ``reference``); rows = tasks, columns = positive /
    negative.
    """
    return _sign_grid(frame, "Full model after full fine-tuning: share of top-k per training language")


@styled
def fig19(frame: pd.DataFrame) -> Figure:
    """Composed subnetworks at test time after SFT vs the full model after full fine-tuning.

    ``frame``: :func:`langspec.stats.source_data.heads.fig19`. One panel per composition (e.g. "pawsx:
    es∩fr"): mean positive change_pct (pp), hatched where it is not robust.
    """
    labels = list(dict.fromkeys(frame["composition"]))
    rows, cols = wrap(len(labels))
    n = int(frame.groupby("composition")["test_lang"].nunique().max())
    fig, axes = new_figure(rows, cols, _panel_size(n, n), (0.0, 0.3 + NOTE))
    for ax, label in zip(drop_unused(axes, len(labels)), labels):
        part = frame[frame["composition"] == label]
        mean = grid(part, "test_lang", "train_lang", "mean")
        draw_cells(ax, mean, DIVERGING, symmetric_norm(mean), signed, TRAIN, TEST, f"{label}: positive influence", CHANGE,
                   supported=grid(part, "test_lang", "train_lang", "robust"))
    _note(fig, frame)
    fig.suptitle("Composed subnetworks after SFT vs full model after full fine-tuning")
    return fig
