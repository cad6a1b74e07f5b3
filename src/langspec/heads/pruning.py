"""Michel et al. (2019) iterative head pruning for one language (paper section 3.1).

Importance of head (l, h) for language ℓ is E_x |d L(x) / d ξ[l, h]| over ℓ's
examples (paper eq. 1), computed per example from one batched backward pass
and, as in Michel et al.'s code, accumulated over the data and divided by the
number of tokens; optionally L2-normalised within each layer. Each step masks
the least important fraction of heads and recomputes importance under the new
mask; pruning stops before the metric would fall below ``threshold`` times the
unmasked model's, keeping the last mask at or above it. One forward and one
activation-only backward per evaluated mask give both its metric (from the
forward's predictions) and the importance under it for the next step.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from langspec.core.errors import LangspecError
from langspec.data.encode import Encoded, by_length, chunks
from langspec.heads.gates import HeadGates
from langspec.models.frozen import parameters_frozen


def head_scores(
    model: torch.nn.Module,
    gates: HeadGates,
    data: Encoded,
    rows: np.ndarray,
    mask: torch.Tensor,
    batch_size: int,
    normalize_layers: bool = True,
) -> tuple[torch.Tensor, np.ndarray]:
    """Head importance [layers, heads] and predictions [len(rows)] on ``rows``, the model gated by ``mask``."""
    model.eval()
    device = next(model.parameters()).device
    total = torch.zeros(gates.layout.shape, dtype=torch.float64)
    pred = np.zeros(len(data), dtype=np.int64)
    gates.set(mask)
    with parameters_frozen(model):
        gates.values.requires_grad_(True)
        for batch_rows in chunks(by_length(data, rows), batch_size):
            batch = data.batch(batch_rows, device)
            labels = batch.pop("labels")
            with gates.recording() as recorded:
                logits = model(**batch).logits.float()
                F.cross_entropy(logits, labels, reduction="sum").backward()
                total += HeadGates.per_example(recorded).abs().sum(0).double().cpu()
            pred[batch_rows] = logits.detach().argmax(-1).cpu().numpy()
        gates.values.requires_grad_(False)
        gates.values.grad = None
    gates.reset()
    importance = total / data.num_tokens(rows)
    if normalize_layers:
        importance = importance / (importance.norm(dim=-1, keepdim=True) + 1e-20)
    return importance.float(), pred[rows]


def prune_heads(
    shape: tuple[int, int],
    score: Callable[[torch.Tensor], tuple[float, torch.Tensor]],
    fraction: float = 0.1,
    fraction_of: str = "remaining",
    threshold: float = 0.95,
) -> tuple[torch.Tensor, list[dict]]:
    """Iteratively mask the least important heads; return the kept mask and the trajectory.

    ``score(mask)`` evaluates a [layers, heads] mask: its metric (higher is
    better) and the [layers, heads] importance under it. The trajectory has one
    entry per evaluated mask: heads kept, metric, ratio to the unmasked metric,
    and whether the mask was kept.
    """
    if not 0 < threshold <= 1:
        raise LangspecError(f"prune threshold {threshold} is outside (0, 1]")
    if not 0 < fraction <= 1:
        raise LangspecError(f"prune fraction {fraction} is outside (0, 1]")
    if fraction_of not in ("remaining", "total"):
        raise LangspecError(f"prune fraction_of '{fraction_of}' is not 'remaining' or 'total'")
    mask = torch.ones(shape)
    base, importance = score(mask)
    if base <= 0:
        raise LangspecError(f"the unmasked model's metric is {base}; there is nothing to preserve while pruning")
    trajectory = [{"heads_kept": int(mask.sum()), "metric": base, "ratio": 1.0, "kept": True}]
    total = mask.numel()
    while mask.sum() > 0:
        remaining = int(mask.sum())
        count = min(remaining, max(1, int(fraction * (remaining if fraction_of == "remaining" else total))))
        scores = importance.flatten().clone()
        scores[mask.flatten() == 0] = math.inf
        candidate = mask.clone().flatten()
        candidate[torch.argsort(scores, stable=True)[:count]] = 0
        candidate = candidate.view(shape)
        value, next_importance = score(candidate)
        kept = value >= threshold * base
        trajectory.append({"heads_kept": int(candidate.sum()), "metric": value, "ratio": value / base, "kept": kept})
        if not kept:
            break
        mask, importance = candidate, next_importance
    return mask, trajectory


def prune_language(
    model: torch.nn.Module,
    data: Encoded,
    lang: str,
    batch_size: int,
    fraction: float,
    fraction_of: str,
    threshold: float,
    normalize_layers: bool,
) -> tuple[torch.Tensor, list[dict]]:
    """Prune heads for ``lang`` on its rows of ``data``, scored by accuracy (under autocast when the caller sets it)."""
    rows = data.indices(lang)
    if len(rows) == 0:
        raise LangspecError(f"no examples of language '{lang}' to prune on (the split has {', '.join(data.languages)})")
    gates = HeadGates(model)
    labels = data.label.numpy()[rows]
    steps = tqdm(desc=f"prune {lang}", unit="step")

    def score(mask: torch.Tensor) -> tuple[float, torch.Tensor]:
        steps.update()
        importance, pred = head_scores(model, gates, data, rows, mask, batch_size, normalize_layers)
        return float((pred == labels).mean()), importance

    try:
        return prune_heads(gates.layout.shape, score, fraction, fraction_of, threshold)
    finally:
        steps.close()
        gates.remove()
