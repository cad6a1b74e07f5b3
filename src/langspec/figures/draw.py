"""Draw a registered figure: paper 000's from its source-data frame, paper 003's from its spec.

Paper 000's figures are drawn by :func:`draw` from the frame their entry's source function returns
(:attr:`langspec.registry.Entry.source`, in :mod:`langspec.stats.source_data.heads`, which also reads a
spec of input files: :func:`~langspec.stats.source_data.heads.from_spec`), usually read back from the
``fig{N}.data.csv`` the workflow writes beside the figure. Example::

    frame = from_spec(entry.resolve_source(), entry.roles, spec, quality, entry.scalars)
    draw(4, frame, "results/figures/fig4")

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

from langspec.figures.marks import configured
from langspec.figures.save import save
from langspec.registry import figure_000, figure_003
from langspec.stats.frames import load_lth, spec_roles
from langspec.stats.quality import learned


def draw(number: int, frame: pd.DataFrame, stem: str | os.PathLike, configured_replicates: int | None = None) -> None:
    """Draw paper 000's figure ``number`` from its source-data ``frame`` into ``stem``.pdf and ``stem``.png.

    ``configured_replicates``: how many replicates were configured (legends say "R of R' replicates learned"
    when fewer were drawn); None: not known.
    """
    with configured(configured_replicates):
        figure = figure_000(number).resolve()(frame)
    save(figure, Path(stem))


def draw_lth(name: str, spec: dict, stem: str | os.PathLike, quality: dict[str, str] | None = None) -> None:
    """Draw paper 003's figure ``name`` (a key of :data:`langspec.registry.FIGURES_003`) from ``spec`` into
    ``stem``.pdf and ``stem``.png; ``quality``: task -> its quality CSV, for legends that count the replicates
    that learned (the tables already hold only learned replicates). It still reads and analyses its inputs here:
    paper 003's figures are being moved to source-data frames (issue 32), as paper 000's have been."""
    with configured(learned(quality)[1]):
        _draw_lth(name, spec, stem)


def _draw_lth(name: str, spec: dict, stem: str | os.PathLike) -> None:
    entry = figure_003(name)
    loaded = load_lth(spec_roles(spec, entry.roles, f"lottery-ticket {name}"))
    options = {key: spec[key] for key in entry.scalars if spec.get(key) is not None}
    figure = entry.resolve()(*(loaded[role] for role in entry.roles), **options)
    save(figure, Path(stem))
