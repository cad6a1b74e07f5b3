"""Draw a paper figure from its spec: the files it reads, by role.

A spec holds ``tables`` (label -> comparison CSV from the shares stage),
``epochs`` (label -> per-checkpoint shares CSV), ``masks`` (task -> language ->
mask file), and the ``task`` / ``test_lang`` a single-task figure draws.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .. import figures
from ..masks import read_mask

# figure number -> the spec roles passed to figN, in order
ARGUMENTS = {
    **{n: ("tables",) for n in (2, 4, 5, 6, 11, 19)},
    3: ("tables", "test_lang", "task"),
    7: ("epochs",),
    **{n: ("masks", "tables") for n in (8, 9, 16)},
    **{n: ("epochs", "task") for n in (10, 17, 18)},
    12: ("masks",),
    **{n: ("masks", "task") for n in (13, 14, 15)},
}


def load(spec: dict) -> dict:
    """The spec with its files read: CSVs as data frames, masks as [layers, heads] arrays."""
    loaded = dict(spec)
    for role in ("tables", "epochs"):
        if role in spec:
            loaded[role] = {label: pd.read_csv(path) for label, path in spec[role].items()}
    if "masks" in spec:
        loaded["masks"] = {
            task: {lang: read_mask(path)["mask"].numpy() for lang, path in per_task.items()}
            for task, per_task in spec["masks"].items()
        }
    return loaded


def draw(number: int, spec: dict, stem: str | os.PathLike) -> None:
    """Draw figure ``number`` from ``spec`` into ``stem``.pdf and ``stem``.png."""
    loaded = load(spec)
    figure = getattr(figures, f"fig{number}")(*(loaded[role] for role in ARGUMENTS[number]))
    figures.save(figure, Path(stem))
