"""Paper 003's figures and tables (lottery tickets) as the tidy frames they draw, and the spec files they are made from.

One function per figure or table (:attr:`langspec.registry.Entry.source` names it: :func:`fig2` ...
:func:`fig10` and :func:`heads_figure`; :func:`table1` ... :func:`table6`, :func:`overlap_table`,
:func:`heads_table` and :func:`alternatives_table`) takes the entry's roles, each ``task -> frame`` with the
rows of all the task's replicates (column ``rep``, as :mod:`langspec.tickets.analysis` writes them; read from
their CSVs by :func:`from_spec`), and its optional scalars by name, and returns one row per point, cell, bar or
table cell, in the order it is drawn. The workflow writes the frame as ``{figure}.data.csv``
(:func:`write_source_data`; :func:`langspec.results.source_data` reads it back by figure id, e.g.
``lth/fig4``), and :mod:`langspec.figures.tickets` draws from it alone (:mod:`langspec.tables.tickets` lays
the tables out). The analysis is :mod:`langspec.stats.tickets`'. Shared columns:

- ``task``: the panel's task (figure 9: the target task);
- ``mean``, ``ci_low``, ``ci_high``, ``sd``, ``n_replicates``, ``method``: the drawn value over the
  replicates, its 95% interval (t-interval; its sd floored at the replicates' own sampling error where the
  rows hold their dev counts: ``method`` says which, :func:`langspec.stats.tickets.over_replicates`), the
  sample sd between replicates and how many replicates have a value. The interval is the computed one:
  a figure draws it clipped to ``range_low`` / ``range_high`` (the values the measure can take: accuracy
  and F1 0-100%, perplexity ≥ 1, Jaccard 0-100%, CCA similarity 0-1; :func:`langspec.stats.tickets.metric_range`)
  and says so in its legend when it clipped;
- ``rep{r}``: replicate r's own value of the point or cell (the number is the ``rep`` of the input rows;
  NaN where it has none), last, in replicate order; its mean is ``mean`` (figure 6: of the replicates'
  average relative changes; heads: no such columns, each replicate's points are rows of their own);
- ``p_value``, ``tested``, ``robust`` (figures 4, 5, 6, 9): the cell's or bar's two-sided t-test against 0,
  whether it counts among the tests of the false discovery rate control (a finite p from at least two
  replicates), and whether Benjamini–Hochberg at q = 0.05 over every tested cell or bar of the figure keeps
  it (:mod:`langspec.stats.multiplicity`); the figure hatches and washes out what is not robust;
- ``metric_name``, ``metric_label``, ``higher_is_better``, ``unit``: the task's metric
  (:func:`langspec.stats.tickets.metric_columns`), values in its summary unit (accuracy and F1 in %,
  perplexity as it is).

The columns of each frame are in the docstring of its function and in :data:`COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError
from langspec.stats.correlations import pearson
from langspec.stats.frames import load_lth, spec_roles
from langspec.stats.multiplicity import fdr_keep
from langspec.stats.replicates import spread
from langspec.stats.source_data.heads import read_source_data, write_source_data
from langspec.stats.tickets import (
    ALTERNATIVES,
    CROSS_TASK,
    FULL,
    HEADS,
    MULTI,
    OVERLAP,
    RETRIEVAL,
    SIMILARITY,
    TICKETS,
    TRANSFER,
    alternative_cells,
    cross_task_cells,
    head_correlation,
    head_points,
    highest_winning,
    metric_columns,
    overlap_rows,
    overlap_summary,
    over_replicates,
    pick_sparsity,
    relative_drops,
    relative_range,
    rep_column,
    rep_columns,
    retrieval_curves,
    scale,
    similarity_curves,
    table_metric,
    task_frames,
    ticket_curves,
    transfer_cells,
    transfer_level,
    transfer_rows,
)
from langspec.tickets.overlap import expected_jaccard
from langspec.tickets.transfer import RANDOM
from langspec.training.metrics import by_name

__all__ = ["COLUMNS", "from_spec", "read_source_data", "write_source_data"]

#: The interval columns of a line's point or a bar.
_INTERVAL = ("mean", "ci_low", "ci_high", "sd", "n_replicates", "method")
#: The test columns of a heatmap cell or a bar.
_TESTS = ("p_value", "tested", "robust")
_METRIC = ("metric_name", "metric_label", "higher_is_better")
_RANGE = ("range_low", "range_high")

#: Figure 10's measures, in the paper's order (a: PWCCA, b: SVCCA), and its two kinds of panel: the pre-trained
#: model (ticket ``full``) and the pre-trained model under the target language's ticket.
FIG10_MEASURES = ("pwcca", "svcca")
FIG10_UNDER = (FULL, "target")
#: Appendix D's quantities in the table's order (:data:`langspec.stats.tickets.ALTERNATIVE_QUANTITIES`).
_QUANTITIES = ("full", "ticket", "mask", "vs_full", "vs_ticket", "overlap")

#: Each frame's columns before its ``rep{r}`` columns (a figure's or table's documented source data).
COLUMNS: dict[str, tuple[str, ...]] = {
    "fig2": ("task", "lang", "sparsity", *_INTERVAL, "full_mean", "full_sd", "winning", *_METRIC, "unit", *_RANGE),
    "fig3": ("task", "sparsity", "line", "pair", "layer", "position", *_INTERVAL, *_RANGE),
    "fig4": ("task", "sparsity", "source", "target", *_INTERVAL, *_TESTS, "successful", *_METRIC),
    "fig6": ("task", "sparsity", "source", *_INTERVAL, *_TESTS, "metric_name", "higher_is_better", *_RANGE),
    "fig7": ("task", "scoring", "ticket", "source", "target", "k", "layer", *_INTERVAL, *_RANGE),
    "fig9": ("task", "sparsity", "source_task", "lang", *_INTERVAL, *_TESTS, "own", *_METRIC, "unit"),
    "fig10": ("task", "pooling", "under", "measure", "source", "target", "ticket", "layer", *_INTERVAL, "control_mean",
              "control", *_RANGE),
    "heads": ("task", "lang", "replicate", "layer", "head", "enabled", "kept_pct", "group_mean", "replicate_r", "r",
              "r_ci_low", "r_ci_high", "r_p_value", "r_replicates", "r_method"),
    "table1": ("task", "metric_name", "sparsity", "model", "target", "mean", "sd", "n_replicates"),
    "table2": ("task", "metric_name", "lang", "model", "sparsity", "mean", "sd", "n_replicates"),
    "overlap": ("task", "sparsity", "mean", "sd", "ci_low", "ci_high", "n_replicates", "method", "random",
                "same_language"),
    "heads_table": ("task", "lang", "r", "ci_low", "ci_high", "p_value", "n_replicates", "heads", "method"),
    "alternatives": ("task", "metric_name", "lang", "mask_method", "sparsity", "quantity", "mean", "sd", "ci_low",
                     "ci_high", "n_replicates", "method"),
}
COLUMNS |= {"fig5": COLUMNS["fig4"], "fig8": COLUMNS["fig3"],
            **{name: COLUMNS["table1"] for name in ("table3", "table4", "table5", "table6")}}


# -- reading a spec ------------------------------------------------------------------------------------------


def from_spec(source: Callable[..., pd.DataFrame], roles: Sequence[str], spec: Mapping, optional: Sequence[str] = (),
              what: str = "the figure") -> pd.DataFrame:
    """The frame ``source`` returns from the CSVs of ``spec``: each of its ``roles`` (role -> task -> CSV path, one
    CSV per task with every replicate's rows) read and passed in that order, and the ``optional`` scalars
    present (``sparsity``, ``sparsities``, ``method``, ``pooling``) by name. Other keys are ignored, so one spec
    with every role serves every figure and table. Example::

        entry = figure_003("fig4")
        frame = from_spec(entry.resolve_source(), entry.roles, {"transfer": {"xnli": "results/lth/xnli/transfer.csv"},
                          "sparsity": 0.5}, entry.scalars)
    """
    loaded = load_lth(spec_roles(dict(spec), tuple(roles), what))
    options = {key: spec[key] for key in optional if spec.get(key) is not None}
    return source(*(loaded[role] for role in roles), **options)


# -- shared pieces -------------------------------------------------------------------------------------------


def _tidy(parts: Sequence[pd.DataFrame] | pd.DataFrame, name: str) -> pd.DataFrame:
    """The parts as one frame with the documented columns of ``name`` (:data:`COLUMNS`), then ``rep{r}``."""
    frame = pd.concat(list(parts), ignore_index=True) if not isinstance(parts, pd.DataFrame) else parts
    documented = list(COLUMNS[name])
    for column in documented:
        if column not in frame.columns:
            frame[column] = np.nan
    return frame[documented + rep_columns(frame)].reset_index(drop=True)


def _mark(parts: Sequence[pd.DataFrame]) -> None:
    """``tested`` and ``robust`` on every part (a panel's cells or a bar group): Benjamini–Hochberg over all of them."""
    kept = fdr_keep([part["p_value"].to_numpy(float) for part in parts])
    for part, keep in zip(parts, kept):
        part["tested"] = np.isfinite(part["p_value"].to_numpy(float)) & (part["n_replicates"].to_numpy(float) >= 2)
        part["robust"] = keep & part["tested"].to_numpy(bool)


# -- figure 2: tickets against sparsity ------------------------------------------------------------------------


def fig2(tickets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Figure 2: each language's tickets, dev metric against sparsity, one point per (task, language, sparsity).

    ``tickets``: task -> its tickets.csv (:data:`~langspec.stats.tickets.TICKETS`; sparsity 0 is the full model,
    ``multi`` the multilingual ticket, last). Columns: task, lang, sparsity (fraction), mean, ci_low, ci_high,
    sd, n_replicates, method (:func:`~langspec.stats.tickets.ticket_curves`: the line and its band), full_mean
    and full_sd (the language's full model: mean and sample sd over replicates, 0 for one; the dashed line and
    its grey band), winning (paper 003's criterion: full_mean − mean ≤ full_sd, oriented so that higher is
    better), metric_name, metric_label, higher_is_better, unit, range_low, range_high, rep{r}...
    """
    parts = []
    for task, table in task_frames(tickets, TICKETS, "tickets").items():
        curves = ticket_curves(table, f"tickets of task '{task}'")
        metric = by_name(curves["metric_name"].iloc[0])
        parts.append(curves.assign(task=task, **metric_columns(metric)))
    return _tidy(parts, "fig2")


# -- figures 3 and 8: overlap per layer -------------------------------------------------------------------------


def fig3(overlap: dict[str, pd.DataFrame], sparsity: float | None = None) -> pd.DataFrame:
    """Figure 3: Jaccard similarity (%) of the languages' tickets per layer, per task and language pair.

    ``overlap``: task -> its overlap.csv (:data:`~langspec.stats.tickets.OVERLAP`); ``sparsity``: the level
    drawn (default: the smallest in each table). One row per drawn thing, column ``line`` saying which:

    - ``pair``: a point of a language pair's line (``pair`` "en–de", ``layer`` as the table names it,
      ``position`` its x: layers in order, encoder layers then the pooler, or an encoder-decoder's encoder
      blocks then its decoder's), the mean over replicates with its band and each replicate's value;
    - ``same-language``: a point of the upper bound (one language pruned in two replicates; mean over
      languages and replicate pairs, no interval); absent without such rows;
    - ``random``: the expected Jaccard of two independent random masks, q / (2 − q), q = 1 − sparsity;
    - ``average``: the task's average overlap in the panel's title: per replicate the mean over pairs of the
      whole-ticket Jaccard (layer ``all``), with rep{r}, then the mean over replicates with its interval.

    Columns: task, sparsity (fraction), line, pair, layer, position, mean, ci_low, ci_high, sd, n_replicates,
    method, range_low (0), range_high (100), rep{r}...
    """
    parts = []
    for task, table in task_frames(overlap, OVERLAP, "overlap").items():
        what = f"overlap of task '{task}'"
        part, level = overlap_rows(table, sparsity, what)
        summary = overlap_summary(part, what)
        position = {layer: i for i, layer in enumerate(summary["layers"])}
        curves, same = summary["curves"], summary["same"]
        lines = [curves.assign(line="pair", position=curves["layer"].map(position))]
        if len(same):
            lines.append(pd.DataFrame({"line": "same-language", "layer": same.index,
                                       "position": [position[layer] for layer in same.index], "mean": same.to_numpy(float)}))
        lines.append(pd.DataFrame([{"line": "random", "layer": "all", "mean": 100 * expected_jaccard(level)}]))
        lines.append(pd.DataFrame([{**summary["average"].drop("cell").to_dict(), "line": "average", "layer": "all"}]))
        parts += [line.assign(task=task, sparsity=level) for line in lines]
    frame = _tidy(parts, "fig3")
    frame["range_low"], frame["range_high"] = 0.0, 100.0
    return frame


fig8 = fig3  # figure 8 (an encoder-decoder's tickets, per block: E1, ..., D1, ...) has figure 3's frame


# -- figures 4 and 5: transfer across languages ----------------------------------------------------------------


def fig4(transfer: dict[str, pd.DataFrame], sparsity: float | None = None) -> pd.DataFrame:
    """Figure 4: each source ticket trained on each target language, a(s, t) − a(t, t), one row per heatmap cell.

    ``transfer``: task -> its transfer.csv (:data:`~langspec.stats.tickets.TRANSFER`); ``sparsity``: the
    tickets' level (default: the smallest in each table). Rows per task: sources (the languages, then
    ``rand``; ``multi`` is table 1's) × targets (:func:`~langspec.stats.tickets.transfer_cells`). Columns:
    task, sparsity, source, target, mean (the mean over replicates of each replicate's a(s, t) − a(t, t), in
    points of the metric, oriented so that positive is better: a(t, t) − a(s, t) for perplexity), ci_low,
    ci_high, sd, n_replicates, method, p_value (NaN on the diagonal, 0 by definition, and for one replicate),
    tested, robust (over every off-diagonal cell of every panel), successful (paper 003's "✓": mean a(s, t)
    within one sd over replicates of the target's own ticket mean a(t, t)), metric_name, metric_label,
    higher_is_better, rep{r}...
    """
    parts = []
    for task, table in task_frames(transfer, TRANSFER, "transfer").items():
        what = f"transfer of task '{task}'"
        part, level = transfer_level(transfer_rows(table, what), sparsity, what)
        cells = transfer_cells(part, f"{what} at sparsity {level:g}")["cells"]
        metric = table_metric(part, what)
        parts.append(cells.assign(task=task, sparsity=level,
                                  **{k: v for k, v in metric_columns(metric).items() if k in _METRIC}))
    _mark(parts)
    return _tidy(parts, "fig4")


fig5 = fig4  # figure 5: figure 4 for an encoder-decoder's (mT5's) text-to-text tasks


# -- figure 6: relative transfer change ------------------------------------------------------------------------


def fig6(transfer: dict[str, pd.DataFrame], sparsities: Sequence[float] | None = None) -> pd.DataFrame:
    """Figure 6: each source language's average relative transfer change (%), one row per bar.

    ``transfer``: task -> its transfer.csv; ``sparsities``: the levels drawn (default: every ticket level of
    each table). A bar is the mean over replicates of each replicate's average over targets of
    (a(s, t) − a(t, t)) / a(t, t) × 100 (:func:`~langspec.stats.tickets.relative_drops`; negative is a drop),
    its interval the error bar. Columns: task, sparsity, source, mean, ci_low, ci_high, sd, n_replicates,
    method, p_value, tested, robust (over every bar of the figure), metric_name, higher_is_better, range_low,
    range_high (a relative change of the metric: ≥ −100% where higher is better, ≤ 100% for perplexity),
    rep{r}...
    """
    parts = []
    for task, table in task_frames(transfer, TRANSFER, "transfer").items():
        what = f"transfer of task '{task}'"
        rows = transfer_rows(table, what)
        metric = table_metric(rows, what)
        tickets = rows[rows["source"] != FULL]
        levels = sorted({pick_sparsity(tickets["sparsity"], s, what) for s in sparsities}) if sparsities is not None \
            else sorted(set(tickets["sparsity"]))
        low, high = relative_range(metric)
        for level in levels:
            drops = relative_drops(tickets[tickets["sparsity"] == level], f"{what} at sparsity {level:g}")
            bars = over_replicates(drops, ["source"], "relative_pct", what, se="relative_se")
            parts.append(bars.assign(task=task, sparsity=level, metric_name=metric.name,
                                     higher_is_better=metric.higher_is_better, range_low=low, range_high=high))
    _mark(parts)
    return _tidy(parts, "fig6")


# -- figure 7: parallel sentence retrieval -----------------------------------------------------------------------


def fig7(retrieval: dict[str, pd.DataFrame], method: str | None = None) -> pd.DataFrame:
    """Figure 7: parallel sentence retrieval accuracy (%) per layer with each ticket as encoder, one row per point.

    ``retrieval``: task -> its retrieval.csv (:data:`~langspec.stats.tickets.RETRIEVAL`); ``method``: the
    scoring drawn (default margin scoring when present; :func:`~langspec.stats.tickets.retrieval_curves`).
    Columns: task, scoring (the table's name of the method), ticket (``full``: the unpruned pre-trained model;
    ``multi``: the multilingual ticket), source, target, k, layer (0 = the embeddings), mean, ci_low, ci_high,
    sd, n_replicates, method (the interval's), range_low (0), range_high (100), rep{r}... In drawing order:
    per task, directions, k (top-5 first), tickets (``multi``, ``full`` last), layers.
    """
    parts = []
    for task, table in task_frames(retrieval, RETRIEVAL, "retrieval").items():
        curves, used = retrieval_curves(table, method, f"retrieval of task '{task}'")
        parts.append(curves.assign(task=task, scoring=used, range_low=0.0, range_high=100.0))
    return _tidy(parts, "fig7")


# -- figure 9: cross-task transfer -----------------------------------------------------------------------------


def fig9(cross_task: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Figure 9: each task's tickets trained on another task, same language, one row per heatmap cell.

    ``cross_task``: target task -> its cross_task.csv (:data:`~langspec.stats.tickets.CROSS_TASK`). Rows per
    target task (``task``): source tasks × languages (:func:`~langspec.stats.tickets.cross_task_cells`).
    Columns: task, sparsity, source_task, lang, mean (the mean over replicates of the transferred ticket
    minus the target task's own ticket of that language, same replicate, in points of the target's metric,
    oriented so that positive is better), ci_low, ci_high, sd, n_replicates, method, p_value, tested, robust
    (over every cell of every panel), own (the own ticket's mean), metric_name, metric_label,
    higher_is_better, unit, rep{r}...
    """
    parts = []
    for task, table in task_frames(cross_task, CROSS_TASK, "cross-task transfer").items():
        what = f"cross-task transfer to task '{task}'"
        found = cross_task_cells(table, what)
        parts.append(found["cells"].assign(task=task, sparsity=found["sparsity"],
                                           **metric_columns(by_name(found["metric_name"]))))
    _mark(parts)
    return _tidy(parts, "fig9")


# -- figure 10: representational similarity ---------------------------------------------------------------------


def fig10(similarity: dict[str, pd.DataFrame], pooling: str = "first") -> pd.DataFrame:
    """Figure 10: PWCCA and SVCCA per layer of the source language's sentences and their translations.

    ``similarity``: task -> its similarity.csv (:data:`~langspec.stats.tickets.SIMILARITY`); ``pooling``: the
    sentence representation (``first`` token, as paper 003, or ``mean``). Four panels per task
    (:data:`FIG10_UNDER` × :data:`FIG10_MEASURES`): the pre-trained model (``under`` ``full``), then the
    pre-trained model under the target language's ticket (``under`` ``target``: both languages' sentences
    through the target's ticket); one row per point of a target's line. Columns: task, pooling, under,
    measure, source, target, ticket, layer (0 = the embeddings), mean, ci_low, ci_high, sd, n_replicates,
    method, control_mean (the same measure between sentences that are not translations, mean over
    replicates), control (the panel's dotted control line at the layer: control_mean averaged over the
    panel's targets), range_low (0), range_high (1), rep{r}...
    """
    parts = []
    for task, table in task_frames(similarity, SIMILARITY, "similarity").items():
        curves = similarity_curves(table, pooling, f"similarity of task '{task}'")
        for under in FIG10_UNDER:
            for measure in FIG10_MEASURES:
                shown = curves[curves["measure"] == measure]
                shown = shown[shown["ticket"] == FULL] if under == FULL else shown[shown["ticket"] == shown["target"]]
                control = shown.groupby("layer")["control_mean"].mean()
                parts.append(shown.assign(task=task, pooling=pooling, under=under,
                                          control=shown["layer"].map(control), range_low=0.0, range_high=1.0))
    return _tidy(parts, "fig10")


# -- beyond both papers: tickets seen as heads --------------------------------------------------------------------


def heads_figure(heads: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Tickets seen as heads: one row per head of each replicate, per task and language (a panel).

    ``heads``: task -> its heads.csv (:data:`~langspec.stats.tickets.HEADS`). Columns: task, lang, replicate
    (the ``rep`` of the rows), layer, head, enabled (1: paper 000's subnetwork keeps the head; x), kept_pct (%
    of the head's query, key, value and output weights the ticket keeps; y), group_mean (the mean kept_pct of
    the panel's heads with this ``enabled``, all replicates: the black bar), replicate_r (the replicate's
    point-biserial Pearson r), r, r_ci_low, r_ci_high, r_p_value, r_replicates, r_method (r pooled over
    replicates through Fisher's z, :func:`langspec.stats.correlations.correlation`; the panel's title).
    """
    rows = []
    for task, table in task_frames(heads, HEADS, "heads").items():
        for lang, reps in head_points(table, f"heads of task '{task}'").items():
            summary = head_correlation(reps)
            pooled = pd.concat([p for _, p in reps])
            groups = pooled.groupby("enabled")["kept_pct"].mean()
            panel = {"r": summary["r"], "r_ci_low": summary["ci_low"], "r_ci_high": summary["ci_high"],
                     "r_p_value": summary["p_value"], "r_replicates": summary["n_replicates"], "r_method": summary["method"]}
            for rep, points in reps:
                r = pearson(points["enabled"], points["kept_pct"])
                number = int(rep) if str(rep).isdigit() else rep
                rows += [{"task": task, "lang": lang, "replicate": number, **point, "group_mean": groups[point["enabled"]],
                          "replicate_r": r, **panel} for point in points.to_dict("records")]
    return _tidy(pd.DataFrame(rows), "heads")


# -- tables 1 and 3-6: every ticket trained on every target ---------------------------------------------------------


def _transfer_blocks(transfer: dict[str, pd.DataFrame], sparsity: float | None, own: bool,
                     extra: tuple[str, ...]) -> pd.DataFrame:
    """Per task, models ``full model``, (``own ticket f*``), each language's ticket and the ``extra`` sources present,
    by target: one row per table cell with its replicates' values (module docstring)."""
    rows = []
    for task, table in task_frames(transfer, TRANSFER, "transfer").items():
        what = f"transfer of task '{task}'"
        found = transfer_rows(table, what)
        metric = table_metric(found, what)
        if not (found["source"] == FULL).any():
            raise LangspecError(f"{what} has no rows of source '{FULL}' (the dense model trained on each target)")
        part, level = transfer_level(found, sparsity, what)
        full = found[found["source"] == FULL]
        targets = list(dict.fromkeys(part["target"]))
        sources = [s for s in dict.fromkeys(part["source"]) if s not in (RANDOM, MULTI)]
        sources = [t for t in targets if t in sources] + [s for s in sources if s not in targets]
        models = {"full model": full}
        if own:
            models["own ticket f*"] = part[part["source"] == part["target"]]
        models |= {s: part[part["source"] == s] for s in sources}
        models |= {s: part[part["source"] == s] for s in extra if (part["source"] == s).any()}
        for model, cells in models.items():
            for target in targets:
                cell = cells[cells["target"] == target]
                values = scale(metric) * cell["metric"].to_numpy(float)
                mean, sd, n = spread(values)
                rows.append({"task": task, "metric_name": metric.name, "sparsity": level, "model": model,
                             "target": target, "mean": mean, "sd": sd, "n_replicates": n,
                             **{rep_column(r): v for r, v in zip(cell["rep"], values)}})
    return _tidy(pd.DataFrame(rows), "table1")


def table1(transfer: dict[str, pd.DataFrame], sparsity: float | None = None) -> pd.DataFrame:
    """Table 1: the dev metric of each ticket trained on each target language, one row per table cell.

    ``transfer``: task -> its transfer.csv; ``sparsity``: the tickets' level (default: the smallest in each
    table). Models per task: ``full model`` (source ``full``: the dense model trained on the target), ``own
    ticket f*`` (the target's own ticket, source = target), every single-language source ticket, then
    ``multi`` (the multilingual ticket) when the task has one; ``rand`` is left out. Columns: task,
    metric_name, sparsity (the tickets' level, fraction), model, target, mean (accuracy and F1 in %,
    perplexity as it is), sd (sample sd over replicates; NaN for one), n_replicates (0 where a source was not
    trained on a target), rep{r}...
    """
    return _transfer_blocks(transfer, sparsity, own=True, extra=(MULTI,))


def absolute_transfer(transfer: dict[str, pd.DataFrame], sparsity: float | None = None) -> pd.DataFrame:
    """Tables 3-6 of paper 003: every ticket trained on every target language at ``sparsity``, per task.

    As :func:`table1` without the own-ticket row: ``full model`` (paper: mBERT), each language's ticket (its
    own language on the diagonal), then ``rand`` (a random mask of that sparsity) and ``multi`` where present.
    Tables 3, 4 and 5 are this table for the masked-language-modelling, classification and
    token-classification tasks, table 6 for the text-to-text tasks of an encoder-decoder (mT5) (the workflow
    passes each the tasks of its kind, :data:`langspec.registry.TABLES_003`).
    """
    return _transfer_blocks(transfer, sparsity, own=False, extra=(RANDOM, MULTI))


table3 = table4 = table5 = table6 = absolute_transfer


# -- table 2: winning tickets beside a random subnetwork ---------------------------------------------------------


def _nearest(levels: list[float], wanted: float) -> float:
    """The level closest to ``wanted`` (the higher of two equally close)."""
    return min(levels, key=lambda level: (abs(level - wanted), -level))


def table2(tickets: dict[str, pd.DataFrame], transfer: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Table 2: per task and language the winning ticket at its highest sparsity, beside the full model and a random
    subnetwork; one row per table cell.

    ``tickets``: task -> its tickets.csv; ``transfer``: task -> its transfer.csv. A ticket wins when it is worse
    than the full-model mean by at most one sample sd of the full model over replicates (perplexity: higher by
    at most one sd). Models per language: ``full`` (sparsity 0), ``ticket`` (the highest winning sparsity; NaN
    when none wins), ``rand`` (a random mask trained on the language, source ``rand`` of the transfer jobs, at
    the transfer sparsity nearest the winning one; NaN without). Columns: task, metric_name, lang, model,
    sparsity (%), mean, sd (sample sd over replicates), n_replicates, rep{r}...; values in the summary unit.
    """
    ticket_frames = task_frames(tickets, TICKETS, "tickets")
    transfer_frames = task_frames(transfer, TRANSFER, "transfer")
    rows = []
    for task, table in ticket_frames.items():
        curves = ticket_curves(table, f"tickets of task '{task}'")
        metric = by_name(curves["metric_name"].iloc[0])
        random = pd.DataFrame(columns=["rep", "sparsity", "target", "metric"])
        if task in transfer_frames:
            found = transfer_rows(transfer_frames[task], f"transfer of task '{task}'")
            random = found[found["source"] == RANDOM]
        levels = sorted(set(random["sparsity"]))
        reps = rep_columns(curves)
        by_cell = curves.set_index(["lang", "sparsity"])
        best = highest_winning(curves)
        for lang, level in zip(best["lang"], best["sparsity"]):
            if lang == MULTI:
                continue
            base = {"task": task, "metric_name": metric.name, "lang": lang}
            for model, at in (("full", 0.0), ("ticket", level)):
                if np.isfinite(at):
                    cell = by_cell.loc[(lang, at)]
                    rows.append({**base, "model": model, "sparsity": 100 * at, "mean": cell["mean"], "sd": cell["sd"],
                                 "n_replicates": int(cell["n_replicates"]), **cell[reps].to_dict()})
                else:
                    rows.append({**base, "model": model, "sparsity": np.nan, "mean": np.nan, "sd": np.nan, "n_replicates": 0})
            near = _nearest(levels, level) if levels and np.isfinite(level) else np.nan
            cell = random[(random["sparsity"] == near) & (random["target"] == lang)] if np.isfinite(near) else random.iloc[:0]
            values = scale(metric) * cell["metric"].to_numpy(float)
            mean, sd, n = spread(values)
            rows.append({**base, "model": "rand", "sparsity": 100 * near if n else np.nan, "mean": mean, "sd": sd,
                         "n_replicates": n, **{rep_column(r): v for r, v in zip(cell["rep"], values)}})
    return _tidy(pd.DataFrame(rows), "table2")


# -- the overlap table, heads table and appendix D ---------------------------------------------------------------


def overlap_table(overlap: dict[str, pd.DataFrame], sparsity: float | None = None) -> pd.DataFrame:
    """The poster's table: per task the average overlap (%) of its languages' tickets, one row per task.

    ``overlap``: task -> its overlap.csv; ``sparsity``: the level (default: the smallest in each table).
    Columns: task, sparsity (%), mean, sd, ci_low, ci_high, n_replicates, method (per replicate the mean over
    language pairs of the whole-ticket Jaccard, layer ``all``, then over replicates with its 95% t-interval),
    random (two independent random masks, q / (2 − q)), same_language (the mean whole-ticket Jaccard of one
    language pruned in two replicates; NaN without such rows), rep{r} (each replicate's mean over pairs)...
    """
    rows = []
    for task, table in task_frames(overlap, OVERLAP, "overlap").items():
        what = f"overlap of task '{task}'"
        part, level = overlap_rows(table, sparsity, what)
        summary = overlap_summary(part, what)
        average = summary["average"].drop("cell")
        rows.append({"task": task, "sparsity": 100 * level, **average.to_dict(), "random": 100 * expected_jaccard(level),
                     "same_language": summary["same_all"]})
    frame = _tidy(pd.DataFrame(rows), "overlap")
    frame["n_replicates"] = frame["n_replicates"].astype(int)
    return frame


def heads_table(heads: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per task and language: the point-biserial Pearson r of the ticket's kept head weights and paper 000's head
    mask, one row per table row.

    ``heads``: task -> its heads.csv. r per replicate over the heads (rep{r}), pooled over replicates through
    Fisher's z with its 95% interval (:func:`langspec.stats.correlations.correlation`). Columns: task, lang, r,
    ci_low, ci_high, p_value, n_replicates (with an r), heads (per replicate, the most), method, rep{r}...
    """
    rows = []
    for task, table in task_frames(heads, HEADS, "heads").items():
        for lang, reps in head_points(table, f"heads of task '{task}'").items():
            summary = head_correlation(reps)
            rows.append({"task": task, "lang": lang, "r": summary["r"], "ci_low": summary["ci_low"],
                         "ci_high": summary["ci_high"], "p_value": summary["p_value"],
                         "n_replicates": int(summary["n_replicates"]), "heads": max(summary["counts"]),
                         "method": summary["method"],
                         **{rep_column(rep): pearson(p["enabled"], p["kept_pct"]) for rep, p in reps}})
    return _tidy(pd.DataFrame(rows), "heads_table")


def alternatives_table(alternatives: dict[str, pd.DataFrame], tickets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Appendix D: per task, language and mask method, the alternative mask beside the full model and the ticket;
    one row per quantity.

    ``alternatives``: task -> its alternatives.csv (:data:`~langspec.stats.tickets.ALTERNATIVES`); ``tickets``:
    task -> its tickets.csv. Quantities (:func:`~langspec.stats.tickets.alternative_cells`): full, ticket,
    mask (% or perplexity), vs_full and vs_ticket (the mask minus each, paired per replicate, in points, for
    perplexity in % of the reference; positive when the mask is better), overlap (% Jaccard with the ticket).
    Columns: task, metric_name, lang, mask_method (difference: LT-SFT; fisher: FISH), sparsity (%), quantity,
    mean, sd, ci_low, ci_high, n_replicates, method, rep{r}...
    """
    frames = task_frames(alternatives, ALTERNATIVES, "alternatives")
    ticket_frames = task_frames(tickets, TICKETS, "tickets")
    parts = []
    for task, table in frames.items():
        if task not in ticket_frames:
            raise LangspecError(f"alternatives of task '{task}' have no tickets table to compare with")
        cells = alternative_cells(table, ticket_frames[task], f"alternatives of task '{task}'")
        parts.append(cells.assign(task=task, sparsity=100 * cells["sparsity"]))
    return _tidy(parts, "alternatives")
