"""Subnetwork masks: the ``masks/{task}/{name}.json`` files and masks derived from them.

Names: ``<lang>`` (pruned for that language), ``<lang>-random<s>`` (that mask
shuffled with seed s, same number of heads), ``union-<a>-<b>`` and
``intersection-<a>-<b>`` (composition, paper appendix F.1).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from .atomic import write_json
from .errors import LangspecError

KINDS = ("pruned", "random", "union", "intersection")


def save_mask(path: str | os.PathLike, mask: torch.Tensor, lang: str | None, kind: str,
              seed: int | None = None, trajectory: list[dict] | None = None, **extra: object) -> None:
    """Write a mask file: ``mask`` is [layers, heads] of 0/1."""
    assert kind in KINDS, kind
    body = {
        "mask": torch.as_tensor(mask).round().int().tolist(),
        "lang": lang,
        "kind": kind,
        "seed": seed,
        "trajectory": trajectory or [],
        "heads_total": int(torch.as_tensor(mask).numel()),
        "heads_disabled": int((torch.as_tensor(mask) == 0).sum()),
        **extra,
    }
    write_json(path, body)


def read_mask(path: str | os.PathLike, shape: tuple[int, int] | None = None) -> dict:
    """Read and check a mask file; ``shape`` (layers, heads) is the model's, when known.

    Returns the file's content with ``mask`` as a float tensor [layers, heads].
    """
    path = Path(path)
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        mask = torch.tensor(body["mask"], dtype=torch.float32)
    except FileNotFoundError:
        raise LangspecError(f"mask file {path} does not exist") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise LangspecError(f"mask file {path} is not a valid mask ({error})") from None
    if mask.ndim != 2 or not torch.isin(mask, torch.tensor([0.0, 1.0])).all():
        raise LangspecError(f"mask file {path} must hold a layers x heads list of 0/1")
    if shape is not None and tuple(mask.shape) != tuple(shape):
        raise LangspecError(
            f"mask file {path} is {mask.shape[0]} x {mask.shape[1]} but the model has "
            f"{shape[0]} layers x {shape[1]} heads"
        )
    body["mask"] = mask
    return body


def shuffled(mask: torch.Tensor, seed: int) -> torch.Tensor:
    """The mask's entries permuted with ``seed``: a random mask of the same sparsity."""
    flat = mask.flatten().numpy()
    return torch.from_numpy(np.random.default_rng(seed).permutation(flat)).view(mask.shape)


def composed(a: torch.Tensor, b: torch.Tensor, kind: str) -> torch.Tensor:
    """Union (heads enabled in either) or intersection (in both) of two masks."""
    if kind == "union":
        return torch.maximum(a, b)
    if kind == "intersection":
        return torch.minimum(a, b)
    raise LangspecError(f"mask composition '{kind}' is not 'union' or 'intersection'")


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    """Cosine similarity of two flattened binary masks (paper section 7.2)."""
    a, b = a.flatten().double(), b.flatten().double()
    return float(a @ b / (a.norm() * b.norm()).clamp_min(1e-12))
