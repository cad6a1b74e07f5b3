"""Draw a paper figure from its spec: the files it reads, by role.

A spec holds, by role (paths are strings):

- ``tables``: label -> aggregated shares CSV (``langspec.stats.replicates.aggregate_shares``);
- ``epochs``: label -> aggregated epoch CSV (``langspec.stats.replicates.aggregate_epochs``);
- ``replicate_tables``: task -> [one replicate's comparison CSV, ...];
- ``replicate_epochs``: task -> [one replicate's epoch CSV, ...];
- ``masks``: task -> [{language: mask JSON}, ...], one dict per replicate
  (replicate i of the masks goes with replicate i of ``replicate_tables``);
- ``task`` / ``test_lang``: what a single-task figure draws.

Paper 003's figures (lottery tickets) are drawn by :func:`draw_lth` from a
spec that maps each role to ``task -> CSV path`` (one CSV per task with every
replicate's rows, columns in :mod:`langspec.figures.tickets`), plus optional
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
paper 003 read the same spec (:func:`langspec.tables.tickets.write_table`). Which roles each
figure reads, and which function draws it, is :mod:`langspec.registry`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from langspec.core.errors import LangspecError
from langspec.figures.marks import configured
from langspec.figures.save import save
from langspec.heads.masks import read_mask
from langspec.registry import figure_000, figure_003
from langspec.stats.frames import load_lth, spec_roles
from langspec.stats.quality import keep_in, learned


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


def draw(number: int, spec: dict, stem: str | os.PathLike, quality: dict[str, str] | None = None) -> None:
    """Draw figure ``number`` from ``spec`` into ``stem``.pdf and ``stem``.png.

    ``quality``: task -> its quality CSV; the per-replicate files of replicates that did not learn are left
    out, and legends say how many of the configured replicates learned.
    """
    kept, total = learned(quality)
    with configured(total):
        _draw(number, keep_in(spec, kept), stem)


def _draw(number: int, spec: dict, stem: str | os.PathLike) -> None:
    entry = figure_000(number)
    missing = [role for role in entry.roles if role not in spec]
    if missing:
        raise LangspecError(f"the spec of fig{number} lacks the role(s) {', '.join(missing)}")
    loaded = load(spec)
    figure = entry.resolve()(*(loaded[role] for role in entry.roles))
    save(figure, Path(stem))


def draw_lth(name: str, spec: dict, stem: str | os.PathLike, quality: dict[str, str] | None = None) -> None:
    """Draw paper 003's figure ``name`` (a key of :data:`langspec.registry.FIGURES_003`) from ``spec`` into
    ``stem``.pdf and ``stem``.png; ``quality`` as :func:`draw` (the tables already hold only learned replicates)."""
    with configured(learned(quality)[1]):
        _draw_lth(name, spec, stem)


def _draw_lth(name: str, spec: dict, stem: str | os.PathLike) -> None:
    entry = figure_003(name)
    loaded = load_lth(spec_roles(spec, entry.roles, f"lottery-ticket {name}"))
    options = {key: spec[key] for key in entry.scalars if spec.get(key) is not None}
    figure = entry.resolve()(*(loaded[role] for role in entry.roles), **options)
    save(figure, Path(stem))
