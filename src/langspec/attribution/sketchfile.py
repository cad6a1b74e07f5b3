"""Sketch files: ``sketches/{task}/rep{r}/{regime}/{mask}/epoch{e}/{split}[.shard{s}].h5``.

Datasets ``uid`` [N], ``lang`` [N], ``sketch`` [N, D], ``loss`` [N] (nats),
``pred`` [N], ``label`` [N]; attributes record the sketched layers, d per
layer, the projection seed, the checkpoint and the mask, so that a score never
mixes sketches made under different projections, checkpoints or masks, and a
``checksum`` of the arrays, written last, so that a file corrupted afterwards is
refused. The training split may be cut into shards (separate files, separate
jobs; see :mod:`langspec.data.shards`), read back as one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch
from tqdm.auto import tqdm

from langspec.attribution.sketch import Sketcher
from langspec.core.atomic import atomic_path
from langspec.core.errors import LangspecError
from langspec.core.integrity import check_digest, check_finite, digest
from langspec.data.encode import Encoded, by_length, chunks
from langspec.data.shards import windows

# attributes that must agree between the train and test sketches of one score
MATCHING = ("layers", "dim", "seed", "checkpoint", "mask")
ARRAYS = ("uid", "lang", "sketch", "loss", "pred", "label")


def write_sketches(
    path: str | os.PathLike,
    sketcher: Sketcher,
    data: Encoded,
    batch_size: int,
    attrs: dict,
    dtype: str = "float32",
    rows: np.ndarray | None = None,
) -> None:
    """Sketch the ``rows`` of ``data`` (default: all; a shard: whole windows, see :func:`shard_rows`) into one file.

    ``attrs`` must hold ``checkpoint`` and ``mask`` (the single-mask name, or
    ``full``); layers, dim and seed come from the sketcher. The file records
    the row range ``start``..``stop`` of ``data`` it holds and, last, a checksum.
    """
    device = next(sketcher.model.parameters()).device
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    start = int(rows[0]) if len(rows) else 0
    if len(rows) and not np.array_equal(rows, np.arange(start, start + len(rows))):
        raise ValueError("sketch rows must be a contiguous range")
    mine = [w for w in windows(len(data), batch_size) if len(w) and start <= w[0] < start + len(rows)]
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as out:
        n, width = len(rows), sketcher.width
        sketch = np.empty((n, width), dtype=dtype)
        loss = np.zeros(n, np.float32)
        pred = np.zeros(n, np.int64)
        progress = tqdm(total=n, desc=f"sketch {Path(path).parent.name}/{Path(path).stem}", unit="ex")
        with sketcher:
            for window in mine:  # sort by length within a window (little padding)
                for batch in chunks(by_length(data, window), batch_size):
                    values, losses, preds = sketcher(data.batch(batch, device))
                    sketch[batch - start] = values.float().cpu().numpy()
                    loss[batch - start] = losses.float().cpu().numpy()
                    pred[batch - start] = preds.cpu().numpy()
                    progress.update(len(batch))
        progress.close()
        arrays = {
            "uid": data.uid[rows].astype(object), "lang": data.lang[rows].astype(object), "sketch": sketch,
            "loss": loss, "pred": pred, "label": data.label.numpy()[rows],
        }
        for name, values in arrays.items():
            if values.dtype == object:
                out.create_dataset(name, data=values, dtype=h5py.string_dtype())
            elif name == "sketch":
                out.create_dataset(name, data=values, chunks=(max(1, min(n, 256)), width))
            else:
                out[name] = values
        out.attrs.update(
            layers=json.dumps(sketcher.names),
            dim=sketcher.side**2,
            seed=sketcher.seed,
            start=start,
            stop=start + n,
            **{k: v if not isinstance(v, (list, dict)) else json.dumps(v) for k, v in attrs.items()},
        )
        out.attrs["checksum"] = digest(arrays[name] for name in ARRAYS)


@dataclass
class Sketches:
    """One split's sketches, from one file or several shard files read as one.

    The per-example arrays are concatenated in shard order; ``sketch`` rows stay
    on disk and are read in row blocks with :meth:`rows`.
    """

    paths: list[Path]
    files: list[h5py.File]
    offsets: np.ndarray  # [files + 1]: row ranges of the files
    uid: np.ndarray
    lang: np.ndarray
    loss: np.ndarray
    pred: np.ndarray
    label: np.ndarray

    @property
    def path(self) -> Path:
        """The first file (the only one unless sharded), for messages."""
        return self.paths[0]

    @property
    def attrs(self) -> dict:
        return dict(self.files[0].attrs)

    @property
    def width(self) -> int:
        """Sketch length D."""
        return int(self.files[0]["sketch"].shape[1])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def rows(self, start: int, stop: int) -> torch.Tensor:
        """Sketch rows [start, stop) as float32 [rows, D], read across shard files."""
        parts = []
        for file, low, high in zip(self.files, self.offsets[:-1], self.offsets[1:]):
            a, b = max(start, low), min(stop, high)
            if a < b:
                parts.append(file["sketch"][a - low : b - low].astype(np.float32, copy=False))
        if not parts:
            return torch.zeros((0, self.width))
        return torch.from_numpy(np.concatenate(parts) if len(parts) > 1 else parts[0])

    def close(self) -> None:
        for file in self.files:
            file.close()


def _open(path: Path) -> tuple[h5py.File, dict[str, np.ndarray]]:
    """Open one sketch file and check it: complete, checksum intact, finite."""
    try:
        file = h5py.File(path, "r")
    except (FileNotFoundError, OSError) as error:
        raise LangspecError(f"sketch file {path} cannot be read ({error.__class__.__name__})") from None
    try:
        missing = [name for name in ARRAYS if name not in file]
        if missing or any(key not in file.attrs for key in MATCHING):
            raise LangspecError(f"sketch file {path} is incomplete (missing {missing or 'attributes'})")
        try:
            arrays = {name: file[name].asstr()[:] if name in ("uid", "lang") else file[name][:] for name in ARRAYS}
        except (OSError, ValueError, UnicodeDecodeError) as error:
            raise LangspecError(f"sketch file {path} is corrupted ({error.__class__.__name__}: {error})") from None
        check_digest(f"sketch file {path}", file.attrs.get("checksum"), (arrays[name].astype(object) if name in ("uid", "lang") else arrays[name] for name in ARRAYS))
        n = len(arrays["uid"])
        if arrays["sketch"].shape != (n, arrays["sketch"].shape[1]) or any(len(arrays[k]) != n for k in ARRAYS):
            raise LangspecError(f"sketch file {path} has arrays of different lengths")
        check_finite(arrays["sketch"], f"sketch file {path}")
        check_finite(arrays["loss"], f"losses in sketch file {path}")
    except BaseException:
        file.close()
        raise
    return file, arrays


def read_sketches(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> Sketches:
    """Open a sketch file, or the shard files of one split in shard order, as one :class:`Sketches`.

    Every file is checked (complete, checksum, finite values); shards must agree
    on how they were made and cover consecutive rows.
    """
    paths = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(p) for p in paths]
    if not paths:
        raise LangspecError("no sketch files given")
    files, arrays = [], []
    try:
        for path in paths:
            file, values = _open(path)
            files.append(file)
            arrays.append(values)
        offsets = [0]
        for path, file, values in zip(paths, files, arrays):
            start = int(file.attrs.get("start", offsets[-1]))
            if start != offsets[-1]:
                raise LangspecError(f"sketch file {path} starts at row {start}, but the shards before it end at row {offsets[-1]}")
            offsets.append(offsets[-1] + len(values["uid"]))
            for key in (*MATCHING, "split"):
                if not np.array_equal(np.asarray(file.attrs.get(key)), np.asarray(files[0].attrs.get(key))):
                    raise LangspecError(f"sketch shards {paths[0]} and {path} differ in {key}")
        if "shards" in files[0].attrs and int(files[0].attrs["shards"]) != len(paths):
            raise LangspecError(f"{len(paths)} shard file(s) given but {paths[0]} says the split has {int(files[0].attrs['shards'])} shards")
    except BaseException:
        for file in files:
            file.close()
        raise
    joined = {name: np.concatenate([values[name] for values in arrays]) for name in ("uid", "lang", "loss", "pred", "label")}
    return Sketches(
        paths=paths, files=files, offsets=np.array(offsets),
        uid=joined["uid"].astype(str), lang=joined["lang"].astype(str),
        loss=joined["loss"], pred=joined["pred"], label=joined["label"],
    )


def check_counterparts(a: Sketches, b: Sketches, keys: tuple[str, ...] = MATCHING) -> None:
    """Refuse to score ``a`` against ``b`` unless they agree on ``keys``."""
    for key in keys:
        left, right = a.attrs.get(key), b.attrs.get(key)
        if not np.array_equal(np.asarray(left), np.asarray(right)):
            left, right = (v.item() if isinstance(v, np.generic) else v for v in (left, right))
            raise LangspecError(f"sketches {a.path} and {b.path} differ in {key}: {left!r} vs {right!r}")
