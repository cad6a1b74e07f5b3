"""Paper 000's figures 2-19 and tables 1-2 as the tidy frames they draw, and the spec files they are made from.

One function per figure or table (named after it: :func:`fig2` ... :func:`fig19`, :func:`table1`,
:func:`table2`; :attr:`langspec.registry.Entry.source` names it) takes the entry's roles, read from their
files by :func:`load` (:func:`from_spec` does both), and returns one row per cell, bar, line point or scatter
point of the figure, in the order it is drawn. The workflow writes the frame as ``{figure}.data.csv``
(:func:`write_source_data`; :func:`langspec.results.source_data` reads it back by figure id) and
:mod:`langspec.figures` draws from it alone. Shared columns:

- ``mean``, ``ci_low``, ``ci_high``, ``n_replicates``, ``method``: the drawn value, its 95% interval over
  the replicates and how the interval was made (:mod:`langspec.stats.replicates`); mask statistics have no
  interval drawn, and carry ``chance`` (their value under independent masks, the mean over replicates);
- ``rep{r}``: replicate r's own value of the cell (NaN where it has none); r is the replicate's number read
  from its files' paths (``.../{task}/rep{r}/...``), or its position when the inputs are not files, so a
  replicate that did not learn (left out before) leaves a gap, not a shift; these columns come last, in
  replicate order;
- ``p_value``: the cell's two-sided t-test against its ``reference`` (0 for a change, the equal share 100 / L
  for a share, ``chance`` for a mask statistic, r = 0 for a correlation); ``tested``: it counts among the
  m tests of the false discovery rate control (a finite p from at least two replicates); ``robust``: the
  Benjamini–Hochberg procedure at q = 0.05 over every tested cell of the figure keeps it
  (:mod:`langspec.stats.multiplicity`); the figure hatches and washes out what is not robust;
- scatter points: one row per point and replicate (column ``replicate``; NaN values stay, undrawn), the
  replicate's own Pearson r and least-squares line (``replicate_r``, ``slope``, ``intercept``), and the
  panel's r pooled over replicates (``r``, ``r_ci_low``, ``r_ci_high``, ``r_p_value``, ``r_replicates``,
  ``r_method``; :func:`langspec.stats.correlations.correlation`) on each of its rows.

The columns of each frame are in the docstring of its function.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.errors import LangspecError
from langspec.heads.masks import read_mask
from langspec.stats.correlations import correlation, line, pearson
from langspec.stats.frames import (
    aggregated,
    columns,
    languages_present,
    masks_and_shares,
    masks_of,
    nonempty,
    replicate_lists,
    replicate_masks,
    sign_tests,
)
from langspec.stats.heads import (
    against_chance,
    chance_cosines,
    chance_pct,
    chance_shared,
    cosines,
    densities,
    head_counts,
    layer_correlations,
    mean_cosines,
    overlap_pct,
    pairs,
    shared_heads,
    specialization,
    specialization_summary,
)
from langspec.stats.multiplicity import fdr_keep, fdr_marks
from langspec.stats.quality import keep_in, learned, replicate_of
from langspec.stats.replicates import spread

#: The influence signs, in the order the figures draw them.
SIGNS = ("pos", "neg")
#: Table 2's regimes.
REGIMES = ("full", "sft")

Replicates = Mapping[str, Sequence[int]] | None


# -- reading a spec, writing and reading a frame ------------------------------------------------------------


def _per_replicate(items, role: str, label: str) -> list:
    """The list of one label's replicate entries, or a one-line error."""
    if isinstance(items, (str, bytes, dict)) or not isinstance(items, (list, tuple)) or not items:
        raise LangspecError(f"spec role '{role}' of '{label}' must be a non-empty list with one entry per replicate")
    return list(items)


def _numbers(items: Sequence) -> list[int]:
    """The replicate numbers of a list of one replicate's paths (or dicts of them), or 0, 1, ... when they do not tell."""
    found = []
    for item in items:
        paths = item.values() if isinstance(item, Mapping) else [item]
        numbers = {replicate_of(p) for p in paths if isinstance(p, (str, os.PathLike))}
        found.append(numbers.pop() if len(numbers) == 1 else None)
    if None in found or len(set(found)) != len(found):
        return list(range(len(items)))
    return found


def _accuracies(path: str | os.PathLike) -> dict[str, float]:
    """Language -> dev accuracy (%) of its subnetwork, from one replicate's subnetwork-accuracy JSON."""
    try:
        body = json.loads(Path(path).read_text(encoding="utf-8"))
        return {lang: 100 * float(m["accuracy"]) for lang, m in body["subnetwork"].items()}
    except FileNotFoundError:
        raise LangspecError(f"accuracy file {path} does not exist") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise LangspecError(f"accuracy file {path} is not a subnetwork-accuracy record: {error}") from None


def load(spec: dict) -> dict:
    """The spec with its files read, by role:

    - ``tables`` / ``epochs``: label -> aggregated CSV, read as a data frame;
    - ``replicate_tables`` / ``replicate_epochs``: label -> [one replicate's CSV, ...], read as frames;
    - ``masks``: task -> [{language: mask JSON}, ...] (one dict per replicate), read as [layers, heads] arrays;
    - ``accuracy``: task -> regime -> [one replicate's subnetwork-accuracy JSON, ...], read as language -> %.

    Other keys (``task``, ``test_lang``) pass unchanged. Added: ``replicates``, label -> the replicate numbers
    of its lists (from the paths' ``rep{r}``; 0, 1, ... where they do not tell).
    """
    loaded = dict(spec)
    numbers: dict[str, list[int]] = {}
    for role in ("tables", "epochs"):
        if role in spec:
            loaded[role] = {label: pd.read_csv(path) for label, path in spec[role].items()}
    if "masks" in spec:
        loaded["masks"] = {}
        for task, per_task in spec["masks"].items():
            items = _per_replicate(per_task, "masks", task)
            loaded["masks"][task] = [{lang: read_mask(path)["mask"] for lang, path in replicate.items()} for replicate in items]
            numbers.setdefault(task, _numbers(items))
    for role in ("replicate_tables", "replicate_epochs"):
        if role in spec:
            loaded[role] = {}
            for label, paths in spec[role].items():
                items = _per_replicate(paths, role, label)
                loaded[role][label] = [pd.read_csv(path) for path in items]
                numbers.setdefault(label, _numbers(items))
    if "accuracy" in spec:
        loaded["accuracy"] = {}
        for task, regimes in spec["accuracy"].items():
            loaded["accuracy"][task] = {regime: [_accuracies(path) for path in _per_replicate(paths, "accuracy", task)]
                                        for regime, paths in regimes.items()}
            numbers.setdefault(task, _numbers(next(iter(regimes.values()), [])))
    loaded["replicates"] = numbers
    return loaded


def from_spec(source: Callable[..., pd.DataFrame], roles: Sequence[str], spec: dict,
              quality: Mapping[str, str | os.PathLike] | None = None, optional: Sequence[str] = (),
              what: str = "the figure") -> pd.DataFrame:
    """The frame ``source`` returns from the files of ``spec`` (:func:`load`): its ``roles`` and the ``optional``
    spec keys present, by name, and the replicate numbers where ``source`` takes ``replicates``.

    ``quality``: task -> its quality CSV; the per-replicate files of replicates that did not learn are left
    out first (:func:`langspec.stats.quality.keep_in`).
    """
    spec = keep_in(spec, learned(quality)[0])
    missing = [role for role in roles if role not in spec]
    if missing:
        raise LangspecError(f"the spec of {what} lacks the role(s) {', '.join(missing)}")
    loaded = load({key: spec[key] for key in (*roles, *optional) if spec.get(key) is not None})
    arguments = {key: loaded[key] for key in (*roles, *optional) if key in loaded}
    if "replicates" in inspect.signature(source).parameters:
        arguments["replicates"] = loaded["replicates"]
    return source(**arguments)


def write_source_data(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Write a figure's or table's frame as CSV (full precision, so that drawing from it draws the same), atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def read_source_data(path: str | os.PathLike) -> pd.DataFrame:
    """A frame written by :func:`write_source_data`, or a one-line error naming the file."""
    if not Path(path).is_file():
        raise LangspecError(f"source data {path} does not exist")
    return pd.read_csv(path)


# -- shared pieces -------------------------------------------------------------------------------------------


def _ids(replicates: Replicates, label: str, count: int) -> list[int]:
    """The replicate numbers of ``label``'s ``count`` replicates: as given, else 0, 1, ..."""
    given = list((replicates or {}).get(label) or [])
    if not given:
        return list(range(count))
    if len(given) != count:
        raise LangspecError(f"'{label}' has {count} replicate(s) but {len(given)} replicate number(s)")
    return [int(r) for r in given]


def _rep_values(values: Sequence[pd.Series], ids: Sequence[int]) -> dict[str, pd.Series]:
    """``rep{r}`` -> that replicate's values (a series indexed by the cell's key)."""
    return {f"rep{r}": series for r, series in zip(ids, values)}


def _cell(series_by_rep: Mapping[str, pd.Series], key) -> dict[str, float]:
    """One cell's replicate values, NaN where a replicate lacks it."""
    return {name: float(series[key]) if key in series.index else np.nan for name, series in series_by_rep.items()}


def _keyed(table: pd.DataFrame, keys: Sequence[str], value: str, what: str) -> pd.Series:
    """Column ``value`` of ``table`` indexed by its ``keys``, checked to be unique."""
    columns(table, [*keys, value], what)
    series = table.set_index(list(keys))[value].astype(float)
    if not series.index.is_unique:
        raise LangspecError(f"{what} has more than one row for a ({', '.join(keys)}) cell")
    return series


def _matrix_values(matrices: Sequence[pd.DataFrame], ids: Sequence[int]) -> dict[str, pd.Series]:
    """``rep{r}`` -> replicate r's row x column matrix as a series keyed (row, column)."""
    return _rep_values([m.stack() for m in matrices], ids)


def _scatter(key: dict, replicates_: Sequence[tuple[int, pd.DataFrame]], x: str, y: str) -> list[dict]:
    """Rows of one scatter panel: every replicate's points (``x``, ``y`` and the columns they carry), its r and
    line, and r pooled over the replicates (module docstring)."""
    rs, counts, fits = [], [], []
    for _, points in replicates_:
        xs, ys = points[x].to_numpy(float), points[y].to_numpy(float)
        rs.append(pearson(xs, ys))
        counts.append(int((np.isfinite(xs) & np.isfinite(ys)).sum()))
        fits.append(line(xs, ys))
    pooled = correlation(rs, counts)
    summary = {"r": pooled["r"], "r_ci_low": pooled["ci_low"], "r_ci_high": pooled["ci_high"],
               "r_p_value": pooled["p_value"], "r_replicates": pooled["n_replicates"], "r_method": pooled["method"]}
    rows = []
    for (replicate, points), r, (slope, intercept) in zip(replicates_, rs, fits):
        for point in points.to_dict("records"):
            rows.append({**key, "replicate": replicate, **point, "replicate_r": r, "slope": slope, "intercept": intercept,
                         **summary})
    return rows


def _frame(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """The rows as a frame, the ``rep{r}`` columns last and in replicate order."""
    frame = pd.DataFrame(rows)
    reps = sorted((c for c in frame.columns if re.fullmatch(r"rep\d+", str(c))), key=lambda c: int(c[3:]))
    return frame[[c for c in frame.columns if c not in reps] + reps]


def _tested(p: float, n: float = 2) -> bool:
    return bool(np.isfinite(p) and np.isfinite(n) and n >= 2)


# -- heatmaps and bars of aggregated shares (figures 2-6, 11, 19) ---------------------------------------------


def _share_cells(tables: Mapping[str, pd.DataFrame], measure: str, signs: Sequence[str], key: str,
                 replicate_tables: Mapping[str, Sequence[pd.DataFrame]] | None, replicates: Replicates,
                 what: str = "tables") -> pd.DataFrame:
    """One row per (label, sign, test language, training language) of aggregated tables, marks over all of them."""
    nonempty(tables, what)
    parts = {label: aggregated(table, measure, f"table '{label}'") for label, table in tables.items()}
    blocks = []
    for label, part in parts.items():
        for sign in signs:
            mean, p, n = sign_tests(part, sign, f"table '{label}'")
            blocks.append((label, sign, part, mean, p, n))
    marks = fdr_marks([p for *_, p, _ in blocks], [n for *_, n in blocks])
    rows = []
    for (label, sign, part, mean, p, n), robust in zip(blocks, marks):
        cells = part[part["sign"] == sign].set_index(["test_lang", "train_lang"])
        per_rep = {}
        if replicate_tables and label in replicate_tables:
            reps = list(replicate_tables[label])
            ids = _ids(replicates, label, len(reps))
            per_rep = _rep_values([_keyed(t[t["sign"] == sign], ("test_lang", "train_lang"), measure,
                                          f"replicate table '{label}' (replicate {r})") for r, t in zip(ids, reps)], ids)
        for test in mean.index:
            for train in mean.columns:
                cell = cells.loc[(test, train)]
                count = float(n.loc[test, train])
                rows.append({key: label, "sign": sign, "test_lang": test, "train_lang": train, "measure": measure,
                             "mean": float(mean.loc[test, train]), "ci_low": float(cell["ci_low"]),
                             "ci_high": float(cell["ci_high"]), "n_replicates": int(count) if np.isfinite(count) else 0,
                             "reference": float(cell["reference"]), "p_value": float(p.loc[test, train]),
                             "tested": _tested(p.loc[test, train], count), "robust": bool(robust.loc[test, train]),
                             "method": cell["method"], **_cell(per_rep, (test, train))})
    return _frame(rows)


def fig2(tables: dict[str, pd.DataFrame], replicate_tables: dict[str, list[pd.DataFrame]] | None = None,
         replicates: Replicates = None) -> pd.DataFrame:
    """Figure 2: each task's own-language subnetwork vs the full model after full fine-tuning, change of share (pp).

    ``tables``: task -> aggregated comparison table (condition own against full, regime full);
    ``replicate_tables``: task -> its replicates' comparison tables (for the ``rep{r}`` columns; optional).
    Columns: task, sign (pos, neg), test_lang, train_lang, measure (change_pct), mean, ci_low, ci_high,
    n_replicates, reference (0), p_value, tested, robust, method, rep{r}...; one row per heatmap cell.
    """
    return _share_cells(tables, "change_pct", SIGNS, "task", replicate_tables, replicates)


def fig4(tables: dict[str, pd.DataFrame], replicate_tables: dict[str, list[pd.DataFrame]] | None = None,
         replicates: Replicates = None) -> pd.DataFrame:
    """Figure 4: after SFT, each task's own-language subnetwork vs the full model after full fine-tuning.

    Inputs and columns as :func:`fig2` (regime sft, condition own, baseline full/full).
    """
    return _share_cells(tables, "change_pct", SIGNS, "task", replicate_tables, replicates)


def fig6(tables: dict[str, pd.DataFrame], replicate_tables: dict[str, list[pd.DataFrame]] | None = None,
         replicates: Replicates = None) -> pd.DataFrame:
    """Figure 6: SFT with random subnetworks vs full fine-tuning.

    Inputs and columns as :func:`fig2` (regime sft-random, condition random<s>, baseline full/full).
    """
    return _share_cells(tables, "change_pct", SIGNS, "task", replicate_tables, replicates)


def fig11(tables: dict[str, pd.DataFrame], replicate_tables: dict[str, list[pd.DataFrame]] | None = None,
          replicates: Replicates = None) -> pd.DataFrame:
    """Figure 11: share (%) of each training language in each test language's top-k, full model.

    Inputs as :func:`fig2` (regime full, condition full); columns as :func:`fig2` with measure share_pct and
    reference the equal share 100 / L.
    """
    return _share_cells(tables, "share_pct", SIGNS, "task", replicate_tables, replicates)


def fig5(tables: dict[str, pd.DataFrame], replicate_tables: dict[str, list[pd.DataFrame]] | None = None,
         replicates: Replicates = None) -> pd.DataFrame:
    """Figure 5: absolute positive share (%) of each training language after SFT, one bar per row.

    Inputs as :func:`fig2` (own-language subnetworks after SFT). Columns as :func:`fig2` with sign pos only,
    measure share_pct and reference the equal share 100 / L: task, sign, test_lang (bar group), train_lang
    (bar), ...; the bar is the mean, its error bar the interval, and it is robust when kept over every bar.
    """
    return _share_cells(tables, "share_pct", ("pos",), "task", replicate_tables, replicates)


def fig19(tables: dict[str, pd.DataFrame], replicate_tables: dict[str, list[pd.DataFrame]] | None = None,
          replicates: Replicates = None) -> pd.DataFrame:
    """Figure 19: composed subnetworks at test time after SFT vs the full model after full fine-tuning.

    ``tables``: label (e.g. "pawsx: es∩fr") -> aggregated comparison table; ``replicate_tables`` likewise.
    Columns as :func:`fig2` with ``composition`` (the label) instead of task and sign pos only.
    """
    return _share_cells(tables, "change_pct", ("pos",), "composition", replicate_tables, replicates,
                        "composed-subnetwork tables")


def fig3(tables: dict[str, pd.DataFrame], test_lang: str, task: str,
         replicate_tables: dict[str, list[pd.DataFrame]] | None = None, replicates: Replicates = None) -> pd.DataFrame:
    """Figure 3: random and suboptimal subnetworks for one test language of one task, after full fine-tuning.

    ``tables``: condition label (e.g. "R1", "en mask") -> aggregated comparison table against the full model;
    ``replicate_tables`` likewise. Columns: task, test_lang, sign, condition (heatmap row), train_lang
    (column; the order of the first table), measure (change_pct), mean, ci_low, ci_high, n_replicates,
    reference, p_value, tested, robust (over both panels), method, rep{r}...
    """
    nonempty(tables, f"conditions for {task}/{test_lang}")
    parts = {condition: aggregated(table, "change_pct", f"table '{condition}'") for condition, table in tables.items()}
    train = list(dict.fromkeys(next(iter(parts.values()))["train_lang"]))
    blocks = []
    for sign in SIGNS:
        cells, p_values, counts = {}, {}, {}
        for condition, part in parts.items():
            what = f"table '{condition}'"
            part = part[(part["sign"] == sign) & (part["test_lang"] == test_lang)]
            if part.empty:
                raise LangspecError(f"{what} has no rows for test language '{test_lang}' with sign '{sign}'")
            languages_present(train, part["train_lang"], what, "training language")
            cells[condition] = part.set_index("train_lang").reindex(train)
            p_values[condition], counts[condition] = cells[condition]["p_value"], cells[condition]["n_replicates"]
        blocks.append((sign, cells, pd.DataFrame(p_values).T.astype(float), pd.DataFrame(counts).T.astype(float)))
    marks = fdr_marks([p for *_, p, _ in blocks], [n for *_, n in blocks])
    rows = []
    for (sign, cells, p, n), robust in zip(blocks, marks):
        for condition, indexed in cells.items():
            per_rep = {}
            if replicate_tables and condition in replicate_tables:
                reps = list(replicate_tables[condition])
                ids = _ids(replicates, condition, len(reps))
                per_rep = _rep_values([_keyed(t[(t["sign"] == sign) & (t["test_lang"] == test_lang)], ("train_lang",),
                                              "change_pct", f"replicate table '{condition}' (replicate {r})")
                                       for r, t in zip(ids, reps)], ids)
            for train_lang in train:
                cell = indexed.loc[train_lang]
                count = float(n.loc[condition, train_lang])
                rows.append({"task": task, "test_lang": test_lang, "sign": sign, "condition": condition,
                             "train_lang": train_lang, "measure": "change_pct", "mean": float(cell["mean"]),
                             "ci_low": float(cell["ci_low"]), "ci_high": float(cell["ci_high"]),
                             "n_replicates": int(count) if np.isfinite(count) else 0,
                             "reference": float(cell["reference"]), "p_value": float(p.loc[condition, train_lang]),
                             "tested": _tested(p.loc[condition, train_lang], count),
                             "robust": bool(robust.loc[condition, train_lang]), "method": cell["method"],
                             **_cell(per_rep, train_lang)})
    return _frame(rows)


# -- specialization over epochs and against accuracy (figures 7, 10, 17, 18) -------------------------------


def fig7(replicate_epochs: dict[str, list[pd.DataFrame]], replicates: Replicates = None) -> pd.DataFrame:
    """Figure 7: language specialization (%) against accuracy (%) over all languages and checkpoints, per task.

    ``replicate_epochs``: task -> one epoch table per replicate. One row per point: task, replicate, epoch,
    test_lang, specialization_pct (x), accuracy_pct (y), and the scatter columns (module docstring).
    """
    replicate_lists(replicate_epochs, "epoch tables")
    rows = []
    for task, tables in replicate_epochs.items():
        ids = _ids(replicates, task, len(tables))
        points = [(r, specialization(t, f"epoch table '{task}' (replicate {r})")) for r, t in zip(ids, tables)]
        rows += _scatter({"task": task}, points, "specialization_pct", "accuracy_pct")
    return _frame(rows)


def _curves(epochs: Mapping[str, pd.DataFrame], task: str, replicate_epochs: Mapping[str, Sequence[pd.DataFrame]] | None,
            replicates: Replicates) -> pd.DataFrame:
    """One row per (regime, test language, epoch): the in-language positive share over replicates."""
    nonempty(epochs, f"epoch tables for {task}")
    frames = []
    for regime, table in epochs.items():
        what = f"epoch table '{regime}' of {task}"
        curve = specialization_summary(table, what)
        curve.insert(0, "regime", regime)
        curve.insert(0, "task", task)
        if replicate_epochs and regime in replicate_epochs:
            reps = list(replicate_epochs[regime])
            ids = _ids(replicates, regime, len(reps))
            per_rep = _rep_values([_keyed(specialization(t, f"{what} (replicate {r})"), ("epoch", "test_lang"),
                                          "specialization_pct", f"{what} (replicate {r})") for r, t in zip(ids, reps)], ids)
            values = pd.DataFrame([_cell(per_rep, (e, lang)) for e, lang in zip(curve["epoch"], curve["test_lang"])],
                                  index=curve.index, columns=list(per_rep))
            curve = pd.concat([curve, values], axis=1)
        frames.append(curve)
    return _frame(pd.concat(frames, ignore_index=True))


def fig10(epochs: dict[str, pd.DataFrame], task: str, replicate_epochs: dict[str, list[pd.DataFrame]] | None = None,
          replicates: Replicates = None) -> pd.DataFrame:
    """Figure 10: language specialization (%) over epochs of one task, per regime (full fine-tuning, SFT).

    ``epochs``: regime label -> aggregated epoch table of its own-language subnetworks; ``replicate_epochs``:
    regime label -> its replicates' epoch tables (optional). Columns: task, regime, epoch, test_lang, mean,
    ci_low, ci_high, n_replicates, method (of the in-language positive share), rep{r}...; one row per point
    of a line.
    """
    return _curves(epochs, task, replicate_epochs, replicates)


def fig17(epochs: dict[str, pd.DataFrame], task: str, replicate_epochs: dict[str, list[pd.DataFrame]] | None = None,
          replicates: Replicates = None) -> pd.DataFrame:
    """Figure 17: language specialization over epochs per test language (every regime must have each). As :func:`fig10`."""
    frame = _curves(epochs, task, replicate_epochs, replicates)
    languages = list(dict.fromkeys(frame.loc[frame["regime"] == next(iter(epochs)), "test_lang"]))
    for regime, curve in frame.groupby("regime", sort=False):
        languages_present(languages, curve["test_lang"], f"epoch table '{regime}' of {task}", "test language")
    return frame


def fig18(epochs: dict[str, pd.DataFrame], task: str, replicate_epochs: dict[str, list[pd.DataFrame]] | None = None,
          replicates: Replicates = None) -> pd.DataFrame:
    """Figure 18: SFT with random subnetworks, language specialization over epochs. As :func:`fig10`."""
    return _curves(epochs, task, replicate_epochs, replicates)


# -- masks: similarity, overlap and head counts (figures 8, 9, 12-16) ---------------------------------------


def fig8(masks: dict[str, list[dict[str, np.ndarray]]], replicate_tables: dict[str, list[pd.DataFrame]],
         replicates: Replicates = None) -> pd.DataFrame:
    """Figure 8: per task, mask cosine similarity per language pair (left), positive influence against it (right).

    ``masks``: task -> one language -> [layers, heads] 0/1 dict per replicate; ``replicate_tables``: task ->
    one shares table per replicate (own-language subnetworks after SFT), replicate i with masks i. Column
    ``part`` tells the panels apart:

    - ``similarity`` (heatmap cells): task, lang_a (row), lang_b (column), mean (cosine over replicates),
      chance (√(p_a·p_b)), p_value (against chance; NaN on the diagonal, which is not tested), tested, robust
      (over every off-diagonal cell of the figure), n_replicates, rep{r}...;
    - ``pairs`` (scatter points): task, replicate, test_lang, train_lang (test ≠ train), cosine (x), share_pct
      (y, sign pos, %), and the scatter columns (module docstring).
    """
    inputs = masks_and_shares(masks, replicate_tables, "pos")
    similarity = {task: mean_cosines([m for m, _ in reps]) for task, reps in inputs.items()}
    keep = fdr_keep([p for _, p in similarity.values()])
    rows = []
    for (task, reps), (mean, p), robust in zip(inputs.items(), similarity.values(), keep):
        ids = _ids(replicates, task, len(reps))
        chance = sum(chance_cosines(m) for m, _ in reps) / len(reps)
        per_rep = _matrix_values([cosines(m) for m, _ in reps], ids)
        for a in mean.index:
            for b in mean.columns:
                rows.append({"task": task, "part": "similarity", "lang_a": a, "lang_b": b, "mean": float(mean.loc[a, b]),
                             "chance": float(chance.loc[a, b]), "p_value": float(p.loc[a, b]),
                             "tested": _tested(p.loc[a, b]), "robust": bool(robust.loc[a, b]), "n_replicates": len(reps),
                             **_cell(per_rep, (a, b))})
        points = []
        for r, (task_masks, shares) in zip(ids, reps):
            influence = pairs(shares)
            similar = pairs(cosines(task_masks)).loc[influence.index]
            points.append((r, pd.DataFrame({"test_lang": [t for t, _ in influence.index],
                                            "train_lang": [s for _, s in influence.index],
                                            "cosine": similar.to_numpy(float), "share_pct": influence.to_numpy(float)})))
        rows += _scatter({"task": task, "part": "pairs"}, points, "cosine", "share_pct")
    return _frame(rows)


def fig9(masks: dict[str, list[dict[str, np.ndarray]]], replicate_tables: dict[str, list[pd.DataFrame]],
         replicates: Replicates = None) -> pd.DataFrame:
    """Figure 9: per task and layer, Pearson r between the layer's mask cosine and positive cross-language influence.

    Inputs as :func:`fig8`. Columns: task, layer (1-based), r (pooled over replicates by Fisher z), ci_low,
    ci_high, n_replicates (with an r), n_points, p_value (r = 0), tested, robust (over every layer of every
    task), method, rep{r}... (each replicate's r); r is NaN where a layer's similarity is the same for every
    pair in every replicate.
    """
    inputs = masks_and_shares(masks, replicate_tables, "pos")
    per_task = {}
    for task, reps in inputs.items():
        per = [layer_correlations(task_masks, shares) for task_masks, shares in reps]
        layers = len(per[0][0])
        pooled = pd.DataFrame([correlation([r[layer] for r, _ in per], [n for _, n in per]) for layer in range(layers)],
                              index=pd.RangeIndex(1, layers + 1, name="layer"))
        per_task[task] = (per, pooled)
    keep = fdr_keep([pooled["p_value"].to_numpy(float) for _, pooled in per_task.values()])
    rows = []
    for (task, (per, pooled)), robust in zip(per_task.items(), keep):
        ids = _ids(replicates, task, len(per))
        for i, (layer, row) in enumerate(pooled.iterrows()):
            rows.append({"task": task, "layer": int(layer), "r": row["r"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                         "n_replicates": int(row["n_replicates"]), "n_points": int(row["n_points"]),
                         "p_value": row["p_value"], "tested": _tested(row["p_value"]), "robust": bool(robust[i]),
                         "method": row["method"], **{f"rep{r}": float(rs[i]) for r, (rs, _) in zip(ids, per)}})
    return _frame(rows)


def fig12(masks: dict[str, list[dict[str, np.ndarray]]], replicates: Replicates = None) -> pd.DataFrame:
    """Figure 12: per task, how many languages' subnetworks enable each head.

    ``masks``: task -> one language -> [layers, heads] 0/1 dict per replicate. Columns: task, layer, head
    (1-based), mean (languages enabling it, over replicates), chance (the sum of the languages' densities),
    p_value (against chance), tested, robust (over every head of every task), n_languages, n_replicates,
    rep{r}...
    """
    nonempty(masks, "masks")
    counts = {}
    for task, reps in masks.items():
        checked = replicate_masks(reps, f"task '{task}'")
        counts[task] = (checked, *head_counts(checked))
    keep = fdr_keep([p for *_, p in counts.values()])
    rows = []
    for (task, (checked, mean, p)), robust in zip(counts.items(), keep):
        ids = _ids(replicates, task, len(checked))
        chance = float(np.mean([densities(m).sum() for m in checked]))
        per_rep = _matrix_values([pd.DataFrame(np.stack(list(m.values())).sum(axis=0), index=mean.index, columns=mean.columns)
                                  for m in checked], ids)
        for layer in mean.index:
            for head in mean.columns:
                rows.append({"task": task, "layer": int(layer), "head": int(head), "mean": float(mean.loc[layer, head]),
                             "chance": chance, "p_value": float(p.loc[layer, head]), "tested": _tested(p.loc[layer, head]),
                             "robust": bool(robust.loc[layer, head]), "n_languages": len(checked[0]),
                             "n_replicates": len(checked), **_cell(per_rep, (layer, head))})
    return _frame(rows)


def pair_overlap(masks: dict[str, list[dict[str, np.ndarray]]], task: str, replicates: Replicates = None) -> pd.DataFrame:
    """Figures 13-15: one task's pairwise head overlap, in two panels (column ``statistic``).

    ``overlap_pct``: % of the row language's (lang_a) enabled heads that the column language (lang_b) also
    enables, chance 100 · p_b; ``shared_heads``: heads enabled in both, chance own_a · p_b. Columns: task,
    statistic, lang_a, lang_b, mean, chance, p_value (NaN on the diagonal, not tested), tested, robust (over
    both panels), n_replicates, rep{r}...
    """
    if task not in masks:
        raise LangspecError(f"no masks given for task '{task}'")
    reps = replicate_masks(masks[task], f"task '{task}'")
    ids = _ids(replicates, task, len(reps))
    panels = {
        "overlap_pct": ([overlap_pct(m) for m in reps], [chance_pct(m) for m in reps]),
        "shared_heads": ([shared_heads(m) for m in reps], [chance_shared(m) for m in reps]),
    }
    tests = {name: against_chance(observed, chance, diagonal=False) for name, (observed, chance) in panels.items()}
    keep = fdr_keep([p for _, p in tests.values()])
    rows = []
    for (name, (observed, chance)), (mean, p), robust in zip(panels.items(), tests.values(), keep):
        expected = sum(c.astype(float) for c in chance) / len(chance)
        per_rep = _matrix_values([o.astype(float) for o in observed], ids)
        for a in mean.index:
            for b in mean.columns:
                rows.append({"task": task, "statistic": name, "lang_a": a, "lang_b": b, "mean": float(mean.loc[a, b]),
                             "chance": float(expected.loc[a, b]), "p_value": float(p.loc[a, b]),
                             "tested": _tested(p.loc[a, b]), "robust": bool(robust.loc[a, b]), "n_replicates": len(reps),
                             **_cell(per_rep, (a, b))})
    return _frame(rows)


def fig13(masks: dict[str, list[dict[str, np.ndarray]]], task: str, replicates: Replicates = None) -> pd.DataFrame:
    """Figure 13 (XNLI in the paper): :func:`pair_overlap` of ``task``."""
    return pair_overlap(masks, task, replicates)


def fig14(masks: dict[str, list[dict[str, np.ndarray]]], task: str, replicates: Replicates = None) -> pd.DataFrame:
    """Figure 14 (PAWS-X in the paper): :func:`pair_overlap` of ``task``."""
    return pair_overlap(masks, task, replicates)


def fig15(masks: dict[str, list[dict[str, np.ndarray]]], task: str, replicates: Replicates = None) -> pd.DataFrame:
    """Figure 15 (MARC in the paper): :func:`pair_overlap` of ``task``."""
    return pair_overlap(masks, task, replicates)


def fig16(masks: dict[str, list[dict[str, np.ndarray]]], replicate_tables: dict[str, list[pd.DataFrame]],
          replicates: Replicates = None) -> pd.DataFrame:
    """Figure 16: per task, negative cross-language influence against head overlap.

    Inputs as :func:`fig8` (sign neg). One row per pair test ≠ train and replicate: task, replicate,
    test_lang, train_lang, overlap_pct (x: % of the test language's enabled heads also enabled by the training
    language), share_pct (y, sign neg, %), and the scatter columns (module docstring).
    """
    rows = []
    for task, reps in masks_and_shares(masks, replicate_tables, "neg").items():
        ids = _ids(replicates, task, len(reps))
        points = []
        for r, (task_masks, shares) in zip(ids, reps):
            influence = pairs(shares)
            overlap = pairs(overlap_pct(task_masks)).loc[influence.index]
            points.append((r, pd.DataFrame({"test_lang": [t for t, _ in influence.index],
                                            "train_lang": [s for _, s in influence.index],
                                            "overlap_pct": overlap.to_numpy(float), "share_pct": influence.to_numpy(float)})))
        rows += _scatter({"task": task}, points, "overlap_pct", "share_pct")
    return _frame(rows)


# -- tables 1 and 2 -----------------------------------------------------------------------------------------


def _replicates(items, what: str) -> list:
    """``items`` as a non-empty list with one entry per replicate, or a one-line error."""
    if isinstance(items, (Mapping, str, bytes)) or not isinstance(items, Sequence) or not items:
        raise LangspecError(f"{what} must be a non-empty list with one entry per replicate")
    return list(items)


def _same_languages(replicates_: list[Mapping], what: str) -> None:
    """Every replicate has the languages of replicate 0."""
    for r, replicate in enumerate(replicates_[1:], start=1):
        if odd := sorted(set(replicate) ^ set(replicates_[0])):
            raise LangspecError(f"{what}: replicate {r} and replicate 0 differ in language '{odd[0]}'")


def _spread_row(values: Sequence[float], ids: Sequence[int]) -> dict:
    mean, sd, n = spread(values)
    return {"mean": mean, "sd": sd, "n_replicates": n, **{f"rep{r}": float(v) for r, v in zip(ids, values)}}


def table1(masks: dict[str, list[dict[str, np.ndarray]]], replicates: Replicates = None) -> pd.DataFrame:
    """Table 1: number of disabled attention heads in each language's subnetwork, per task, over replicates.

    ``masks``: task -> one language -> [layers, heads] 0/1 dict per replicate (0 = head disabled). Columns:
    task, lang, mean, sd (sample standard deviation between replicates; NaN for one), n_replicates, rep{r}...;
    one row per task and language it has.
    """
    if not masks:
        raise LangspecError("no masks given: table 1 needs task -> [language -> mask, one per replicate]")
    rows = []
    for task, reps in masks.items():
        checked = [masks_of(m, f"task '{task}', replicate {r}")
                   for r, m in enumerate(_replicates(reps, f"masks of task '{task}'"))]
        _same_languages(checked, f"masks of task '{task}'")
        ids = _ids(replicates, task, len(checked))
        for lang in checked[0]:
            rows.append({"task": task, "lang": lang, **_spread_row([int((m[lang] == 0).sum()) for m in checked], ids)})
    return _frame(rows)


def _check_accuracy(accuracy: dict[str, dict[str, list[dict[str, float]]]]) -> None:
    """Both regimes per task, a list of replicates each, the same languages throughout, percentages (not fractions)."""
    if not accuracy:
        raise LangspecError("no accuracies given: table 2 needs task -> regime (full, sft) -> [language -> accuracy, one per replicate]")
    for task, regimes in accuracy.items():
        for regime in REGIMES:
            if not regimes.get(regime):
                raise LangspecError(f"accuracy of task '{task}' lacks regime '{regime}' (or it has no replicates)")
            reps = _replicates(regimes[regime], f"accuracy of task '{task}', regime '{regime}'")
            if not all(reps):
                raise LangspecError(f"accuracy of task '{task}', regime '{regime}' has a replicate without languages")
            _same_languages(reps, f"accuracy of task '{task}', regime '{regime}'")
        if unmatched := sorted(set(regimes["full"][0]) ^ set(regimes["sft"][0])):
            raise LangspecError(f"accuracy of task '{task}' has language '{unmatched[0]}' in only one of the regimes full and sft")
        for regime in REGIMES:
            for r, replicate in enumerate(regimes[regime]):
                for lang, value in replicate.items():
                    if not 0 <= value <= 100:
                        raise LangspecError(f"accuracy of task '{task}', regime '{regime}', replicate {r}, "
                                            f"language '{lang}' is {value}: not a percentage")
    values = [value for regimes in accuracy.values() for regime in REGIMES for rep in regimes[regime] for value in rep.values()]
    if max(values) <= 1:
        raise LangspecError("table 2 accuracies are all at most 1: they look like fractions; pass percentages (100 x fraction)")


def table2(accuracy: dict[str, dict[str, list[dict[str, float]]]], replicates: Replicates = None) -> pd.DataFrame:
    """Table 2: dev accuracy (%) of each language's subnetwork after full fine-tuning and after SFT, over replicates.

    ``accuracy``: task -> regime ("full", "sft") -> one language -> accuracy in percent dict per replicate
    (all values at most 1 are taken for fractions passed by mistake and refused). Columns: task, regime, lang,
    mean, sd, n_replicates, rep{r}...; one row per task, regime and language the task has.
    """
    _check_accuracy(accuracy)
    rows = []
    for task, regimes in accuracy.items():
        for regime in REGIMES:
            reps = regimes[regime]
            ids = _ids(replicates, task, len(reps))
            for lang in reps[0]:
                rows.append({"task": task, "regime": regime, "lang": lang,
                             **_spread_row([rep[lang] for rep in reps], ids)})
    return _frame(rows)
