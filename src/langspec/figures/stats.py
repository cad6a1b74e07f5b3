"""Pearson correlation as the figures report it."""

from __future__ import annotations

import numpy as np


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of the finite (x, y) pairs; NaN with fewer than 3 pairs or a constant variable."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def describe(r: float, n: int) -> str:
    """"r = 0.42 (n = 20)", or "r undefined (n = 20)" when r is NaN."""
    return f"r = {r:.2f} (n = {n})" if np.isfinite(r) else f"r undefined (n = {n})"
