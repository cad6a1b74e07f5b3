"""Which of a figure's cells a reader may call robust: the false discovery rate controlled over all of them.

A figure of 50 cells tested one by one at the 5% level flags about 2.5 cells
under no effect at all (the A/A check measures it). Every heatmap therefore
marks a cell robust only when the Benjamini–Hochberg procedure at q = 0.05 over
the figure's cells keeps it: the expected share of false marks among the marked
cells is at most q (for independent or positively dependent tests; the cells of
one figure share replicates, so the dependence is of that positive kind in the
main). Each cell's p-value is the two-sided one-sample t-test of its replicate
values against its reference (:func:`langspec.stats.replicates.summarize`).
With fewer than two replicates a cell has no spread between replicates to test
against and is never marked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

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


def fdr_marks(p_values: Sequence[pd.DataFrame], replicates: Sequence[pd.DataFrame], q: float = Q) -> list[pd.DataFrame]:
    """Robust marks of a figure's panels: BH at ``q`` over every cell of every panel together.

    ``p_values`` and ``replicates`` hold one matrix per panel (same shapes and
    labels): each cell's p-value and its number of replicates. A cell with fewer
    than two replicates gets no test (its p counts as NaN). Returns one bool
    matrix per panel.
    """
    tested = [p.where(n.reindex_like(p).fillna(0).to_numpy() >= 2) for p, n in zip(p_values, replicates)]
    flat = np.concatenate([t.to_numpy(float).ravel() for t in tested]) if tested else np.array([])
    keep = benjamini_hochberg(flat, q)
    out, start = [], 0
    for t in tested:
        size = t.size
        out.append(pd.DataFrame(keep[start:start + size].reshape(t.shape), index=t.index, columns=t.columns))
        start += size
    return out


def tested_cells(p_values: Sequence[pd.DataFrame], replicates: Sequence[pd.DataFrame]) -> int:
    """How many cells of a figure are tested (a p-value and at least two replicates): the m of BH."""
    return int(sum(((n.reindex_like(p).fillna(0).to_numpy() >= 2) & np.isfinite(p.to_numpy(float))).sum()
                   for p, n in zip(p_values, replicates)))
