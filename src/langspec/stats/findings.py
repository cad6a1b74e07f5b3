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

Where a claim's values are dev or test metrics, each replicate value x_r has
its own sampling standard error se_r (:mod:`langspec.stats.sampling`), and
Var(x_r) = τ² + se_r²: the sd in the interval, the verdict and the minimal
detectable effect is then sd_eff = √max(sd², mean_r se_r²), so that replicates
that repeat one quantized score on few examples are not taken as certain
(:func:`langspec.stats.replicates.summarize` with ``floor``; the summary's
``method`` says so). Without se (NaN) the sd is the replicates' own.

Leave-one-out stability: with R ≥ 3 replicates, the verdict is recomputed R
times, each time without one replicate; ``loo_flips`` counts the verdicts that
differ from the full one. A verdict that one replicate's absence flips rests on
that replicate: it is *fragile*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import stdtrit

from langspec.core.errors import LangspecError
from langspec.stats.replicates import summarize

VERDICTS = ("supported", "contradicted", "absent", "not resolved")
EXPECTATIONS = ("increase", "decrease", "no-increase", "no-decrease")
CONFIDENCE, POWER = 0.95, 0.80
#: The largest number of replicates :func:`replicates_needed` searches.
MOST = 10_000
#: The fewest replicates for which the leave-one-out verdicts are computed (each rests on R − 1 ≥ 2).
LOO_FROM = 3


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


def _summary(x: np.ndarray, se: np.ndarray, expect: str, smallest: float | None) -> dict:
    """:func:`assess` of finite values ``x`` [R] with their sampling errors ``se`` [R] (NaN: unknown), leave-one-out aside."""
    s = {key: value[0] for key, value in summarize(x[:, None], se[:, None], floor=True).items()}
    n, sd_eff = int(s["n_replicates"]), float(s["sd_eff"])
    known = se[np.isfinite(se)]
    return {
        "mean": float(s["mean"]), "ci_low": float(s["ci_low"]), "ci_high": float(s["ci_high"]), "sd": float(s["sd"]),
        "sd_sampling": float(np.sqrt(np.mean(known**2))) if known.size else math.nan, "n_replicates": n,
        "verdict": verdict(float(s["ci_low"]), float(s["ci_high"]), expect, smallest, n),
        "mde_80": detectable(sd_eff, n),
        "replicates_needed": replicates_needed(sd_eff, smallest),
        "method": str(s["method"]),
    }


def leave_one_out(x: np.ndarray, se: np.ndarray, expect: str, smallest: float | None, full: str) -> float:
    """How many of the R verdicts with one replicate left out differ from ``full`` (the verdict of all R); NaN for R < 3.

    ``x`` [R] finite values, ``se`` [R] their sampling errors (NaN: unknown).
    """
    if x.size < LOO_FROM:
        return math.nan
    keep = ~np.eye(x.size, dtype=bool)
    return float(sum(_summary(x[k], se[k], expect, smallest)["verdict"] != full for k in keep))


def assess(values: Sequence[float], expect: str, smallest: float | None, se: Sequence[float] | None = None) -> dict:
    """The summary of one claim's per-replicate values: mean, interval, sd, sd_sampling, n, verdict, mde_80,
    replicates_needed, method and loo_flips (see the module docstring).

    ``values`` [R] in the claim's unit; ``se`` [R] each value's own sampling
    standard error in that unit (None or NaN: unknown, no floor). NaN values (a
    replicate where the statistic is undefined) are left out, with their se.
    ``sd_sampling`` is √(mean se_r²), the floor (NaN without se).
    """
    x = np.asarray(values, dtype=float)
    se = np.full_like(x, np.nan) if se is None else np.asarray(se, dtype=float)
    if se.shape != x.shape:
        raise LangspecError(f"a claim gave {x.size} values but {se.size} standard errors")
    finite = np.isfinite(x)
    x, se = x[finite], se[finite]
    summary = _summary(x, se, expect, smallest)
    return summary | {"loo_flips": leave_one_out(x, se, expect, smallest, summary["verdict"])}
