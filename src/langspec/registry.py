"""Every figure and table of both papers in one place: what it reads, what draws it, where it goes, its caption.

The workflow's figure and table rules are generated from this registry
(``workflow/rules/figures.smk``, ``workflow/rules/lth.smk``), and the drawing
code (:func:`langspec.figures.draw.draw`, :func:`langspec.figures.draw.draw_lth`,
:func:`langspec.tables.tickets.write_table`) reads its roles from here, so a
figure is declared once. An entry names its drawing function, and the analysis function
that returns the frame it draws (``source``), by dotted path (resolved on use), so
reading the registry imports neither matplotlib nor torch.

A *role* is a key of the spec the workflow passes to the drawing function
(:mod:`langspec.figures.draw` documents each); *scalars* are optional spec keys
passed by name. Paper 000's figures and tables keep their paper numbers
(``fig4``, ``table2``); paper 003's live under ``figures/lth/`` and
``tables/lth/`` with theirs.

To add a figure: write its source-data function (in :mod:`langspec.stats.source_data`)
and its drawing function (which takes that frame and only draws), add an entry here
and a caption file ``workflow/report/<caption>.rst``; paper 000's figures also need
their inputs in ``figure_spec`` (``workflow/rules/figures_common.smk``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from langspec.core.errors import LangspecError


@dataclass(frozen=True)
class Entry:
    """One figure or table."""

    name: str  #: the key within its paper: "fig4", "table1", "heads"
    #: "000" (Choenni et al.), "003" (Foroutan et al.) or "neurons" (language-specific neurons, Tang et al. 2024)
    paper: str
    kind: str  #: "figure" (PDF + PNG) or "table" (CSV + Markdown)
    function: str  #: "module:function" that draws or makes it
    #: spec roles: passed by name to the source function (paper 000), or to it in this order (paper 003)
    roles: tuple[str, ...]
    caption: str  #: caption file stem in workflow/report/
    title: str  #: what it shows, in one line
    scalars: tuple[str, ...] = ()  #: optional spec keys passed by name
    #: only the tasks of this kind (paper 003's tables 3-6, figures 5 and 8); None: every task of an encoder-only
    #: model (the text-to-text tasks of an encoder-decoder, section 5's mT5, have figures 5 and 8 and table 6 of their own)
    task_kind: str | None = None
    #: "module:function" in the analysis layer that returns the tidy frame of exactly what is drawn (one row per
    #: cell, bar or point), written beside the figure as ``{target}.data.csv``; None until the entry has one
    source: str | None = None

    @property
    def target(self) -> str:
        """Path under results/ without suffix: ``figures/fig4``, ``tables/lth/table1``, ``figures/neurons/layers``."""
        folder = "figures" if self.kind == "figure" else "tables"
        return f"{folder}/{self.name}" if self.paper == "000" else f"{folder}/{SUBFOLDERS[self.paper]}/{self.name}"

    @property
    def source_data(self) -> str:
        """Path under results/ of its source data: ``figures/fig4.data.csv``, ``figures/lth/fig4.data.csv``."""
        return f"{self.target}.data.csv"

    def resolve(self) -> Callable:
        """The drawing (or table) function itself."""
        return _resolve(self.function)

    def resolve_source(self) -> Callable:
        """The function that returns its source-data frame, or a one-line error while it has none."""
        if self.source is None:
            raise LangspecError(f"{self.paper}'s {self.name} has no source-data function yet")
        return _resolve(self.source)


#: The folder under figures/ and tables/ of each paper but 000's.
SUBFOLDERS = {"003": "lth", "neurons": "neurons"}


def _resolve(dotted: str) -> Callable:
    module, _, function = dotted.partition(":")
    return getattr(importlib.import_module(module), function)


#: Paper 000's source-data functions (one per figure and table, named after it).
_SOURCE_000 = "langspec.stats.source_data.heads"


def _fig000(n: int, module: str, roles: tuple[str, ...], title: str, scalars: tuple[str, ...] = ()) -> Entry:
    return Entry(f"fig{n}", "000", "figure", f"langspec.figures.{module}:fig{n}", roles, f"fig{n}", title, scalars,
                 source=f"{_SOURCE_000}:fig{n}")


#: Paper 003's source-data functions: ``fig2`` ... ``fig10``, ``heads_figure``; ``table1`` ... ``table6``,
#: ``overlap_table``, ``heads_table``, ``alternatives_table``.
_SOURCE_003 = "langspec.stats.source_data.tickets"


def _fig003(name: str, function: str, roles: tuple[str, ...], title: str, scalars: tuple[str, ...] = (),
            task_kind: str | None = None) -> Entry:
    source = name if name.startswith("fig") else f"{name}_figure"
    return Entry(name, "003", "figure", f"langspec.figures.tickets:{function}", roles, f"lth_{name}", title, scalars,
                 task_kind, source=f"{_SOURCE_003}:{source}")


def _table003(name: str, roles: tuple[str, ...], caption: str, title: str, scalars: tuple[str, ...] = (),
              task_kind: str | None = None) -> Entry:
    source = name if name.startswith("table") else f"{name}_table"
    return Entry(name, "003", "table", f"langspec.tables.tickets:{name}", roles, caption, title, scalars, task_kind,
                 source=f"{_SOURCE_003}:{source}")


_MASKS_AND_SHARES = ("masks", "replicate_tables")
#: Optional roles of the figures drawn from aggregated tables: the replicates' own tables, for the source
#: data's per-replicate values (``rep{r}`` columns).
_TABLE_REPLICATES, _EPOCH_REPLICATES = ("replicate_tables",), ("replicate_epochs",)

#: Paper 000's figures by number. A figure's roles (and its optional roles, ``scalars``) are read from the
#: spec by :func:`langspec.stats.source_data.heads.from_spec` and passed by name to its ``source``, whose
#: frame the drawing ``function`` takes alone.
FIGURES_000: dict[int, Entry] = {
    int(e.name[3:]): e
    for e in (
        _fig000(2, "heatmaps", ("tables",), "after full fine-tuning: own-language subnetwork vs full model",
                _TABLE_REPLICATES),
        _fig000(3, "heatmaps", ("tables", "test_lang", "task"), "random and suboptimal subnetworks for one test language",
                _TABLE_REPLICATES),
        _fig000(4, "heatmaps", ("tables",), "after SFT: own-language subnetwork vs full model after full fine-tuning",
                _TABLE_REPLICATES),
        _fig000(5, "bars", ("tables",), "absolute positive shares of the subnetworks after SFT", _TABLE_REPLICATES),
        _fig000(6, "heatmaps", ("tables",), "SFT with random subnetworks vs full fine-tuning", _TABLE_REPLICATES),
        _fig000(7, "epochs", ("replicate_epochs",), "language specialization vs accuracy"),
        _fig000(8, "similarity", _MASKS_AND_SHARES, "subnetwork similarity and positive influence"),
        _fig000(9, "similarity", _MASKS_AND_SHARES, "per-layer subnetwork similarity vs positive influence"),
        _fig000(10, "epochs", ("epochs", "task"), "specialization over epochs, full fine-tuning vs SFT", _EPOCH_REPLICATES),
        _fig000(11, "heatmaps", ("tables",), "baseline shares of the full model after full fine-tuning", _TABLE_REPLICATES),
        _fig000(12, "overlap", ("masks",), "how many languages' subnetworks enable each head"),
        _fig000(13, "overlap", ("masks", "task"), "pairwise head overlap (paper: XNLI)"),
        _fig000(14, "overlap", ("masks", "task"), "pairwise head overlap (paper: PAWS-X)"),
        _fig000(15, "overlap", ("masks", "task"), "pairwise head overlap (paper: MARC)"),
        _fig000(16, "overlap", _MASKS_AND_SHARES, "head overlap vs negative influence"),
        _fig000(17, "epochs", ("epochs", "task"), "specialization per test language over epochs", _EPOCH_REPLICATES),
        _fig000(18, "epochs", ("epochs", "task"), "SFT with random subnetworks over epochs", _EPOCH_REPLICATES),
        _fig000(19, "heatmaps", ("tables",), "composed (intersection) subnetworks at test time after SFT",
                _TABLE_REPLICATES),
    )
}

#: Paper 000's tables (made by their own steps from masks and accuracy files), drawn like the figures: the
#: source function's frame (``tables/table{N}.data.csv``) is all the table function formats.
TABLES_000: dict[str, Entry] = {
    "table1": Entry("table1", "000", "table", "langspec.tables.heads:table1", ("masks",), "table1",
                    "disabled heads per language and task", source=f"{_SOURCE_000}:table1"),
    "table2": Entry("table2", "000", "table", "langspec.tables.heads:table2", ("accuracy",), "table2",
                    "dev accuracy of each subnetwork after full fine-tuning and after SFT", source=f"{_SOURCE_000}:table2"),
}

#: Paper 003's figures (lottery tickets): the ``source`` takes the roles' ``task -> frame`` in order and the scalars
#: present by name (:func:`langspec.stats.source_data.tickets.from_spec` reads them from role -> task -> CSV), and
#: the drawing ``function`` takes its frame alone.
FIGURES_003: dict[str, Entry] = {
    e.name: e
    for e in (
        _fig003("fig2", "lth_fig2", ("tickets",), "tickets' dev metric against sparsity, winning tickets marked"),
        _fig003("fig3", "lth_fig3", ("overlap",), "per-layer overlap of the languages' tickets", ("sparsity",)),
        _fig003("fig4", "lth_fig4", ("transfer",), "transfer of tickets across languages", ("sparsity",)),
        _fig003("fig5", "lth_fig5", ("transfer",), "transfer of tickets across languages in the encoder-decoder (mT5)",
                ("sparsity",), task_kind="text-to-text"),
        _fig003("fig6", "lth_fig6", ("transfer",), "relative transfer change at each sparsity", ("sparsities",)),
        _fig003("fig7", "lth_fig7", ("retrieval",), "parallel sentence retrieval per layer under each ticket",
                ("method",)),
        _fig003("fig8", "lth_fig8", ("overlap",), "per-layer overlap of the encoder-decoder's (mT5) tickets",
                ("sparsity",), task_kind="text-to-text"),
        _fig003("fig9", "lth_fig9", ("cross_task",), "each task's tickets trained on the other tasks, same language"),
        _fig003("fig10", "lth_fig10", ("similarity",), "PWCCA and SVCCA of parallel sentences per layer, with tickets",
                ("pooling",)),
        _fig003("heads", "lth_heads", ("heads",), "tickets seen as heads, against paper 000's head masks"),
    )
}

#: Paper 003's tables, made from the same role -> task -> CSV specs as its figures: the ``source`` returns one row
#: per table cell, which the table ``function`` lays out.
TABLES_003: dict[str, Entry] = {
    e.name: e
    for e in (
        _table003("table1", ("transfer",), "lth_table1", "the multilingual ticket beside single-language tickets",
                  ("sparsity",)),
        _table003("table2", ("tickets", "transfer"), "lth_table2",
                  "each language's winning ticket at its highest sparsity, beside a random subnetwork"),
        _table003("table3", ("transfer",), "lth_table3", "every transfer at the first transfer sparsity: MLM (perplexity)",
                  ("sparsity",), task_kind="mlm"),
        _table003("table4", ("transfer",), "lth_table4", "every transfer at the first transfer sparsity: classification (accuracy)",
                  ("sparsity",), task_kind="classification"),
        _table003("table5", ("transfer",), "lth_table5", "every transfer at the first transfer sparsity: NER (entity F1)",
                  ("sparsity",), task_kind="token-classification"),
        _table003("table6", ("transfer",), "lth_table6",
                  "every transfer at the first transfer sparsity: the encoder-decoder (mT5), text-to-text (accuracy)",
                  ("sparsity",), task_kind="text-to-text"),
        _table003("overlap", ("overlap",), "lth_overlap", "each task's average ticket overlap", ("sparsity",)),
        _table003("heads", ("heads",), "lth_heads_table", "tickets' kept head weights against paper 000's head masks"),
        _table003("alternatives", ("alternatives", "tickets"), "lth_alternatives",
                  "appendix D: difference (LT-SFT) and Fisher (FISH) masks against the full model and the ticket"),
    )
}

#: TracIn under lottery tickets (beyond both papers): paper 000's figure 4 made and drawn for regime sft-lth.
TRACIN_003 = Entry("tracin", "003", "figure", "langspec.figures.heatmaps:fig4", ("tables",), "lth_tracin",
                   "TracIn shares under each language's ticket after SFT on the tickets", _TABLE_REPLICATES,
                   source=f"{_SOURCE_000}:fig4")

#: Paper 000's figure 2 asked of neurons: TracIn shares with each test language's own LAPE neurons deactivated
#: (condition ``neurons``, regime full) against the full model; drawn from shares as paper 000's figures.
TRACIN_NEURONS = Entry("tracin", "neurons", "figure", "langspec.figures.heatmaps:neurons_tracin", ("tables",),
                       "neurons_tracin", "TracIn shares with each test language's own LAPE neurons deactivated",
                       _TABLE_REPLICATES, source=f"{_SOURCE_000}:fig2")

#: The language-specific neurons' figures (LAPE, Tang et al. 2024; under ``figures/neurons/``): as paper 003's, the
#: ``source`` takes the roles' ``task -> frame`` (every replicate's rows of ``results/neurons/{task}/{role}.csv``) in
#: order and the drawing ``function`` its frame alone.
_SOURCE_NEURONS = "langspec.stats.source_data.neurons"
FIGURES_NEURONS: dict[str, Entry] = {
    e.name: e
    for e in (
        Entry("layers", "neurons", "figure", "langspec.figures.neurons:neurons_layers", ("layers",), "neurons_layers",
              "each language's LAPE neurons per layer", source=f"{_SOURCE_NEURONS}:layers_figure"),
        Entry("deactivation", "neurons", "figure", "langspec.figures.neurons:neurons_deactivation", ("deactivation",),
              "neurons_deactivation", "every language's dev metric with each language's neurons deactivated, and with "
              "random neurons of the same count", source=f"{_SOURCE_NEURONS}:deactivation_figure"),
        Entry("kinds", "neurons", "figure", "langspec.figures.neurons:neurons_kinds",
              ("kinds_profile", "kinds_overlap", "kinds_removal"), "neurons_kinds",
              "heads, weights and neurons side by side: where each kind places a language's specificity, their "
              "overlap and each kind's specificity index at matched parameters", source=f"{_SOURCE_NEURONS}:kinds_figure"),
    )
}

#: Paper 003's figures and tables whose spec takes the overlap sparsity instead of the first transfer sparsity.
AT_OVERLAP_SPARSITY = ("fig3", "fig8", "table1", "overlap")


def figure_000(number: int) -> Entry:
    """Paper 000's figure ``number``, or a one-line error naming the known ones."""
    if number not in FIGURES_000:
        raise LangspecError(f"paper 000 has no figure {number} here (known: {', '.join(map(str, FIGURES_000))})")
    return FIGURES_000[number]


def figure_003(name: str) -> Entry:
    """Paper 003's figure ``name``, or a one-line error naming the known ones."""
    if name not in FIGURES_003:
        raise LangspecError(f"no lottery-ticket figure '{name}' (known: {', '.join(FIGURES_003)})")
    return FIGURES_003[name]


def table_003(name: str) -> Entry:
    """Paper 003's table ``name``, or a one-line error naming the known ones."""
    if name not in TABLES_003:
        raise LangspecError(f"no lottery-ticket table '{name}' (known: {', '.join(TABLES_003)})")
    return TABLES_003[name]


def figure_neurons(name: str) -> Entry:
    """The language-specific neurons' figure ``name``, or a one-line error naming the known ones."""
    if name not in FIGURES_NEURONS:
        raise LangspecError(f"no neurons figure '{name}' (known: {', '.join(FIGURES_NEURONS)})")
    return FIGURES_NEURONS[name]


def by_id(figure_id: str) -> Entry:
    """The figure or table called ``figure_id``: paper 000's ``fig4`` or ``table1``, paper 003's ``lth/fig4``,
    ``lth/table1`` or ``lth/tracin``, the neurons' ``neurons/layers``; a one-line error naming the known ids otherwise."""
    known = {**{f"fig{n}": e for n, e in FIGURES_000.items()}, **TABLES_000,
             **{f"lth/{name}": e for name, e in {**FIGURES_003, **TABLES_003, "tracin": TRACIN_003}.items()},
             **{f"neurons/{name}": e for name, e in {**FIGURES_NEURONS, "tracin": TRACIN_NEURONS}.items()}}
    if figure_id not in known:
        raise LangspecError(f"no figure or table '{figure_id}' (known: {', '.join(known)})")
    return known[figure_id]
