"""The training loss of each task kind, with the MLM head applied only where it is scored.

A masked-language model's output layer maps every position to the vocabulary
([B, T, V] logits), but only the selected 15% of positions carry a target.
:func:`masked_lm` runs the encoder on the whole batch and the MLM head on the
selected positions alone, which gives the same loss as the model's own forward
(mean cross-entropy over the selected tokens) with about a seventh of the output
layer's work; the other kinds use the model's own loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from langspec.core.errors import LangspecError
from langspec.data.masking import IGNORE


def mlm_head(model: nn.Module) -> nn.Module:
    """The MLM head of a masked-language model (BERT's ``cls``, RoBERTa/XLM-R's ``lm_head``): hidden [..., H] -> logits [..., V]."""
    for name in ("cls", "lm_head"):
        head = getattr(model, name, None)
        if isinstance(head, nn.Module):
            return head
    raise LangspecError(f"model {type(model).__name__} has no MLM head (cls or lm_head)")


def masked_lm(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(logits [N, V], targets [N], batch row of each [N]) at the N selected positions of ``batch``.

    ``batch`` holds the inputs and ``labels`` [B, T] (the original id at a
    selected position, -100 elsewhere), as :meth:`langspec.data.encode.Encoded.batch` makes them.
    """
    labels = batch["labels"]
    inputs = {name: value for name, value in batch.items() if name != "labels"}
    hidden = model.base_model(**inputs).last_hidden_state
    selected = labels != IGNORE
    return mlm_head(model)(hidden[selected]), labels[selected], selected.nonzero()[:, 0]


def training_loss(model: nn.Module, batch: dict[str, torch.Tensor], kind: str) -> torch.Tensor:
    """The mean loss of one batch of a task of ``kind`` (a scalar tensor; NaN for an MLM batch without targets)."""
    if kind != "mlm":
        return model(**batch).loss
    logits, targets, _ = masked_lm(model, batch)
    return F.cross_entropy(logits.float(), targets)
