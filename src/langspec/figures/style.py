"""The shared look of every figure: fonts, colour maps, sizes, colours per language.

Figures are built as :class:`matplotlib.figure.Figure` objects with an Agg
canvas, never through ``pyplot``: nothing is registered globally and nothing is
ever shown.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Iterable
from typing import ParamSpec

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, ListedColormap
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

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
#: Colour of a cell without a value (too few test examples), drawn with "n < min".
MISSING = "#a6a6a6"
#: A cell, bar or band whose 95% interval does not support it (includes its reference)
#: is hatched with grey diagonal lines over its colour washed out toward light grey,
#: and its value written in grey: ``HATCH`` in ``HATCH_COLOUR``; the colour keeps
#: ``FADE_KEEP`` of itself and takes the rest from grey ``FADE_TO`` (so it never
#: turns white and a cell stays a cell); ``MUTED`` is the colour of its text.
HATCH = "///"
HATCH_COLOUR = "0.5"
FADE_KEEP = 0.4
FADE_TO = 0.88
MUTED = "0.3"
#: Width (points) of the white lines between heatmap cells.
CELL_LINE = 2.0
#: Side (inches) of one heatmap cell with a value written in it.
CELL = 0.42
#: Side (inches) of one cell in layers x heads heatmaps (single-digit values).
SMALL_CELL = 0.27
#: Dots per inch of the PNG; figures are laid out (and their text fitted) at this resolution.
DPI = 150
#: Inches that :func:`fit` keeps free between text and the canvas edge (and between neighbours).
EDGE = 0.06
#: Inches a legend must keep from the canvas edge before :func:`fit` wraps its labels (less than the layout's 0.04 in pad).
LEGEND_EDGE = 0.02
#: Size (inches) of one line, bar or scatter panel.
PANEL = (3.3, 2.5)
#: Colours of lines, bars and points per language, and per regime.
LANGUAGE_COLOURS = mpl.colormaps["tab10"].colors
REGIME_COLOURS = mpl.colormaps["Dark2"].colors
#: Colour of fitted lines and reference lines (grey, never black: black is for axes).
GUIDE = "0.5"

P = ParamSpec("P")


def styled(function: Callable[P, Figure]) -> Callable[P, Figure]:
    """Run a figure function under the shared rc settings (fonts, white background), then :func:`fit` its text."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with mpl.rc_context(RC):
            return fit(function(*args, **kwargs))

    return wrapper


def faded(rgba: tuple[float, ...]) -> tuple[float, float, float, float]:
    """The washed-out version of a colour, for what an interval does not support."""
    rgb = FADE_KEEP * np.asarray(rgba[:3], float) + (1 - FADE_KEEP) * FADE_TO
    return (*map(float, rgb), 1.0)


def _rewrap(text: Text, available: float, renderer) -> bool:
    """Break each line of ``text`` so that none is wider than ``available`` pixels; True when it changed."""
    width = text.get_window_extent(renderer).width
    if width <= available or not text.get_text():
        return False
    lines = text.get_text().split("\n")
    longest = max(len(line) for line in lines)
    chars = max(6, int(longest * available / width) - 1)
    wrapped = "\n".join(textwrap.fill(line, chars) for line in lines)
    if wrapped == text.get_text():
        return False
    text.set_text(wrapped)
    return True


def _legend_fits(legend: Legend, width: float, edge: float, renderer) -> bool:
    """Wrap the labels of a legend that comes closer than ``edge`` pixels to a side of a ``width``-pixel canvas.

    The legend keeps its centre, so it may be as wide as twice its distance to
    the nearer side. True when it changed.
    """
    box = legend.get_window_extent(renderer)
    centre = (box.x0 + box.x1) / 2
    available = min(2 * (centre - edge), 2 * (width - edge - centre))
    if box.width <= available:
        return False
    columns = legend._ncols
    labels = sorted((t.get_window_extent(renderer).width for t in legend.get_texts()), reverse=True)
    handles = box.width - sum(labels[:columns])
    share = (available - handles) / columns
    return any([_rewrap(t, share, renderer) for t in legend.get_texts()])


def _room(box, obstacles: list, width: float, edge: float) -> float:
    """Width a centred text at ``box`` may take: clear of the canvas sides and of ``obstacles`` beside it."""
    centre = (box.x0 + box.x1) / 2
    left, right = edge, width - edge
    for other in obstacles:
        if other.y1 < box.y0 or other.y0 > box.y1:
            continue
        if other.x0 >= centre:
            right = min(right, other.x0 - edge)
        elif other.x1 <= centre:
            left = max(left, other.x1 + edge)
    return 2 * min(centre - left, right - centre)


def _halves(ax: Axes, boxes: dict) -> list[Bbox]:
    """Obstacles for ``ax``'s title: from the midpoint between it and each panel beside it (same row) outward."""
    own = boxes[ax]
    out = []
    for other, box in boxes.items():
        if other is ax or box.y1 < own.y0 or box.y0 > own.y1:
            continue
        if box.x0 >= own.x1:
            middle = (own.x1 + box.x0) / 2
            out.append(Bbox([[middle, -np.inf], [np.inf, np.inf]]))
        elif box.x1 <= own.x0:
            middle = (box.x1 + own.x0) / 2
            out.append(Bbox([[-np.inf, -np.inf], [middle, np.inf]]))
    return out


def fit(fig: Figure, rounds: int = 5) -> Figure:
    """Make every title and legend fit the canvas (and each panel title its column), wrapping lines as needed.

    Lays the figure out (constrained layout), then breaks the figure title into
    lines that stay on the canvas and clear of the legends beside it, each panel
    title into lines no wider than its column of the grid (and clear of the
    canvas sides, the legends, the colour bars and the middle of the gap to the
    panel beside it), and the labels of a legend that reaches too close
    to a side; repeats until nothing changes. Returns ``fig``.
    """
    for _ in range(rounds):
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        width, edge = fig.bbox.width, EDGE * fig.dpi
        legends = [legend.get_window_extent(renderer) for legend in fig.legends]
        changed = []
        title = getattr(fig, "_suptitle", None)
        if title is not None and title.get_text():
            changed.append(_rewrap(title, _room(title.get_window_extent(renderer), legends, width, edge), renderer))
        titled = [ax for ax in fig.axes if ax.get_title() and ax.get_subplotspec() is not None]
        boxes = {ax: ax.get_window_extent(renderer) for ax in titled}
        untitled = [ax.get_window_extent(renderer) for ax in fig.axes if ax not in boxes]  # colour bars
        for ax in titled:
            column = width / ax.get_subplotspec().get_gridspec().ncols
            obstacles = legends + untitled + _halves(ax, boxes)
            room = min(_room(ax.title.get_window_extent(renderer), obstacles, width, edge), column - edge)
            changed.append(_rewrap(ax.title, room, renderer))
        for legend in fig.legends:  # constrained layout puts side legends 0.04 in from the edge: only text past the edge is cut
            changed.append(_legend_fits(legend, width, LEGEND_EDGE * fig.dpi, renderer))
        if not any(changed):
            break
    return fig


def new_figure(rows: int, cols: int, panel: tuple[float, float],
               extra: tuple[float, float] = (0.0, 0.0)) -> tuple[Figure, np.ndarray]:
    """A figure with a rows x cols grid of axes, ``panel`` inches each, plus ``extra`` inches.

    Returns the figure and a 2-D array of axes (constrained layout, Agg canvas).
    """
    size = (cols * panel[0] + extra[0], rows * panel[1] + extra[1])
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
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
