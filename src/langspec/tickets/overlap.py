"""Overlap of lottery tickets (paper 003, figure 3): Jaccard similarity of kept weights, per layer.

J(m_i, m_j) = |m_i ∩ m_j| / |m_i ∪ m_j| over the kept (True) weights. A layer
pools its six prunable matrices (query, key, value, attention output,
intermediate, output); the pooler, where there is one, is a layer of its own
(``"pooler"``). A decoder's layer pools its block's attention and MLP matrices
(``model.layers.N.``, BLOOM's and GPT-2's ``transformer.h.N.``). In an encoder-decoder (T5) a layer is a block of one stack,
``"encoder.0"``, ..., ``"decoder.0"``, ...: all of the block's matrices
(self-attention, cross-attention, feed-forward) pooled, never one matrix alone
(paper 003's overlap helper resets its counters inside its per-matrix loop, so
its per-layer values are those of a layer's last matrix). Masks are numpy bool arrays (as ``langspec.tickets.maskfile`` reads them
with ``device=None``) or CPU tensors. Two independent random masks that each keep a fraction q = 1 − s
have expected Jaccard q² / (2q − q²) = q / (2 − q): 1/3 at s = 50%.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError

if TYPE_CHECKING:
    import torch

Mask = Mapping[str, "np.ndarray | torch.Tensor"]

_LAYER = re.compile(r"\.(?:layer|layers|h)\.(\d+)\.")  # encoders: .layer.N.; decoders: .layers.N. (Llama-style), .h.N. (BLOOM, GPT-2)
_BLOCK = re.compile(r"^(encoder|decoder)\.block\.(\d+)\.")


def layer_of(name: str) -> str:
    """The layer a prunable weight belongs to: ``"0"``, ``"1"``, ... or ``"pooler"``; ``"encoder.0"``, ...,
    ``"decoder.0"``, ... in an encoder-decoder."""
    block = _BLOCK.match(name)
    if block:
        return f"{block.group(1)}.{block.group(2)}"
    match = _LAYER.search(name)
    if match:
        return match.group(1)
    if "pooler" in name:
        return "pooler"
    raise LangspecError(f"weight '{name}' belongs to no encoder layer and is not the pooler")


def expected_jaccard(sparsity: float) -> float:
    """Expected Jaccard of two independent uniformly random masks of sparsity ``sparsity``: q / (2 − q), q = 1 − s."""
    if not 0 <= sparsity < 1:
        raise LangspecError(f"sparsity {sparsity} is outside [0, 1)")
    q = 1.0 - sparsity
    return q / (2.0 - q)


def _counts(a: Mask, b: Mask) -> dict[str, tuple[int, int]]:
    """layer -> (|a ∩ b|, |a ∪ b|), layers in first-appearance order."""
    if set(a) != set(b):
        raise LangspecError(f"the masks cover different weights: {sorted(set(a) ^ set(b))[0]} is in only one")
    out: dict[str, tuple[int, int]] = {}
    for name in a:
        x, y = np.asarray(a[name], dtype=bool), np.asarray(b[name], dtype=bool)
        if x.shape != y.shape:
            raise LangspecError(f"the masks give {name} different shapes {tuple(x.shape)} and {tuple(y.shape)}")
        inter, union = int(np.count_nonzero(x & y)), int(np.count_nonzero(x | y))
        layer = layer_of(name)
        i, u = out.get(layer, (0, 0))
        out[layer] = (i + inter, u + union)
    return out


def _ratio(inter: int, union: int) -> float:
    return inter / union if union else float("nan")


def layer_jaccard(a: Mask, b: Mask) -> dict[str, float]:
    """Jaccard per layer (``"0"``, ``"1"``, ..., ``"pooler"``), each pooled over the layer's matrices."""
    return {layer: _ratio(*counts) for layer, counts in _counts(a, b).items()}


def jaccard(a: Mask, b: Mask) -> float:
    """Jaccard over all weights of both masks together."""
    counts = _counts(a, b).values()
    return _ratio(sum(i for i, _ in counts), sum(u for _, u in counts))


def pairwise_jaccard(masks: Mapping[str, Mask]) -> pd.DataFrame:
    """Every unordered pair of named masks (e.g. languages): columns ``a``, ``b``, ``layer``, ``jaccard``.

    ``layer`` is each layer's name plus ``"all"`` (every weight of the two masks).
    """
    rows = []
    for x, y in itertools.combinations(masks, 2):
        counts = _counts(masks[x], masks[y])
        for layer, (inter, union) in counts.items():
            rows.append({"a": x, "b": y, "layer": layer, "jaccard": _ratio(inter, union)})
        inter, union = sum(i for i, _ in counts.values()), sum(u for _, u in counts.values())
        rows.append({"a": x, "b": y, "layer": "all", "jaccard": _ratio(inter, union)})
    return pd.DataFrame(rows, columns=["a", "b", "layer", "jaccard"])


def average_overlap(masks: Mapping[str, Mask]) -> float:
    """A task's average overlap: the mean over language pairs of the Jaccard of all their weights (poster of 003)."""
    if len(masks) < 2:
        raise LangspecError(f"average overlap needs at least two masks, got {len(masks)}")
    frame = pairwise_jaccard(masks)
    return float(frame.loc[frame["layer"] == "all", "jaccard"].mean())
