"""Language specialization over training epochs and against accuracy (paper figures 7, 10, 17, 18).

The language specialization of a test language at a checkpoint is its
in-language positive share: the percentage of its top-k most positively
influential training examples, ranked with that checkpoint alone, that are in
the test language itself. Over epochs it is drawn as the mean over replicates
with a shaded 95% interval; against accuracy, every replicate's points are drawn.
Each function takes the figure's source-data frame (:mod:`langspec.stats.source_data.heads`) and only draws it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from langspec.figures.marks import method, replicates
from langspec.figures.scatter import replicate_legend, scatter_points
from langspec.figures.style import (
    PANEL,
    REGIME_COLOURS,
    drop_unused,
    legend,
    new_figure,
    palette,
    styled,
    wrap,
)

SPECIALIZATION = "in-language positive share (%)"
#: Opacity of the 95% band around a mean line.
BAND = 0.14


def _epoch_axis(ax: Axes, epochs: np.ndarray, title: str) -> None:
    """Integer epoch ticks, labels (y label in the first column only) and title of one over-epochs panel."""
    ax.set_xticks(np.unique(epochs))
    ax.set_xlabel("epoch")
    if ax.get_subplotspec().is_first_col():
        ax.set_ylabel(SPECIALIZATION)
    ax.set_title(title)


def _line(ax: Axes, part: pd.DataFrame, colour: tuple) -> None:
    """One mean line over epochs with its shaded 95% interval (where the interval is defined)."""
    part = part.sort_values("epoch")
    ax.fill_between(part["epoch"], part["ci_low"], part["ci_high"], color=colour, alpha=BAND, linewidth=0)
    ax.plot(part["epoch"], part["mean"], marker="o", markersize=3.5, color=colour)


def _band_note(fig: Figure, curves: Sequence[pd.DataFrame]) -> None:
    """The legend under the panels: what the shaded band is, over how many replicates, by which interval."""
    present = pd.concat([c[np.isfinite(c["mean"].to_numpy(float))] for c in curves])
    if present.empty or present["n_replicates"].max() <= 1:
        label = "line: value; band: 95% interval over the test examples of 1 replicate (no seed spread)"
    else:
        label = (f"line: mean; band: 95% interval over {replicates(present['n_replicates'])} "
                 f"({method(present['method'])})")
    fig.legend(handles=[Patch(facecolor="0.5", alpha=BAND * 2, linewidth=0)], labels=[label],
               loc="outside lower center", frameon=False)


@styled
def fig7(frame: pd.DataFrame) -> Figure:
    """Language specialization (%) against accuracy (%) over all languages and checkpoints, per task.

    ``frame``: :func:`langspec.stats.source_data.heads.fig7`. One scatter panel per task: every replicate's
    points (marker per replicate, colour per test language), a fitted line per replicate, and Pearson r pooled
    over replicates with its 95% interval.
    """
    colours = palette(frame["test_lang"])
    tasks = list(dict.fromkeys(frame["task"]))
    rows, cols = wrap(len(tasks))
    fig, axes = new_figure(rows, cols, PANEL, (0.9, 0.6))
    for ax, task in zip(drop_unused(axes, len(tasks)), tasks):
        scatter_points(ax, frame[frame["task"] == task], "specialization_pct", "accuracy_pct", colours, "test_lang",
                       SPECIALIZATION, "accuracy (%)", task, "points")
    legend(fig, colours, "test language")
    replicate_legend(fig, sorted(set(frame["replicate"].astype(int))))
    fig.suptitle("Language specialization vs accuracy, all languages and checkpoints")
    return fig


def _share_y(axes: list[Axes]) -> None:
    """Give all ``axes`` the union of their y limits, so panels compare at a glance."""
    low = min(ax.get_ylim()[0] for ax in axes)
    high = max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:
        ax.set_ylim(low, high)


def _curves(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Regime -> its rows of the frame, in the frame's order."""
    return {regime: part for regime, part in frame.groupby("regime", sort=False)}


def _by_regime(frame: pd.DataFrame, title: str) -> Figure:
    """One panel per regime, one mean line (with 95% band) per test language: specialization (%) per epoch."""
    task = frame["task"].iloc[0]
    curves = _curves(frame)
    colours = palette(frame["test_lang"])
    rows, cols = wrap(len(curves))
    fig, axes = new_figure(rows, cols, PANEL, (0.8, 0.6))
    used = drop_unused(axes, len(curves))
    for ax, (regime, curve) in zip(used, curves.items()):
        for lang, part in curve.groupby("test_lang", sort=False):
            _line(ax, part, colours[lang])
        _epoch_axis(ax, curve["epoch"].to_numpy(), f"{task}: {regime}")
    _share_y(used)
    legend(fig, colours, "test language", lines=True)
    _band_note(fig, list(curves.values()))
    fig.suptitle(title)
    return fig


@styled
def fig10(frame: pd.DataFrame) -> Figure:
    """Language specialization (%) over epochs of one task, one panel per regime (e.g. full fine-tuning, SFT).

    ``frame``: :func:`langspec.stats.source_data.heads.fig10`.
    """
    return _by_regime(frame, f"Language specialization over epochs: {frame['task'].iloc[0]}")


@styled
def fig17(frame: pd.DataFrame) -> Figure:
    """Language specialization (%) over epochs of one task: one panel per test language, one line per regime.

    ``frame``: :func:`langspec.stats.source_data.heads.fig17`. Test languages in the order of the first
    regime; lines are means over replicates with a shaded 95% interval.
    """
    task = frame["task"].iloc[0]
    curves = _curves(frame)
    languages = list(dict.fromkeys(next(iter(curves.values()))["test_lang"]))
    colours = palette(curves, REGIME_COLOURS)
    rows, cols = wrap(len(languages))
    fig, axes = new_figure(rows, cols, (2.6, 2.1), (1.2, 0.6))
    used = drop_unused(axes, len(languages))
    for ax, lang in zip(used, languages):
        for regime, curve in curves.items():
            _line(ax, curve[curve["test_lang"] == lang], colours[regime])
        _epoch_axis(ax, frame["epoch"].to_numpy(), f"test language {lang}")
    _share_y(used)
    legend(fig, colours, "regime", lines=True)
    _band_note(fig, list(curves.values()))
    fig.suptitle(f"Language specialization over epochs per test language: {task}")
    return fig


@styled
def fig18(frame: pd.DataFrame) -> Figure:
    """SFT with random subnetworks: language specialization (%) over epochs, drawn like :func:`fig10`.

    ``frame``: :func:`langspec.stats.source_data.heads.fig18`.
    """
    return _by_regime(frame, f"Language specialization over epochs with random subnetworks: {frame['task'].iloc[0]}")
