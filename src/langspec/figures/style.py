"""The shared look of every figure: fonts, colour maps, sizes, colours per language.

Figures are built as :class:`matplotlib.figure.Figure` objects with an Agg
canvas, never through ``pyplot``: nothing is registered globally and nothing is
ever shown.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import ParamSpec

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

RC = {
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "legend.title_fontsize": 7.5,
    "figure.titlesize": 9.5,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
}

SIGN_NAMES = {"pos": "positive", "neg": "negative"}

#: Diverging map for changes (pp); its centre is light grey, not white, so a cell
#: with no change still stands out from the white lines between cells.
DIVERGING: Colormap = mpl.colormaps["coolwarm"]
#: Sequential map for absolute values; cut below 8% so its lightest colour is not white.
SEQUENTIAL: Colormap = ListedColormap(mpl.colormaps["YlGnBu"](np.linspace(0.08, 0.92, 256)), name="YlGnBu_cut")
#: Colour of a cell without a value (no test example), drawn with "–".
MISSING = "#a6a6a6"
#: Width (points) of the white lines between heatmap cells.
CELL_LINE = 2.0
#: Side (inches) of one heatmap cell with a value written in it.
CELL = 0.42
#: Side (inches) of one cell in layers x heads heatmaps (single-digit values).
SMALL_CELL = 0.27
#: Size (inches) of one line, bar or scatter panel.
PANEL = (3.3, 2.5)
#: Colours of lines, bars and points per language, and per regime.
LANGUAGE_COLOURS = mpl.colormaps["tab10"].colors
REGIME_COLOURS = mpl.colormaps["Dark2"].colors
#: Colour of fitted lines and reference lines (grey, never black: black is for axes).
GUIDE = "0.5"

P = ParamSpec("P")


def styled(function: Callable[P, Figure]) -> Callable[P, Figure]:
    """Run a figure function under the shared rc settings (fonts, white background)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with mpl.rc_context(RC):
            return function(*args, **kwargs)

    return wrapper


def new_figure(rows: int, cols: int, panel: tuple[float, float],
               extra: tuple[float, float] = (0.0, 0.0)) -> tuple[Figure, np.ndarray]:
    """A figure with a rows x cols grid of axes, ``panel`` inches each, plus ``extra`` inches.

    Returns the figure and a 2-D array of axes (constrained layout, Agg canvas).
    """
    size = (cols * panel[0] + extra[0], rows * panel[1] + extra[1])
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


def wrap(n: int, max_cols: int = 3) -> tuple[int, int]:
    """Rows and columns of a grid that holds ``n`` panels, at most ``max_cols`` wide."""
    cols = min(n, max_cols)
    return -(-n // cols), cols


def drop_unused(axes: np.ndarray, used: int) -> list[Axes]:
    """Remove the grid's axes after the first ``used`` (row-major); return the used ones."""
    flat = list(axes.flat)
    for ax in flat[used:]:
        ax.remove()
    return flat[:used]


def palette(names: Iterable[str], colours: tuple = LANGUAGE_COLOURS) -> dict[str, tuple]:
    """A colour per name, in the order given (cycling when there are more names than colours)."""
    return {name: colours[i % len(colours)] for i, name in enumerate(dict.fromkeys(names))}


def text_colour(rgba: tuple[float, ...]) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba``."""
    red, green, blue = rgba[:3]
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"


def legend(fig: Figure, colours: dict[str, tuple], title: str, lines: bool = False) -> None:
    """A legend right of the panels with one entry per name: a dot, or a line with a dot (``lines``)."""
    handles = [Line2D([], [], color=c, marker="o", markersize=4, linestyle="-" if lines else "", label=name)
               for name, c in colours.items()]
    fig.legend(handles=handles, title=title, loc="outside right upper", frameon=False)
