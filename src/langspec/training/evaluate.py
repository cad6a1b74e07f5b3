"""Per-example loss and prediction, with the whole model or a subnetwork per language."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from langspec.data.encode import Encoded, by_length, chunks
from langspec.training.subnetworks import Subnetworks


@torch.no_grad()
def predict(
    model: torch.nn.Module,
    data: Encoded,
    batch_size: int,
    rows: np.ndarray | None = None,
    subnetworks: Subnetworks | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-entropy loss [N] (nats) and predicted label [N] for ``rows`` (default: all).

    With ``subnetworks`` each example is scored under its language's subnetwork
    (a shared one scores every language); languages without one use the whole
    model. The subnetworks are left at the whole model afterwards.
    """
    model.eval()
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    device = next(model.parameters()).device
    loss = np.zeros(len(data), dtype=np.float64)
    pred = np.zeros(len(data), dtype=np.int64)
    if subnetworks is None:
        groups = {None: rows}
    else:
        groups = {lang: rows[data.lang[rows] == lang] for lang in np.unique(data.lang[rows])}
    for lang, group in groups.items():
        if subnetworks is not None:
            subnetworks.use(lang if subnetworks.has(lang) else None)
        for batch_rows in chunks(by_length(data, group), batch_size):
            batch = data.batch(batch_rows, device)
            labels = batch.pop("labels")
            logits = model(**batch).logits.float()
            loss[batch_rows] = F.cross_entropy(logits, labels, reduction="none").cpu().numpy()
            pred[batch_rows] = logits.argmax(-1).cpu().numpy()
    if subnetworks is not None:
        subnetworks.use(None)
    return loss[rows], pred[rows]


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
    """Languages whose accuracy is within two binomial standard errors of chance (1 / num_labels).

    ``metrics`` is :func:`language_metrics`'s output. A model at chance has learned
    nothing; every result computed from it (masks, influence, shares) is noise.
    """
    chance = 1.0 / num_labels
    return [
        lang for lang, m in metrics.items()
        if m["accuracy"] <= chance + 2 * np.sqrt(chance * (1 - chance) / max(m["n"], 1))
    ]
