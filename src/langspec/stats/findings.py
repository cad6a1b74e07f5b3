"""A claim's verdict from its per-replicate statistic: interval, verdict, minimal detectable effect, replicates needed.

Every claim (:mod:`langspec.stats.claims`) yields one value per replicate,
pooled as the paper states the claim (e.g. the mean diagonal change over test
languages) and paired wherever two conditions share a replicate (their
difference is taken within the replicate). Over the R replicate values:

- the interval is mean ± t(0.975, R − 1) · sd / √R (as every interval here);
- the *minimal detectable effect* at 80% power of the two-sided 5% t-test is
  (t(0.975, R − 1) + t(0.80, R − 1)) · sd / √R, and the replicates the paper's
  smallest effect e would need is the smallest R for which it is ≤ e;
- the verdict, for a claim that an effect exists (``increase`` / ``decrease``):
  *supported* when the interval excludes 0 in the paper's direction,
  *contradicted* when it excludes 0 the other way, *absent* when it includes 0
  but excludes the paper's smallest effect e (in its direction), else *not
  resolved*. For a claim that an effect does not exist beyond a margin e
  (``no-increase`` / ``no-decrease``): *supported* when the interval lies
  within the margin (below e, or above −e), *contradicted* when it lies wholly
  beyond it, else *not resolved*.

With fewer than two replicates there is no spread between replicates to test
against: the verdict is *not resolved* and says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import stdtrit

from langspec.core.errors import LangspecError

VERDICTS = ("supported", "contradicted", "absent", "not resolved")
EXPECTATIONS = ("increase", "decrease", "no-increase", "no-decrease")
CONFIDENCE, POWER = 0.95, 0.80
#: The largest number of replicates :func:`replicates_needed` searches.
MOST = 10_000


def detectable(sd: float, n: int) -> float:
    """The minimal detectable effect at 80% power (two-sided 5% one-sample t-test) with ``n`` replicates of spread ``sd``."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    return float((stdtrit(n - 1, 0.5 + CONFIDENCE / 2) + stdtrit(n - 1, POWER)) * sd / math.sqrt(n))


def replicates_needed(sd: float, effect: float | None) -> float:
    """The fewest replicates (≥ 2) whose minimal detectable effect is at most ``effect``; NaN when unknown, inf past MOST."""
    if effect is None or not math.isfinite(sd) or effect <= 0:
        return math.nan
    if sd == 0:
        return 2.0
    n = 2
    while n <= MOST:
        if detectable(sd, n) <= effect:
            return float(n)
        n = n + 1 if n < 100 else int(n * 1.1)
    return math.inf


def verdict(low: float, high: float, expect: str, smallest: float | None, n: int) -> str:
    """One of :data:`VERDICTS` for an interval [low, high] over ``n`` replicates (see the module docstring)."""
    if expect not in EXPECTATIONS:
        raise LangspecError(f"a claim expects one of {', '.join(EXPECTATIONS)}, not '{expect}'")
    if n < 2 or not (math.isfinite(low) and math.isfinite(high)):
        return "not resolved"
    if expect in ("increase", "decrease"):
        sign = 1 if expect == "increase" else -1
        lo, hi = sorted((sign * low, sign * high))  # the interval with the paper's direction made positive
        if lo > 0:
            return "supported"
        if hi < 0:
            return "contradicted"
        if smallest is not None and hi < smallest:
            return "absent"
        return "not resolved"
    if smallest is None:
        raise LangspecError(f"a '{expect}' claim needs its margin (the smallest effect that would matter)")
    if expect == "no-increase":
        return "supported" if high < smallest else "contradicted" if low > smallest else "not resolved"
    return "supported" if low > -smallest else "contradicted" if high < -smallest else "not resolved"


def assess(values: Sequence[float], expect: str, smallest: float | None) -> dict:
    """The summary of one claim's per-replicate values: mean, interval, sd, n, verdict, mde_80, replicates_needed.

    NaN values (a replicate where the statistic is undefined) are left out.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    half = float(stdtrit(n - 1, 0.5 + CONFIDENCE / 2) * sd / math.sqrt(n)) if n > 1 else math.nan
    low, high = mean - half, mean + half
    return {
        "mean": mean, "ci_low": low, "ci_high": high, "sd": sd, "n_replicates": n,
        "verdict": verdict(low, high, expect, smallest, n),
        "mde_80": detectable(sd, n),
        "replicates_needed": replicates_needed(sd, smallest),
    }
