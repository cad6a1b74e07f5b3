"""Heatmaps of language shares: training language on x, test language on y (paper figures 2-4, 6, 11, 19).

A share is the percentage of a test language's top-k most positively (or
negatively) influential training examples that come from a training language;
a change is the condition's share minus the baseline's, in percentage points (pp).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from ..errors import LangspecError
from .cells import draw_cells, one_decimal, range_norm, signed, symmetric_norm
from .checks import (
    COMPARISON,
    SHARES,
    columns,
    languages_present,
    nonempty,
    sign_matrix,
)
from .style import (
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


def _panel_size(rows: int, cols: int) -> tuple[float, float]:
    """Inches of one heatmap panel with ``rows`` x ``cols`` cells, labels and colour bar."""
    return cols * CELL + 1.5, rows * CELL + 0.9


#: How each value column is drawn: colour map, colour limits, cell text, colour bar label.
_DRAW = {
    "change_pct": (DIVERGING, symmetric_norm, signed, CHANGE),
    "share_pct": (SEQUENTIAL, range_norm, one_decimal, SHARE),
}


def _sign_grid(tables: Mapping[str, pd.DataFrame], value: str, needed: tuple[str, ...], title: str) -> Figure:
    """Rows = tables (tasks), columns = positive / negative: one heatmap of ``value`` each."""
    nonempty(tables, "tables")
    grid = [
        [sign_matrix(columns(table, needed, f"table '{task}'"), sign, value, f"table '{task}'") for sign in SIGN_NAMES]
        for task, table in tables.items()
    ]
    n = max(len(values) for row in grid for values in row)
    cmap, norm, fmt, label = _DRAW[value]
    fig, axes = new_figure(len(tables), 2, _panel_size(n, n), (0.0, 0.3))
    for task, row, panels in zip(tables, grid, axes):
        for sign, values, ax in zip(SIGN_NAMES, row, panels):
            draw_cells(ax, values, cmap, norm(values), fmt, TRAIN, TEST, f"{task}: {SIGN_NAMES[sign]} influence", label)
    fig.suptitle(title)
    return fig


@styled
def fig2(tables: dict[str, pd.DataFrame]) -> Figure:
    """After full fine-tuning: each task's own-language subnetwork vs the full model.

    ``tables``: task -> comparison table of condition ``own`` against ``full``
    (regime full). Cells: change_pct (pp); one row of panels per task, columns
    positive and negative influence.
    """
    return _sign_grid(tables, "change_pct", COMPARISON,
                      "After full fine-tuning: own-language subnetwork vs full model")


@styled
def fig3(tables: dict[str, pd.DataFrame], test_lang: str, task: str) -> Figure:
    """Random and suboptimal subnetworks for one test language (after full fine-tuning).

    ``tables``: condition label (e.g. "R1", "en mask") -> comparison table against
    the full model. Rows = conditions, columns = training languages (order of the
    first table), value = change_pct (pp) of ``test_lang``; positive and negative panels.
    """
    nonempty(tables, f"conditions for {task}/{test_lang}")
    first = columns(next(iter(tables.values())), COMPARISON, f"table '{next(iter(tables))}'")
    train = list(dict.fromkeys(first["train_lang"]))
    fig, axes = new_figure(1, 2, _panel_size(len(tables), len(train)), (0.0, 0.3))
    for ax, sign in zip(axes[0], SIGN_NAMES):
        rows = {}
        for condition, table in tables.items():
            what = f"table '{condition}'"
            part = columns(table, COMPARISON, what)
            part = part[(part["sign"] == sign) & (part["test_lang"] == test_lang)]
            if part.empty:
                raise LangspecError(f"{what} has no rows for test language '{test_lang}' with sign '{sign}'")
            languages_present(train, part["train_lang"], what, "training language")
            rows[condition] = part.set_index("train_lang")["change_pct"].reindex(train)
        values = pd.DataFrame(rows).T.astype(float)
        draw_cells(ax, values, DIVERGING, symmetric_norm(values), signed, TRAIN, "subnetwork",
                   f"{SIGN_NAMES[sign]} influence", CHANGE)
    fig.suptitle(f"{task}, test language {test_lang}: random (R) and suboptimal subnetworks vs full model")
    return fig


@styled
def fig4(tables: dict[str, pd.DataFrame]) -> Figure:
    """After SFT: each task's own-language subnetwork (trained with SFT) vs the full model after full fine-tuning.

    ``tables``: task -> comparison table (regime sft, condition own, baseline full/full).
    Cells: change_pct (pp); rows = tasks, columns = positive / negative.
    """
    return _sign_grid(tables, "change_pct", COMPARISON,
                      "After SFT: own-language subnetwork vs full model after full fine-tuning")


@styled
def fig6(tables: dict[str, pd.DataFrame]) -> Figure:
    """SFT with random subnetworks vs full fine-tuning.

    ``tables``: task -> comparison table (regime sft-random, condition random<s>,
    baseline full/full). Cells: change_pct (pp); rows = tasks, columns = positive / negative.
    """
    return _sign_grid(tables, "change_pct", COMPARISON,
                      "After SFT with random subnetworks: random subnetwork vs full model after full fine-tuning")


@styled
def fig11(tables: dict[str, pd.DataFrame]) -> Figure:
    """Baseline: share (%) of each training language in each test language's top-k, full model.

    ``tables``: task -> shares table of the full model (regime full, condition full).
    Cells: share_pct (%); rows = tasks, columns = positive / negative.
    """
    return _sign_grid(tables, "share_pct", SHARES, "Full model after full fine-tuning: share of top-k per training language")


@styled
def fig19(tables: dict[str, pd.DataFrame]) -> Figure:
    """Composed subnetworks at test time after SFT vs the full model after full fine-tuning.

    ``tables``: label (e.g. "pawsx: es∩fr") -> comparison table (regime sft,
    condition intersection-a-b or union-a-b, baseline full/full). One panel per
    label: positive change_pct (pp).
    """
    nonempty(tables, "composed-subnetwork tables")
    matrices = {key: sign_matrix(columns(t, COMPARISON, f"table '{key}'"), "pos", "change_pct", f"table '{key}'")
                for key, t in tables.items()}
    rows, cols = wrap(len(matrices))
    n = max(len(m) for m in matrices.values())
    fig, axes = new_figure(rows, cols, _panel_size(n, n), (0.0, 0.3))
    for ax, (key, values) in zip(drop_unused(axes, len(matrices)), matrices.items()):
        draw_cells(ax, values, DIVERGING, symmetric_norm(values), signed, TRAIN, TEST,
                   f"{key}: positive influence", CHANGE)
    fig.suptitle("Composed subnetworks after SFT vs full model after full fine-tuning")
    return fig
