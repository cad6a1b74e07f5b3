"""Restrict parameter updates to a subnetwork's heads (sparse fine-tuning).

Paper 000, footnote 1: the gradients are multiplied by the binary mask before
they are passed to the optimizer. With AdamW, momentum and weight decay still
move masked parameters; :func:`frozen_heads` offers a strict alternative in
which one optimizer step leaves the masked heads' parameters and optimizer
state exactly unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from langspec.models.layout import HeadLayout


def _head_slices(layout: HeadLayout, mask: torch.Tensor) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield (parameter, keep) pairs: ``keep`` broadcasts over the parameter, 1 where its head is enabled.

    A query head's slices (query rows, output columns; key and value rows where
    heads do not share them) follow its own gate; under grouped-query attention
    a shared key/value head's rows stay trainable while any query head of its
    group is enabled (:meth:`~langspec.models.layout.HeadLayout.kv_open`).
    """
    for index, heads in enumerate(layout.layers):
        row = mask[index]
        for part in heads.slices:
            yield part.parameter, part.broadcast(row if part.role == "query" else layout.kv_open(row))


def mask_gradients(layout: HeadLayout, mask: torch.Tensor) -> None:
    """Zero the gradients of the masked heads' query, key, value and output slices, in place.

    ``mask`` is [layers, heads] with 1 for enabled heads.
    """
    for parameter, keep in _head_slices(layout, mask):
        if parameter.grad is not None:
            parameter.grad.mul_(keep.to(parameter.grad))


@contextlib.contextmanager
def frozen_heads(layout: HeadLayout, mask: torch.Tensor, optimizer: torch.optim.Optimizer) -> Iterator[None]:
    """Undo, after the block, every change to the masked heads' parameters and optimizer state.

    Wrap ``optimizer.step()`` in it for strict sparse fine-tuning.
    """
    saved = []
    for parameter, keep in _head_slices(layout, mask):
        state = {k: v.clone() for k, v in optimizer.state.get(parameter, {}).items() if torch.is_tensor(v) and v.shape == parameter.shape}
        saved.append((parameter, keep, parameter.detach().clone(), state))
    yield
    with torch.no_grad():
        for parameter, keep, before, state in saved:
            enabled = keep.to(device=parameter.device, dtype=torch.bool)
            parameter.copy_(torch.where(enabled, parameter, before))
            current = optimizer.state.get(parameter, {})
            for name, value in state.items():
                current[name].copy_(torch.where(enabled, current[name], value))
