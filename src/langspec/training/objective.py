"""The training loss of each task kind, with the MLM head applied only where it is scored.

A masked-language model's output layer maps every position to the vocabulary
([B, T, V] logits), but only the selected 15% of positions carry a target.
:func:`masked_lm` runs the encoder on the whole batch and the MLM head on the
selected positions alone, which gives the same loss as the model's own forward
(mean cross-entropy over the selected tokens) with about a seventh of the output
layer's work. A causal language model (kind ``clm``, a decoder) is scored the
same way on every position whose next token is a target (:func:`causal_lm`):
padding never reaches its LM head. The other kinds use the model's own loss.
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


def causal_lm(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(logits [N, V], targets [N], batch row of each [N]) of a causal language model at the N positions whose next
    token is a target: position t (a real token) predicts ``labels[:, t + 1]`` (the input ids, -100 at padding), as
    the model's own shifted loss does under right padding, and the same under left padding; Gemma 2's final logit soft-capping is applied where its config sets it."""
    labels = batch["labels"]
    inputs = {name: value for name, value in batch.items() if name != "labels"}
    hidden = model.base_model(**inputs).last_hidden_state[:, :-1]
    targets = labels[:, 1:]
    selected = targets != IGNORE
    if "attention_mask" in inputs:  # predicted from a real token only: under left padding the first is not a target
        selected &= inputs["attention_mask"][:, :-1].bool()
    logits = model.get_output_embeddings()(hidden[selected])
    cap = getattr(model.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return logits, targets[selected], selected.nonzero()[:, 0]


def training_loss(model: nn.Module, batch: dict[str, torch.Tensor], kind: str) -> torch.Tensor:
    """The mean loss of one batch of a task of ``kind`` (a scalar tensor; NaN for an MLM batch without targets)."""
    if kind not in ("mlm", "clm"):
        return model(**batch).loss
    logits, targets, _ = (masked_lm if kind == "mlm" else causal_lm)(model, batch)
    return F.cross_entropy(logits.float(), targets)
