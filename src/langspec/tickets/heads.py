"""Lottery tickets seen as attention heads, against paper 000's head subnetworks (beyond both papers).

Head h of a layer owns rows h·d:(h+1)·d of the query, key and value weights and
columns h·d:(h+1)·d of the attention-output weight (:mod:`langspec.models.layout`,
which also places the heads of fused and grouped-query decoder projections). The
fraction of those 4·d·hidden weights that a ticket keeps says how much of the
head the ticket retains; paper 000's mask says whether the head is enabled.
Their Pearson correlation over all heads (point-biserial, since the head mask is
0/1) measures whether the two methods find the same heads.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from langspec.core.errors import LangspecError
from langspec.models.layout import head_layout


def head_fractions(mask: Mapping[str, torch.Tensor], model: nn.Module) -> np.ndarray:
    """Fraction of each head's query, key, value and output weights kept by ``mask``: [layers, heads] in [0, 1].

    Under grouped-query attention a query head counts its own query rows and output columns and the rows of the
    key/value head its group shares (:class:`~langspec.models.layout.HeadSlice`); biases are not pruned.
    """
    layout = head_layout(model)
    names = {id(parameter): name for name, parameter in model.named_parameters()}
    out = np.zeros(layout.shape)
    for layer, heads in enumerate(layout.layers):
        kept = np.zeros(layout.num_heads)
        size = np.zeros(layout.num_heads)
        for part in heads.slices:
            if part.parameter.dim() < 2:
                continue
            name = names[id(part.parameter)]
            if name not in mask:
                raise LangspecError(f"the weight mask has no entry for {name}")
            along = mask[name].bool().cpu().float().sum(dim=1 - part.axis)  # kept weights per index along the axis
            width = part.parameter.shape[1 - part.axis]
            per_owner = torch.zeros(int(part.owner.max()) + 1).index_add_(0, part.owner, along)
            counts = torch.bincount(part.owner).float() * width
            if part.role == "kv":
                per_owner = per_owner[[layout.kv_of(h) for h in range(layout.num_heads)]]
                counts = counts[[layout.kv_of(h) for h in range(layout.num_heads)]]
            kept += per_owner.numpy()
            size += counts.numpy()
        out[layer] = kept / size
    return out


def head_agreement(fractions: np.ndarray, head_mask: np.ndarray | torch.Tensor) -> float:
    """Pearson (point-biserial) correlation over heads of kept fractions [layers, heads] and a 0/1 head mask.

    NaN when either is constant (e.g. a head mask that keeps every head).
    """
    a = np.asarray(fractions, dtype=float).ravel()
    b = np.asarray(head_mask, dtype=float).ravel()
    if a.shape != b.shape:
        raise LangspecError(f"head fractions {np.shape(fractions)} and head mask {tuple(np.shape(head_mask))} differ in shape")
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])
