"""Head masks as language subnetworks: the :class:`~langspec.training.subnetworks.Subnetworks` of paper 000.

Each language's mask ([layers, heads] of 0/1) sets the :class:`HeadGates` in the
forward pass; :mod:`langspec.heads.sparse` restricts gradients and optimizer
steps to the language's heads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import numpy as np
import torch

from langspec.heads.gates import HeadGates
from langspec.heads.sparse import frozen_heads, mask_gradients
from langspec.training.subnetworks import Subnetworks


class HeadSubnetworks(Subnetworks):
    """Head masks (language -> [layers, heads] 0/1) through :class:`HeadGates` and :mod:`langspec.heads.sparse`.

    ``gates`` reuses existing gates on the model (then :meth:`remove` leaves them
    attached); otherwise new gates are created and removed by :meth:`remove`.
    """

    kind = "heads"

    def __init__(self, model: torch.nn.Module, masks: Mapping[str, torch.Tensor | np.ndarray], gates: HeadGates | None = None) -> None:
        self._own = gates is None
        self.gates = HeadGates(model) if gates is None else gates
        device = self.gates.values.device
        self.masks = {lang: torch.as_tensor(mask, dtype=torch.float32, device=device) for lang, mask in masks.items()}

    @property
    def languages(self) -> list[str]:
        return list(self.masks)

    def use(self, lang: str | None) -> None:
        if lang is None:
            self.gates.reset()
        else:
            self.gates.set(self.masks[lang])

    def mask_gradients(self, lang: str | None) -> None:
        if lang is not None:
            mask_gradients(self.gates.layout, self.masks[lang])

    @contextlib.contextmanager
    def frozen(self, lang: str | None, optimizer: torch.optim.Optimizer) -> Iterator[None]:
        if lang is None:
            yield
            return
        with frozen_heads(self.gates.layout, self.masks[lang], optimizer):
            yield

    def remove(self) -> None:
        self.gates.reset()
        if self._own:
            self.gates.remove()
