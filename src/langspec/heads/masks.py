"""Subnetwork masks: the ``masks/{task}/{name}.json`` files and masks derived from them.

Names: ``<lang>`` (pruned for that language), ``<lang>-random<s>`` (that mask
shuffled with seed s, same number of heads), ``union-<a>-<b>`` and
``intersection-<a>-<b>`` (composition, paper appendix F.1).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from langspec.core.atomic import write_json
from langspec.core.errors import LangspecError

if TYPE_CHECKING:  # the layout module loads torch; light steps read masks without it
    from langspec.models.layout import HeadLayout

KINDS = ("pruned", "random", "union", "intersection")


def save_mask(path: str | os.PathLike, mask: np.ndarray, lang: str | None, kind: str,
              seed: int | None = None, trajectory: list[dict] | None = None, **extra: object) -> None:
    """Write a mask file: ``mask`` is [layers, heads] of 0/1 (a numpy array, or a CPU tensor)."""
    assert kind in KINDS, kind
    mask = np.asarray(mask)
    body = {
        "mask": np.rint(mask).astype(int).tolist(),
        "lang": lang,
        "kind": kind,
        "seed": seed,
        "trajectory": trajectory or [],
        "heads_total": int(mask.size),
        "heads_disabled": int((mask == 0).sum()),
        **extra,
    }
    write_json(path, body)


def read_mask(path: str | os.PathLike, shape: tuple[int, int] | HeadLayout | None = None) -> dict:
    """Read and check a mask file; ``shape`` (layers, heads) is the model's, when known, or its
    :class:`~langspec.models.layout.HeadLayout` (then a mask over a grouped-query model's key/value heads is named as
    such: head masks gate query heads).

    Returns the file's content with ``mask`` as a float32 numpy array [layers, heads]
    (``torch.as_tensor`` turns it into a tensor where a model needs one).
    """
    path = Path(path)
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        mask = np.asarray(body["mask"], dtype=np.float32)
    except FileNotFoundError:
        raise LangspecError(f"mask file {path} does not exist") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise LangspecError(f"mask file {path} is not a valid mask ({error})") from None
    if mask.ndim != 2 or not np.isin(mask, (0.0, 1.0)).all():
        raise LangspecError(f"mask file {path} must hold a layers x heads list of 0/1")
    if hasattr(shape, "check_mask_shape"):  # a HeadLayout
        shape.check_mask_shape(tuple(mask.shape), f"mask file {path}")
    elif shape is not None and tuple(mask.shape) != tuple(shape):
        raise LangspecError(
            f"mask file {path} is {mask.shape[0]} x {mask.shape[1]} but the model has "
            f"{shape[0]} layers x {shape[1]} heads"
        )
    body["mask"] = mask
    return body


def shuffled(mask: np.ndarray, seed: int) -> np.ndarray:
    """The mask's entries permuted with ``seed``: a random mask of the same sparsity."""
    mask = np.asarray(mask)
    return np.random.default_rng(seed).permutation(mask.ravel()).reshape(mask.shape)


def composed(a: np.ndarray, b: np.ndarray, kind: str) -> np.ndarray:
    """Union (heads enabled in either) or intersection (in both) of two masks."""
    if kind == "union":
        return np.maximum(a, b)
    if kind == "intersection":
        return np.minimum(a, b)
    raise LangspecError(f"mask composition '{kind}' is not 'union' or 'intersection'")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two flattened binary masks (paper section 7.2)."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))
