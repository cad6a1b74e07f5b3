"""Backward passes that skip weight gradients."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def parameters_frozen(model: torch.nn.Module) -> Iterator[None]:
    """Inside the block no parameter requires grad, so backward computes activation gradients only."""
    previous = [(p, p.requires_grad) for p in model.parameters()]
    for parameter, _ in previous:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter, flag in previous:
            parameter.requires_grad_(flag)
