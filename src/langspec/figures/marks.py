"""How a figure shows uncertainty: the mark on what an interval does not support, and the line that explains it.

A cell or bar is *robust* when its t-test over the replicates against its
reference (0 for a change, the equal share 100 / L for a share, the value
expected by chance for head overlaps; see :mod:`langspec.stats.replicates`)
survives the false discovery rate control over the figure's cells or bars
(:mod:`langspec.stats.multiplicity`), as the figure's source data says in its
``robust`` column. What is not robust is hatched and washed out
(:data:`~langspec.figures.style.HATCH`), and a legend under the panels says in one
line what the hatching means, over how many replicates, and by which test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Patch

from langspec.figures.style import EDGE, HATCH, HATCH_COLOUR, MISSING, faded

#: How a legend names the false discovery rate control of the marks: the procedure and q of
#: :data:`langspec.stats.multiplicity.METHOD` (figures only draw, so the words are kept here; a test checks they agree).
FDR_METHOD = "Benjamini–Hochberg, q = 0.05"
#: The interval methods a source-data frame's ``method`` column names (:mod:`langspec.stats.replicates`; checked by a test).
T_METHOD = "t-interval over replicate means"
NORMAL_METHOD = "normal interval over the test examples of one replicate (no seed spread)"

#: Text of a cell whose value is missing because too few test examples scored it.
TOO_FEW = "n < min"
#: What ``TOO_FEW`` means, in the legend.
TOO_FEW_MEANS = "n < min: too few test examples in every replicate"


#: Replicates configured for the figure being drawn (:func:`configured`); None: not known.
_CONFIGURED: int | None = None


@contextlib.contextmanager
def configured(total: int | None) -> Iterator[None]:
    """Within it, legends that count replicates say "R of R' replicates learned" when fewer than ``total`` are drawn."""
    global _CONFIGURED
    before, _CONFIGURED = _CONFIGURED, total
    try:
        yield
    finally:
        _CONFIGURED = before


def replicates(counts: Iterable[int]) -> str:
    """ "3 replicates", "1 replicate", or "2–3 replicates" when cells differ; "3 of 4 replicates learned" when
    the figure's configured replicates (:func:`configured`) are more than were drawn."""
    counts = [int(c) for c in counts if int(c) > 0]
    if not counts:
        return "no replicate"
    low, high = min(counts), max(counts)
    if _CONFIGURED is not None and high < _CONFIGURED:
        drawn = f"{low}" if low == high else f"{low}–{high}"
        return f"{drawn} of {_CONFIGURED} replicates learned"
    if low == high:
        return f"{low} replicate" + ("s" if low != 1 else "")
    return f"{low}–{high} replicates"


def method(methods: Iterable[str]) -> str:
    """The interval method of the cells with a value, in a few words."""
    kinds = {m for m in methods if m in (T_METHOD, NORMAL_METHOD)}
    if kinds == {T_METHOD}:
        return "t-interval"
    if kinds == {NORMAL_METHOD}:
        return "over 1 replicate's test examples, no seed spread"
    if kinds:
        return "t-interval; cells with 1 replicate: its test examples only"
    return "no interval"


def fdr_label(tables: Iterable[pd.DataFrame], reference: str, tested: int, what: str = "cells") -> str:
    """The legend line of a figure whose marks control the false discovery rate over its ``tested`` cells.

    ``tables`` are the aggregated tables drawn (cells with a value count); with one
    replicate nothing is marked and the line says why.
    """
    counts = []
    for table in tables:
        present = table[np.isfinite(table["mean"].to_numpy(float))]
        counts += present["n_replicates"].astype(int).tolist()
    return fdr_text(counts, reference, tested, what)


def fdr_text(counts: Iterable[int], reference: str, tested: int, what: str = "cells", untested: str = "",
             floored: bool = False) -> str:
    """:func:`fdr_label` from the replicate counts of the drawn values; ``what`` names them ("cells", "bars").

    ``untested`` says which drawn values are fixed by construction and so not
    tested (and never hatched), e.g. "diagonal: a language with itself";
    ``floored``: the tests' spread was floored at the replicates' own sampling
    error (:data:`langspec.stats.replicates.FLOOR_METHOD`), which the line then says.
    """
    counts = [int(c) for c in counts if int(c) > 0]
    if not counts or max(counts) < 2:
        return f"hatched: every {what[:-1]}: 1 replicate has no spread\nbetween replicates to test, so none is robust"
    aside = f"; {untested}, not tested" if untested else ""
    floor = ", sd ≥ the replicates' sampling error" if floored else ""
    return (f"hatched: not robust: t-test against {reference} ({replicates(counts)}{floor})\n"
            f"not kept by {FDR_METHOD} over the figure's {tested} {what}{aside}")


def hatch_handle(colour: tuple = (0.75, 0.75, 0.75, 1.0)) -> Patch:
    """A legend patch drawn like an unsupported cell."""
    return Patch(facecolor=faded(colour), hatch=HATCH, hatchcolor=HATCH_COLOUR, edgecolor="none", linewidth=0)


def missing_handle() -> Patch:
    """A legend patch drawn like a cell without enough test examples."""
    return Patch(facecolor=MISSING, edgecolor="none")


def explain(fig: Figure, label: str, missing: bool = False, extra: Iterable[tuple] = ()) -> Legend:
    """The legend under the panels: the hatch and ``label``, the "n < min" patch when ``missing``, then ``extra``.

    ``extra`` holds further (handle, label) entries. The entries stand in as
    many columns as fit the canvas, down to one column (whose labels
    :func:`~langspec.figures.style.fit` wraps when they are still too wide).
    """
    entries = [(hatch_handle(), label)]
    if missing:
        entries.append((missing_handle(), TOO_FEW_MEANS))
    entries += list(extra)
    handles, labels = zip(*entries)
    options = {"loc": "outside lower center", "frameon": False, "handlelength": 2.2, "columnspacing": 1.5}
    for columns in range(len(entries), 0, -1):
        legend = fig.legend(handles, labels, ncols=columns, **options)
        if columns == 1 or legend.get_window_extent(fig.canvas.get_renderer()).width <= fig.bbox.width - 2 * EDGE * fig.dpi:
            return legend
        legend.remove()
    raise AssertionError("unreachable")


def describe(summary: dict, counts: Sequence[int], unit: str) -> str:
    """Two lines: r with its 95% interval, and the points it rests on.

    ``summary`` is :func:`langspec.stats.correlations.correlation`'s result, ``counts``
    the number of points of every replicate drawn, ``unit`` what a point is:
    "r = 0.42, 95% CI [0.10, 0.67]" / "3 replicates × 20 pairs"; "r undefined"
    when no replicate has an r, and "(r of 2)" when only some have one.
    """
    counts = [int(c) for c in counts]
    replicates = len(counts)
    low, high = (min(counts), max(counts)) if counts else (0, 0)
    each = f"{low}" if low == high else f"{low}–{high}"
    points = f"{replicates} replicate{'s' if replicates != 1 else ''} × {each} {unit}"
    if not np.isfinite(summary["r"]):
        return f"r undefined\n{points}"
    used = int(summary["n_replicates"])
    some = "" if used == replicates else f" (r of {used})"
    return f"r = {summary['r']:.2f}, 95% CI [{summary['ci_low']:.2f}, {summary['ci_high']:.2f}]\n{points}{some}"
