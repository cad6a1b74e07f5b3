"""Pearson correlation as the figures report it: per replicate, then pooled with an interval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of the finite (x, y) pairs; NaN with fewer than 3 pairs or a constant variable."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def describe(summary: dict, counts: Sequence[int], unit: str) -> str:
    """Two lines: r with its 95% interval, and the points it rests on.

    ``summary`` is :func:`langspec.replicates.correlation`'s result, ``counts``
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
