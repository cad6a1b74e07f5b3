"""Heatmaps of language shares: training language on x, test language on y (paper figures 2-4, 6, 11, 19).

A share is the percentage of a test language's top-k most positively (or
negatively) influential training examples that come from a training language;
a change is the condition's share minus the baseline's, in percentage points (pp).
Every heatmap draws the mean over replicates of an aggregated table
(``langspec.stats.replicates.aggregate_shares``) and hatches the cells that are not
robust: a cell is robust when its t-test against 0 (changes) or the equal share
100 / L (shares) is kept by the Benjamini–Hochberg procedure at q = 0.05 over all
cells of the figure (:mod:`langspec.stats.multiplicity`); with one replicate no
cell is. A cell without a value says "n < min" (too few test examples).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from langspec.core.errors import LangspecError
from langspec.figures.cells import draw_cells, one_decimal, range_norm, signed, symmetric_norm
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
from langspec.stats.frames import aggregated, languages_present, nonempty, sign_tests
from langspec.stats.multiplicity import fdr_marks, tested_cells

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


def _note(fig: Figure, parts: list[pd.DataFrame], measure: str, means: list[pd.DataFrame], tested: int) -> None:
    """The legend under the panels: hatching, replicates, the FDR control; "n < min" when a cell has no value."""
    missing = any(m.isna().to_numpy().any() for m in means)
    explain(fig, fdr_label(parts, reference_text(parts, measure), tested), missing=missing)


def _sign_grid(tables: Mapping[str, pd.DataFrame], measure: str, title: str) -> Figure:
    """Rows = tables (tasks), columns = positive / negative: one heatmap of ``measure``'s mean each, unsupported cells hatched."""
    nonempty(tables, "tables")
    parts = {task: aggregated(table, measure, f"table '{task}'") for task, table in tables.items()}
    grid = [[sign_tests(part, sign, f"table '{task}'") for sign in SIGN_NAMES] for task, part in parts.items()]
    cells = [cell for row in grid for cell in row]
    marks = iter(fdr_marks([p for _, p, _ in cells], [r for _, _, r in cells]))
    n = max(len(mean) for mean, _, _ in cells)
    cmap, norm, fmt, label = _DRAW[measure]
    fig, axes = new_figure(len(tables), 2, _panel_size(n, n), (0.0, 0.3 + NOTE))
    for task, row, panels in zip(tables, grid, axes):
        for sign, (mean, _, _), ax in zip(SIGN_NAMES, row, panels):
            draw_cells(ax, mean, cmap, norm(mean), fmt, TRAIN, TEST, f"{task}: {SIGN_NAMES[sign]} influence", label,
                       supported=next(marks))
    _note(fig, list(parts.values()), measure, [mean for mean, _, _ in cells],
          tested_cells([p for _, p, _ in cells], [r for _, _, r in cells]))
    fig.suptitle(title)
    return fig


@styled
def fig2(tables: dict[str, pd.DataFrame]) -> Figure:
    """After full fine-tuning: each task's own-language subnetwork vs the full model.

    ``tables``: task -> aggregated comparison table of condition ``own`` against
    ``full`` (regime full). Cells: mean change_pct (pp) over replicates, hatched
    where it is not robust (FDR over the figure's cells); one row of panels per task, columns
    positive and negative influence.
    """
    return _sign_grid(tables, "change_pct", "After full fine-tuning: own-language subnetwork vs full model")


@styled
def fig3(tables: dict[str, pd.DataFrame], test_lang: str, task: str) -> Figure:
    """Random and suboptimal subnetworks for one test language (after full fine-tuning).

    ``tables``: condition label (e.g. "R1", "en mask") -> aggregated comparison
    table against the full model. Rows = conditions, columns = training languages
    (order of the first table), value = mean change_pct (pp) of ``test_lang``,
    hatched where its interval includes 0; positive and negative panels.
    """
    nonempty(tables, f"conditions for {task}/{test_lang}")
    parts = {condition: aggregated(table, "change_pct", f"table '{condition}'") for condition, table in tables.items()}
    train = list(dict.fromkeys(next(iter(parts.values()))["train_lang"]))
    fig, axes = new_figure(1, 2, _panel_size(len(tables), len(train)), (0.0, 0.3 + NOTE))
    means, ps, ns = [], [], []
    for sign in SIGN_NAMES:
        rows, p_values, counts = {}, {}, {}
        for condition, part in parts.items():
            what = f"table '{condition}'"
            part = part[(part["sign"] == sign) & (part["test_lang"] == test_lang)]
            if part.empty:
                raise LangspecError(f"{what} has no rows for test language '{test_lang}' with sign '{sign}'")
            languages_present(train, part["train_lang"], what, "training language")
            indexed = part.set_index("train_lang").reindex(train)
            rows[condition], p_values[condition], counts[condition] = (indexed["mean"], indexed["p_value"],
                                                                       indexed["n_replicates"])
        means.append(pd.DataFrame(rows).T.astype(float))
        ps.append(pd.DataFrame(p_values).T.astype(float))
        ns.append(pd.DataFrame(counts).T.astype(float))
    for ax, sign, values, supported in zip(axes[0], SIGN_NAMES, means, fdr_marks(ps, ns)):
        draw_cells(ax, values, DIVERGING, symmetric_norm(values), signed, TRAIN, "subnetwork",
                   f"{SIGN_NAMES[sign]} influence", CHANGE, supported=supported)
    _note(fig, [p[p["test_lang"] == test_lang] for p in parts.values()], "change_pct", means, tested_cells(ps, ns))
    fig.suptitle(f"{task}, test language {test_lang}: random (R) and suboptimal subnetworks vs full model")
    return fig


@styled
def fig4(tables: dict[str, pd.DataFrame]) -> Figure:
    """After SFT: each task's own-language subnetwork (trained with SFT) vs the full model after full fine-tuning.

    ``tables``: task -> aggregated comparison table (regime sft, condition own,
    baseline full/full). Cells: mean change_pct (pp), hatched where its interval
    includes 0; rows = tasks, columns = positive / negative.
    """
    return _sign_grid(tables, "change_pct", "After SFT: own-language subnetwork vs full model after full fine-tuning")


@styled
def fig6(tables: dict[str, pd.DataFrame]) -> Figure:
    """SFT with random subnetworks vs full fine-tuning.

    ``tables``: task -> aggregated comparison table (regime sft-random, condition
    random<s>, baseline full/full). Cells: mean change_pct (pp), hatched where its
    interval includes 0; rows = tasks, columns = positive / negative.
    """
    return _sign_grid(tables, "change_pct",
                      "After SFT with random subnetworks: random subnetwork vs full model after full fine-tuning")


@styled
def fig11(tables: dict[str, pd.DataFrame]) -> Figure:
    """Baseline: share (%) of each training language in each test language's top-k, full model.

    ``tables``: task -> aggregated shares table of the full model (regime full,
    condition full). Cells: mean share_pct (%), hatched where its interval
    includes the equal share 100 / L (the table's ``reference``); rows = tasks,
    columns = positive / negative.
    """
    return _sign_grid(tables, "share_pct", "Full model after full fine-tuning: share of top-k per training language")


@styled
def fig19(tables: dict[str, pd.DataFrame]) -> Figure:
    """Composed subnetworks at test time after SFT vs the full model after full fine-tuning.

    ``tables``: label (e.g. "pawsx: es∩fr") -> aggregated comparison table
    (regime sft, condition intersection-a-b or union-a-b, baseline full/full).
    One panel per label: mean positive change_pct (pp), hatched where its
    interval includes 0.
    """
    nonempty(tables, "composed-subnetwork tables")
    parts = {key: aggregated(t, "change_pct", f"table '{key}'") for key, t in tables.items()}
    cells = {key: sign_tests(part, "pos", f"table '{key}'") for key, part in parts.items()}
    ps, ns = [p for _, p, _ in cells.values()], [r for _, _, r in cells.values()]
    rows, cols = wrap(len(cells))
    n = max(len(mean) for mean, _, _ in cells.values())
    fig, axes = new_figure(rows, cols, _panel_size(n, n), (0.0, 0.3 + NOTE))
    for ax, (key, (mean, _, _)), supported in zip(drop_unused(axes, len(cells)), cells.items(), fdr_marks(ps, ns)):
        draw_cells(ax, mean, DIVERGING, symmetric_norm(mean), signed, TRAIN, TEST, f"{key}: positive influence", CHANGE,
                   supported=supported)
    _note(fig, [p[p["sign"] == "pos"] for p in parts.values()], "change_pct", [mean for mean, _, _ in cells.values()],
          tested_cells(ps, ns))
    fig.suptitle("Composed subnetworks after SFT vs full model after full fine-tuning")
    return fig
