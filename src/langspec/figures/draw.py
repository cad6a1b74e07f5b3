"""Draw a paper figure from its spec: the files it reads, by role.

A spec holds, by role (paths are strings):

- ``tables``: label -> aggregated shares CSV (``langspec.replicates.aggregate_shares``);
- ``epochs``: label -> aggregated epoch CSV (``langspec.replicates.aggregate_epochs``);
- ``replicate_tables``: task -> [one replicate's comparison CSV, ...];
- ``replicate_epochs``: task -> [one replicate's epoch CSV, ...];
- ``masks``: task -> [{language: mask JSON}, ...], one dict per replicate
  (replicate i of the masks goes with replicate i of ``replicate_tables``);
- ``task`` / ``test_lang``: what a single-task figure draws.

Paper 003's figures (lottery tickets) are drawn by :func:`draw_lth` from a
spec that maps each role to ``task -> CSV path`` (one CSV per task with every
replicate's rows, columns in :mod:`langspec.figures.lth`), plus optional
scalars:

- ``fig2`` (tickets against sparsity): ``tickets``;
- ``fig3`` (overlap per layer): ``overlap``, optional ``sparsity`` (a fraction;
  default the smallest in each table);
- ``fig4`` (transfer heatmap): ``transfer``, optional ``sparsity`` (default the
  smallest ticket sparsity, e.g. 0.5 of 0.5 and 0.8);
- ``fig6`` (relative transfer change): ``transfer``, optional ``sparsities``
  (a list; default every ticket sparsity);
- ``fig7`` (sentence retrieval): ``retrieval``, optional ``method``
  (``margin`` or ``cosine``; default ``margin`` when present);
- ``heads`` (tickets seen as heads): ``heads``.

Example: ``draw_lth("fig4", {"transfer": {"xnli": "results/lth/xnli/transfer.csv"},
"sparsity": 0.5}, "results/figures/lth/fig4")``. Other roles and keys are
ignored, so one spec with every role can serve every figure. The tables of
paper 003 read the same spec (:func:`langspec.lthtables.write_table`).
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
            task: [{lang: read_mask(path)["mask"] for lang, path in replicate.items()}
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


#: Paper 003's figures: name -> (function in :mod:`langspec.figures`, the spec roles passed in order, optional scalars).
LTH_FIGURES = {
    "fig2": ("lth_fig2", ("tickets",), ()),
    "fig3": ("lth_fig3", ("overlap",), ("sparsity",)),
    "fig4": ("lth_fig4", ("transfer",), ("sparsity",)),
    "fig6": ("lth_fig6", ("transfer",), ("sparsities",)),
    "fig7": ("lth_fig7", ("retrieval",), ("method",)),
    "heads": ("lth_heads", ("heads",), ()),
}


def spec_roles(spec: dict, roles: tuple[str, ...], what: str) -> dict:
    """The ``roles`` of ``spec`` (role -> task -> CSV path), checked to be present and shaped so."""
    missing = [role for role in roles if role not in spec]
    if missing:
        raise LangspecError(f"the spec of {what} lacks the role(s) {', '.join(missing)}")
    for role in roles:
        paths = spec[role]
        if not isinstance(paths, dict) or not paths or not all(isinstance(p, (str, os.PathLike)) for p in paths.values()):
            raise LangspecError(f"spec role '{role}' of {what} must map each task to its CSV: one CSV path per task")
    return {role: spec[role] for role in roles}


def load_lth(spec: dict) -> dict:
    """Role -> task -> data frame, read from role -> task -> CSV path."""
    return {role: {task: pd.read_csv(path) for task, path in paths.items()} for role, paths in spec.items()}


def draw_lth(name: str, spec: dict, stem: str | os.PathLike) -> None:
    """Draw paper 003's figure ``name`` (a key of :data:`LTH_FIGURES`) from ``spec`` into ``stem``.pdf and ``stem``.png."""
    if name not in LTH_FIGURES:
        raise LangspecError(f"no lottery-ticket figure '{name}' (known: {', '.join(LTH_FIGURES)})")
    function, roles, scalars = LTH_FIGURES[name]
    loaded = load_lth(spec_roles(spec, roles, f"lottery-ticket {name}"))
    options = {key: spec[key] for key in scalars if spec.get(key) is not None}
    figure = getattr(figures, function)(*(loaded[role] for role in roles), **options)
    figures.save(figure, Path(stem))
