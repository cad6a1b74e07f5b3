"""Exact TracIn for a sample of test examples: how far the sketches are from the real thing.

For a linear layer y = W x + b the per-example gradient is G = Σ_t g_t [x_t; 1]ᵀ
(g_t = ∂L/∂y_t). The inner product of two examples' gradients is then

    ⟨G_i, G_j⟩ = Σ_t Σ_s (g_it · g_js) (x_it · x_js + 1),

so exact cosines between full per-example gradients of every sketched layer
come from two Gram matrices per layer, without ever forming G (m × n floats
per example). This module computes, for a few test examples, the exact TracIn
score against every training example (cosine of the concatenated gradients of
the same layers the sketches cover, per checkpoint, summed), always in float32,
and compares its top-k with the sketched ranking of the influence file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from langspec.attribution.sketch import select_layers
from langspec.data.encode import Encoded, by_length, chunks
from langspec.models.frozen import parameters_frozen


class _Factors:
    """Hooks that record, per sketched layer, the inputs [B, T, n] and output gradients [B, T, m] of one batch."""

    def __init__(self, model: nn.Module, patterns: list[str]) -> None:
        self.model = model
        self.layers = select_layers(model, patterns)
        self.inputs: list[torch.Tensor | None] = []
        self.grads: list[torch.Tensor | None] = []
        self._handles: list = []

    def __enter__(self) -> _Factors:
        self._handles = [linear.register_forward_hook(partial(self._forward, i)) for i, (_, linear) in enumerate(self.layers)]
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()

    def _forward(self, index: int, module: nn.Linear, args: tuple, output: torch.Tensor) -> None:
        x = args[0].detach().float()
        self.inputs[index] = x.reshape(x.shape[0], -1, x.shape[-1])
        if not output.requires_grad:
            output.requires_grad_(True)
        output.register_hook(partial(self._backward, index))

    def _backward(self, index: int, grad: torch.Tensor) -> None:
        self.grads[index] = grad.detach().float().reshape(grad.shape[0], -1, grad.shape[-1])

    @property
    def biases(self) -> list[bool]:
        """Per layer: whether it has a bias (a weight on a constant input 1, added to its input Gram)."""
        return [linear.bias is not None for _, linear in self.layers]

    def __call__(self, batch: dict[str, torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(inputs [B, T, n], output gradients [B, T, m]) per layer, for the summed per-example losses."""
        batch = dict(batch)
        labels = batch.pop("labels")
        self.inputs = [None] * len(self.layers)
        self.grads = [None] * len(self.layers)
        self.model.eval()
        with parameters_frozen(self.model):
            logits = self.model(**batch).logits.float()
            F.cross_entropy(logits, labels, reduction="sum").backward()
        return list(zip(self.inputs, self.grads))


class _Queries:
    """The test examples' factors, their tokens concatenated (no padding): per layer x [Σt, n(+1)], g [Σt, m]."""

    def __init__(self, per_example: list[list[tuple[torch.Tensor, torch.Tensor]]], biases: list[bool]) -> None:
        lengths = [[x.shape[1] for x, _ in example] for example in per_example]  # per example, per layer
        self.count = len(per_example)
        self.biases = biases
        self.layers = []
        for layer in range(len(per_example[0])):
            xs = torch.cat([example[layer][0][0] for example in per_example])
            gs = torch.cat([example[layer][1][0] for example in per_example])
            owner = torch.repeat_interleave(torch.arange(self.count), torch.tensor([length[layer] for length in lengths]))
            sums = torch.zeros(len(owner), self.count).index_put_((torch.arange(len(owner)), owner), torch.tensor(1.0))
            self.layers.append((xs, gs, sums))  # sums: [Σt, S] one-hot token -> example
        self.norms = torch.stack([_self_gram(example, biases) for example in per_example]).squeeze(1).clamp_min(1e-30).sqrt()

    def dots(self, keys: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """[S, B] inner products of the queries' full gradients with a batch's, from the factors."""
        total = None
        inputs_seen: dict[int, torch.Tensor] = {}
        for (xq, gq, sums), (xb, gb), bias in zip(self.layers, keys, self.biases):
            b, t = xb.shape[:2]
            key = (xb.data_ptr(), bias)  # q, k and v read the same input: one Gram of it serves all three
            if key not in inputs_seen:
                inputs_seen[key] = xb.reshape(b * t, -1) @ xq.T + float(bias)  # [B·T, Σt]
            product = (gb.reshape(b * t, -1) @ gq.T) * inputs_seen[key]
            part = product.view(b, t, -1).sum(1) @ sums  # [B, S]
            total = part if total is None else total + part
        return total.T


def _self_gram(factors: list[tuple[torch.Tensor, torch.Tensor]], biases: list[bool]) -> torch.Tensor:
    """[B] squared norms of each example's full gradient over all layers."""
    total = None
    for (x, g), bias in zip(factors, biases):
        part = (torch.einsum("btm,bsm->bts", g, g) * (torch.einsum("btn,bsn->bts", x, x) + float(bias))).sum(dim=(1, 2))
        total = part if total is None else total + part
    return total


def _batches(data: Encoded, rows: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    yield from chunks(by_length(data, rows), batch_size)


def exact_cosines(model: nn.Module, train: Encoded, test: Encoded, test_rows: Sequence[int], patterns: list[str],
                  batch_size: int = 16) -> np.ndarray:
    """Cosine [len(test_rows), N] between the full per-example gradients of ``test_rows`` and every training example.

    Gradients of every nn.Linear matching ``patterns`` (weights and biases), concatenated; float32.
    """
    device = next(model.parameters()).device
    test_rows = np.asarray(test_rows)
    with _Factors(model, patterns) as factors:
        queries = _Queries([factors(test.batch(np.array([row]), device)) for row in test_rows], factors.biases)
        scores = np.zeros((len(test_rows), len(train)), dtype=np.float64)
        progress = tqdm(total=len(train), desc="exact TracIn", unit="train ex")
        for rows in _batches(train, np.arange(len(train)), batch_size):
            batch = train.batch(rows, device)
            keys = factors(batch)
            mask = batch["attention_mask"].float()
            keys = [(x, g * mask[:, :, None]) if g.shape[1] == mask.shape[1] else (x, g) for x, g in keys]
            norms = _self_gram(keys, factors.biases).clamp_min(1e-30).sqrt()
            scores[:, rows] = (queries.dots(keys) / (queries.norms[:, None] * norms[None, :])).double().cpu().numpy()
            progress.update(len(rows))
        progress.close()
    return scores


def sample_rows(test_lang: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` test rows spread evenly over the languages (seeded), sorted; all rows when there are fewer."""
    if n >= len(test_lang):
        return np.arange(len(test_lang))
    rng = np.random.default_rng(seed)
    languages = list(dict.fromkeys(test_lang.tolist()))
    per = {lang: rng.permutation(np.flatnonzero(test_lang == lang)) for lang in languages}
    chosen: list[int] = []
    round_ = 0
    while len(chosen) < n:
        for lang in languages:
            if round_ < len(per[lang]) and len(chosen) < n:
                chosen.append(int(per[lang][round_]))
        round_ += 1
    return np.sort(np.array(chosen))


def compare_rankings(exact: np.ndarray, sketched_pos: np.ndarray, sketched_neg: np.ndarray, train_lang: np.ndarray,
                     languages: Sequence[str]) -> dict:
    """Top-k agreement of exact scores [S, N] with sketched top-k indices [S, k] (positive and negative).

    Returns the mean and minimum top-k overlap (fraction of the k shared) per sign
    and the largest absolute difference (pp) between exact and sketched training
    language shares, pooled over the sampled test examples, per sign.
    """
    k = sketched_pos.shape[1]
    order = np.argsort(-exact, axis=1, kind="stable")
    exact_idx = {"pos": order[:, :k], "neg": order[:, ::-1][:, :k]}
    sketched = {"pos": sketched_pos, "neg": sketched_neg}
    out = {"k": int(k), "test_examples": int(exact.shape[0])}
    for sign in ("pos", "neg"):
        overlap = np.array([len(set(a) & set(b)) / k for a, b in zip(exact_idx[sign], sketched[sign])])
        shares = {}
        for name, idx in (("exact", exact_idx[sign]), ("sketch", sketched[sign])):
            langs = train_lang[idx].ravel()
            shares[name] = np.array([100.0 * np.mean(langs == lang) for lang in languages])
        out[sign] = {
            "overlap_mean": float(overlap.mean()),
            "overlap_min": float(overlap.min()),
            "overlap_per_example": overlap.round(4).tolist(),
            "share_exact_pct": dict(zip(languages, shares["exact"].round(3).tolist())),
            "share_sketch_pct": dict(zip(languages, shares["sketch"].round(3).tolist())),
            "max_share_difference_pp": float(np.abs(shares["exact"] - shares["sketch"]).max()),
        }
    return out
