"""Neuron masks: which feed-forward neurons are a language's, their random control, and their files.

A neuron mask is a boolean array [layers, neurons], True at the language's
neurons (the ones :class:`~langspec.neurons.subnetworks.NeuronSubnetworks`
deactivates). One JSON file per language and replicate (the workflow names the
path), written atomically::

    {"format": "langspec-neuron-mask", "version": 1, "lang": ..., "kind": "lape" | "random", "seed": ...,
     "shape": [layers, neurons], "neurons": [[indices of layer 0], ...], "per_layer": [counts],
     "total": ..., "checksum": ..., ...extra attributes (thresholds, replicate, tokens)}

``checksum`` is :func:`langspec.core.integrity.digest` of the mask as a bool
array: a file edited or damaged after it was written fails where it is read,
with one line naming it. Numpy only: light steps read masks without torch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from langspec.core.atomic import write_json
from langspec.core.errors import LangspecError
from langspec.core.integrity import check_digest, digest

FORMAT = "langspec-neuron-mask"
KINDS = ("lape", "random")


def random_control(mask: np.ndarray, seed: int) -> np.ndarray:
    """A random mask with as many neurons in each layer as ``mask`` [layers, neurons] bool, drawn uniformly among
    the layer's neurons with ``numpy.random.default_rng(seed)``: the same seed gives the same mask anywhere."""
    mask = np.asarray(mask, dtype=bool)
    rng = np.random.default_rng(seed)
    out = np.zeros_like(mask)
    for layer, count in enumerate(mask.sum(axis=1).tolist()):
        out[layer, rng.choice(mask.shape[1], size=count, replace=False)] = True
    return out


def save_neuron_mask(path: str | os.PathLike, mask: np.ndarray, lang: str | None, kind: str,
                     seed: int | None = None, **extra: object) -> None:
    """Write one neuron-mask file (module docstring); ``mask`` [layers, neurons] bool, ``extra`` JSON-serialisable."""
    if kind not in KINDS:
        raise LangspecError(f"neuron mask kind '{kind}' is not one of {', '.join(KINDS)}")
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise LangspecError(f"a neuron mask is layers x neurons, not of shape {mask.shape}")
    write_json(path, {
        "format": FORMAT, "version": 1, "lang": lang, "kind": kind, "seed": seed,
        "shape": list(mask.shape),
        "neurons": [np.flatnonzero(row).tolist() for row in mask],
        "per_layer": mask.sum(axis=1).tolist(),
        "total": int(mask.sum()),
        "checksum": digest([mask]),
        **extra,
    })


def read_neuron_mask(path: str | os.PathLike, shape: tuple[int, int] | None = None) -> dict:
    """Read and check a neuron-mask file; ``shape`` (layers, neurons) is the model's, when known.

    Returns the file's content with ``mask`` a bool array [layers, neurons].
    A missing, malformed, damaged (checksum) or misshapen file is a one-line
    :class:`~langspec.core.errors.LangspecError` naming it.
    """
    path = Path(path)
    what = f"neuron mask file {path}"
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if body["format"] != FORMAT:
            raise ValueError(f"format is {body['format']!r}")
        layers, neurons = (int(n) for n in body["shape"])
        if len(body["neurons"]) != layers:
            raise ValueError(f"{len(body['neurons'])} layers of neurons, shape says {layers}")
        mask = np.zeros((layers, neurons), dtype=bool)
        for layer, indices in enumerate(body["neurons"]):
            indices = np.asarray(indices, dtype=np.int64)
            if indices.ndim != 1 or (indices.size and (indices.min() < 0 or indices.max() >= neurons)):
                raise ValueError(f"layer {layer} names neurons outside 0..{neurons - 1}")
            mask[layer, indices] = True
    except FileNotFoundError:
        raise LangspecError(f"{what} does not exist") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise LangspecError(f"{what} is not a valid neuron mask ({error})") from None
    check_digest(what, body.get("checksum"), [mask])
    if shape is not None and mask.shape != tuple(shape):
        raise LangspecError(f"{what} is {mask.shape[0]} x {mask.shape[1]} but the model has {shape[0]} layers x "
                            f"{shape[1]} feed-forward neurons")
    body["mask"] = mask
    return body
