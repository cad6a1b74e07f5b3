"""Neuron masks as language subnetworks: the third kind of :class:`~langspec.training.subnetworks.Subnetworks`.

``use(lang)`` deactivates ``lang``'s neurons (a mask [layers, neurons], True at
the language's neurons, :mod:`langspec.neurons.masks`): a forward pre-hook on
each layer's output (down) projection multiplies its input, the neurons'
post-activation values, by a keep vector (0 at the language's neurons, 1
elsewhere), as the reference's ``ppl.py`` zeroes them. ``use(None)``: the whole
model, the hooks pass their input through untouched.

The subnetwork a language names is therefore the model *without* its neurons,
and training under a neuron mask means training that model: the deactivated
neurons contribute nothing to the forward pass, so no gradient reaches their
parameters (their rows of the input, gate and up projections and biases, their
columns of the output projection) or flows back through them.
:meth:`~NeuronSubnetworks.mask_gradients` zeroes those parameters' gradients
explicitly (e.g. after a batch run without the mask), and the strict step
guard (:meth:`~NeuronSubnetworks.frozen`) keeps them and their optimizer state
exactly unchanged, which AdamW's weight decay alone would not. Every other
parameter is trained as usual.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import numpy as np
import torch
from torch import nn

from langspec.core.errors import LangspecError
from langspec.neurons.ffn import ffn_layers
from langspec.training.subnetworks import Subnetworks


class NeuronSubnetworks(Subnetworks):
    """Neuron masks (language -> [layers, neurons] bool, True = deactivated) applied to ``model`` by hooks.

    Create it after moving the model to its device; :meth:`remove` detaches the
    hooks and the model computes exactly as before.
    """

    kind = "neurons"

    def __init__(self, model: nn.Module, masks: Mapping[str, np.ndarray | torch.Tensor]) -> None:
        self.layers = ffn_layers(model)
        shape = (len(self.layers), self.layers[0].neurons)
        device = next(model.parameters()).device
        self.keep: dict[str, torch.Tensor] = {}  # lang -> [layers, neurons] float, 0 at the language's neurons
        self.indices: dict[str, list[torch.Tensor]] = {}  # lang -> per layer, the language's neuron indices
        for lang, mask in masks.items():
            mask = torch.as_tensor(mask, device=device)
            if tuple(mask.shape) != shape or mask.dtype != torch.bool:
                raise LangspecError(f"neuron mask of '{lang}' is a {mask.dtype} array of shape {tuple(mask.shape)}; "
                                    f"the model needs {shape[0]} layers x {shape[1]} feed-forward neurons of bool")
            self.keep[lang] = (~mask).float()
            self.indices[lang] = [torch.nonzero(row).flatten() for row in mask]
        self.current: torch.Tensor | None = None
        self.handles = [layer.output.register_forward_pre_hook(
            lambda module, args, index=index: self._deactivate(index, args)) for index, layer in enumerate(self.layers)]

    def _deactivate(self, index: int, args: tuple) -> tuple | None:
        if self.current is None:
            return None
        return (args[0] * self.current[index].to(args[0].dtype), *args[1:])

    def _check(self, lang: str) -> None:
        if lang not in self.keep:
            raise LangspecError(f"no neuron mask for language '{lang}' (masks: {', '.join(self.keep)})")

    @property
    def languages(self) -> list[str]:
        return list(self.keep)

    def use(self, lang: str | None) -> None:
        if lang is not None:
            self._check(lang)
        self.current = None if lang is None else self.keep[lang]

    def _owned(self, lang: str) -> Iterator[tuple[nn.Parameter, int, torch.Tensor]]:
        """(parameter, axis, indices) of each parameter slice owned by ``lang``'s neurons."""
        self._check(lang)
        for layer, indices in zip(self.layers, self.indices[lang]):
            if len(indices):
                for parameter, axis in layer.owned():
                    yield parameter, axis, indices

    def mask_gradients(self, lang: str | None) -> None:
        if lang is None:
            return
        for parameter, axis, indices in self._owned(lang):
            if parameter.grad is not None:
                parameter.grad.index_fill_(axis, indices, 0)

    @contextlib.contextmanager
    def frozen(self, lang: str | None, optimizer: torch.optim.Optimizer) -> Iterator[None]:
        """Undo, after the block, every change to ``lang``'s neurons' parameters and their optimizer state (state
        the step creates is zeroed there: as before a first step)."""
        if lang is None:
            yield
            return
        saved = []
        for parameter, axis, indices in self._owned(lang):
            state = {k: v.index_select(axis, indices).clone() for k, v in optimizer.state.get(parameter, {}).items()
                     if torch.is_tensor(v) and v.shape == parameter.shape}
            saved.append((parameter, axis, indices, parameter.detach().index_select(axis, indices).clone(), state))
        yield
        with torch.no_grad():
            for parameter, axis, indices, before, state in saved:
                parameter.index_copy_(axis, indices, before)
                for key, value in optimizer.state.get(parameter, {}).items():
                    if not (torch.is_tensor(value) and value.shape == parameter.shape):
                        continue
                    if key in state:
                        value.index_copy_(axis, indices, state[key])
                    else:
                        value.index_fill_(axis, indices, 0)

    def remove(self) -> None:
        self.current = None
        for handle in self.handles:
            handle.remove()
        self.handles = []
