"""Head gates: a multiplicative gate per (layer, head) on the attention output.

transformers 5 has no ``head_mask``, so we gate the input of each layer's
attention output projection (the concatenated head contexts: ``attention.output.dense``
of an encoder, ``o_proj`` of Llama-style decoders, ``dense`` of BLOOM, ``c_proj``
of GPT-2) with a forward pre-hook. Under grouped-query attention a gate scales one
query head's context; the key/value head its group shares stays open for the others. This works with every attention backend (eager, sdpa, flash), and the
gradient of the loss with respect to gate (l, h) is Michel et al.'s (2019) head
importance for one example: the dot product of the head's context with the
gradient of the loss with respect to that context.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial

import numpy as np
import torch
from torch import nn

from langspec.models.layout import HeadLayout, head_layout


class HeadGates:
    """Gates ``values`` [layers, heads] applied to a model in place through hooks.

    With all gates at 1 (the default) the model's outputs are bit-identical to
    the ungated model. Use as a context manager, or call :meth:`remove`.
    """

    def __init__(self, model: nn.Module) -> None:
        self.layout: HeadLayout = head_layout(model)
        device = next(model.parameters()).device
        self.values = torch.ones(self.layout.shape, device=device)
        self._recorded: dict[int, torch.Tensor] | None = None
        self._handles = [
            heads.output.register_forward_pre_hook(partial(self._gate, index))
            for index, heads in enumerate(self.layout.layers)
        ]

    # -- state -------------------------------------------------------------
    def set(self, mask: torch.Tensor | np.ndarray | list) -> None:
        """Set the gates from a [layers, heads] 0/1 (or real-valued) mask: a tensor, a numpy array (a mask file's) or a list."""
        mask = torch.as_tensor(mask, dtype=self.values.dtype)
        self.layout.check_mask_shape(tuple(mask.shape), "mask")
        with torch.no_grad():
            self.values.copy_(mask.to(self.values.device))

    def reset(self) -> None:
        """Open every gate (the unmasked model)."""
        with torch.no_grad():
            self.values.fill_(1.0)

    def remove(self) -> None:
        """Detach the hooks; the model is as before."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> HeadGates:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # -- importance --------------------------------------------------------
    @contextlib.contextmanager
    def recording(self) -> Iterator[dict[int, torch.Tensor]]:
        """Record per-example gate gradients during the backward passes inside the block.

        Yields a dict filled by backward: layer index -> [batch, heads] tensor,
        ``d loss_b / d gate[l, h]`` for each example b of the last batch, when the
        loss is a sum of per-example losses. :meth:`per_example` stacks it.
        """
        self._recorded = {}
        try:
            yield self._recorded
        finally:
            self._recorded = None

    @staticmethod
    def per_example(recorded: dict[int, torch.Tensor]) -> torch.Tensor:
        """Stack a recording into [batch, layers, heads]."""
        return torch.stack([recorded[index] for index in sorted(recorded)], dim=1)

    # -- hook --------------------------------------------------------------
    def _gate(self, index: int, module: nn.Module, args: tuple) -> tuple | None:
        context = args[0]  # [..., heads * head_size]
        gates = self.values[index]
        needs_grad = self.values.requires_grad or self._recorded is not None
        if not needs_grad and bool((gates == 1).all()):
            return None
        heads, size = self.layout.num_heads, self.layout.head_size
        split = context.view(*context.shape[:-1], heads, size)
        gated = (split * gates.to(device=context.device, dtype=context.dtype)[:, None]).view_as(context)
        if self._recorded is not None and gated.requires_grad:
            recorded = self._recorded
            gated.register_hook(partial(_record, recorded, index, split, heads, size))
        return (gated, *args[1:])


def _record(
    recorded: dict[int, torch.Tensor],
    index: int,
    split: torch.Tensor,
    heads: int,
    size: int,
    grad: torch.Tensor,
) -> None:
    """Store sum over positions of <context_h, d loss / d gated context_h> per example."""
    dtype = torch.promote_types(grad.dtype, torch.float32)  # float32 under bfloat16 autocast too
    dots = (grad.to(dtype).view(*grad.shape[:-1], heads, size) * split.to(dtype)).sum(-1)  # [batch, ..., heads]
    recorded[index] = dots.reshape(dots.shape[0], -1, heads).sum(1).detach()
