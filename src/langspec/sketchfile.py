"""Sketch files: ``sketches/{task}/{regime}/{condition}/epoch{e}/{split}.h5``.

Datasets ``uid`` [N], ``lang`` [N], ``sketch`` [N, D], ``loss`` [N] (nats),
``pred`` [N], ``label`` [N]; attributes record the sketched layers, d per
layer, the projection seed, the checkpoint and the mask, so that a score never
mixes sketches made under different projections, checkpoints or masks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch
from tqdm.auto import tqdm

from .atomic import atomic_path
from .encode import Encoded, by_length, chunks
from .errors import LangspecError
from .sketch import Sketcher

# attributes that must agree between the train and test sketches of one score
MATCHING = ("layers", "dim", "seed", "checkpoint", "mask")
WINDOW_BATCHES = 32


def write_sketches(
    path: str | os.PathLike,
    sketcher: Sketcher,
    data: Encoded,
    batch_size: int,
    attrs: dict,
    dtype: str = "float32",
) -> None:
    """Sketch every example of ``data`` and write the file atomically.

    ``attrs`` must hold ``checkpoint`` and ``mask`` (the single-mask name, or
    ``full``); layers, dim and seed come from the sketcher.
    """
    device = next(sketcher.model.parameters()).device
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as out:
        n, width = len(data), sketcher.width
        sketch = out.create_dataset("sketch", (n, width), dtype=dtype, chunks=(min(n, 256), width))
        loss = np.zeros(n, np.float32)
        pred = np.zeros(n, np.int64)
        # sort by length within windows (little padding), write each window contiguously
        windows = list(chunks(np.arange(n), batch_size * WINDOW_BATCHES))
        progress = tqdm(total=n, desc=f"sketch {Path(path).parent.name}/{Path(path).stem}", unit="ex")
        with sketcher:
            for window in windows:
                block = np.empty((len(window), width), dtype=dtype)
                for rows in chunks(by_length(data, window), batch_size):
                    values, losses, preds = sketcher(data.batch(rows, device))
                    block[rows - window[0]] = values.float().cpu().numpy()
                    loss[rows] = losses.float().cpu().numpy()
                    pred[rows] = preds.cpu().numpy()
                    progress.update(len(rows))
                sketch[window[0] : window[-1] + 1] = block
        progress.close()
        out.create_dataset("uid", data=data.uid.astype(object), dtype=h5py.string_dtype())
        out.create_dataset("lang", data=data.lang.astype(object), dtype=h5py.string_dtype())
        out["loss"] = loss
        out["pred"] = pred
        out["label"] = data.label.numpy()
        out.attrs.update(
            layers=json.dumps(sketcher.names),
            dim=sketcher.side**2,
            seed=sketcher.seed,
            **{k: v if not isinstance(v, (list, dict)) else json.dumps(v) for k, v in attrs.items()},
        )


@dataclass
class Sketches:
    """An open sketch file; ``sketch`` stays on disk and is read in row blocks."""

    path: Path
    file: h5py.File
    uid: np.ndarray
    lang: np.ndarray
    loss: np.ndarray
    pred: np.ndarray
    label: np.ndarray

    @property
    def sketch(self) -> h5py.Dataset:
        """[N, D] on disk."""
        return self.file["sketch"]

    @property
    def attrs(self) -> dict:
        return dict(self.file.attrs)

    def rows(self, start: int, stop: int) -> torch.Tensor:
        """Sketch rows [start, stop) as float32 [rows, D]."""
        return torch.from_numpy(self.sketch[start:stop].astype(np.float32, copy=False))

    def close(self) -> None:
        self.file.close()


def read_sketches(path: str | os.PathLike) -> Sketches:
    """Open a sketch file (one-line error if it is missing or incomplete)."""
    path = Path(path)
    try:
        file = h5py.File(path, "r")
    except (FileNotFoundError, OSError) as error:
        raise LangspecError(f"sketch file {path} cannot be read ({error.__class__.__name__})") from None
    missing = [name for name in ("uid", "lang", "sketch", "loss", "pred", "label") if name not in file]
    if missing or any(key not in file.attrs for key in MATCHING):
        file.close()
        raise LangspecError(f"sketch file {path} is incomplete (missing {missing or 'attributes'})")
    return Sketches(
        path=path,
        file=file,
        uid=file["uid"].asstr()[:].astype(str),
        lang=file["lang"].asstr()[:].astype(str),
        loss=file["loss"][:],
        pred=file["pred"][:],
        label=file["label"][:],
    )


def check_counterparts(a: Sketches, b: Sketches, keys: tuple[str, ...] = MATCHING) -> None:
    """Refuse to score ``a`` against ``b`` unless they agree on ``keys``."""
    for key in keys:
        left, right = a.file.attrs.get(key), b.file.attrs.get(key)
        if not np.array_equal(np.asarray(left), np.asarray(right)):
            left, right = (v.item() if isinstance(v, np.generic) else v for v in (left, right))
            raise LangspecError(f"sketches {a.path} and {b.path} differ in {key}: {left!r} vs {right!r}")
