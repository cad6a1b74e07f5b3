"""Figures of the language-specific neurons (LAPE, Tang et al. 2024): drawing only.

Each takes the tidy frame its source-data function returns (:mod:`langspec.stats.source_data.neurons`, which
documents the columns; the workflow writes it beside the figure as ``figures/neurons/{name}.data.csv``) and
draws it. What the replicates support is shown as in paper 003's figures: lines are means over replicates with
a shaded 95% t-interval (none for one replicate); heatmap cells not kept by the false discovery rate control
over the figure's tested cells are hatched and washed out.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from langspec.figures.cells import draw_cells, flags, grid, signed, symmetric_norm
from langspec.figures.marks import explain, fdr_text, replicates
from langspec.figures.style import DIVERGING, GUIDE, drop_unused, new_figure, palette, styled, wrap

#: Conditions of the deactivation figure, as the source data names them, and their panel titles.
CONDITIONS = {"lape": "language's LAPE neurons", "random": "random neurons, same count per layer"}
#: Opacity of an interval band and of the bottom/top layers' shading.
BAND, OUTER = 0.2, 0.12


def _tasks(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {task: frame[frame["task"] == task] for task in dict.fromkeys(frame["task"])}


@styled
def neurons_layers(frame: pd.DataFrame) -> Figure:
    """Each language's LAPE neurons per layer (0 the bottom), one panel per task: the mean count over replicates
    with its 95% band; the bottom and top layers of the layer-profile claim shaded grey.

    ``frame``: :func:`langspec.stats.source_data.neurons.layers_figure`.
    """
    panels = _tasks(frame.assign(lang=frame["lang"].astype(str)))
    rows, cols = wrap(len(panels), 3)
    fig, axes = new_figure(rows, cols, (3.3, 2.5), (1.0, 0.75))
    colours = palette(lang for part in panels.values() for lang in part["lang"])
    for ax, (task, part) in zip(drop_unused(axes, len(panels)), panels.items()):
        for layer in part.loc[flags(part["outer"]), "layer"].unique():
            ax.axvspan(layer - 0.5, layer + 0.5, color=GUIDE, alpha=OUTER, linewidth=0)
        for lang, line in part.groupby("lang", sort=False):
            x = line["layer"].to_numpy(float)
            low, high = line["ci_low"].to_numpy(float), line["ci_high"].to_numpy(float)
            ax.fill_between(x, np.maximum(low, 0), high, color=colours[lang], alpha=BAND, linewidth=0)
            ax.plot(x, line["mean"].to_numpy(float), color=colours[lang], marker="o", markersize=3, linewidth=1.2)
        count = int(part["layers"].iloc[0])
        ax.set_xticks(range(count))
        ax.set_xlim(-0.5, count - 0.5)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("layer (0: bottom)")
        ax.set_ylabel("language-specific neurons")
        ax.set_title(f"{task} ({int(part['width'].iloc[0])} neurons per layer)")
    counts = [int(c) for c in frame["n_replicates"] if c > 0]
    band = (f"line: mean over {replicates(counts)}; band: its 95% interval" if max(counts, default=0) > 1
            else "line: 1 replicate (no band: no spread between replicates)")
    handles = [Line2D([], [], color=c, marker="o", markersize=3, label=lang) for lang, c in colours.items()]
    fig.legend(handles=handles, title="language", loc="outside right upper", frameon=False)
    entries = [(Line2D([], [], color="0.3"), band)]
    if flags(frame["outer"]).any():
        entries.insert(0, (Patch(facecolor=GUIDE, alpha=OUTER * 2, linewidth=0),
                           "bottom and top layers (the layer-profile claim)"))
    fig.legend(*zip(*entries), loc="outside lower center", frameon=False, ncols=1)
    fig.suptitle("Language-specific neurons (LAPE) per layer")
    return fig


def _change_label(row: pd.Series) -> str:
    if flags(pd.Series([row["higher_is_better"]]))[0]:
        return f"change vs intact ({row['metric_label']} points)"
    return f"change vs intact ({row['metric_label']}, % of intact; + = better)"


@styled
def neurons_deactivation(frame: pd.DataFrame) -> Figure:
    """Every language's dev metric with each language's neurons deactivated, against the intact model: one heatmap
    per task and condition (the language's LAPE neurons; random neurons of the same count per layer). Rows: the
    language whose neurons (or whose control) are deactivated; columns: the test language; blue a loss, red a gain;
    hatched unless ``robust``.

    ``frame``: :func:`langspec.stats.source_data.neurons.deactivation_figure`.
    """
    frame = frame.assign(deactivated=frame["deactivated"].astype(str), test_lang=frame["test_lang"].astype(str))
    panels = [(task, condition, part[part["condition"] == condition]) for task, part in _tasks(frame).items()
              for condition in CONDITIONS if (part["condition"] == condition).any()]
    size = max(frame["test_lang"].nunique(), 1) * 0.55 + 1.6
    fig, axes = new_figure(len(panels) // 2 + len(panels) % 2 if len(panels) > 1 else 1, min(2, len(panels)),
                           (size, size - 0.4), (0.0, 0.9))
    norms = {task: symmetric_norm(part[["mean"]]) for task, part in _tasks(frame).items()}  # one scale per task
    for ax, (task, condition, part) in zip(drop_unused(axes, len(panels)), panels):
        mean = grid(part, "deactivated", "test_lang", "mean")
        draw_cells(ax, mean, DIVERGING, norms[task], signed, "test language",
                   "neurons deactivated of", f"{task}: {CONDITIONS[condition]}", _change_label(part.iloc[0]),
                   supported=grid(part, "deactivated", "test_lang", "robust").astype(bool), missing="–")
    explain(fig, fdr_text(frame["n_replicates"].tolist(), "0", int(flags(frame["tested"]).sum())))
    fig.suptitle("Deactivating language-specific neurons: each language's dev metric against the intact model")
    return fig


#: What one removed unit of each kind is, in the kinds figure's labels.
UNITS = {"heads": "heads", "weights": "weights", "neurons": "neurons"}


def _count(value: float) -> str:
    """A count for a label: 1, 29.8, 22.9k, 1.2M."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


#: Panel titles of the kinds figure.
KIND_PANELS = ("(a) where each kind places a language's specificity", "(b) overlap against random placement",
               "(c) specificity index at matched parameters")


def _interval(part: pd.DataFrame) -> np.ndarray:
    """Error-bar lengths [2, n] from a frame's mean and interval (0 where there is none)."""
    mean = part["mean"].to_numpy(float)
    low = np.nan_to_num(mean - part["ci_low"].to_numpy(float))
    high = np.nan_to_num(part["ci_high"].to_numpy(float) - mean)
    return np.vstack([low, high])


@styled
def neurons_kinds(frame: pd.DataFrame) -> Figure:
    """Heads, weights and neurons side by side, one row of three panels per task: (a) the share (%) of a language's
    specificity per layer for each kind (means over languages and replicates, 95% bands; dashed: uniform); (b) the
    overlap shares as % of their random expectation with 95% intervals (dotted: random placement); (c) each kind's
    specificity index (nats) with its 95% interval, the removal's size under each bar.

    ``frame``: :func:`langspec.stats.source_data.neurons.kinds_figure`.
    """
    tasks = _tasks(frame.assign(kind=frame["kind"].astype(str)))
    fig, axes = new_figure(len(tasks), 3, (3.6, 2.8), (0.6, 1.0))
    axes = np.asarray(axes).reshape(len(tasks), 3)
    colours = palette(["heads", "weights", "neurons"])
    for row, (task, part) in zip(axes, tasks.items()):
        profile = part[part["panel"] == "profile"]
        count = int(profile["layers"].max())
        for kind, line in profile.groupby("kind", sort=False):
            x = line["layer"].to_numpy(float)
            low, high = line["ci_low"].to_numpy(float), line["ci_high"].to_numpy(float)
            row[0].fill_between(x, np.maximum(low, 0), high, color=colours[kind], alpha=BAND, linewidth=0)
            row[0].plot(x, line["mean"].to_numpy(float), color=colours[kind], marker="o", markersize=3, label=kind)
        row[0].axhline(100 / count, color=GUIDE, linestyle="--", linewidth=1)
        row[0].set_xticks(range(count))
        row[0].set_xlabel("layer (0: bottom)")
        row[0].set_ylabel("share of specificity (%)")
        row[0].set_ylim(bottom=0)
        overlap = part[part["panel"] == "overlap"].reset_index(drop=True)
        y = np.arange(len(overlap))
        row[1].barh(y, overlap["mean"].to_numpy(float), xerr=_interval(overlap), color="0.55", capsize=3)
        row[1].axvline(100, color="black", linestyle=":", linewidth=1.2)
        row[1].set_yticks(y, [f"{textwrap.fill(t, 18)}\n(random: {e:.3g}%)" for t, e
                              in zip(overlap["overlap"].astype(str), overlap["expected"].to_numpy(float))])
        row[1].set_xlabel("share, % of its random expectation")
        index = part[part["panel"] == "index"].reset_index(drop=True)
        x = np.arange(len(index))
        row[2].bar(x, index["mean"].to_numpy(float), yerr=_interval(index), capsize=3,
                   color=[colours[k] for k in index["kind"]])
        row[2].axhline(0, color="black", linewidth=0.8)
        labels = [f"{k}\n{_count(units)} {UNITS[k]}\n{_count(params)} params" for k, units, params
                  in zip(index["kind"], index["units"].to_numpy(float), index["params"].to_numpy(float))]
        row[2].set_xticks(x, labels)
        row[2].set_ylabel("own minus others' loss rise (nats)")
        for ax, title in zip(row, KIND_PANELS):
            ax.set_title(f"{task}: {title}" if len(tasks) > 1 else title)
    counts = [int(c) for c in frame["n_replicates"] if c > 0]
    fig.legend(handles=[Line2D([], [], color=c, marker="o", markersize=3, label=k) for k, c in colours.items()]
               + [Line2D([], [], color=GUIDE, linestyle="--", label="uniform over layers"),
                  Line2D([], [], color="black", linestyle=":", label="random placement (100%)")],
               loc="outside lower center", frameon=False, ncols=5,
               title=f"means over {replicates(counts)}; bars, bands: 95% t-intervals over replicates")
    fig.suptitle("Heads, weights and neurons: where and how language-specific each kind is")
    return fig
