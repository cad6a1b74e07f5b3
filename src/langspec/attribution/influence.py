"""Influence files: ``influence/{task}/rep{r}/{regime}/{condition}.h5``, the top-k TracIn scores per test example.

:class:`Influence` holds what :func:`langspec.attribution.tracin.tracin` computes: for each
test example, the k most positively and k most negatively influential training
examples with their scores. :func:`write_influence` writes it atomically with a
checksum, :func:`read_influence` reads it back checked. Reading needs only h5py
and numpy, so the analysis steps (shares, tables, figures) never load torch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from langspec.core.atomic import atomic_path
from langspec.core.errors import LangspecError
from langspec.core.integrity import check_digest, check_finite, digest

STRINGS = ("test_uid", "test_lang", "train_uid", "train_lang")
ARRAYS = ("test_label", "test_pred", "correct", "pos_idx", "pos_score", "neg_idx", "neg_score", "epoch_correct")


@dataclass
class Influence:
    """Top-k influence of training examples on each test example.

    ``pos_idx``/``pos_score`` [T, k] are the most positive (descending),
    ``neg_idx``/``neg_score`` [T, k] the most negative (ascending); indices
    point into ``train_uid``. ``epoch_*`` hold the same per checkpoint [E, T, k]
    when asked for, and ``epoch_correct`` [E, T] the correctness at each.
    ``test_label`` [T] is the gold label and ``test_pred`` [T] the prediction at
    the last checkpoint, under the test example's mask.
    """

    test_uid: np.ndarray
    test_lang: np.ndarray
    test_label: np.ndarray
    test_pred: np.ndarray
    train_uid: np.ndarray
    train_lang: np.ndarray
    correct: np.ndarray
    pos_idx: np.ndarray
    pos_score: np.ndarray
    neg_idx: np.ndarray
    neg_score: np.ndarray
    epoch_correct: np.ndarray
    epoch: dict[str, np.ndarray] = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)


def _ordered(influence: Influence) -> list[np.ndarray]:
    """Every array of an influence file in a fixed order (what its checksum covers)."""
    return ([getattr(influence, name).astype(object) for name in STRINGS] + [getattr(influence, name) for name in ARRAYS]
            + [influence.epoch[name] for name in sorted(influence.epoch)])


def write_influence(path: str | os.PathLike, influence: Influence) -> None:
    """Write an influence file atomically (datasets per the artifact contract, plus languages), checksum last."""
    strings = h5py.string_dtype()
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as out:
        for name in STRINGS:
            out.create_dataset(name, data=getattr(influence, name).astype(object), dtype=strings)
        for name in ARRAYS:
            out[name] = getattr(influence, name)
        for name, values in influence.epoch.items():
            out[f"epoch_{name}"] = values
        out.attrs.update(influence.attrs)
        out.attrs["checksum"] = digest(_ordered(influence))


def read_influence(path: str | os.PathLike) -> Influence:
    """Read an influence file back, checked: checksum, shapes, finite scores, indices in range, order of scores."""
    path = Path(path)
    try:
        with h5py.File(path, "r") as file:
            strings = {name: file[name].asstr()[:].astype(str) for name in STRINGS}
            arrays = {name: file[name][:] for name in ARRAYS}
            epoch = {name[len("epoch_"):]: file[name][:] for name in file if name.startswith("epoch_") and name != "epoch_correct"}
            attrs = dict(file.attrs)
    except (FileNotFoundError, OSError, KeyError, ValueError, UnicodeDecodeError) as error:
        raise LangspecError(f"influence file {path} cannot be read ({error.__class__.__name__}: {error})") from None
    checksum = attrs.pop("checksum", None)
    influence = Influence(**strings, **arrays, epoch=epoch, attrs=attrs)
    check_digest(f"influence file {path}", checksum, _ordered(influence))
    t, n = len(influence.test_uid), len(influence.train_uid)
    for name in ("pos", "neg"):
        idx, score = getattr(influence, f"{name}_idx"), getattr(influence, f"{name}_score")
        if idx.shape != score.shape or idx.shape[0] != t:
            raise LangspecError(f"influence file {path}: {name}_idx {idx.shape} and {name}_score {score.shape} do not match {t} test examples")
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise LangspecError(f"influence file {path}: {name}_idx points outside the {n} training examples")
        check_finite(score, f"influence file {path} ({name}_score)")
    if len(influence.test_lang) != t or len(influence.correct) != t or len(influence.train_lang) != n:
        raise LangspecError(f"influence file {path}: per-example arrays do not match {t} test and {n} training examples")
    return influence
