"""Language-specific neurons (LAPE, Tang et al. 2024) as tables: where each language's neurons are, and what
deactivating them does, per replicate; the statistics of the neuron claims (:mod:`langspec.stats.claims`).

Two tidy tables per task, every replicate's rows (column ``rep``), as the collect step writes them
(``results/neurons/{task}/layers.csv`` and ``deactivation.csv``):

- :data:`LAYERS`: one row per replicate, language and layer: ``neurons`` (the language's LAPE neurons in
  that layer), ``width`` (the layer's feed-forward neurons) and ``layers`` (the model's layers);
- :data:`DEACTIVATION`: one row per replicate, mask and test language
  (:func:`langspec.neurons.deactivation.deactivation_rows`): the dev metric with the mask's neurons zeroed, the
  intact model's rows under mask ``intact``.

A deactivation's *change* is the test language's metric with the mask against the intact model in the claims'
points, positive when better (:func:`langspec.stats.tickets.points`: 100 × the difference for accuracy and F1;
for perplexity the relative change in % of the intact model's); its *damage* is minus the change.

The layer profile's statistic: the share (%) of all languages' neurons that lie in the bottom and top
``ceil(L / 4)`` layers each (:func:`outer_layers`), minus the share of layers those are (what a uniform profile
gives): positive when neurons concentrate there. It needs three or more layers (with two every layer is
bottom or top).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError
from langspec.stats.frames import columns
from langspec.stats.sampling import difference_se, metric_se
from langspec.stats.tickets import as_text, points, points_se
from langspec.training.metrics import by_name

#: Columns of a layers table and of a deactivation table (then the evaluation's counts: n; tp, predicted, gold).
LAYERS = ("rep", "lang", "layer", "neurons", "width", "layers")
DEACTIVATION = ("rep", "mask", "condition", "deactivated", "seed", "neurons", "test_lang", "metric_name",
                "higher_is_better", "metric", "loss")
#: Conditions of a deactivation table: the intact model, a language's LAPE neurons, their random control.
INTACT, LAPE, RANDOM = "intact", "lape", "random"


def layer_table(rep: int, masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """:data:`LAYERS` rows of one replicate from its language -> neuron mask [layers, neurons] bool."""
    rows = []
    for lang, mask in masks.items():
        mask = np.asarray(mask, dtype=bool)
        for layer, count in enumerate(mask.sum(axis=1).tolist()):
            rows.append({"rep": rep, "lang": lang, "layer": layer, "neurons": int(count), "width": mask.shape[1],
                         "layers": mask.shape[0]})
    return pd.DataFrame(rows, columns=list(LAYERS))


def outer_layers(layers: int) -> np.ndarray:
    """Bool [layers]: the bottom and top ``ceil(layers / 4)`` layers (module docstring); a one-line error for
    fewer than three layers, where no layer is in the middle."""
    if layers < 3:
        raise LangspecError(f"a layer profile of {layers} layers has no middle layer: bottom and top layers need three or more")
    k = math.ceil(layers / 4)
    index = np.arange(layers)
    return (index < k) | (index >= layers - k)


def _checked(frame: pd.DataFrame, needed, what: str) -> pd.DataFrame:
    frame = columns(frame, needed, what).copy()
    frame["rep"] = as_text(frame["rep"])
    return frame


def _reps(frame: pd.DataFrame) -> list[str]:
    return sorted(dict.fromkeys(frame["rep"]), key=lambda r: (len(r), r))


def outer_excess(layers: pd.DataFrame, what: str = "the neurons' layers table") -> pd.Series:
    """Per replicate (index ``rep``, in order): the layer profile's statistic in percentage points (module
    docstring), pooled over languages (every language's neurons counted in its layer); NaN for a replicate
    without neurons."""
    layers = _checked(layers, LAYERS, what)
    out = {}
    for rep in _reps(layers):
        part = layers[layers["rep"] == rep]
        count = int(part["layers"].iloc[0])
        outer = outer_layers(count)
        per_layer = part.groupby("layer")["neurons"].sum().reindex(range(count), fill_value=0).to_numpy(float)
        total = per_layer.sum()
        out[rep] = 100 * (per_layer[outer].sum() / total - outer.mean()) if total > 0 else math.nan
    return pd.Series(out, name="outer_excess_pp", dtype=float).rename_axis("rep")


def changes(deactivation: pd.DataFrame, what: str = "the neurons' deactivation table") -> pd.DataFrame:
    """Every deactivated row against its replicate's intact model: ``change`` (points, positive when better; module
    docstring) and ``change_se``, its sampling error: the row's ``paired_se`` where the table has one (from the
    per-example differences on the shared dev examples, :mod:`langspec.neurons.deactivation`), else from the rows'
    counts as if the two scores were independent (conservative; entity F1, older tables), NaN without either. Columns: rep, condition, deactivated, seed, neurons, test_lang, metric_name,
    change, change_se; the intact rows left out."""
    table = _checked(deactivation, DEACTIVATION, what)
    names = sorted(set(table["metric_name"].astype(str)))
    if len(names) != 1:
        raise LangspecError(f"{what} mixes metrics {', '.join(names)} (one metric per task expected)")
    metric = by_name(names[0])
    table["se"] = metric_se(table, metric)
    table["deactivated"] = table["deactivated"].fillna("").astype(str)
    intact = table[table["condition"] == INTACT].set_index(["rep", "test_lang"])[["metric", "se"]]
    if intact.index.duplicated().any():
        raise LangspecError(f"{what} has more than one intact row for a replicate and test language")
    masked = table[table["condition"] != INTACT].reset_index(drop=True)
    reference = intact.reindex(pd.MultiIndex.from_frame(masked[["rep", "test_lang"]]))
    if reference["metric"].isna().any():
        row = masked[reference["metric"].isna().to_numpy()].iloc[0]
        raise LangspecError(f"{what} has no intact model's row for replicate {row['rep']} and {row['test_lang']}")
    value, ref = masked["metric"].to_numpy(float), reference["metric"].to_numpy(float)
    masked["change"] = points(metric, value, ref)
    masked["change_se"] = points_se(metric, value, ref, masked["se"].to_numpy(float), reference["se"].to_numpy(float))
    if "paired_se" in masked.columns:  # the deactivation job's paired error, where the metric allows one
        paired = pd.to_numeric(masked["paired_se"], errors="coerce")
        masked["change_se"] = paired.where(np.isfinite(paired), masked["change_se"])
    return masked[["rep", "condition", "deactivated", "seed", "neurons", "test_lang", "metric_name", "change",
                   "change_se"]]


def averaged(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`changes` with each language's random controls (one per seed) averaged into one row per replicate,
    condition, deactivated and test language (``change_se``: the mean of the seeds' errors, as they share the dev
    set)."""
    return (frame.groupby(["rep", "condition", "deactivated", "test_lang"], sort=False)
            .agg(change=("change", "mean"), change_se=("change_se", "mean"), neurons=("neurons", "mean"))
            .reset_index())


def _damage(cells: pd.DataFrame, rep: str, condition: str) -> pd.DataFrame:
    """One replicate's damage (minus change) matrix under ``condition``: deactivated x test language, and its se."""
    part = cells[(cells["rep"] == rep) & (cells["condition"] == condition)]
    damage = -part.pivot(index="deactivated", columns="test_lang", values="change")
    se = part.pivot(index="deactivated", columns="test_lang", values="change_se")
    return damage, se


def own_over_others(deactivation: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate: the mean over deactivated languages L of L's own damage minus the mean damage to the other test
    languages, LAPE masks (points); and its sampling error (conservative: the differences share dev sets, so their
    errors add). Languages without a neuron are left out (nothing was deactivated)."""
    cells = averaged(changes(deactivation))
    values, ses = [], []
    for rep in _reps(cells):
        damage, se = _damage(cells, rep, LAPE)
        counts = cells[(cells["rep"] == rep) & (cells["condition"] == LAPE)].groupby("deactivated")["neurons"].first()
        per, per_se = [], []
        for lang in damage.index:
            others = [t for t in damage.columns if t != lang]
            if lang not in damage.columns or not others or counts.get(lang, 0) == 0:
                continue
            per.append(damage.loc[lang, lang] - damage.loc[lang, others].mean())
            per_se.append(float(difference_se(se.loc[lang, lang], se.loc[lang, others].mean())))
        values.append(float(np.mean(per)) if per else math.nan)
        ses.append(float(np.mean(per_se)) if per_se else math.nan)
    return np.array(values), np.array(ses)


def own_over_random(deactivation: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate: the mean over deactivated languages L of L's own damage under its LAPE neurons minus under their
    random control (same count per layer; the mean over seeds), points; and its sampling error (conservative, as
    :func:`own_over_others`). Languages without a neuron are left out."""
    cells = averaged(changes(deactivation))
    values, ses = [], []
    for rep in _reps(cells):
        lape, lape_se = _damage(cells, rep, LAPE)
        random, random_se = _damage(cells, rep, RANDOM)
        counts = cells[(cells["rep"] == rep) & (cells["condition"] == LAPE)].groupby("deactivated")["neurons"].first()
        per, per_se = [], []
        for lang in lape.index:
            if lang not in lape.columns or lang not in random.index or counts.get(lang, 0) == 0:
                continue
            per.append(lape.loc[lang, lang] - random.loc[lang, lang])
            per_se.append(float(difference_se(lape_se.loc[lang, lang], random_se.loc[lang, lang])))
        values.append(float(np.mean(per)) if per else math.nan)
        ses.append(float(np.mean(per_se)) if per_se else math.nan)
    return np.array(values), np.array(ses)
