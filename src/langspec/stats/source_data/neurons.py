"""The language-specific neurons' figures (LAPE, Tang et al. 2024) as the tidy frames they draw.

One function per figure (:attr:`langspec.registry.Entry.source` names it): each takes its role's
``task -> frame`` (every replicate's rows, column ``rep``: ``results/neurons/{task}/layers.csv`` and
``deactivation.csv``, :mod:`langspec.stats.neurons`; read by :func:`from_spec`) and returns one row per drawn
point or cell. The workflow writes the frame as ``figures/neurons/{name}.data.csv``; :mod:`langspec.figures.neurons`
draws from it alone. Shared columns as paper 003's (:mod:`langspec.stats.source_data.tickets`): ``task``,
``mean``, ``ci_low``, ``ci_high``, ``sd``, ``n_replicates``, ``method`` (the 95% t-interval over replicates;
its sd floored at the replicates' own sampling error where the rows hold their dev counts), then ``rep{r}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError
from langspec.kinds.tables import KINDS
from langspec.stats.frames import nonempty
from langspec.stats.kinds import index_table, profile_by_rep
from langspec.stats.multiplicity import fdr_keep
from langspec.stats.neurons import DEACTIVATION, LAPE, LAYERS, RANDOM, averaged, changes, outer_layers
from langspec.stats.source_data.tickets import from_spec  # noqa: F401  (one spec reader for both)
from langspec.stats.tickets import as_text, over_replicates, rep_columns
from langspec.training.metrics import by_name

#: Columns of each frame, before the ``rep{r}`` columns.
COLUMNS: dict[str, tuple[str, ...]] = {
    "layers": ("task", "lang", "layer", "layers", "width", "outer", "mean", "ci_low", "ci_high", "sd", "n_replicates",
               "method"),
    "kinds": ("task", "panel", "kind", "overlap", "layer", "layers", "expected", "units", "specific", "params", "mean",
              "ci_low", "ci_high", "sd", "n_replicates", "method", "p_value"),
    "deactivation": ("task", "condition", "deactivated", "test_lang", "neurons", "mean", "ci_low", "ci_high", "sd",
                     "n_replicates", "method", "p_value", "tested", "robust", "metric_name", "metric_label",
                     "higher_is_better"),
}


def _tidy(parts: Sequence[pd.DataFrame], name: str) -> pd.DataFrame:
    frame = pd.concat(list(parts), ignore_index=True)
    for column in COLUMNS[name]:
        if column not in frame.columns:
            frame[column] = np.nan
    return frame[list(COLUMNS[name]) + rep_columns(frame)].reset_index(drop=True)


def layers_figure(layers: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Each language's LAPE neurons per layer: one row per (task, language, layer), the count's mean over replicates.

    ``layers``: task -> its layers.csv (:data:`~langspec.stats.neurons.LAYERS`). Columns: task, lang, layer (0 the
    bottom), layers (the model's), width (feed-forward neurons per layer), outer (whether the layer is one of the
    bottom and top layers of the layer-profile claim, :func:`~langspec.stats.neurons.outer_layers`; False for every
    layer of a model with fewer than three), mean, ci_low, ci_high, sd, n_replicates, method, rep{r}...
    """
    parts = []
    for task, table in nonempty(layers, "neurons' layer tables").items():
        missing = [c for c in LAYERS if c not in table.columns]
        if missing or table.empty:
            raise LangspecError(f"neurons' layers table of task '{task}' lacks {', '.join(missing) or 'rows'}")
        table = table.assign(rep=as_text(table["rep"]), lang=as_text(table["lang"]))
        count = int(table["layers"].max())
        outer = outer_layers(count) if count >= 3 else np.zeros(count, dtype=bool)
        cells = over_replicates(table, ["lang", "layer"], "neurons", f"neurons' layers of task '{task}'")
        cells["layer"] = cells["layer"].astype(int)
        parts.append(cells.assign(task=task, layers=count, width=int(table["width"].max()),
                                  outer=outer[cells["layer"].to_numpy(int)]))
    return _tidy(parts, "layers")


def deactivation_figure(deactivation: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The deactivation matrix: each language's dev metric with each language's neurons (condition ``lape``) or
    their random control (``random``, same count per layer, the mean over random seeds) deactivated, against the
    intact model; one row per (task, condition, deactivated language, test language).

    ``deactivation``: task -> its deactivation.csv (:data:`~langspec.stats.neurons.DEACTIVATION`). ``mean``: the
    mean over replicates of each replicate's change (:func:`~langspec.stats.neurons.changes`: accuracy or F1
    points, perplexity as % of the intact model's; positive is better), with its interval (sd floored at the
    sampling error), ``p_value`` (t-test against 0), ``tested`` (a finite p from two or more replicates) and
    ``robust`` (kept by Benjamini–Hochberg at q = 0.05 over every tested cell of the figure,
    :mod:`langspec.stats.multiplicity`); ``neurons``: how many were deactivated (mean over replicates);
    metric_name, metric_label, higher_is_better; rep{r}...
    """
    parts = []
    for task, table in nonempty(deactivation, "neurons' deactivation tables").items():
        what = f"neurons' deactivation of task '{task}'"
        cells = averaged(changes(table, what))
        metric = by_name(str(table["metric_name"].iloc[0]))
        summary = over_replicates(cells, ["condition", "deactivated", "test_lang"], "change", what, se="change_se")
        neurons = cells.groupby(["condition", "deactivated", "test_lang"], sort=False)["neurons"].mean()
        summary["neurons"] = neurons.reindex(pd.MultiIndex.from_frame(
            summary[["condition", "deactivated", "test_lang"]])).to_numpy(float)
        order = {LAPE: 0, RANDOM: 1}
        summary = summary.sort_values("condition", key=lambda c: c.map(order), kind="stable")
        parts.append(summary.assign(task=task, metric_name=metric.name, metric_label=metric.label,
                                    higher_is_better=metric.higher_is_better))
    kept = fdr_keep([part["p_value"].to_numpy(float) for part in parts])
    for part, keep in zip(parts, kept):
        part["tested"] = np.isfinite(part["p_value"].to_numpy(float)) & (part["n_replicates"].to_numpy(float) >= 2)
        part["robust"] = keep & part["tested"].to_numpy(bool)
    return _tidy(parts, "deactivation")


def kinds_figure(profile: Mapping[str, pd.DataFrame], overlap: Mapping[str, pd.DataFrame],
                 removal: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Heads, weights and neurons side by side (:mod:`langspec.stats.kinds`), one block of rows per task and panel:

    - ``panel`` profile: per kind and layer, the share (%) of a language's positive specificity in the layer (mean
      over languages per replicate, then over replicates); ``layers`` the model's (a uniform profile is
      100 / layers);
    - ``panel`` overlap: per overlap measure (column ``overlap``), the share as % of its random expectation
      (100: as at random; the mean over languages of each language's ratio per replicate, then over replicates),
      and ``expected`` (the expectation itself, % of the positions or heads, the mean over replicates);
    - ``panel`` index: per kind, the specificity index (nats: own dev-loss rise minus the others' mean rise, mean
      over languages), with the removals' mean ``units``, ``specific`` (units of positive specificity among them)
      and ``params``.

    ``mean``, ``ci_low``, ``ci_high`` (95% t-interval over replicates), ``sd``, ``n_replicates``, ``method``,
    ``p_value`` (t-test against 0; for the overlap, of the ratio against 100), then rep{r}...
    """
    parts = []
    for task in nonempty(removal, "kinds' removal tables"):
        what = f"the kinds' tables of task '{task}'"
        layers = profile_by_rep(profile[task], what)
        cells = over_replicates(layers, ["kind", "layer"], "share_pct", what)
        cells["layers"] = int(layers["layers"].max())
        parts.append(cells.assign(task=task, panel="profile"))
        table = overlap[task].assign(rep=as_text(overlap[task]["rep"]))
        table["ratio"] = 100 * table["share_pct"].astype(float) / table["expected_pct"].astype(float)
        per = table.groupby(["rep", "overlap"], sort=False)[["ratio", "expected_pct"]].mean().reset_index()
        per["excess"] = per["ratio"] - 100
        cells = over_replicates(per, ["overlap"], "ratio", what)
        tested = over_replicates(per, ["overlap"], "excess", what)
        cells["p_value"] = tested["p_value"].to_numpy(float)
        cells["expected"] = per.groupby("overlap", sort=False)["expected_pct"].mean().reindex(cells["overlap"]).to_numpy()
        parts.append(cells.assign(task=task, panel="overlap"))
        index = index_table(removal[task], what)
        per = index.groupby(["rep", "kind"], sort=False)[["index", "units", "specific", "params"]].mean().reset_index()
        cells = over_replicates(per, ["kind"], "index", what)
        for column in ("units", "specific", "params"):
            cells[column] = per.groupby("kind", sort=False)[column].mean().reindex(cells["kind"]).to_numpy(float)
        cells = cells.sort_values("kind", key=lambda k: k.map({kind: i for i, kind in enumerate(KINDS)}), kind="stable")
        parts.append(cells.assign(task=task, panel="index"))
    return _tidy(parts, "kinds")


__all__ = ["COLUMNS", "DEACTIVATION", "deactivation_figure", "from_spec", "kinds_figure", "layers_figure"]
