"""Grouped bars of absolute positive shares after SFT (paper figure 5), mean over replicates with 95% intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from langspec.figures.cells import flags, grid
from langspec.figures.marks import TOO_FEW, explain, fdr_label
from langspec.figures.style import (
    GUIDE,
    HATCH,
    HATCH_COLOUR,
    PANEL,
    drop_unused,
    faded,
    new_figure,
    palette,
    styled,
    wrap,
)

SHARE = "share of top-k positive (%)"


@styled
def fig5(frame: pd.DataFrame) -> Figure:
    """Share (%) of each training language in each test language's top-k positive examples.

    ``frame``: :func:`langspec.stats.source_data.heads.fig5`, one row per bar. One panel per task, each with
    its own y scale; groups = test languages, bars = training languages: the mean over replicates with its 95%
    interval as an error bar, hatched and washed out unless its t-test against the equal share 100 / L (dashed
    line) survives the false discovery rate control over every bar of the figure (the frame's ``robust``). A
    test language without enough test examples gets "n < min" instead of bars.
    """
    panels = {}
    for task, part in frame.groupby("task", sort=False):
        reference = part["reference"].dropna()
        panels[task] = [grid(part, "test_lang", "train_lang", value) for value in ("mean", "robust", "ci_low", "ci_high")]
        panels[task].append(float(reference.iloc[0]) if len(reference) else np.nan)
    tested = int(flags(frame["tested"]).sum())
    colours = palette(lang for mean, *_ in panels.values() for lang in mean.columns)
    rows, cols = wrap(len(panels))
    fig, axes = new_figure(rows, cols, (PANEL[0] + 0.4, PANEL[1]), (1.0, 0.75))
    missing = False
    for ax, (task, (mean, robust, low, high, equal)) in zip(drop_unused(axes, len(panels)), panels.items()):
        width = 0.8 / len(mean.columns)
        positions = np.arange(len(mean.index))
        for j, train_lang in enumerate(mean.columns):
            x = positions - 0.4 + (j + 0.5) * width
            values = mean[train_lang].to_numpy(float)
            good = robust[train_lang].to_numpy(bool)
            face = [colours[train_lang] if ok else faded(colours[train_lang]) for ok in good]
            bars = ax.bar(x, np.nan_to_num(values), width, color=face, linewidth=0)
            for bar, ok in zip(bars, good):
                if not ok:
                    bar.set_hatch(HATCH)
                    bar.set_hatchcolor(HATCH_COLOUR)
            error = np.array([values - low[train_lang].to_numpy(float), high[train_lang].to_numpy(float) - values])
            shown = np.isfinite(values) & np.isfinite(error).all(axis=0)
            ax.errorbar(x[shown], values[shown], yerr=error[:, shown], fmt="none", ecolor="0.15", elinewidth=0.7,
                        capsize=1.5, capthick=0.7)
        for i in np.flatnonzero(mean.isna().all(axis=1).to_numpy()):
            missing = True
            ax.text(positions[i], 0, TOO_FEW, ha="center", va="bottom", fontsize=6.5)
        if np.isfinite(equal):
            ax.axhline(equal, color=GUIDE, linewidth=0.8, linestyle="--", zorder=0.5)
        ax.set_ylim(bottom=0)
        ax.set_xticks(positions, list(mean.index))
        ax.set_xlabel("test language")
        ax.set_ylabel(SHARE)
        ax.set_title(task)
    fig.legend(handles=[Patch(color=c, label=lang) for lang, c in colours.items()], title="training language",
               loc="outside right upper", frameon=False)
    reference = Line2D([], [], color=GUIDE, linewidth=0.8, linestyle="--")
    explain(fig, fdr_label([frame], "the equal share 100/L", tested, "bars"),
            missing=missing,
            extra=[(reference, "equal share 100/L"), (Line2D([], [], color="0.15", marker="|", linestyle=""), "95% interval")])
    fig.suptitle("After SFT: absolute positive share of each training language")
    return fig
