"""Which of a figure's cells a reader may call robust: the false discovery rate controlled over all of them.

A figure of 50 cells tested one by one at the 5% level flags about 2.5 cells
under no effect at all (the A/A check measures it). Every heatmap therefore
marks a cell robust only when the Benjamini–Hochberg procedure at q = 0.05 over
the figure's cells keeps it: the expected share of false marks among the marked
cells is at most q (for independent or positively dependent tests; the cells of
one figure share replicates, so the dependence is of that positive kind in the
main). Each cell's p-value is the two-sided one-sample t-test of its replicate
values against its reference (:func:`langspec.stats.replicates.summarize`):
a share change against 0, a share against the equal share, a mask statistic
against its value under independent masks, a transfer difference against 0.
Bars are cells too: a bar chart controls the rate over its bars.
With fewer than two replicates a cell has no spread between replicates to test
against and is never marked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: A panel's or a bar group's p-values.
PValues = np.ndarray | pd.DataFrame | pd.Series

#: The false discovery rate every figure controls.
Q = 0.05
#: How the legend and the findings name the procedure.
METHOD = f"Benjamini–Hochberg, q = {Q:g}"


def benjamini_hochberg(p_values: np.ndarray, q: float = Q) -> np.ndarray:
    """Bool array of p's shape: the discoveries of the BH step-up procedure at FDR ``q``.

    NaN p-values (cells without a test) are never discoveries and do not count
    among the m tests.
    """
    p = np.asarray(p_values, dtype=float)
    flat = p.ravel()
    finite = np.flatnonzero(np.isfinite(flat))
    keep = np.zeros(flat.shape, dtype=bool)
    m = finite.size
    if m:
        order = finite[np.argsort(flat[finite], kind="stable")]
        below = flat[order] <= q * np.arange(1, m + 1) / m
        if below.any():
            keep[order[: np.flatnonzero(below)[-1] + 1]] = True
    return keep.reshape(p.shape)


def fdr_keep(p_values: Sequence[PValues], q: float = Q) -> list[PValues]:
    """BH at ``q`` over every finite p-value of every part together: one bool of each part's shape (and labels).

    A part is a panel's matrix or a bar group's vector of p-values; NaN marks a
    cell that is not tested (fewer than two replicates, or a value fixed by
    construction such as a language against itself), which neither counts among
    the m tests nor is ever kept.
    """
    flat = np.concatenate([np.asarray(p, dtype=float).ravel() for p in p_values]) if p_values else np.array([])
    keep = benjamini_hochberg(flat, q)
    out, start = [], 0
    for part in p_values:
        size = np.asarray(part).size
        block = keep[start:start + size].reshape(np.shape(part))
        if isinstance(part, pd.DataFrame):
            block = pd.DataFrame(block, index=part.index, columns=part.columns)
        elif isinstance(part, pd.Series):
            block = pd.Series(block, index=part.index)
        out.append(block)
        start += size
    return out


def tested(p_values: Sequence[PValues]) -> int:
    """How many cells of a figure are tested (a finite p-value): the m of BH in :func:`fdr_keep`."""
    return int(sum(np.isfinite(np.asarray(p, dtype=float)).sum() for p in p_values))


def _with_replicates(p_values: Sequence[pd.DataFrame], replicates: Sequence[pd.DataFrame]) -> list[pd.DataFrame]:
    """The p-values of cells with at least two replicates; NaN elsewhere."""
    return [p.where(n.reindex_like(p).fillna(0).to_numpy() >= 2) for p, n in zip(p_values, replicates)]


def fdr_marks(p_values: Sequence[pd.DataFrame], replicates: Sequence[pd.DataFrame], q: float = Q) -> list[pd.DataFrame]:
    """Robust marks of a figure's panels: BH at ``q`` over every cell of every panel together.

    ``p_values`` and ``replicates`` hold one matrix per panel (same shapes and
    labels): each cell's p-value and its number of replicates. A cell with fewer
    than two replicates gets no test (its p counts as NaN). Returns one bool
    matrix per panel.
    """
    return fdr_keep(_with_replicates(p_values, replicates), q)


def tested_cells(p_values: Sequence[pd.DataFrame], replicates: Sequence[pd.DataFrame]) -> int:
    """How many cells of a figure are tested (a p-value and at least two replicates): the m of BH."""
    return tested(_with_replicates(p_values, replicates))
