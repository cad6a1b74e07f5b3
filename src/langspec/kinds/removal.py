"""Every language's dev loss with one kind's units of one language removed, for each kind and language, and intact.

A removal is applied to every test language at once (the same units removed for all of them) through its kind's
:class:`~langspec.training.subnetworks.Subnetworks`: heads by their gates (:class:`~langspec.heads.subnetworks.
HeadSubnetworks`, gate 0 at the removed heads), weights by their masks in the forward pass (:class:`~langspec.
tickets.masks.WeightSubnetworks`, mask False at the removed weights), neurons by zeroing their post-activation values
(:class:`~langspec.neurons.subnetworks.NeuronSubnetworks`); and scored by the one evaluation path of every task
kind, :func:`langspec.training.evaluate.evaluate` (``loss``: the mean cross-entropy in nats, and the task's metric).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from langspec.data.encode import Encoded
from langspec.heads.subnetworks import HeadSubnetworks
from langspec.kinds.tables import INTACT
from langspec.models.layout import encoder_layers, head_layout
from langspec.neurons.ffn import ffn_layers
from langspec.neurons.subnetworks import NeuronSubnetworks
from langspec.tickets.masks import WeightSubnetworks, prunable_linears
from langspec.training.evaluate import evaluate
from langspec.training.metrics import metric_of

@dataclass(frozen=True)
class Removal:
    """One kind's units of one language, to remove: ``mask`` is a [layers, heads] bool (heads), weight name ->
    bool [out, in] (weights: every prunable weight of the model) or [layers, neurons] bool (neurons), True at the
    removed units; ``units`` and ``params`` count them, ``specific`` counts the units of positive specificity
    among them (:mod:`langspec.kinds.specificity`)."""

    kind: str
    lang: str
    mask: np.ndarray | Mapping[str, np.ndarray]
    units: int
    params: int
    specific: int


def head_params(model: nn.Module) -> int:
    """Parameters one attention head owns: its slices of the query, key, value and output projections (weights and
    biases; under grouped-query attention its query rows and output columns only)."""
    layout = head_layout(model)
    total = 0
    for part in layout.layers[0].slices:
        if part.role != "query":
            continue
        rest = int(np.prod([s for i, s in enumerate(part.parameter.shape) if i != part.axis]))
        total += int((part.owner == 0).sum()) * rest
    return total


def neuron_params(model: nn.Module) -> int:
    """Parameters one feed-forward neuron owns (:meth:`~langspec.neurons.ffn.FFNLayer.owned`)."""
    total = 0
    for parameter, axis in ffn_layers(model)[0].owned():
        total += int(np.prod([s for i, s in enumerate(parameter.shape) if i != axis]))
    return total


def layer_weights(model: nn.Module) -> list[list[str]]:
    """Per layer, the names of its prunable weight matrices (a ticket's; the pooler, in no layer, left out)."""
    layer_of = {id(m): index for index, layer in enumerate(encoder_layers(model)) for m in layer.modules()}
    out: list[list[str]] = [[] for _ in encoder_layers(model)]
    for name, linear in prunable_linears(model).items():
        if id(linear) in layer_of:
            out[layer_of[id(linear)]].append(name)
    return out


def ffn_weights(model: nn.Module) -> list[list[tuple[str, int]]]:
    """Per layer, (name, the axis along which index j is neuron j) of its feed-forward weight matrices."""
    names = {id(p): n for n, p in model.named_parameters()}
    return [[(names[id(p)], axis) for p, axis in layer.owned() if p.dim() == 2] for layer in ffn_layers(model)]


def _subnetworks(model: nn.Module, removal: Removal, languages: Sequence[str]):
    device = next(model.parameters()).device
    if removal.kind == "heads":
        keep = 1.0 - np.asarray(removal.mask, dtype=np.float32)
        return HeadSubnetworks(model, {lang: keep for lang in languages})
    if removal.kind == "weights":
        keep = {name: torch.ones(linear.weight.shape, dtype=torch.bool, device=device)
                for name, linear in prunable_linears(model).items()}
        for name, removed in removal.mask.items():
            keep[name] &= ~torch.as_tensor(np.asarray(removed, dtype=bool), device=device)
        return WeightSubnetworks(model, {lang: keep for lang in languages})
    return NeuronSubnetworks(model, {lang: np.asarray(removal.mask, dtype=bool) for lang in languages})


def removal_rows(model: nn.Module, data: Encoded, removals: Sequence[Removal], languages: Sequence[str],
                 batch_size: int) -> list[dict]:
    """One row per (removal, test language) of ``languages``' dev loss and metric, the intact model's first (kind
    and removed ``intact``). Columns: :data:`~langspec.kinds.tables.REMOVAL`."""
    metric = metric_of(data.kind)
    rows = np.concatenate([data.indices(lang) for lang in languages])
    out = []
    for removal in [None, *removals]:
        subnetworks = None if removal is None else _subnetworks(model, removal, languages)
        try:
            scores = evaluate(model, data, batch_size, rows, subnetworks)
        finally:
            if subnetworks is not None:
                subnetworks.remove()
        for lang in languages:
            entry = scores[lang]
            out.append({
                "kind": INTACT if removal is None else removal.kind,
                "removed": INTACT if removal is None else removal.lang,
                "units": 0 if removal is None else removal.units,
                "specific": 0 if removal is None else removal.specific, "params": 0 if removal is None else removal.params,
                "test_lang": lang, "metric_name": metric.name, "higher_is_better": metric.higher_is_better,
                "metric": entry[metric.name], "loss": entry["loss"], "n": entry.get("n"),
            })
    return out
