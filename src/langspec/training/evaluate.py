"""Dev and test scores, with the whole model or a subnetwork per language, for every task kind.

:func:`evaluate` is the one entry point of training and pruning: per language
the loss and the kind's metric (:mod:`langspec.training.metrics`).
:func:`predict` gives the per-example loss and label of classification, which
paper 000's stages (pruning, influence) use directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from langspec.data.encode import Encoded, by_length, chunks
from langspec.data.masking import IGNORE
from langspec.training.metrics import f1, span_counts
from langspec.training.objective import causal_lm, masked_lm
from langspec.training.subnetworks import Subnetworks


def _batches(model: torch.nn.Module, data: Encoded, rows: np.ndarray, batch_size: int,
             subnetworks: Subnetworks | None) -> Iterator[tuple[np.ndarray, dict[str, torch.Tensor], torch.Tensor]]:
    """(row indices [B], inputs, labels) of ``rows`` in length-sorted batches on the model's device.

    With ``subnetworks`` the rows go language by language, each under its
    language's subnetwork (the whole model where it has none), and the
    subnetworks are left at the whole model afterwards.
    """
    device = next(model.parameters()).device
    groups = ({None: rows} if subnetworks is None
              else {lang: rows[data.lang[rows] == lang] for lang in np.unique(data.lang[rows])})
    for lang, group in groups.items():
        if subnetworks is not None:
            subnetworks.use(lang if subnetworks.has(lang) else None)
        for batch_rows in chunks(by_length(data, group), batch_size):
            batch = data.batch(batch_rows, device)
            labels = batch.pop("labels")
            yield batch_rows, batch, labels
    if subnetworks is not None:
        subnetworks.use(None)


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    data: Encoded,
    batch_size: int,
    rows: np.ndarray | None = None,
    subnetworks: Subnetworks | None = None,
) -> dict[str, dict]:
    """Per language of the scored ``rows`` (default: all): ``loss`` (nats), ``n`` and the kind's metric.

    classification: ``accuracy``; text-to-text: ``accuracy`` of the generated label word (exact match) and
    ``loss`` the teacher-forced loss of the gold word; mlm: ``perplexity`` (exp of the mean loss over
    the masked tokens of the fixed evaluation masks) and ``tokens``; clm: the same over every next-token
    prediction (a decoder's causal language modelling);
    token-classification: ``f1``, ``precision``, ``recall`` and the span counts
    ``tp``, ``predicted``, ``gold``, ``loss`` the mean over labelled tokens.
    ``subnetworks``: as :func:`predict`.
    """
    if data.kind in ("classification", "text-to-text"):
        return language_metrics(data, *predict(model, data, batch_size, rows, subnetworks), rows)
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    if data.kind in ("mlm", "clm"):
        return lm_metrics(data, *lm_row_losses(model, data, batch_size, rows, subnetworks), rows)
    model.eval()
    loss_sum = np.zeros(len(data))
    tokens = np.zeros(len(data), dtype=np.int64)
    gold: dict[int, list[int]] = {}
    pred: dict[int, list[int]] = {}
    for batch_rows, batch, labels in _batches(model, data, rows, batch_size, subnetworks):
        logits = model(**batch).logits.float()
        losses = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=IGNORE, reduction="none")
        scored = labels != IGNORE
        loss_sum[batch_rows] = losses.sum(1).cpu().numpy()
        tokens[batch_rows] = scored.sum(1).cpu().numpy()
        guess = logits.argmax(-1)  # token classification: the labelled tokens' tags
        for r, i in enumerate(batch_rows):
            gold[i], pred[i] = labels[r][scored[r]].tolist(), guess[r][scored[r]].tolist()
    names = model.config.id2label
    out = {}
    langs = data.lang[rows]
    for lang in dict.fromkeys(langs.tolist()):
        mine = rows[langs == lang]
        count = int(tokens[mine].sum())
        loss = float(loss_sum[mine].sum() / count) if count else float("nan")
        counts = span_counts([[names[t] for t in gold[i]] for i in mine], [[names[t] for t in pred[i]] for i in mine])
        out[lang] = {"loss": loss, "n": len(mine)} | f1(counts) | counts
    return out


@torch.no_grad()
def lm_row_losses(
    model: torch.nn.Module,
    data: Encoded,
    batch_size: int,
    rows: np.ndarray | None = None,
    subnetworks: Subnetworks | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Masked or causal language modelling: per scored row [len(rows)], the summed loss (nats) over its scored
    tokens (the fixed evaluation masks, or every next token) and their number; the LM head on those positions only.
    ``subnetworks``: as :func:`predict`."""
    model.eval()
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    loss_sum = np.zeros(len(data))
    tokens = np.zeros(len(data), dtype=np.int64)
    for batch_rows, batch, labels in _batches(model, data, rows, batch_size, subnetworks):
        logits, targets, row = (masked_lm if data.kind == "mlm" else causal_lm)(model, {**batch, "labels": labels})
        losses = F.cross_entropy(logits.float(), targets, reduction="none")
        sums = torch.zeros(len(batch_rows), dtype=torch.float64, device=losses.device)
        loss_sum[batch_rows] = sums.index_add_(0, row, losses.double()).cpu().numpy()
        tokens[batch_rows] = torch.bincount(row, minlength=len(batch_rows)).cpu().numpy()
    return loss_sum[rows], tokens[rows]


def lm_metrics(data: Encoded, loss_sum: np.ndarray, tokens: np.ndarray, rows: np.ndarray | None = None) -> dict[str, dict]:
    """Per language of the scored ``rows``: ``loss`` (nats per scored token), ``perplexity``, ``tokens`` and ``n``,
    from :func:`lm_row_losses`' per-row sums and counts (aligned with ``rows``)."""
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    langs = data.lang[rows]
    out = {}
    for lang in dict.fromkeys(langs.tolist()):
        mine = langs == lang
        count = int(tokens[mine].sum())
        loss = float(loss_sum[mine].sum() / count) if count else float("nan")
        out[lang] = {"loss": loss, "n": int(mine.sum()), "perplexity": float(np.exp(loss)), "tokens": count}
    return out


@torch.no_grad()
def predict(
    model: torch.nn.Module,
    data: Encoded,
    batch_size: int,
    rows: np.ndarray | None = None,
    subnetworks: Subnetworks | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-entropy loss [N] (nats) and predicted label [N] for ``rows`` (default: all).

    Text-to-text: the loss is the mean over the gold target's tokens (teacher
    forced); the prediction is the label whose word (then end-of-sequence) the
    model generates greedily, exactly, and -1 where it generates none of them. With ``subnetworks`` each example is scored under its language's subnetwork
    (a shared one scores every language); languages without one use the whole
    model. The subnetworks are left at the whole model afterwards.
    """
    model.eval()
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    loss = np.zeros(len(data), dtype=np.float64)
    pred = np.zeros(len(data), dtype=np.int64)
    for batch_rows, batch, labels in _batches(model, data, rows, batch_size, subnetworks):
        if data.kind == "text-to-text":
            loss[batch_rows], pred[batch_rows] = _generate(model, batch, labels, data.choices)
            continue
        logits = model(**batch).logits.float()
        loss[batch_rows] = F.cross_entropy(logits, labels, reduction="none").cpu().numpy()
        pred[batch_rows] = logits.argmax(-1).cpu().numpy()
    return loss[rows], pred[rows]


def _generate(model: torch.nn.Module, batch: dict[str, torch.Tensor], labels: torch.Tensor,
              choices: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    """Text-to-text: per example the mean teacher-forced loss of the gold target [B] and the generated label [B] (-1: none)."""
    logits = model(**batch, labels=labels).logits.float()
    losses = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=IGNORE, reduction="none")
    loss = (losses.sum(1) / (labels != IGNORE).sum(1).clamp(min=1)).cpu().numpy()
    generated = model.generate(**batch, max_new_tokens=max(len(c) for c in choices), do_sample=False, num_beams=1)
    return loss, generated_labels(generated[:, 1:].cpu(), choices)


def generated_labels(generated: torch.Tensor, choices: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """The label whose target ids (word, then end-of-sequence) each generated sequence [B, n] (decoder start
    removed) begins with, up to its first end-of-sequence inclusive; -1 where it matches no label's target."""
    index = {choice: i for i, choice in enumerate(choices)}
    eos = choices[0][-1]
    out = np.full(len(generated), -1, dtype=np.int64)
    for r, ids in enumerate(generated.tolist()):
        cut = ids[: ids.index(eos) + 1] if eos in ids else ids
        out[r] = index.get(tuple(cut), -1)
    return out


def language_metrics(data: Encoded, loss: np.ndarray, pred: np.ndarray, rows: np.ndarray | None = None) -> dict[str, dict]:
    """Mean loss, accuracy and count per language for the scored ``rows`` (default: all)."""
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    langs = data.lang[rows]
    correct = pred == data.label.numpy()[rows]
    return {
        lang: {
            "loss": float(loss[langs == lang].mean()),
            "accuracy": float(correct[langs == lang].mean()),
            "n": int((langs == lang).sum()),
        }
        for lang in dict.fromkeys(langs.tolist())
    }


def at_chance(metrics: dict[str, dict], num_labels: int) -> list[str]:
    """Languages at the level of a model that learned nothing.

    Classification: accuracy within two binomial standard errors of chance
    (1 / num_labels); token classification: entity F1 of 0 (what a tagger that
    says O everywhere scores). Masked language modelling has no chance level
    (perplexity is compared with the untrained model's instead): none.
    ``metrics`` is :func:`evaluate`'s output. A model at chance has learned
    nothing; every result computed from it (masks, influence, shares) is noise.
    """
    if any("f1" in m for m in metrics.values()):
        return [lang for lang, m in metrics.items() if m["f1"] == 0]
    if any("accuracy" not in m for m in metrics.values()):
        return []
    chance = 1.0 / num_labels
    return [
        lang for lang, m in metrics.items()
        if m["accuracy"] <= chance + 2 * np.sqrt(chance * (1 - chance) / max(m["n"], 1))
    ]
