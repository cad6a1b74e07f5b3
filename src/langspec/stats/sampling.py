"""Each replicate value's own sampling error: the standard error a dev or test metric has from its finite examples.

A replicate's metric is scored on n examples, so it would vary even between
two samples of n examples scored by one model. Over replicates,
Var(x_r) = τ² + se_r² (τ² the spread between models, se_r² the sampling
variance of replicate r's value), so the sampling variance is a floor under
the replicate variance: two replicates that both score 17 of 24 examples have
sd 0 and still are not certain. Where replicates of a dev or test metric are
pooled, :func:`langspec.stats.replicates.summarize` (``floor=True``) takes
sd_eff = √max(sd², mean_r se_r²) for the interval, the p-value, the verdict and
the minimal detectable effect.

The standard error of one value, from the counts its row holds (the keys of
the per-language dev metric dicts, :mod:`langspec.training.metrics`), in the
metric's own unit (a fraction, or perplexity):

- accuracy on ``n`` examples: binomial, √(p(1 − p) / n), with p kept half an
  example away from 0 and 1 so that a perfect score on n examples does not
  claim zero error;
- entity F1 from the span counts ``tp``, ``predicted``, ``gold``: the delta
  method with true positives a, false positives and negatives e = (predicted
  − tp) + (gold − tp) as independent Poisson counts,
  se = 2 √(a · e · (a + e)) / (2a + e)² (counts kept at least half a span). Only
  the aggregate counts are stored, so spans of one sentence count as
  independent: an approximation that is low where sentences hold many spans;
- perplexity exp(L) over ``n`` examples (L the mean masked-token loss, nats):
  se(L) = L / √n, i.e. an example's mean loss taken to spread as much as one
  token's loss does under an exponential spread (sd = mean), and the delta
  method se(ppl) = ppl · se(L). Only the mean loss is stored; an example's
  mean over its masked tokens spreads less than one token, so this errs large.

Combining: the difference of two metrics scored on the same examples takes
√(se_a² + se_b²) (:func:`difference_se`), conservative for paired examples
(two models' errors on one example are positively correlated, which makes the
paired difference vary less); a mean of values takes :func:`mean_se`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from langspec.training.metrics import Metric

#: The count columns (per row) each metric's standard error is computed from.
COUNTS = {"accuracy": ("n",), "perplexity": ("n",), "f1": ("tp", "predicted", "gold")}


def binomial_se(p, n) -> np.ndarray:
    """√(p(1 − p) / n) of accuracies ``p`` (fractions) on ``n`` examples, p kept within [1/(2n), 1 − 1/(2n)]."""
    p, n = np.asarray(p, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = 0.5 / n
        kept = np.clip(p, half, 1 - half)
        return np.where(n > 0, np.sqrt(kept * (1 - kept) / n), np.nan)


def f1_se(tp, predicted, gold) -> np.ndarray:
    """Delta-method standard error (a fraction) of entity F1 from span counts (see the module docstring)."""
    tp, predicted, gold = (np.asarray(v, float) for v in (tp, predicted, gold))
    a = np.maximum(tp, 0.5)
    e = np.maximum(predicted + gold - 2 * tp, 0.5)
    return 2 * np.sqrt(a * e * (a + e)) / (2 * a + e) ** 2


def perplexity_se(perplexity, n) -> np.ndarray:
    """Standard error (perplexity units) of perplexities over ``n`` examples: ppl · ln(ppl) / √n (module docstring)."""
    perplexity, n = np.asarray(perplexity, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, perplexity * np.log(perplexity) / np.sqrt(n), np.nan)


def metric_se(frame: pd.DataFrame, metric: Metric, value: str = "metric", prefix: str = "") -> np.ndarray:
    """Per row [len(frame)]: the sampling standard error of ``frame[value]`` in the metric's unit (fraction or perplexity).

    Read from the row's count columns (:data:`COUNTS`, each named with ``prefix``:
    ``own_n`` for prefix ``own_``); NaN where the frame lacks them or a count is
    missing (no sampling error known: no floor).
    """
    columns = [prefix + c for c in COUNTS[metric.name]]
    if not set(columns) <= set(frame.columns):
        return np.full(len(frame), np.nan)
    counts = [pd.to_numeric(frame[c], errors="coerce").to_numpy(float) for c in columns]
    x = pd.to_numeric(frame[value], errors="coerce").to_numpy(float)
    if metric.name == "accuracy":
        return binomial_se(x, *counts)
    if metric.name == "perplexity":
        return perplexity_se(x, *counts)
    return f1_se(*counts)


def difference_se(a, b) -> np.ndarray:
    """√(a² + b²): the standard error of a difference of two values (conservative when they share examples)."""
    return np.sqrt(np.asarray(a, float) ** 2 + np.asarray(b, float) ** 2)


def mean_se(se: Sequence[float] | np.ndarray, groups: Sequence | None = None) -> float:
    """The standard error of the mean of N values with standard errors ``se`` [N].

    Values of one group (scored on the same examples, e.g. one target language's
    dev set) may be correlated in any way, so their errors add (the triangle
    inequality, a bound); different groups are independent. With
    N values: √(Σ_g (Σ_{i ∈ g} se_i)²) / N; every value its own group when
    ``groups`` is None. NaN when any se is unknown (NaN) or N = 0.
    """
    se = np.asarray(se, float)
    if se.size == 0 or not np.isfinite(se).all():
        return float("nan")
    keys = np.arange(se.size) if groups is None else np.asarray(list(groups))
    sums = pd.Series(se).groupby(keys, sort=False).sum().to_numpy(float)
    return float(np.sqrt((sums**2).sum()) / se.size)
