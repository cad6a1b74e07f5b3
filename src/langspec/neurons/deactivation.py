"""Deactivation (LAPE's perplexity experiment, Tang et al. 2024 §4): every language's dev metric with one neuron
mask's neurons zeroed, for each mask, and with none (the intact model).

Each mask is applied to every test language at once (the same neurons zeroed
for all of them) through :class:`~langspec.neurons.subnetworks.NeuronSubnetworks`
and scored by the one evaluation path of every task kind,
:func:`langspec.training.evaluate.evaluate`: accuracy for classification,
perplexity over the fixed evaluation masks for masked language modelling,
entity F1 for token classification, next-token perplexity for a decoder.

Each row also carries ``paired_se``: the standard error of its change against the
intact model (in the points of :func:`langspec.stats.tickets.points`) from the
per-example differences on the same dev examples, which the two scores share:
for accuracy 100 · sd(c'ᵢ − cᵢ)/√n over examples i (c: correct, 1/0); for
perplexity the delta method on the ratio estimator of the mean-loss difference
d = Σ(s'ᵢ − sᵢ)/Σtᵢ over passages (s: a passage's summed loss, t: its scored
tokens, the same under both), se(d)² = n/(n − 1) · Σ(s'ᵢ − sᵢ − d·tᵢ)²/(Σtᵢ)²,
and the change 100·(1 − eᵈ) has se 100·eᵈ·se(d). NaN for the intact rows, for
entity F1 (not a mean over examples) and with fewer than two examples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from torch import nn

from langspec.data.encode import Encoded
from langspec.neurons.subnetworks import NeuronSubnetworks
from langspec.training.evaluate import evaluate, language_metrics, lm_metrics, lm_row_losses, predict
from langspec.training.metrics import metric_of

#: The condition of the intact model's rows (no neuron deactivated).
INTACT = "intact"
#: Columns of a deactivation table, then the evaluation's count columns (``n``; ``tp``, ``predicted``, ``gold`` for F1).
COLUMNS = ("mask", "condition", "deactivated", "seed", "neurons", "test_lang", "metric_name", "higher_is_better",
           "metric", "loss")
COUNTS = ("n", "tp", "predicted", "gold")


def _scored(model: nn.Module, data: Encoded, batch_size: int, rows: np.ndarray,
            subnetworks: NeuronSubnetworks | None) -> tuple[dict, tuple[np.ndarray, np.ndarray] | None]:
    """The evaluation's per-language scores and, where the metric is a mean over examples, the per-row values it
    averages (aligned with ``rows``): (correct, 1) for accuracy, (summed loss, scored tokens) for perplexity."""
    if data.kind in ("classification", "text-to-text"):
        loss, pred = predict(model, data, batch_size, rows, subnetworks)
        correct = (pred == data.label.numpy()[rows]).astype(np.float64)
        return language_metrics(data, loss, pred, rows), (correct, np.ones(len(rows)))
    if data.kind in ("mlm", "clm"):
        sums, tokens = lm_row_losses(model, data, batch_size, rows, subnetworks)
        return lm_metrics(data, sums, tokens, rows), (sums, tokens.astype(np.float64))
    return evaluate(model, data, batch_size, rows, subnetworks), None


def paired_se(kind: str, intact: tuple[np.ndarray, np.ndarray], masked: tuple[np.ndarray, np.ndarray]) -> float:
    """The standard error (points) of one language's change against the intact model from its examples' paired
    values (module docstring): ``intact`` and ``masked`` are (values, weights) over the same rows."""
    (v0, w), (v1, _) = intact, masked
    n = len(v0)
    if n < 2:
        return float("nan")
    if kind in ("classification", "text-to-text"):
        return float(100 * np.std(v1 - v0, ddof=1) / np.sqrt(n))
    total = w.sum()
    if total <= 0:
        return float("nan")
    d = (v1 - v0).sum() / total
    se_d = np.sqrt(n / (n - 1) * np.sum((v1 - v0 - d * w) ** 2)) / total
    return float(100 * np.exp(d) * se_d)


def deactivation_rows(model: nn.Module, data: Encoded, masks: Mapping[str, Mapping], languages: Sequence[str],
                      batch_size: int) -> list[dict]:
    """One row per (mask, test language) of ``languages``' dev metric, the intact model's first (mask ``intact``).

    ``masks``: mask name -> ``{"mask": [layers, neurons] bool, "kind": "lape" | "random", "lang": the language
    whose neurons (or whose random control) it is, "seed": ...}`` (as :func:`langspec.neurons.masks.read_neuron_mask`
    returns). Columns: :data:`COLUMNS` (``condition``: intact, lape or random; ``deactivated``: the mask's
    language, empty for the intact model; ``neurons``: how many are zeroed), ``paired_se`` (module docstring), then
    the evaluation's counts.
    """
    metric = metric_of(data.kind)
    rows = np.concatenate([data.indices(lang) for lang in languages])
    langs = data.lang[rows]
    conditions = [(INTACT, None)] + list(masks.items())
    out = []
    baseline = None
    for name, body in conditions:
        subnetworks = None if body is None else NeuronSubnetworks(model, {lang: body["mask"] for lang in languages})
        try:
            scores, values = _scored(model, data, batch_size, rows, subnetworks)
        finally:
            if subnetworks is not None:
                subnetworks.remove()
        baseline = values if body is None else baseline
        for lang in languages:
            entry = scores[lang]
            mine = langs == lang
            se = (float("nan") if body is None or values is None else
                  paired_se(data.kind, (baseline[0][mine], baseline[1][mine]), (values[0][mine], values[1][mine])))
            out.append({
                "mask": name, "condition": INTACT if body is None else body["kind"],
                "deactivated": "" if body is None else body["lang"],
                "seed": None if body is None else body.get("seed"),
                "neurons": 0 if body is None else int(np.asarray(body["mask"]).sum()), "test_lang": lang,
                "metric_name": metric.name, "higher_is_better": metric.higher_is_better,
                "metric": entry[metric.name], "loss": entry["loss"], "paired_se": se,
                **{key: entry[key] for key in COUNTS if key in entry},
            })
    return out
