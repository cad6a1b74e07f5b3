"""Activation counts of every feed-forward neuron over one language's tokens (LAPE's first step).

Forward passes only (``model.eval()``, ``torch.no_grad``), in length-sorted
batches: hooks on each layer's MLP (:mod:`langspec.neurons.ffn` says where, and
what "active" means per model kind) count, per neuron, the language's real
tokens at which it is active. Padding positions (``attention_mask`` 0) are not
counted; every other position is, special tokens included, as
:meth:`~langspec.data.encode.Encoded.num_tokens` counts them.

A masked-language-modelling split is read unmasked (its text, not its fixed
evaluation masks): activation probabilities describe the language's text.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from langspec.core.errors import LangspecError
from langspec.data.encode import Encoded, by_length, chunks
from langspec.neurons.ffn import FFNLayer, ffn_layers


@dataclass(frozen=True)
class Activations:
    """One language's counts: ``counts`` [layers, neurons] int64, the number of its tokens at which each neuron is
    active; ``tokens``, the number of its (non-padding) tokens seen. :func:`langspec.neurons.lape.probabilities`
    turns the counts of several languages into activation probabilities."""

    lang: str
    counts: np.ndarray
    tokens: int


class _Counter:
    """Hooks that add each batch's active tokens per neuron to ``counts`` [layers, neurons] (on the model's device)."""

    def __init__(self, layers: list[FFNLayer], device: torch.device) -> None:
        self.counts = torch.zeros(len(layers), layers[0].neurons, dtype=torch.int64, device=device)
        self.valid: torch.Tensor | None = None  # [B, T] bool: the current batch's real tokens
        self.handles = []
        for index, layer in enumerate(layers):
            if layer.gated:  # z = gate(x); act(z) > 0 exactly where z > 0 (SiLU, GELU)
                self.handles.append(layer.inputs[0].register_forward_hook(
                    lambda module, args, output, index=index: self.add(index, output)))
            else:  # the output projection's input, act(in(x))
                self.handles.append(layer.output.register_forward_pre_hook(
                    lambda module, args, index=index: self.add(index, args[0])))

    def add(self, index: int, values: torch.Tensor) -> None:
        if values.shape[:2] != self.valid.shape:
            raise LangspecError(f"feed-forward values of shape {tuple(values.shape)} do not match the batch's "
                                f"{tuple(self.valid.shape)} tokens")
        self.counts[index] += (values[self.valid] > 0).sum(0)

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


@torch.no_grad()
def count_active(model: nn.Module, data: Encoded, lang: str, batch_size: int) -> Activations:
    """How many of ``lang``'s tokens in ``data`` activate each feed-forward neuron of ``model``, and how many tokens.

    Puts the model in eval mode. A language without examples in ``data`` is a one-line error naming it.
    """
    layers = ffn_layers(model)
    rows = data.indices(lang)
    if len(rows) == 0:
        raise LangspecError(f"language '{lang}' has no examples to count neuron activations on")
    plain = dataclasses.replace(data, kind="classification") if data.kind == "mlm" else data  # unmasked input ids
    model.eval()
    device = next(model.parameters()).device
    counter = _Counter(layers, device)
    tokens = 0
    try:
        for batch_rows in chunks(by_length(data, rows), batch_size):
            batch = plain.batch(batch_rows, device)
            batch.pop("labels")
            counter.valid = batch["attention_mask"].bool()
            tokens += int(counter.valid.sum())
            model(**batch)
    finally:
        counter.remove()
    return Activations(lang=lang, counts=counter.counts.cpu().numpy(), tokens=tokens)
