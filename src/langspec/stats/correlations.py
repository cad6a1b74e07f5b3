"""Pearson correlation: per replicate (:func:`pearson`, with its least-squares :func:`line`), then pooled over replicates
with an interval (:func:`correlation`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import ndtri, stdtr, stdtrit

from langspec.stats.replicates import CONFIDENCE


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of the finite (x, y) pairs; NaN with fewer than 3 pairs or a constant variable."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through the finite (x, y) pairs; NaN where :func:`pearson` is."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if not np.isfinite(pearson(x, y)):
        return float("nan"), float("nan")
    keep = np.isfinite(x) & np.isfinite(y)
    slope, intercept = np.polyfit(x[keep], y[keep], 1)
    return float(slope), float(intercept)


def correlation(rs: Sequence[float], ns: Sequence[int], confidence: float = CONFIDENCE) -> dict[str, float | str]:
    """Mean Pearson r over replicates with an interval, through Fisher's z = atanh(r).

    ``rs`` and ``ns`` are each replicate's r and number of points (NaN r ignored).
    Two or more replicates: t-interval over their z; one: z ± 1.96 / √(n − 3).
    Returns r, ci_low, ci_high, n_replicates, n_points (per replicate, summed),
    p_value (two-sided test of r = 0 by the same distribution as the interval;
    NaN for one replicate, whose points hold no seed spread) and method.
    """
    rs, ns = np.asarray(rs, float), np.asarray(ns, float)
    keep = np.isfinite(rs)
    z = np.arctanh(np.clip(rs[keep], -0.999999, 0.999999))
    n = int(keep.sum())
    if n == 0:
        return {"r": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n_replicates": 0, "n_points": int(ns.sum()),
                "p_value": np.nan, "method": "no value"}
    mean = z.mean()
    if n > 1:
        se = z.std(ddof=1) / np.sqrt(n)
        half = stdtrit(n - 1, 0.5 + confidence / 2) * se
        p_value = float(2 * stdtr(n - 1, -abs(mean) / se)) if se > 0 else float(mean == 0)
        method = "t-interval over replicates' Fisher z"
    else:
        points = ns[keep][0]
        half = ndtri(0.5 + confidence / 2) / np.sqrt(points - 3) if points > 3 else np.inf
        p_value = np.nan
        method = "Fisher interval of one replicate's points (no seed spread)"
    return {"r": float(np.tanh(mean)), "ci_low": float(np.tanh(mean - half)), "ci_high": float(np.tanh(mean + half)),
            "n_replicates": n, "n_points": int(ns[keep].sum()), "p_value": p_value, "method": method}
