"""Weight-mask files: ``lth/{task}/rep{r}/{lang}/round{k}.npz`` and ``trajectory.json`` beside them.

One ``.npz`` per language and pruning round: for every pruned matrix, an entry
named by its parameter (e.g. ``bert.encoder.layer.0.attention.self.query.weight``)
holding the mask bit-packed with ``np.packbits`` (row-major, big-endian bit
order, True = kept), and one entry ``__meta__``: a JSON string with the format
name, each matrix's shape and the attributes (``sparsity``, ``round``, ``metric``,
...). No pickled objects: ``np.load(..., allow_pickle=False)`` reads it.

Reading and writing need numpy only; torch is imported where a mask is a tensor
(writing one, or reading onto a device), so reading the files for analysis
(overlap tables) does not load it.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from langspec.core.atomic import atomic_path, read_json, write_json
from langspec.core.errors import LangspecError

if TYPE_CHECKING:
    import torch

FORMAT = "langspec-weight-mask"
META = "__meta__"


def round_path(directory: str | os.PathLike, round_: int) -> Path:
    """``{directory}/round{k}.npz``."""
    return Path(directory) / f"round{round_}.npz"


def save_weight_mask(path: str | os.PathLike, mask: Mapping[str, torch.Tensor], **attrs: object) -> None:
    """Write one mask file atomically; ``attrs`` must be JSON-serialisable (sparsity is added if absent)."""
    import torch

    arrays: dict[str, np.ndarray] = {}
    shapes = {}
    kept = total = 0
    for name, value in mask.items():
        bits = value.detach().to("cpu", torch.bool).numpy()
        arrays[name] = np.packbits(bits.reshape(-1))
        shapes[name] = list(bits.shape)
        kept, total = kept + int(bits.sum()), total + bits.size
    attrs = {"sparsity": (total - kept) / max(total, 1), **attrs}
    meta = {"format": FORMAT, "version": 1, "shapes": shapes, "attrs": attrs}
    arrays[META] = np.array(json.dumps(meta))
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        np.savez_compressed(out, **arrays)


def check_shapes(mask: Mapping[str, object], expected: Mapping[str, tuple], source: str) -> None:
    """One-line error when ``mask`` (name -> array or tensor) lacks, adds or reshapes one of the ``expected`` weights."""
    missing, extra = [n for n in expected if n not in mask], [n for n in mask if n not in expected]
    if missing:
        raise LangspecError(f"{source} has no mask for the model's weight {missing[0]} ({len(missing)} missing)")
    if extra:
        raise LangspecError(f"{source} masks {extra[0]}, which is not a prunable weight of the model ({len(extra)} unknown)")
    for name, shape in expected.items():
        if tuple(mask[name].shape) != tuple(shape):
            raise LangspecError(f"{source} gives {name} the shape {tuple(mask[name].shape)} but the model's is {tuple(shape)}")


def read_weight_mask(path: str | os.PathLike, expected: Mapping[str, torch.Size | tuple] | None = None,
                     device: torch.device | str | None = "cpu") -> dict:
    """Read and check a mask file; ``expected`` maps each prunable weight's name to its shape (the model's).

    Returns the attributes with ``mask`` (name -> bool tensor on ``device``; with
    ``device=None``, name -> bool numpy array, and torch is not loaded).
    Any problem is a one-line :class:`LangspecError` naming the file.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz[META]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"format is {meta.get('format')!r}")
            mask = {}
            for name, shape in meta["shapes"].items():
                size, packed = int(np.prod(shape)), npz[name]
                if packed.dtype != np.uint8 or packed.shape != ((size + 7) // 8,):
                    raise ValueError(f"{name} holds {packed.size} bytes, not the {(size + 7) // 8} of shape {shape}")
                bits = np.unpackbits(packed, count=size)
                mask[name] = bits.astype(bool).reshape(shape)
    except FileNotFoundError:
        raise LangspecError(f"weight mask file {path} does not exist") from None
    except (OSError, KeyError, ValueError, TypeError, json.JSONDecodeError, zipfile.BadZipFile) as error:
        raise LangspecError(f"weight mask file {path} is not a valid weight mask ({error})") from None
    if expected is not None:
        check_shapes(mask, expected, f"weight mask file {path}")
    if device is not None:
        import torch

        mask = {name: torch.from_numpy(bits).to(device) for name, bits in mask.items()}
    return {**meta["attrs"], "mask": mask}


def write_trajectory(directory: str | os.PathLike, trajectory: list[dict]) -> None:
    """``{directory}/trajectory.json``: one entry per round ({round, sparsity, metric, ...}), atomically."""
    write_json(Path(directory) / "trajectory.json", trajectory)


def read_trajectory(directory: str | os.PathLike) -> list[dict]:
    """The rounds of ``{directory}/trajectory.json``; a one-line error when missing or broken."""
    path = Path(directory) / "trajectory.json"
    body = read_json(path, "pruning trajectory")
    if not isinstance(body, list) or not all(isinstance(e, dict) and {"round", "sparsity"} <= set(e) for e in body):
        raise LangspecError(f"pruning trajectory {path} must be a list of {{round, sparsity, ...}} entries")
    return body
