"""Draw a registered figure of either paper from its source-data frame.

Paper 000's figures are drawn by :func:`draw` from the frame their entry's source function returns
(:attr:`langspec.registry.Entry.source`, in :mod:`langspec.stats.source_data.heads`, which also reads a
spec of input files: :func:`~langspec.stats.source_data.heads.from_spec`), usually read back from the
``fig{N}.data.csv`` the workflow writes beside the figure. Example::

    frame = from_spec(entry.resolve_source(), entry.roles, spec, quality, entry.scalars)
    draw(4, frame, "results/figures/fig4")

Paper 003's figures (lottery tickets) are drawn alike by :func:`draw_lth` from the frame their entry's
source function returns (:mod:`langspec.stats.source_data.tickets`, which reads a spec mapping each role to
``task -> CSV path`` with :func:`~langspec.stats.source_data.tickets.from_spec`), usually read back from the
``figures/lth/{name}.data.csv`` the workflow writes. Example::

    entry = figure_003("fig4")
    frame = from_spec(entry.resolve_source(), entry.roles, {"transfer": {"xnli": "results/lth/xnli/transfer.csv"},
                      "sparsity": 0.5}, entry.scalars)
    draw_lth("fig4", frame, "results/figures/lth/fig4")

The language-specific neurons' figures are drawn by :func:`draw_neurons` from their frames
(:mod:`langspec.stats.source_data.neurons`), written as ``figures/neurons/{name}.data.csv``.

Which roles and scalars each figure reads, and which functions make and draw it, is :mod:`langspec.registry`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from langspec.figures.marks import configured
from langspec.figures.save import save
from langspec.registry import Entry, figure_000, figure_003, figure_neurons


def draw(number: int | Entry, frame: pd.DataFrame, stem: str | os.PathLike,
         configured_replicates: int | None = None) -> None:
    """Draw paper 000's figure ``number`` (or an entry drawn alike from shares, e.g. ``neurons/tracin``) from its
    source-data ``frame`` into ``stem``.pdf and ``stem``.png.

    ``configured_replicates``: how many replicates were configured (legends say "R of R' replicates learned"
    when fewer were drawn); None: not known.
    """
    entry = number if isinstance(number, Entry) else figure_000(number)
    with configured(configured_replicates):
        figure = entry.resolve()(frame)
    save(figure, Path(stem))


def draw_lth(name: str, frame: pd.DataFrame, stem: str | os.PathLike, configured_replicates: int | None = None) -> None:
    """Draw paper 003's figure ``name`` (a key of :data:`langspec.registry.FIGURES_003`) from its source-data ``frame``
    into ``stem``.pdf and ``stem``.png.

    ``configured_replicates``: how many replicates were configured (legends say "R of R' replicates learned"
    when fewer were drawn); None: not known.
    """
    with configured(configured_replicates):
        figure = figure_003(name).resolve()(frame)
    save(figure, Path(stem))


def draw_neurons(name: str, frame: pd.DataFrame, stem: str | os.PathLike, configured_replicates: int | None = None) -> None:
    """Draw the neurons' figure ``name`` (a key of :data:`langspec.registry.FIGURES_NEURONS`) from its source-data
    ``frame`` into ``stem``.pdf and ``stem``.png (``configured_replicates`` as :func:`draw`)."""
    with configured(configured_replicates):
        figure = figure_neurons(name).resolve()(frame)
    save(figure, Path(stem))
