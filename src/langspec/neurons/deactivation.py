"""Deactivation (LAPE's perplexity experiment, Tang et al. 2024 §4): every language's dev metric with one neuron
mask's neurons zeroed, for each mask, and with none (the intact model).

Each mask is applied to every test language at once (the same neurons zeroed
for all of them) through :class:`~langspec.neurons.subnetworks.NeuronSubnetworks`
and scored by the one evaluation path of every task kind,
:func:`langspec.training.evaluate.evaluate`: accuracy for classification,
perplexity over the fixed evaluation masks for masked language modelling,
entity F1 for token classification, next-token perplexity for a decoder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from torch import nn

from langspec.data.encode import Encoded
from langspec.neurons.subnetworks import NeuronSubnetworks
from langspec.training.evaluate import evaluate
from langspec.training.metrics import metric_of

#: The condition of the intact model's rows (no neuron deactivated).
INTACT = "intact"
#: Columns of a deactivation table, then the evaluation's count columns (``n``; ``tp``, ``predicted``, ``gold`` for F1).
COLUMNS = ("mask", "condition", "deactivated", "seed", "neurons", "test_lang", "metric_name", "higher_is_better",
           "metric", "loss")
COUNTS = ("n", "tp", "predicted", "gold")


def deactivation_rows(model: nn.Module, data: Encoded, masks: Mapping[str, Mapping], languages: Sequence[str],
                      batch_size: int) -> list[dict]:
    """One row per (mask, test language) of ``languages``' dev metric, the intact model's first (mask ``intact``).

    ``masks``: mask name -> ``{"mask": [layers, neurons] bool, "kind": "lape" | "random", "lang": the language
    whose neurons (or whose random control) it is, "seed": ...}`` (as :func:`langspec.neurons.masks.read_neuron_mask`
    returns). Columns: :data:`COLUMNS` (``condition``: intact, lape or random; ``deactivated``: the mask's
    language, empty for the intact model; ``neurons``: how many are zeroed), then the evaluation's counts.
    """
    metric = metric_of(data.kind)
    rows = np.concatenate([data.indices(lang) for lang in languages])
    conditions = [(INTACT, None)] + list(masks.items())
    out = []
    for name, body in conditions:
        subnetworks = None if body is None else NeuronSubnetworks(model, {lang: body["mask"] for lang in languages})
        try:
            scores = evaluate(model, data, batch_size, rows, subnetworks)
        finally:
            if subnetworks is not None:
                subnetworks.remove()
        for lang in languages:
            entry = scores[lang]
            out.append({
                "mask": name, "condition": INTACT if body is None else body["kind"],
                "deactivated": "" if body is None else body["lang"],
                "seed": None if body is None else body.get("seed"),
                "neurons": 0 if body is None else int(np.asarray(body["mask"]).sum()), "test_lang": lang,
                "metric_name": metric.name, "higher_is_better": metric.higher_is_better,
                "metric": entry[metric.name], "loss": entry["loss"],
                **{key: entry[key] for key in COUNTS if key in entry},
            })
    return out
