"""Per-example gradient sketches (Pruthi et al. 2020, appendix E; paper 000 appendix A).

For a linear layer y = W x + b with per-example gradient sum_t ∇y_t [x_t; 1]ᵀ
(m × (n+1), bias as a column), the sketch is G1 (sum_t ∇y_t [x_t; 1]ᵀ) G2ᵀ
= sum_t (G1 ∇y_t)(G2 [x_t; 1])ᵀ, a √d × √d matrix with G1 ∈ R^{√d×m},
G2 ∈ R^{√d×(n+1)} drawn from N(0, 1/√d) so that E[G1ᵀG1] = E[G2ᵀG2] = I.
We project each layer's input on the forward pass and its output gradient on
the backward pass, both to √d, and multiply per example: the full per-example
gradient is never built. One batched backward of the summed per-example
losses runs with every parameter frozen, so autograd computes activation
gradients only (no weight-gradient products); the graph starts at the first
sketched layers' outputs, so nothing below them is differentiated.
"""

from __future__ import annotations

import fnmatch
import math
import zlib
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from langspec.core.errors import LangspecError
from langspec.models.frozen import parameters_frozen
from langspec.models.layout import features, is_linear


def layer_seed(seed: int, name: str) -> int:
    """The projection seed of one layer: the same name and seed give the same matrices anywhere."""
    return int(np.random.SeedSequence([seed, zlib.crc32(name.encode())]).generate_state(1)[0])


def select_layers(model: nn.Module, patterns: list[str]) -> list[tuple[str, nn.Module]]:
    """The model's linear layers whose names match any glob pattern, in module order.

    A linear layer is an nn.Linear or a transformers ``Conv1D`` (GPT-2's, weight [in, out]): both map the last axis
    of their input x to y, and the gradient of the weight is the same outer product of ∇y and x, transposed.
    """
    layers = [
        (name, module)
        for name, module in model.named_modules()
        if is_linear(module) and any(fnmatch.fnmatchcase(name, p) for p in patterns)
    ]
    if not layers:
        raise LangspecError(f"sketch layer patterns {patterns} match no linear layer of the model")
    return layers


class Sketcher:
    """Hooks that turn one batched backward into per-example sketches [B, layers * dim].

    ``dim`` is d per layer (a square); ``patterns`` select layers by name;
    ``seed`` fixes every projection, so train and test sketches share them.
    """

    def __init__(self, model: nn.Module, dim: int, patterns: list[str], seed: int) -> None:
        side = math.isqrt(dim)
        if side * side != dim:
            raise LangspecError(f"sketch dim {dim} is not a square (sketches are √d × √d per layer)")
        self.model = model
        self.side = side
        self.seed = seed
        self.layers = select_layers(model, patterns)
        parameter = next(model.parameters())
        self.projections = []  # (G1 [√d, m], G2 [√d, n (+1 bias column)]) per layer
        self._factors = []  # the same as ready-to-use matmul operands: G1ᵀ [m, √d], G2ᵀ [n, √d], bias row [√d]
        for name, linear in self.layers:
            generator = torch.Generator().manual_seed(layer_seed(seed, name))
            scale = 1.0 / math.sqrt(side)
            in_features, out_features = features(linear)
            g1 = torch.randn(side, out_features, generator=generator, dtype=torch.float64) * scale
            columns = in_features + (linear.bias is not None)  # the bias is a column of ones
            g2 = torch.randn(side, columns, generator=generator, dtype=torch.float64) * scale
            g1, g2 = (g.to(parameter.device, parameter.dtype) for g in (g1, g2))
            self.projections.append((g1, g2))
            bias = g2[:, in_features].contiguous() if linear.bias is not None else None
            self._factors.append((g1.T.contiguous(), g2[:, :in_features].T.contiguous(), bias))
        self._out: list[torch.Tensor | None] = []
        self._handles: list = []

    @property
    def names(self) -> list[str]:
        """Names of the sketched layers, in sketch order."""
        return [name for name, _ in self.layers]

    @property
    def width(self) -> int:
        """Sketch length D = layers × d."""
        return len(self.layers) * self.side * self.side

    def __enter__(self) -> Sketcher:
        self._handles = [linear.register_forward_hook(partial(self._forward, i)) for i, (_, linear) in enumerate(self.layers)]
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _forward(self, index: int, module: nn.Linear, args: tuple, output: torch.Tensor) -> None:
        _, g2t, bias = self._factors[index]
        x = args[0]
        flat = x.reshape(-1, x.shape[-1]).to(g2t.dtype)  # projections run in float32, also under bfloat16 autocast
        with torch.autocast(flat.device.type, enabled=False):
            x_proj = torch.addmm(bias, flat, g2t) if bias is not None else flat @ g2t  # [B·T, √d]
        if not output.requires_grad:  # the first sketched layers start the graph: nothing below is differentiated
            output.requires_grad_(True)
        output.register_hook(partial(self._backward, index, x_proj.view(x.shape[0], -1, self.side)))

    def _backward(self, index: int, x_proj: torch.Tensor, grad: torch.Tensor) -> None:
        g1t, _, _ = self._factors[index]
        with torch.autocast(grad.device.type, enabled=False):
            y_proj = (grad.reshape(-1, grad.shape[-1]).to(g1t.dtype) @ g1t).view(grad.shape[0], -1, self.side)  # [B, T, √d]
            self._out[index] = torch.bmm(y_proj.transpose(1, 2), x_proj).flatten(1)  # [B, √d·√d]

    def __call__(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sketch one batch (must include ``labels``).

        Returns sketches [B, D], per-example losses [B] (nats) and predictions [B].
        """
        if not self._handles:
            raise RuntimeError("use the Sketcher as a context manager")
        batch = dict(batch)
        labels = batch.pop("labels")
        self._out = [None] * len(self.layers)
        self.model.eval()
        with parameters_frozen(self.model):
            logits = self.model(**batch).logits.float()
            losses = F.cross_entropy(logits, labels, reduction="none")
            losses.sum().backward()
        missing = [self.names[i] for i, out in enumerate(self._out) if out is None]
        if missing:
            raise LangspecError(f"sketch layers {missing} receive no gradient from the loss")
        sketches = torch.cat(self._out, dim=1)
        self._out = []
        return sketches.detach(), losses.detach(), logits.detach().argmax(-1)
