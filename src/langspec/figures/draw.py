"""Draw a paper figure from its spec: the files it reads, by role.

A spec holds, by role (paths are strings):

- ``tables``: label -> aggregated shares CSV (``langspec.replicates.aggregate_shares``);
- ``epochs``: label -> aggregated epoch CSV (``langspec.replicates.aggregate_epochs``);
- ``replicate_tables``: task -> [one replicate's comparison CSV, ...];
- ``replicate_epochs``: task -> [one replicate's epoch CSV, ...];
- ``masks``: task -> [{language: mask JSON}, ...], one dict per replicate
  (replicate i of the masks goes with replicate i of ``replicate_tables``);
- ``task`` / ``test_lang``: what a single-task figure draws.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .. import figures
from ..errors import LangspecError
from ..masks import read_mask

# figure number -> the spec roles passed to figN, in order
ARGUMENTS = {
    **{n: ("tables",) for n in (2, 4, 5, 6, 11, 19)},
    3: ("tables", "test_lang", "task"),
    7: ("replicate_epochs",),
    **{n: ("masks", "replicate_tables") for n in (8, 9, 16)},
    **{n: ("epochs", "task") for n in (10, 17, 18)},
    12: ("masks",),
    **{n: ("masks", "task") for n in (13, 14, 15)},
}


def _per_replicate(items, role: str, label: str) -> list:
    """The list of one label's replicate entries, or a one-line error."""
    if isinstance(items, (str, bytes, dict)) or not isinstance(items, (list, tuple)) or not items:
        raise LangspecError(f"spec role '{role}' of '{label}' must be a non-empty list with one entry per replicate")
    return list(items)


def load(spec: dict) -> dict:
    """The spec with its files read: CSVs as data frames, masks as [layers, heads] arrays."""
    loaded = dict(spec)
    for role in ("tables", "epochs"):
        if role in spec:
            loaded[role] = {label: pd.read_csv(path) for label, path in spec[role].items()}
    for role in ("replicate_tables", "replicate_epochs"):
        if role in spec:
            loaded[role] = {label: [pd.read_csv(path) for path in _per_replicate(paths, role, label)]
                            for label, paths in spec[role].items()}
    if "masks" in spec:
        loaded["masks"] = {
            task: [{lang: read_mask(path)["mask"].numpy() for lang, path in replicate.items()}
                   for replicate in _per_replicate(per_task, "masks", task)]
            for task, per_task in spec["masks"].items()
        }
    return loaded


def draw(number: int, spec: dict, stem: str | os.PathLike) -> None:
    """Draw figure ``number`` from ``spec`` into ``stem``.pdf and ``stem``.png."""
    missing = [role for role in ARGUMENTS[number] if role not in spec]
    if missing:
        raise LangspecError(f"the spec of fig{number} lacks the role(s) {', '.join(missing)}")
    loaded = load(spec)
    figure = getattr(figures, f"fig{number}")(*(loaded[role] for role in ARGUMENTS[number]))
    figures.save(figure, Path(stem))
