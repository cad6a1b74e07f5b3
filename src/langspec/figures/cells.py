"""The heatmap primitive: one value per cell, written in it, cells parted by white lines."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize

from .style import CELL_LINE, MISSING, text_colour


def signed(value: float) -> str:
    """A change in percentage points with its sign and one decimal: "+2.3", "-1.0", "0.0"."""
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def one_decimal(value: float) -> str:
    """An absolute value with one decimal."""
    return f"{value:.1f}"


def whole(value: float) -> str:
    """A count or a rounded percentage, without decimals."""
    return f"{value:.0f}"


def symmetric_norm(values: pd.DataFrame) -> Normalize:
    """Limits ±max|value| so that 0 sits at the centre of a diverging colour map."""
    finite = np.abs(values.to_numpy(float))
    finite = finite[np.isfinite(finite)]
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    return Normalize(-limit, limit)


def range_norm(values: pd.DataFrame, low: float = 0.0) -> Normalize:
    """Limits from ``low`` to the largest value (at least ``low`` + 1e-9)."""
    finite = values.to_numpy(float)
    finite = finite[np.isfinite(finite)]
    high = float(finite.max()) if finite.size else low + 1.0
    return Normalize(low, max(high, low + 1e-9))


def draw_cells(
    ax: Axes,
    values: pd.DataFrame,
    cmap: Colormap,
    norm: Normalize,
    fmt: Callable[[float], str],
    xlabel: str,
    ylabel: str,
    title: str,
    colorbar: str | None,
    fontsize: float = 7.0,
) -> None:
    """Draw ``values`` (rows top to bottom, columns left to right, in their order) on ``ax``.

    Each cell shows ``fmt(value)``; NaN cells are grey with "–". White lines of
    ``CELL_LINE`` points part the cells, axes spines are hidden, and a colour bar
    labelled ``colorbar`` is added unless it is None.
    """
    data = values.to_numpy(float)
    rows, cols = data.shape
    cmap = cmap.with_extremes(bad=MISSING)
    mesh = ax.pcolormesh(np.ma.masked_invalid(data), cmap=cmap, norm=norm)
    for x in range(cols + 1):
        ax.axvline(x, color="white", linewidth=CELL_LINE)
    for y in range(rows + 1):
        ax.axhline(y, color="white", linewidth=CELL_LINE)
    for i in range(rows):
        for j in range(cols):
            value = data[i, j]
            if np.isfinite(value):
                text, colour = fmt(value), text_colour(cmap(norm(value)))
            else:
                text, colour = "–", "black"
            ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=fontsize, color=colour)
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(cols) + 0.5, [str(c) for c in values.columns])
    ax.set_yticks(np.arange(rows) + 0.5, [str(r) for r in values.index])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if colorbar is not None:
        bar = ax.figure.colorbar(mesh, ax=ax, shrink=0.9, aspect=20, pad=0.03)
        bar.outline.set_visible(False)
        bar.set_label(colorbar)
