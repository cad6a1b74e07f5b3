"""Parallel sentence retrieval with lottery tickets as feature extractors (paper 003, figure 7; appendix E).

A sentence is the mean of its token embeddings (padding excluded) at each layer's
output (layer 0 = the embeddings), computed under a ticket's masked forward.
Each source sentence retrieves among all target sentences; it is correct at
top-k when its translation is among the k best. Scores are cosine, or the ratio
margin of Artetxe and Schwenk (2019) as LASER uses it::

    margin(x, y) = cos(x, y) / ( Σ_{z ∈ NN_k(x)} cos(x, z) / 2k + Σ_{z ∈ NN_k(y)} cos(y, z) / 2k )

with NN_k(x) the k nearest target sentences of source x, NN_k(y) the k nearest
source sentences of target y, and k = 4. The margin discounts "hub" sentences
that are close to everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from langspec.core.errors import LangspecError
from langspec.data.encode import Encoded, by_length, chunks
from langspec.tickets.masks import WeightSubnetworks

METHODS = ("margin", "cosine")
#: How a sentence embedding is read from its token embeddings.
POOLINGS = ("mean", "first")


def parallel_pairs(data: Encoded, source: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows (source, target) of the items both languages have, matched by uid ``{item}-{lang}``, in item order."""
    def items(lang: str) -> dict[str, int]:
        rows = data.indices(lang)
        suffix = f"-{lang}"
        return {uid[: -len(suffix)]: int(r) for uid, r in zip(data.uid[rows], rows) if uid.endswith(suffix)}

    a, b = items(source), items(target)
    shared = sorted(set(a) & set(b))
    if not shared:
        raise LangspecError(f"no parallel items between '{source}' and '{target}' (uids are matched as {{item}}-{{lang}})")
    return np.array([a[i] for i in shared]), np.array([b[i] for i in shared])


def layer_embeddings(
    model: torch.nn.Module,
    data: Encoded,
    batch_size: int,
    mask: Mapping[str, torch.Tensor] | None = None,
    rows: np.ndarray | None = None,
    pooling: str = "mean",
) -> np.ndarray:
    """Sentence embeddings [layers + 1, N, hidden] (float32) of ``rows`` (default: all), in row order.

    ``pooling``: ``mean`` of the token embeddings (padding excluded) or the
    ``first`` token's ([CLS] in BERT). With ``mask`` the forward pass uses the
    ticket W ⊙ M (the weights are left as they are).
    """
    return layer_poolings(model, data, batch_size, mask, rows, (pooling,))[pooling]


@torch.no_grad()
def layer_poolings(
    model: torch.nn.Module,
    data: Encoded,
    batch_size: int,
    mask: Mapping[str, torch.Tensor] | None = None,
    rows: np.ndarray | None = None,
    poolings: Sequence[str] = POOLINGS,
) -> dict[str, np.ndarray]:
    """Pooling -> sentence embeddings [layers + 1, N, hidden] (float32), every pooling from one forward pass.

    As :func:`layer_embeddings`. Only the encoder runs (``model.base_model``): a
    task head, an MLM head's projection onto the vocabulary included, is not
    needed for the hidden states.
    """
    unknown = [p for p in poolings if p not in POOLINGS]
    if unknown or not poolings:
        raise LangspecError(f"unknown pooling {unknown or poolings!r}; choose among {', '.join(POOLINGS)}")
    model.eval()
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    position = {int(r): i for i, r in enumerate(rows)}
    device = next(model.parameters()).device
    subnetworks = WeightSubnetworks.single(model, mask) if mask is not None else None
    out: dict[str, np.ndarray] = {}
    try:
        if subnetworks is not None:
            subnetworks.use("*")
        for batch_rows in tqdm(list(chunks(by_length(data, rows), batch_size)), desc="embed", unit="batch"):
            batch = data.batch(batch_rows, device)
            batch.pop("labels")
            hidden = model.base_model(**batch, output_hidden_states=True).hidden_states  # (layers + 1) x [B, T, H]
            weights = batch["attention_mask"].unsqueeze(-1).float()  # [B, T, 1]
            for pooling in poolings:
                if pooling == "first":
                    pooled = torch.stack([h[:, 0].float() for h in hidden])  # [L + 1, B, H]
                else:
                    pooled = torch.stack([(h.float() * weights).sum(1) / weights.sum(1) for h in hidden])
                if pooling not in out:
                    out[pooling] = np.zeros((pooled.shape[0], len(rows), pooled.shape[2]), dtype=np.float32)
                out[pooling][:, [position[int(r)] for r in batch_rows]] = pooled.cpu().numpy()
    finally:
        if subnetworks is not None:
            subnetworks.remove()
    if not out:
        raise LangspecError("no sentences to embed")
    return out


def _normalized(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def scores(source: np.ndarray, target: np.ndarray, method: str = "margin", k: int = 4) -> np.ndarray:
    """Retrieval scores [N_source, N_target] of two sets of sentence embeddings."""
    if method not in METHODS:
        raise LangspecError(f"retrieval method '{method}' is not one of {', '.join(METHODS)}")
    cos = _normalized(source) @ _normalized(target).T
    if method == "cosine":
        return cos
    k_x, k_y = min(k, cos.shape[1]), min(k, cos.shape[0])
    near_x = -np.sort(-cos, axis=1)[:, :k_x].sum(1) / (2 * k_x)  # [N_source]: Σ over the k nearest targets / 2k
    near_y = -np.sort(-cos, axis=0)[:k_y, :].sum(0) / (2 * k_y)  # [N_target]: Σ over the k nearest sources / 2k
    return cos / (near_x[:, None] + near_y[None, :])


def retrieval_accuracy(source: np.ndarray, target: np.ndarray, method: str = "margin", k: int = 4,
                       top: Sequence[int] = (1, 5)) -> dict:
    """Top-k accuracy of retrieving row i of ``target`` for row i of ``source`` ([N, H] each).

    Ties count against the query (a translation tied with another candidate is
    ranked after it). Returns ``method`` (e.g. ``margin-ratio-k4``), ``n`` and ``top{k}`` per k.
    """
    if source.shape[0] != target.shape[0]:
        raise LangspecError(f"retrieval needs aligned pairs: {source.shape[0]} source vs {target.shape[0]} target sentences")
    s = scores(source, target, method, k)
    truth = np.diag(s)
    rank = (s >= truth[:, None]).sum(1)  # 1 = retrieved first; ties with others push the answer down
    name = f"margin-ratio-k{k}" if method == "margin" else "cosine"
    return {"method": name, "n": int(len(truth)), **{f"top{t}": float((rank <= t).mean()) for t in top}}


def retrieval_by_layer(source: np.ndarray, target: np.ndarray, method: str = "margin", k: int = 4,
                       top: Sequence[int] = (1, 5)) -> pd.DataFrame:
    """:func:`retrieval_accuracy` at every layer of [layers + 1, N, H] embeddings: columns layer, method, n, top1, top5."""
    return pd.DataFrame([{"layer": layer, **retrieval_accuracy(source[layer], target[layer], method, k, top)}
                         for layer in range(source.shape[0])])
