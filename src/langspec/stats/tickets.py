"""Paper 003's results summarised over replicates: ticket curves and winners, overlap, transfer, drops, retrieval,
similarity, heads.

The analysis behind paper 003's figures and tables (their source data,
:mod:`langspec.stats.source_data.tickets`) and claims. Every input is one tidy frame per
task with the rows of all its replicates (column ``rep``), as
:mod:`langspec.tickets.analysis` writes them. A task's metric is named in its
frames' optional ``metric_name`` column (accuracy when absent): accuracy and F1
are fractions in the frames and percent in the summaries; perplexity stays as
it is, and since lower is better there, every difference, gain and winning
criterion is oriented so that positive means better (:func:`table_metric`). Cells are summarised by
:func:`over_replicates` (95% t-interval over replicates, paired where a
replicate's value is a difference to its own ticket).

Every dev metric pooled over replicates carries each replicate's own sampling
error where its row holds the counts it was scored on (``n`` examples; F1:
``tp``, ``predicted``, ``gold``; :mod:`langspec.stats.sampling`): the spread of
its interval and p-value is then floored at that error, so replicates that
repeat one quantized score on few dev examples are not robust. Rows without
the counts have no floor (the spread between replicates alone).

Paper 003's own criteria use the spread between replicates: a *winning* ticket
has full-model mean − ticket mean ≤ one standard deviation of the full model;
a *successful* transfer has a(s, t) within one standard deviation of the
target's own ticket a(t, t) (:mod:`langspec.tickets.transfer`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError
from langspec.stats.correlations import correlation, pearson
from langspec.stats.frames import columns, nonempty
from langspec.stats.replicates import FLOOR_METHOD, summarize
from langspec.stats.sampling import difference_se, mean_se, metric_se
from langspec.tickets.transfer import RANDOM, relative_transfer_drop, transfer_table
from langspec.training.metrics import METRICS, Metric, by_name

#: Columns of each input (one CSV per task, every replicate's rows).
TICKETS = ("rep", "lang", "sparsity", "metric")


TRANSFER = ("rep", "sparsity", "source", "target", "metric")


OVERLAP = ("rep", "kind", "a", "b", "layer", "jaccard", "sparsity")


RETRIEVAL = ("rep", "ticket", "source", "target", "layer", "k", "accuracy", "method")


HEADS = ("rep", "lang", "layer", "head", "kept_fraction", "head_enabled")


#: Paper 003's appendix D: each alternative mask (LT-SFT difference, FISH Fisher) trained on its language,
#: and its Jaccard overlap with the language's ticket at the same sparsity.
ALTERNATIVES = ("rep", "lang", "method", "sparsity", "metric", "jaccard")


#: Representational similarity of parallel sentences (figure 10): a measure between source and target per layer,
#: with its control (the same measure between sentences that are not translations of each other).
SIMILARITY = ("rep", "ticket", "pooling", "source", "target", "layer", "measure", "similarity", "control")


#: One target task's cross-task transfer (figure 9): the source task's ticket of ``lang`` trained on the target task's
#: ``lang`` (``metric``) and the target task's own ticket of ``lang`` at that sparsity (``own``), per replicate.
CROSS_TASK = ("rep", "source_task", "lang", "sparsity", "metric", "own")


#: Special names: the dense model (a source of transfer.csv, a ticket of retrieval.csv) and the multilingual ticket.
FULL, MULTI = "full", "multi"


#: Kinds of overlap rows: two languages of one replicate; one language in two replicates (the upper bound).
PAIR, SAME = "pair", "same-language"


def task_frames(tables: Mapping[str, pd.DataFrame], needed: Sequence[str], what: str) -> dict[str, pd.DataFrame]:
    """task -> a checked copy of its frame (the ``needed`` columns, rows present)."""
    nonempty(tables, what)
    out = {}
    for task, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise LangspecError(f"{what} of task '{task}' must be one table with every replicate's rows")
        out[task] = columns(table, needed, f"{what} of task '{task}'").copy()
    return out


def fractions(table: pd.DataFrame, column: str, what: str) -> pd.Series:
    """A column of fractions in [0, 1] as floats (NaN allowed), or a one-line error."""
    values = pd.to_numeric(table[column], errors="coerce")
    if values.isna().sum() > table[column].isna().sum():
        raise LangspecError(f"{what} has a non-numeric value in column {column}")
    if not values.dropna().between(0, 1).all():
        raise LangspecError(f"{what} has {column} outside [0, 1] (a fraction is expected)")
    return values.astype(float)


def table_metric(table: pd.DataFrame, what: str) -> Metric:
    """The metric of a task's frame: its ``metric_name`` column (one value), accuracy without the column."""
    if "metric_name" not in table.columns:
        return METRICS["classification"]
    names = sorted(set(table["metric_name"].astype(str)))
    if len(names) != 1:
        raise LangspecError(f"{what} mixes metrics {', '.join(names)} (one metric per task expected)")
    return by_name(names[0])


def scale(metric: Metric) -> float:
    """Summaries show fractions (accuracy, F1) in percent and perplexity as it is."""
    return 1.0 if metric.name == "perplexity" else 100.0


def unit(metric: Metric) -> str:
    """How a summary value of ``metric`` reads: "accuracy (%)", "perplexity"."""
    return metric.label if metric.name == "perplexity" else f"{metric.label} (%)"


def metric_range(metric: Metric) -> tuple[float, float]:
    """The values a summary of ``metric`` can take (:func:`scale`): accuracy and F1 in [0, 100] (%), perplexity
    in [1, ∞). A 95% interval over few replicates can reach beyond it; figures draw it clipped to this range."""
    return (1.0, np.inf) if metric.name == "perplexity" else (0.0, 100.0)


def relative_range(metric: Metric) -> tuple[float, float]:
    """The values of a relative change (%) of ``metric`` oriented so that positive is better (:func:`points`,
    :func:`relative_drops`): at least −100 where higher is better (the metric is ≥ 0), at most 100 for perplexity."""
    return (-100.0, np.inf) if metric.higher_is_better else (-np.inf, 100.0)


def metric_columns(metric: Metric) -> dict:
    """What a figure needs to name a task's metric, as source-data columns: ``metric_name``, ``metric_label``
    ("entity F1"), ``higher_is_better``, ``unit`` (:func:`unit`) and ``range_low`` / ``range_high``
    (:func:`metric_range`)."""
    low, high = metric_range(metric)
    return {"metric_name": metric.name, "metric_label": metric.label, "higher_is_better": metric.higher_is_better,
            "unit": unit(metric), "range_low": low, "range_high": high}


def points(metric: Metric, value, reference) -> np.ndarray:
    """``value`` against ``reference``, positive when better: 100 × the difference of fractions (accuracy, F1: points),
    and for perplexity the relative change in % of ``reference``."""
    value, reference = np.asarray(value, float), np.asarray(reference, float)
    if metric.higher_is_better:
        return 100 * (value - reference)
    return 100 * (reference - value) / reference


def points_se(metric: Metric, value, reference, se_value, se_reference) -> np.ndarray:
    """The standard error of :func:`points` from the sampling errors of ``value`` and ``reference`` (metric units).

    Accuracy and F1: 100 · √(se_v² + se_r²); perplexity: :func:`relative_se`.
    Conservative where both were scored on the same examples (:func:`langspec.stats.sampling.difference_se`).
    """
    if metric.higher_is_better:
        return 100 * difference_se(se_value, se_reference)
    return relative_se(value, reference, se_value, se_reference)


def relative_se(value, reference, se_value, se_reference) -> np.ndarray:
    """The standard error (%) of 100 · (value − reference) / reference (either sign): delta method,
    100 · √(se_v² + (value / reference)² · se_r²) / |reference|."""
    value, reference = np.asarray(value, float), np.asarray(reference, float)
    ratio = value / reference
    return 100 * difference_se(se_value, ratio * np.asarray(se_reference, float)) / np.abs(reference)


def with_se(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """``table`` with ``se``: each row's sampling error of ``metric`` in the metric's unit (NaN without its counts)."""
    return table.assign(se=metric_se(table, table_metric(table, what)))


def metric_values(table: pd.DataFrame, metric: Metric, what: str, column: str = "metric") -> pd.Series:
    """A metric column checked: fractions for accuracy and F1, a perplexity ≥ 1 (NaN allowed)."""
    if metric.name != "perplexity":
        return fractions(table, column, what)
    values = pd.to_numeric(table[column], errors="coerce")
    if values.isna().sum() > table[column].isna().sum():
        raise LangspecError(f"{what} has a non-numeric value in column {column}")
    if not (values.dropna() >= 1).all():
        raise LangspecError(f"{what} has a perplexity below 1 in column {column}")
    return values.astype(float)


def sparsities(table: pd.DataFrame, what: str) -> pd.Series:
    """The sparsity column as floats rounded to 6 decimals (so 0.5 read back from text matches 0.5), checked in [0, 1)."""
    values = pd.to_numeric(table["sparsity"], errors="coerce")
    if values.isna().any() or not values.between(0, 1, inclusive="left").all():
        raise LangspecError(f"{what} has a sparsity outside [0, 1) (a fraction of pruned weights is expected)")
    return values.astype(float).round(6)


def as_text(values: pd.Series) -> pd.Series:
    """Labels as text (language codes, layers, replicate pairs), also when a CSV gave them back as numbers."""
    return values.map(lambda v: str(int(v)) if isinstance(v, (float, np.floating)) and float(v).is_integer() else str(v))


def ordered(values: Iterable[str], last: Sequence[str] = ()) -> list[str]:
    """Distinct values in order of first appearance, those of ``last`` moved to the end (in that order)."""
    seen = list(dict.fromkeys(values))
    return [v for v in seen if v not in last] + [v for v in last if v in seen]


def pick_sparsity(available: Iterable[float], wanted: float | None, what: str) -> float:
    """``wanted`` (matched to 6 decimals) among the ``available`` sparsities, or the smallest when None."""
    levels = sorted({round(float(s), 6) for s in available})
    if not levels:
        raise LangspecError(f"{what} has no rows to draw")
    if wanted is None:
        return levels[0]
    wanted = round(float(wanted), 6)
    if wanted not in levels:
        raise LangspecError(f"{what} has no sparsity {wanted:g} (it has {', '.join(f'{s:g}' for s in levels)})")
    return wanted


def rep_column(rep) -> str:
    """The column of replicate ``rep``'s own value in a summary and in source data: ``rep0``, ``rep1``, ..."""
    return f"rep{as_text(pd.Series([rep])).iloc[0]}"


def rep_columns(frame: pd.DataFrame) -> list[str]:
    """The ``rep{r}`` columns of ``frame`` (:func:`rep_column`; r a replicate's number), in replicate order."""
    return sorted((c for c in frame.columns if isinstance(c, str) and re.fullmatch(r"rep\d+", c)), key=lambda c: int(c[3:]))


def over_replicates(table: pd.DataFrame, keys: Sequence[str], value: str, what: str, scale: float = 1.0,
                    se: str | None = None) -> pd.DataFrame:
    """One row per distinct ``keys``: ``value`` × ``scale`` summarized over the replicates (column ``rep``).

    ``se``: the column of each value's own sampling error (``value``'s unit,
    NaN where unknown), when ``value`` is a dev metric or a difference of dev
    metrics: the spread is then floored at it (:mod:`langspec.stats.sampling`).
    Columns: the keys, then ``mean``, ``ci_low``, ``ci_high`` (95% t-interval;
    none for one replicate), ``sd`` (between replicates), ``sd_eff`` (the spread
    used: sd, or floored at the sampling error), ``se_test`` (the sampling part
    of the standard error of the mean; NaN without ``se``), ``n_replicates``,
    ``p_value`` (t-test against 0; NaN for one replicate), ``robust`` (the
    interval excludes 0: the single cell's test, before any multiplicity
    control) and ``method``
    (:func:`langspec.stats.replicates.summarize`), then each replicate's own
    value × ``scale`` (``rep{r}``, :func:`rep_column`; NaN where it has none), in
    replicate order (replicates numbered as the workflow numbers them; others
    count in the summary but have no column). Cells in order of first appearance; a replicate without a
    row for a cell counts as missing there.
    """
    keys = list(keys)
    twice = table.duplicated(["rep", *keys], keep=False)
    if twice.any():
        row = table[twice].iloc[0]
        cell = ", ".join(f"{k} {row[k]}" for k in keys)
        raise LangspecError(f"{what} has more than one row for replicate {row['rep']} and {cell}")
    wide = table.pivot(index="rep", columns=keys, values=value)
    cells = table[keys].drop_duplicates()
    order = pd.MultiIndex.from_frame(cells) if len(keys) > 1 else pd.Index(cells[keys[0]], name=keys[0])
    wide = wide.reindex(columns=order)  # cells in order of first appearance
    errors = None if se is None else table.pivot(index="rep", columns=keys, values=se).reindex(index=wide.index, columns=order)
    summary = summarize(wide.to_numpy(float) * scale, None if errors is None else errors.to_numpy(float) * scale,
                        floor=se is not None)
    frame = wide.columns.to_frame(index=False)
    for name in ("mean", "ci_low", "ci_high", "sd", "sd_eff", "se_test", "n_replicates", "p_value", "robust", "method"):
        frame[name] = summary[name]
    values = pd.DataFrame(wide.to_numpy(float).T * scale, columns=[rep_column(r) for r in wide.index])
    return pd.concat([frame, values[rep_columns(values)]], axis=1)


def ticket_curves(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """One task's tickets: per (lang, sparsity) the mean dev metric over replicates and whether the ticket wins.

    ``table``: columns ``rep``, ``lang``, ``sparsity``, ``metric`` (and
    ``metric_name``, :func:`table_metric`); sparsity 0 is the full model of
    that language; rows with the counts of their dev metric (``n``; F1: ``tp``,
    ``predicted``, ``gold``) floor each band's spread at their sampling error.
    Returns ``lang``, ``sparsity`` (fraction), the
    :func:`over_replicates` columns (in %, perplexity as it is), ``full_mean``
    and ``full_sd`` (the full model's mean and sample sd over replicates; sd 0
    for one replicate), ``winning``: the ticket is worse than the full model by
    at most full_sd (paper 003; full_mean − mean ≤ full_sd where higher is
    better), and ``metric_name``. Languages in order of first appearance, ``multi`` last.
    """
    metric = table_metric(table, what)
    table = table.assign(lang=as_text(table["lang"]), sparsity=sparsities(table, what),
                         metric=metric_values(table, metric, what))
    languages = ordered(table["lang"], (MULTI,))
    full = table[table["sparsity"] == 0]
    for lang in languages:
        if not (full["lang"] == lang).any():
            raise LangspecError(f"{what} lacks the full model (sparsity 0) of language '{lang}'")
    curves = over_replicates(with_se(table, what), ["lang", "sparsity"], "metric", what, scale=scale(metric), se="se")
    stats = full.groupby("lang")["metric"].agg(["mean", lambda v: v.std(ddof=1) if len(v) > 1 else 0.0])
    stats.columns = ["full_mean", "full_sd"]
    curves = curves.join(stats * scale(metric), on="lang")
    curves["winning"] = metric.gain(curves["mean"], curves["full_mean"]) >= -curves["full_sd"] - 1e-9
    curves["metric_name"] = metric.name
    curves["lang"] = pd.Categorical(curves["lang"], languages, ordered=True)
    curves = curves.sort_values(["lang", "sparsity"]).reset_index(drop=True)
    curves["lang"] = curves["lang"].astype(str)
    return curves


def highest_winning(curves: pd.DataFrame) -> pd.DataFrame:
    """Per language: the highest sparsity > 0 whose ticket wins (NaN when none), with the full model and that ticket.

    ``curves``: :func:`ticket_curves`. Columns ``lang``, ``sparsity``
    (fraction), ``full_mean``, ``full_sd``, ``ticket_mean``, ``ticket_sd``,
    ``replicates`` (of that ticket; of the full model when none wins).
    """
    rows = []
    for lang, part in curves.groupby("lang", sort=False):
        full = part[part["sparsity"] == 0].iloc[0]
        winners = part[(part["sparsity"] > 0) & part["winning"]]
        best = winners.iloc[-1] if len(winners) else None
        rows.append({
            "lang": lang, "sparsity": best["sparsity"] if best is not None else np.nan,
            "full_mean": full["full_mean"], "full_sd": full["sd"],
            "ticket_mean": best["mean"] if best is not None else np.nan,
            "ticket_sd": best["sd"] if best is not None else np.nan,
            "replicates": int(best["n_replicates"] if best is not None else full["n_replicates"]),
        })
    return pd.DataFrame(rows)


def layer_order(values: Iterable[str]) -> list[str]:
    """Encoder layers in numeric order, then ``pooler``; an encoder-decoder's ``encoder.0``, ... then
    ``decoder.0``, ... in numeric order; ``all`` is left out."""
    values = set(values) - {"all"}

    def key(layer: str) -> tuple:
        stack, _, number = layer.rpartition(".")
        if layer.isdigit():
            return (0, "", int(layer))
        if stack in ("encoder", "decoder") and number.isdigit():
            return (1, stack != "encoder", int(number))
        return (2, layer, 0)

    return sorted(values, key=key)


def overlap_rows(table: pd.DataFrame, sparsity: float | None, what: str) -> tuple[pd.DataFrame, float]:
    """One task's overlap rows at ``sparsity`` (the smallest present when None), labels as text; and the sparsity."""
    table = table.assign(rep=as_text(table["rep"]), kind=as_text(table["kind"]), a=as_text(table["a"]), b=as_text(table["b"]),
                         layer=as_text(table["layer"]), sparsity=sparsities(table, what),
                         jaccard=fractions(table, "jaccard", what))
    unknown = sorted(set(table["kind"]) - {PAIR, SAME})
    if unknown:
        raise LangspecError(f"{what} has kind '{unknown[0]}' ({PAIR} or {SAME} expected)")
    level = pick_sparsity(table["sparsity"], sparsity, what)
    part = table[table["sparsity"] == level]
    if not (part["kind"] == PAIR).any():
        raise LangspecError(f"{what} has no rows of kind '{PAIR}' at sparsity {level:g}")
    if not (part["layer"] == "all").any():
        raise LangspecError(f"{what} has no rows for layer 'all' (the whole ticket) at sparsity {level:g}")
    return part, level


def overlap_summary(part: pd.DataFrame, what: str) -> dict:
    """Per pair and layer the mean Jaccard (%) over replicates; the task's average overlap and its upper bound.

    ``part``: :func:`overlap_rows`. Returns ``curves`` (columns ``pair``,
    ``layer``, :func:`over_replicates` columns, %), ``layers`` (drawing
    order), ``average`` (:func:`over_replicates` row of each replicate's mean
    over pairs of layer ``all``), ``same`` (per layer: mean over languages and
    replicate pairs of kind same-language, %; empty without such rows) and
    ``same_all`` (that mean for layer ``all``, NaN without).
    """
    pairs = part[part["kind"] == PAIR].assign(pair=lambda f: f["a"] + "–" + f["b"])
    layers = layer_order(pairs["layer"])
    curves = over_replicates(pairs[pairs["layer"] != "all"], ["pair", "layer"], "jaccard", what, scale=100)
    order = {p: i for i, p in enumerate(dict.fromkeys(pairs["pair"]))}
    curves = curves.assign(_p=curves["pair"].map(order), _l=curves["layer"].map({l: i for i, l in enumerate(layers)}))
    curves = curves.sort_values(["_p", "_l"]).drop(columns=["_p", "_l"]).reset_index(drop=True)
    whole = pairs[pairs["layer"] == "all"].groupby("rep")["jaccard"].mean().rename("jaccard").reset_index()
    average = over_replicates(whole.assign(cell="all"), ["cell"], "jaccard", what, scale=100).iloc[0]
    same = part[part["kind"] == SAME]
    per_layer = same[same["layer"] != "all"].groupby("layer")["jaccard"].mean() * 100
    same_all = same.loc[same["layer"] == "all", "jaccard"].mean() * 100 if (same["layer"] == "all").any() else np.nan
    return {"curves": curves, "layers": layers, "average": average,
            "same": per_layer.reindex([l for l in layers if l in per_layer.index]), "same_all": float(same_all)}


def transfer_rows(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """A task's transfer.csv checked, labels as text, sparsity rounded, the metric checked and named (``metric_name``)."""
    metric = table_metric(table, what)
    return table.assign(rep=as_text(table["rep"]), source=as_text(table["source"]), target=as_text(table["target"]),
                        sparsity=sparsities(table, what), metric=metric_values(table, metric, what),
                        metric_name=metric.name)


def transfer_level(rows: pd.DataFrame, sparsity: float | None, what: str) -> tuple[pd.DataFrame, float]:
    """The ticket rows (source not ``full``) at ``sparsity`` (the smallest present when None), and that sparsity."""
    tickets = rows[rows["source"] != FULL]
    level = pick_sparsity(tickets["sparsity"], sparsity, f"{what} (tickets, source ≠ {FULL})")
    return tickets[tickets["sparsity"] == level], level


def _with_own(part: pd.DataFrame, what: str) -> pd.DataFrame:
    """``part`` (with ``se``, :func:`with_se`) with ``own`` and ``own_se``: the same replicate's own ticket a(t, t) of
    the row's target and its sampling error; every target needs one."""
    own = part[part["source"] == part["target"]]
    missing = [t for t in dict.fromkeys(part["target"]) if t not in set(own["target"])]
    if missing:
        raise LangspecError(f"{what} lacks the own ticket (source = target) of '{missing[0]}'")
    lookup = own.set_index(["rep", "target"])[["metric", "se"]]
    if lookup.index.duplicated().any():
        rep, target = lookup.index[lookup.index.duplicated()][0]
        raise LangspecError(f"{what} has more than one row for replicate {rep} and source = target '{target}'")
    found = lookup.reindex(pd.MultiIndex.from_arrays([part["rep"], part["target"]]))
    return part.assign(own=found["metric"].to_numpy(), own_se=found["se"].to_numpy())


def transfer_cells(part: pd.DataFrame, what: str) -> dict:
    """Figure 4 of one task at one sparsity: sources (languages, then ``rand``) x targets.

    ``part``: :func:`transfer_level`'s rows. Returns ``mean`` (a(s, t) − a(t, t)
    in points of the metric, oriented so that positive is better: a(t, t) − a(s, t)
    for perplexity; mean over replicates of each replicate's difference to
    its own ticket), ``p_value`` (t-test of those differences against 0; NaN
    on the diagonal, 0 by definition, and for one replicate; where the rows hold
    their dev counts, each difference's sampling error √(se_s² + se_t²) floors
    the spread, :func:`over_replicates`), ``successful`` (mean a(s, t) ≥ mean a(t, t) − sd a(t, t), off
    the diagonal, paper 003's criterion with the sd between replicates;
    :func:`langspec.tickets.transfer.transfer_table`), ``counts``
    (replicates per cell), ``floored`` (whether some cell's spread was
    floored at the sampling error) and ``cells``: the same as one row per
    (source, target), sources then targets in the matrices' order, with the
    :func:`over_replicates` columns of the difference (each replicate's own in
    ``rep{r}``), ``p_value`` NaN on the diagonal, and ``successful``. ``multi``
    is left out (see table 1).
    """
    part = _with_own(with_se(part[part["source"] != MULTI], what), what)
    targets = list(dict.fromkeys(part["target"]))
    sources = [t for t in targets if t in set(part["source"])]
    sources += [s for s in dict.fromkeys(part["source"]) if s not in sources and s != RANDOM]
    sources += [RANDOM] if (part["source"] == RANDOM).any() else []
    metric = table_metric(part, what)
    differences = part.assign(difference=metric.gain(part["metric"], part["own"]),
                              difference_se=difference_se(part["se"], part["own_se"]))
    cells = over_replicates(differences, ["source", "target"], "difference", what, scale=scale(metric), se="difference_se")
    shape = lambda column: cells.pivot(index="source", columns="target", values=column).reindex(index=sources, columns=targets)
    table = transfer_table(part[["source", "target", "metric"]], metric.higher_is_better)
    success = table.pivot(index="source", columns="target", values="successful").reindex(index=sources, columns=targets)
    success = success.fillna(False).astype(bool)
    for s in sources:
        if s in success.columns:
            success.loc[s, s] = False
    p_value = shape("p_value").astype(float)
    for s in sources:
        if s in p_value.columns:
            p_value.loc[s, s] = np.nan
    tidy = _grid(cells, ["source", "target"], sources, targets)
    tidy["p_value"] = tidy["p_value"].where(tidy["source"] != tidy["target"])
    tidy["successful"] = [bool(success.loc[s, t]) for s, t in zip(tidy["source"], tidy["target"])]
    return {"mean": shape("mean").astype(float), "p_value": p_value, "successful": success,
            "counts": shape("n_replicates").fillna(0).astype(int), "floored": bool((cells["method"] == FLOOR_METHOD).any()),
            "cells": tidy}


def _grid(cells: pd.DataFrame, keys: Sequence[str], rows: Sequence[str], columns_: Sequence[str]) -> pd.DataFrame:
    """:func:`over_replicates`'s ``cells`` on the full ``rows`` x ``columns_`` grid (keys ``keys``), row by row; a cell
    without a value has NaN and ``n_replicates`` 0, ``method`` "no value"."""
    index = pd.MultiIndex.from_product([list(rows), list(columns_)], names=list(keys))
    out = cells.set_index(list(keys)).reindex(index).reset_index()
    out["n_replicates"] = out["n_replicates"].fillna(0).astype(int)
    out["method"] = out["method"].fillna("no value")
    out["robust"] = out["robust"].eq(True)
    return out


def relative_drops(part: pd.DataFrame, what: str) -> pd.DataFrame:
    """Per source language: each replicate's average relative transfer change (%), footnote 15 of paper 003.

    (1 / (|L| − 1)) Σ_{t ≠ s} (a(s, t) − a(t, t)) / a(t, t) × 100 within one
    replicate (sign flipped for perplexity: negative is always a drop) (:func:`langspec.tickets.transfer.relative_transfer_drop`), L the
    languages that are sources and targets (``rand`` and ``multi`` are left
    out). Columns ``rep``, ``source``, ``relative_pct`` and ``relative_se`` (its
    sampling error, %: :func:`relative_se` per pair, the targets' dev sets
    independent; NaN where the rows lack their dev counts).
    """
    metric = table_metric(part, what)
    part = with_se(part[~part["source"].isin([RANDOM, MULTI])], what)
    rows = []
    for rep, frame in part.groupby("rep", sort=False):
        try:
            drop = relative_transfer_drop(frame[["source", "target", "metric"]], metric.higher_is_better)
        except LangspecError as error:
            raise LangspecError(f"{what}, replicate {rep}: {error}") from None
        own = frame[frame["source"] == frame["target"]].groupby("target")[["metric", "se"]].mean()
        for source, value in drop.items():
            cross = frame[(frame["source"] == source) & frame["target"].isin(drop.index) & (frame["target"] != source)]
            reference = own.reindex(cross["target"])
            se = relative_se(cross["metric"], reference["metric"], cross["se"], reference["se"])
            rows.append({"rep": rep, "source": source, "relative_pct": 100 * value, "relative_se": mean_se(se)})
    return pd.DataFrame(rows, columns=["rep", "source", "relative_pct", "relative_se"])


def retrieval_curves(table: pd.DataFrame, method: str | None, what: str) -> tuple[pd.DataFrame, str]:
    """Per (ticket, source, target, k, layer) the mean retrieval accuracy (%) over replicates, for one scoring method.

    ``method`` names a scoring method as the config does (``margin``, ``cosine``)
    or as the table does (``margin-ratio-k4``); None takes margin scoring when
    present, else the table's only method.
    """
    table = table.assign(rep=as_text(table["rep"]), ticket=as_text(table["ticket"]), source=as_text(table["source"]),
                         target=as_text(table["target"]), method=as_text(table["method"]),
                         accuracy=fractions(table, "accuracy", what))
    table["layer"] = pd.to_numeric(table["layer"], errors="coerce")
    table["k"] = pd.to_numeric(table["k"], errors="coerce")
    if table[["layer", "k"]].isna().any().any():
        raise LangspecError(f"{what} has a layer or k that is not a whole number")
    table["layer"], table["k"] = table["layer"].astype(int), table["k"].astype(int)
    methods = list(dict.fromkeys(table["method"]))
    named = lambda wanted: [m for m in methods if m == wanted or m.startswith(f"{wanted}-")]
    if method is None:
        if not named("margin") and len(methods) > 1:
            raise LangspecError(f"{what} has the methods {', '.join(methods)}: say which one to draw")
        method = (named("margin") or methods)[0]
    if not named(method):
        raise LangspecError(f"{what} has no method '{method}' (it has {', '.join(methods)})")
    method = named(method)[0]
    part = table[table["method"] == method]
    curves = over_replicates(part, ["ticket", "source", "target", "k", "layer"], "accuracy", what, scale=100)
    tickets = ordered(part["ticket"], (MULTI, FULL))
    directions = list(dict.fromkeys(zip(part["source"], part["target"])))
    curves["_t"] = curves["ticket"].map({t: i for i, t in enumerate(tickets)})
    curves["_d"] = [directions.index(d) for d in zip(curves["source"], curves["target"])]
    curves = curves.sort_values(["_d", "k", "_t", "layer"], ascending=[True, False, True, True])
    return curves.drop(columns=["_t", "_d"]).reset_index(drop=True), method


def similarity_curves(table: pd.DataFrame, pooling: str, what: str) -> pd.DataFrame:
    """Per (ticket, source, target, measure, layer) the similarity and its control, summarised over replicates.

    One sentence representation (``pooling``: ``first`` or ``mean``). Columns: the
    keys, :func:`over_replicates`'s columns for the similarity, and
    ``control_mean`` (the control's mean over replicates). Similarities stay in
    [0, 1]. Order: directions, then tickets (``full`` last), then layers.
    """
    table = table.assign(rep=as_text(table["rep"]), ticket=as_text(table["ticket"]), source=as_text(table["source"]),
                         target=as_text(table["target"]), pooling=as_text(table["pooling"]),
                         measure=as_text(table["measure"]), similarity=fractions(table, "similarity", what),
                         control=fractions(table, "control", what))
    table["layer"] = pd.to_numeric(table["layer"], errors="coerce")
    if table["layer"].isna().any():
        raise LangspecError(f"{what} has a layer that is not a whole number")
    table["layer"] = table["layer"].astype(int)
    poolings = list(dict.fromkeys(table["pooling"]))
    if pooling not in poolings:
        raise LangspecError(f"{what} has no pooling '{pooling}' (it has {', '.join(poolings)})")
    part = table[table["pooling"] == pooling]
    keys = ["ticket", "source", "target", "measure", "layer"]
    curves = over_replicates(part, keys, "similarity", what)
    control = part.groupby(keys, sort=False)["control"].mean().rename("control_mean").reset_index()
    curves = curves.merge(control, on=keys, how="left")
    tickets = ordered(part["ticket"], (FULL,))
    directions = list(dict.fromkeys(zip(part["source"], part["target"])))
    curves["_t"] = curves["ticket"].map({t: i for i, t in enumerate(tickets)})
    curves["_d"] = [directions.index(d) for d in zip(curves["source"], curves["target"])]
    curves = curves.sort_values(["_d", "_t", "measure", "layer"])
    return curves.drop(columns=["_t", "_d"]).reset_index(drop=True)


#: Appendix D's quantities per language and mask, in the table's order: (name, the prepared column, in the summary
#: unit (True) or already in points / % (False), its sampling error's column or None).
ALTERNATIVE_QUANTITIES = (("full", "full", True, "full_se"), ("ticket", "ticket", True, "ticket_se"),
                          ("mask", "metric", True, "se"), ("vs_full", "vs_full", False, "vs_full_se"),
                          ("vs_ticket", "vs_ticket", False, "vs_ticket_se"), ("overlap", "jaccard", None, None))


def alternative_cells(alternatives: pd.DataFrame, tickets: pd.DataFrame, what: str) -> pd.DataFrame:
    """Appendix D per (lang, mask method): the mask, the full model and the ticket, over replicates, with paired
    differences; one row per quantity.

    ``alternatives``: a task's alternatives.csv (:data:`ALTERNATIVES`);
    ``tickets``: its tickets.csv (the full model is sparsity 0, the ticket the
    IMP-trained model at the mask's sparsity, same replicate and language).
    Columns ``lang``, ``mask_method``, ``sparsity`` (fraction), ``quantity``
    (:data:`ALTERNATIVE_QUANTITIES`: ``full``, ``ticket``, ``mask`` in % or
    perplexity as it is; ``vs_full``, ``vs_ticket``: the mask against each, per
    replicate, :func:`points`, positive when the mask is better; ``overlap``:
    Jaccard with the ticket, %), then the :func:`over_replicates` columns with
    each replicate's own value (``rep{r}``), and ``metric_name``. The dev
    metrics and their differences floor their spread at the rows' sampling
    error where both tables hold their dev counts (:func:`with_se`, :func:`points_se`).
    """
    metric = table_metric(alternatives, what)
    alt = alternatives.assign(rep=as_text(alternatives["rep"]), lang=as_text(alternatives["lang"]),
                              method=as_text(alternatives["method"]), sparsity=sparsities(alternatives, what),
                              metric=metric_values(alternatives, metric, what), jaccard=fractions(alternatives, "jaccard", what))
    ticks = tickets.assign(rep=as_text(tickets["rep"]), lang=as_text(tickets["lang"]), sparsity=sparsities(tickets, what),
                           metric=metric_values(tickets, table_metric(tickets, what), what))
    lookup = with_se(ticks, what).set_index(["rep", "lang", "sparsity"])[["metric", "se"]]
    missing = [(r, l, s) for r, l, s in zip(alt["rep"], alt["lang"], alt["sparsity"])
               for key in ((r, l, 0.0), (r, l, s)) if key not in lookup.index]
    if missing:
        rep, lang, level = missing[0]
        raise LangspecError(f"{what}: the tickets table lacks language '{lang}' of replicate {rep} at sparsity 0 or {level:g}")
    alt = with_se(alt, what)
    full = lookup.loc[list(zip(alt["rep"], alt["lang"], [0.0] * len(alt)))]
    ticket = lookup.loc[list(zip(alt["rep"], alt["lang"], alt["sparsity"]))]
    alt["full"], alt["full_se"] = full["metric"].to_numpy(), full["se"].to_numpy()
    alt["ticket"], alt["ticket_se"] = ticket["metric"].to_numpy(), ticket["se"].to_numpy()
    alt["vs_full"] = points(metric, alt["metric"], alt["full"])
    alt["vs_full_se"] = points_se(metric, alt["metric"], alt["full"], alt["se"], alt["full_se"])
    alt["vs_ticket"] = points(metric, alt["metric"], alt["ticket"])
    alt["vs_ticket_se"] = points_se(metric, alt["metric"], alt["ticket"], alt["se"], alt["ticket_se"])
    alt = alt.rename(columns={"method": "mask_method"})  # over_replicates adds a column "method" of its own
    keys = ["lang", "mask_method", "sparsity"]
    parts = []
    for name, column, in_unit, se in ALTERNATIVE_QUANTITIES:
        factor = scale(metric) if in_unit else 1.0 if in_unit is False else 100.0
        summary = over_replicates(alt, keys, column, what, scale=factor, se=se)
        parts.append(summary.assign(quantity=name, _q=len(parts)))
    cells = pd.concat(parts, ignore_index=True)
    cells["_k"] = cells.groupby(keys, sort=False).ngroup()
    cells = cells.sort_values(["_k", "_q"], kind="stable").drop(columns=["_k", "_q"]).reset_index(drop=True)
    reps = rep_columns(cells)
    cells = cells[[*keys, "quantity", *(c for c in cells.columns if c not in (*keys, "quantity", *reps)), *reps]]
    return cells.assign(metric_name=metric.name)


def head_points(table: pd.DataFrame, what: str) -> dict[str, list[tuple[str, pd.DataFrame]]]:
    """Language -> per replicate (rep, its heads: ``layer``, ``head``, ``enabled`` 0/1, ``kept_pct``), languages and
    replicates in order."""
    table = table.assign(rep=as_text(table["rep"]), lang=as_text(table["lang"]),
                         kept_fraction=fractions(table, "kept_fraction", what))
    enabled = pd.to_numeric(table["head_enabled"], errors="coerce")
    if not enabled.isin([0, 1]).all():
        raise LangspecError(f"{what} has head_enabled other than 0 or 1")
    table["head_enabled"] = enabled.astype(int)
    if table.duplicated(["rep", "lang", "layer", "head"]).any():
        row = table[table.duplicated(["rep", "lang", "layer", "head"])].iloc[0]
        raise LangspecError(f"{what} has more than one row for replicate {row['rep']}, language {row['lang']}, "
                            f"layer {row['layer']}, head {row['head']}")
    out = {}
    for lang, part in table.groupby("lang", sort=False):
        out[lang] = [(rep, pd.DataFrame({"layer": p["layer"].to_numpy(), "head": p["head"].to_numpy(),
                                         "enabled": p["head_enabled"].to_numpy(), "kept_pct": 100 * p["kept_fraction"].to_numpy()}))
                     for rep, p in part.groupby("rep", sort=False)]
    return out


def head_correlation(reps: Sequence[tuple[str, pd.DataFrame]]) -> dict:
    """Pearson (point-biserial) r of kept % and head enabled, per replicate, pooled with its interval."""
    rs = [pearson(p["enabled"], p["kept_pct"]) for _, p in reps]
    counts = [int(np.isfinite(p["kept_pct"]).sum()) for _, p in reps]
    return {**correlation(rs, counts), "counts": counts}


def cross_task_cells(table: pd.DataFrame, what: str) -> dict:
    """Figure 9 for one target task: per source task and language, the source's ticket against the target's own.

    ``table``: the target task's cross_task.csv (:data:`CROSS_TASK`, with
    ``metric_name``). Returns ``mean`` (source tasks × languages: the mean over
    replicates of metric − own, in the summary unit and oriented so that positive
    is better), ``p_value`` (t-test of those paired differences against 0; NaN
    for one replicate; the spread floored at √(se² + se_own²) where the rows
    hold the dev counts of ``metric`` and of ``own``: ``n`` and ``own_n``, F1's
    ``tp``, ``own_tp``, ...; :mod:`langspec.stats.sampling`), ``counts``
    (replicates per cell), ``own`` (per language the own ticket's mean),
    ``sparsity``, ``floored`` (whether some cell's spread was floored) and ``cells``: one row per (source_task,
    lang) in the matrices' order, with the :func:`over_replicates` columns of the difference (each replicate's own
    in ``rep{r}``) and ``own``.
    """
    metric = table_metric(table, what)
    table = table.assign(rep=as_text(table["rep"]), source_task=as_text(table["source_task"]),
                         lang=as_text(table["lang"]), sparsity=sparsities(table, what),
                         metric=metric_values(table, metric, what), own=metric_values(table, metric, what, "own"))
    levels = sorted(set(table["sparsity"]))
    if len(levels) != 1:
        raise LangspecError(f"{what} mixes sparsities {', '.join(f'{v:g}' for v in levels)} (one expected)")
    sampling = difference_se(metric_se(table, metric), metric_se(table, metric, "own", "own_"))
    cells = over_replicates(table.assign(difference=metric.gain(table["metric"], table["own"]), difference_se=sampling),
                            ["source_task", "lang"], "difference", what, scale=scale(metric), se="difference_se")
    sources, langs = ordered(table["source_task"]), ordered(table["lang"])
    shape = lambda column: cells.pivot(index="source_task", columns="lang", values=column).reindex(index=sources, columns=langs)
    own = table.groupby("lang")["own"].mean().reindex(langs) * scale(metric)
    tidy = _grid(cells, ["source_task", "lang"], sources, langs)
    tidy["own"] = own.reindex(tidy["lang"]).to_numpy(float)
    return {"mean": shape("mean").astype(float), "p_value": shape("p_value").astype(float),
            "counts": shape("n_replicates").fillna(0).astype(int), "own": own, "sparsity": levels[0],
            "metric_name": metric.name, "floored": bool((cells["method"] == FLOOR_METHOD).any()), "cells": tidy}
