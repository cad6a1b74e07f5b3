"""The heatmap primitive: one value per cell, written in it, cells parted by white lines, unsupported cells hatched;
and :func:`grid`, which lays a source-data frame's rows out as the matrix a heatmap draws."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize
from matplotlib.patches import Rectangle

from langspec.figures.marks import TOO_FEW
from langspec.figures.style import CELL_LINE, HATCH, HATCH_COLOUR, MISSING, MUTED, faded, text_colour


def flags(values: pd.Series) -> np.ndarray:
    """A column of marks as booleans, also when a CSV gave it back as text or with empty rows (False)."""
    text = values.astype(str).str.strip().str.lower()
    return text.isin(("true", "1", "1.0")).to_numpy()


def grid(frame: pd.DataFrame, rows: str, columns: str, value: str) -> pd.DataFrame:
    """Column ``value`` of ``frame`` as a ``rows`` x ``columns`` matrix, both in the order the frame first names them.

    Flag columns (``robust``, ``tested``) come back as booleans; a pair the frame lacks is NaN (False for flags).
    """
    order = list(dict.fromkeys(frame[rows])), list(dict.fromkeys(frame[columns]))
    index = pd.MultiIndex.from_arrays([frame[rows], frame[columns]])
    if value in ("robust", "tested"):
        matrix = pd.Series(flags(frame[value]), index=index).unstack(fill_value=False)
        return matrix.reindex(index=order[0], columns=order[1], fill_value=False).astype(bool)
    return pd.Series(frame[value].to_numpy(float), index=index).unstack().reindex(index=order[0], columns=order[1])


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


def two_decimals(value: float) -> str:
    """A cosine or a correlation."""
    return f"{value:.2f}"


def count(values: np.ndarray):
    """:func:`whole` for whole numbers (one replicate), else :func:`one_decimal` (means over replicates)."""
    finite = np.asarray(values, float)
    finite = finite[np.isfinite(finite)]
    return whole if np.allclose(finite, np.round(finite)) else one_decimal


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
    supported: pd.DataFrame | np.ndarray | None = None,
    missing: str = TOO_FEW,
) -> None:
    """Draw ``values`` (rows top to bottom, columns left to right, in their order) on ``ax``.

    Each cell shows ``fmt(value)``. ``supported`` (bool, same shape; None = all)
    says which cells their interval supports: the others are hatched over their
    colour washed out, their value in grey (:mod:`langspec.figures.marks`). NaN
    cells are grey with ``missing`` (by default "n < min": too few test examples).
    White lines of ``CELL_LINE`` points part the cells, axes spines are hidden,
    and a colour bar labelled ``colorbar`` is added unless it is None.
    """
    data = values.to_numpy(float)
    rows, cols = data.shape
    good = np.ones(data.shape, bool) if supported is None else np.asarray(supported, bool)
    if good.shape != data.shape:
        raise ValueError(f"supported {good.shape} and values {data.shape} differ in shape")
    cmap = cmap.with_extremes(bad=MISSING)
    mesh = ax.pcolormesh(np.ma.masked_invalid(data), cmap=cmap, norm=norm)
    for i in range(rows):
        for j in range(cols):
            value = data[i, j]
            if not np.isfinite(value):
                ax.text(j + 0.5, i + 0.5, missing, ha="center", va="center", fontsize=fontsize * 0.8, color="black")
                continue
            colour = cmap(norm(value))
            if good[i, j]:
                ax.text(j + 0.5, i + 0.5, fmt(value), ha="center", va="center", fontsize=fontsize, color=text_colour(colour))
                continue
            washed = faded(colour)
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=washed, hatch=HATCH, hatchcolor=HATCH_COLOUR,
                                   edgecolor="none", linewidth=0))
            ax.text(j + 0.5, i + 0.5, fmt(value), ha="center", va="center", fontsize=fontsize, color=MUTED,
                    bbox={"boxstyle": "square,pad=0.12", "facecolor": washed, "edgecolor": "none"})
    for x in range(cols + 1):
        ax.axvline(x, color="white", linewidth=CELL_LINE)
    for y in range(rows + 1):
        ax.axhline(y, color="white", linewidth=CELL_LINE)
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
