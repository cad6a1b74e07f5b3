"""Means over independent replicates with 95% intervals, and which cells they support.

Every replicate draws its own data sample (so its own test examples), classifier
initialisation, batch order, random masks and projections. A cell's value in one
replicate (e.g. the change of a language share, averaged over that replicate's
test examples) therefore varies between replicates for two reasons: the models
differ, and the test examples differ. The spread of the replicate values holds
both, so a t-interval over them accounts for both:

    mean ± t(0.975, R − 1) · sd / √R        (R ≥ 2 replicates with a value)

It assumes independent replicates and roughly normal replicate values (a mean
over tens of test examples each); with R = 3 the t quantile is 4.30, the honest
price of few replicates. With a single replicate there is no spread to measure
and the interval is mean ± 1.96 · se, with se the standard error over that
replicate's test examples: it covers the test sample only, not the seed spread,
and says so in its ``method``. Beside the interval every cell reports ``se_test``,
the part of the standard error that comes from the finite test sets alone
(√(mean se_r²) / √R), so a reader can tell test-sample noise from model spread.

Since Var(x_r) = τ² + se_r² (τ² the spread between models), the replicates'
own sampling variance is a floor under their spread. A metric quantized by few
examples (accuracy on 24 examples moves in steps of 1/24) can repeat itself
exactly across replicates, giving sd 0 without any certainty; with ``floor``
the interval and the p-value use sd_eff = √max(sd², mean_r se_r²) instead of
sd (:mod:`langspec.stats.sampling`), and ``method`` says so.

A cell is ``robust`` when its interval excludes the cell's ``reference``: 0 for
changes, the equal share 100 / L for a share among L training languages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtri, stdtr, stdtrit

from langspec.core.errors import LangspecError
from langspec.stats.multiplicity import benjamini_hochberg

CONFIDENCE = 0.95
T_METHOD = "t-interval over replicate means"
FLOOR_METHOD = "t-interval over replicate means, sd floored at the replicates' own sampling error"
NORMAL_METHOD = "normal interval over the test examples of one replicate (no seed spread)"

#: Columns of an aggregated table after its key columns.
SUMMARY = ("measure", "mean", "ci_low", "ci_high", "sd", "se_test", "n_replicates", "n_test", "reference", "p_value", "robust",
           "method")


def summarize(values: np.ndarray, se: np.ndarray | None = None, reference: float | np.ndarray = 0.0,
              confidence: float = CONFIDENCE, floor: bool = False) -> dict[str, np.ndarray]:
    """Per cell: mean, interval, spread and whether the interval excludes ``reference``.

    ``values`` is [R, ...] with NaN where a replicate has no value; ``se`` [R, ...]
    the standard error of each value over its test examples (NaN where unknown;
    needed for a single replicate, for ``se_test`` and for ``floor``). ``floor``:
    the spread is at least the replicates' own sampling error (module
    docstring), in cells where some replicate's se is known. Returns arrays of
    shape [...]: ``mean``, ``ci_low``, ``ci_high``, ``sd`` (between replicates,
    NaN for one), ``sd_eff`` (the spread the interval and p-value use: sd, or
    with ``floor`` √max(sd², mean se_r²)), ``se_test``, ``n_replicates``,
    ``p_value`` (two-sided one-sample t-test of the
    replicate values against ``reference``; NaN with fewer than two replicates),
    ``robust`` (bool) and ``method`` (str). ``robust`` is the single cell's test:
    the interval excludes ``reference`` and there are at least two replicates (one
    replicate's interval covers its test sample only, not the spread between
    replicates, so it never marks a cell). A figure of many cells marks only what
    survives the false discovery rate over them (:mod:`langspec.stats.multiplicity`).
    """
    values = np.asarray(values, dtype=float)
    se = np.full_like(values, np.nan) if se is None else np.asarray(se, dtype=float)
    if se.shape != values.shape:
        raise ValueError(f"se {se.shape} and values {values.shape} differ in shape")
    present = np.isfinite(values)
    n = present.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(values, axis=0) / np.maximum(n, 1), np.nan)
        deviation = np.where(present, values - mean, 0.0)
        sd = np.where(n > 1, np.sqrt((deviation**2).sum(axis=0) / np.maximum(n - 1, 1)), np.nan)
        t = stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2)  # t quantile: scipy.stats.t.ppf, without importing scipy.stats
        z = ndtri(0.5 + confidence / 2)  # normal quantile: scipy.stats.norm.ppf
        known = present & np.isfinite(se)
        squared = np.where(known, se, 0.0) ** 2
        sampling = squared.sum(0) / np.maximum(known.sum(0), 1)  # mean se_r² over the replicates with a known se
        se_test = np.where(known.sum(0) > 0, np.sqrt(sampling / np.maximum(n, 1)), np.nan)
        single_se = np.where(known.sum(0) == 1, np.sqrt(squared.sum(0)), np.nan)  # the one replicate's se
        floored = floor & (n > 1) & (known.sum(0) > 0)
        sd_eff = np.where(floored, np.sqrt(np.maximum(sd**2, sampling)), sd)
        half = np.where(n > 1, t * sd_eff / np.sqrt(np.maximum(n, 1)), np.where(n == 1, z * single_se, np.nan))
    low, high = mean - half, mean + half
    reference = np.broadcast_to(np.asarray(reference, dtype=float), mean.shape)
    robust = (n > 1) & np.isfinite(low) & np.isfinite(high) & np.isfinite(reference) & ((low > reference) | (high < reference))
    with np.errstate(invalid="ignore", divide="ignore"):
        t_stat = (mean - reference) / (sd_eff / np.sqrt(np.maximum(n, 1)))
        p_value = np.where(n > 1, 2 * stdtr(np.maximum(n - 1, 1), -np.abs(t_stat)), np.nan)
        p_value = np.where((n > 1) & (sd_eff == 0) & np.isfinite(mean), np.where(mean == reference, 1.0, 0.0), p_value)
    method = np.where(floored, FLOOR_METHOD, np.where(n > 1, T_METHOD, np.where(n == 1, NORMAL_METHOD, "no value")))
    return {"mean": mean, "ci_low": low, "ci_high": high, "sd": sd, "sd_eff": sd_eff, "se_test": se_test,
            "n_replicates": n, "p_value": p_value, "robust": robust, "method": method}


def aggregate(tables: Sequence[pd.DataFrame], keys: Sequence[str],
              measures: Mapping[str, tuple[str | None, float]], count: str | None = "n_test") -> pd.DataFrame:
    """Aggregate per-replicate tables cell by cell into one long table.

    ``tables`` hold the same ``keys`` rows (in any order); ``measures`` maps a
    value column to (its standard-error column or None, its reference value).
    Returns one row per key and measure: the key columns, then :data:`SUMMARY`;
    ``n_test`` sums ``count`` over replicates (when given).
    """
    if not tables:
        raise LangspecError("no replicate tables to aggregate")
    keys = list(keys)
    index = tables[0].set_index(keys).index
    for i, table in enumerate(tables):
        missing = [c for c in [*keys, *measures] if c not in table.columns]
        if missing:
            raise LangspecError(f"replicate {i}'s table lacks column(s) {', '.join(missing)}")
        if table.duplicated(keys).any() or not table.set_index(keys).index.sort_values().equals(index.sort_values()):
            raise LangspecError(f"replicate {i}'s table does not hold the same cells as replicate 0's")
    aligned = [table.set_index(keys).loc[index] for table in tables]
    frames = []
    for measure, (se_column, reference) in measures.items():
        values = np.stack([t[measure].to_numpy(float) for t in aligned])
        se = np.stack([t[se_column].to_numpy(float) for t in aligned]) if se_column else None
        summary = summarize(values, se, reference)
        frame = index.to_frame(index=False)
        frame["measure"] = measure
        for name in ("mean", "ci_low", "ci_high", "sd", "se_test", "n_replicates"):
            frame[name] = summary[name]
        frame["n_test"] = np.stack([t[count].to_numpy(float) for t in aligned]).sum(0).astype(int) if count else 0
        frame["reference"] = reference
        frame["p_value"] = summary["p_value"]
        frame["robust"] = summary["robust"]
        frame["method"] = summary["method"]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[[*keys, *SUMMARY]]


def share_measures(n_languages: int, comparison: bool = True) -> dict[str, tuple[str, float]]:
    """The measures of a shares table: shares (reference 100 / L) and, for a comparison, the change (reference 0)."""
    equal = 100.0 / n_languages
    measures = {"share_pct": ("share_se", equal)}
    if comparison:
        measures |= {"baseline_pct": ("baseline_se", equal), "change_pct": ("change_se", 0.0)}
    return measures


def aggregate_shares(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Aggregate per-replicate comparison tables (``langspec.attribution.shares.compare``) per cell."""
    languages = tables[0]["train_lang"].nunique() if tables else 0
    return aggregate(tables, ("test_lang", "train_lang", "sign"), share_measures(languages))


def aggregate_epochs(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Aggregate per-replicate epoch tables (``langspec.attribution.shares.epoch_shares``) per cell.

    Measures: ``share_pct`` (reference 100 / L) and ``accuracy`` (fraction; no reference).
    """
    languages = tables[0]["train_lang"].nunique() if tables else 0
    measures = {"share_pct": ("share_se", 100.0 / max(languages, 1)), "accuracy": ("accuracy_se", np.nan)}
    return aggregate(tables, ("epoch", "test_lang", "train_lang", "sign"), measures)


def wide(table: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One measure of an aggregated table, with its summary columns (measure column dropped)."""
    part = table[table["measure"] == measure]
    if part.empty:
        raise LangspecError(f"the aggregated table has no measure '{measure}' (it has {', '.join(table['measure'].unique())})")
    return part.drop(columns="measure").reset_index(drop=True)


def spread(values: Sequence[float]) -> tuple[float, float, int]:
    """(mean, sample standard deviation or NaN for one value, count) of the finite values."""
    array = np.asarray(values, float)
    array = array[np.isfinite(array)]
    if array.size == 0:
        return np.nan, np.nan, 0
    return float(array.mean()), float(array.std(ddof=1)) if array.size > 1 else np.nan, int(array.size)


def method_note(n_replicates: int, confidence: float = CONFIDENCE) -> dict:
    """The interval method as recorded beside an aggregated table (a JSON-ready dict)."""
    df = max(n_replicates - 1, 1)
    return {
        "confidence": confidence,
        "replicates": n_replicates,
        "method": T_METHOD if n_replicates > 1 else NORMAL_METHOD,
        "critical_value": float(stdtrit(df, 0.5 + confidence / 2)) if n_replicates > 1 else float(ndtri(0.5 + confidence / 2)),
        "robust": "the interval excludes the reference: 0 for change_pct, 100 / L (equal reliance) for shares",
        "assumptions": (
            "replicates are independent (own data sample, initialisation, batch order, masks, projections); "
            "replicate values are roughly normal; the interval covers model spread and test-sample noise together; "
            "se_test is the test-sample part alone"
        ),
    }


def a_a(first: Sequence[pd.DataFrame], second: Sequence[pd.DataFrame]) -> tuple[pd.DataFrame, float]:
    """A calibration check from two conditions that differ only by chance (e.g. two random masks of one sparsity).

    Per replicate, the cell-wise difference of the two comparison tables' changes
    is aggregated like any change; since its expectation is 0, the fraction of
    cells flagged robust estimates the intervals' false-positive rate (5%
    nominal). Returns the aggregated differences (measure ``change_pct``), with
    ``robust_fdr``: the cells the figures' rule flags (Benjamini–Hochberg over
    all cells, :mod:`langspec.stats.multiplicity`; about none expected), and the
    per-cell rate.
    """
    keys = ["test_lang", "train_lang", "sign"]
    tables = []
    for a, b in zip(first, second, strict=True):
        merged = a[[*keys, "change_pct", "change_se", "n_test"]].merge(b[[*keys, "change_pct", "change_se"]], on=keys, suffixes=("", "_b"))
        tables.append(merged.assign(
            change_pct=merged["change_pct"] - merged["change_pct_b"],
            change_se=np.sqrt(merged["change_se"] ** 2 + merged["change_se_b"] ** 2),
        )[[*keys, "change_pct", "change_se", "n_test"]])
    table = aggregate(tables, keys, {"change_pct": ("change_se", 0.0)})
    tested = np.where(table["n_replicates"].to_numpy() >= 2, table["p_value"].to_numpy(float), np.nan)
    table["robust_fdr"] = benjamini_hochberg(tested)
    scored = table[np.isfinite(table["ci_low"])]
    return table, float(scored["robust"].mean()) if len(scored) else float("nan")
