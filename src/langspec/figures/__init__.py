"""Paper figures as matplotlib Figures, and ``save`` to write them as PDF and PNG: drawing only.

Each figure function returns a :class:`matplotlib.figure.Figure` built without
pyplot (Agg canvas); nothing is shown. Every figure shows what the replicates
support: heatmaps and bars give means and hatch (and wash out) what their 95%
interval does not tell apart from its reference, lines carry a shaded 95% band,
scatter plots draw every replicate's points and give r with its interval; a
legend under the panels says what the marks mean and over how many replicates.
Paper 000's modules by figure type: ``heatmaps`` (2-4, 6, 11, 19), ``bars`` (5),
``epochs`` (7, 10, 17, 18), ``similarity`` (8, 9), ``overlap`` (12-16); paper
003's figures are in ``tickets`` (``lth_fig2`` ... ``lth_heads``), drawn in the
same style; the language-specific neurons' in ``neurons`` (``neurons_layers``,
``neurons_deactivation``). ``cells`` and ``scatter`` draw the shared primitives, ``marks`` the
uncertainty marks and their legend, ``style`` holds the look (and fits text to
the canvas). :mod:`langspec.figures.draw` draws a registered figure
(:mod:`langspec.registry`) from its source data.

Figures only draw: each takes the tidy frame its source-data function returns
(:mod:`langspec.stats.source_data.heads` for paper 000, :mod:`langspec.stats.source_data.tickets` for paper
003; the workflow writes it beside the figure as ``fig{N}.data.csv``, paper 003's under ``figures/lth/``)
and draws it, nothing else; what a cell's value, interval and mark are is decided there.

May import: :mod:`langspec.registry` and :mod:`langspec.core`, with matplotlib, numpy and pandas; never
:mod:`langspec.stats`, :mod:`langspec.attribution`, :mod:`langspec.heads`, :mod:`langspec.tickets`,
:mod:`langspec.training`, :mod:`langspec.data`, :mod:`langspec.models` (pyproject.toml's "figures only draw"
contract), nor :mod:`langspec.tables`.
"""

from langspec.figures.bars import fig5
from langspec.figures.epochs import fig7, fig10, fig17, fig18
from langspec.figures.heatmaps import fig2, fig3, fig4, fig6, fig11, fig19
from langspec.figures.neurons import neurons_deactivation, neurons_layers
from langspec.figures.overlap import fig12, fig13, fig14, fig15, fig16, pair_overlap
from langspec.figures.save import save
from langspec.figures.similarity import fig8, fig9
from langspec.figures.tickets import lth_fig2, lth_fig3, lth_fig4, lth_fig6, lth_fig7, lth_fig9, lth_fig10, lth_heads

__all__ = [
    "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9", "fig10", "fig11", "fig12",
    "fig13", "fig14", "fig15", "fig16", "fig17", "fig18", "fig19", "pair_overlap", "save",
    "lth_fig2", "lth_fig3", "lth_fig4", "lth_fig6", "lth_fig7", "lth_fig9", "lth_fig10", "lth_heads",
    "neurons_layers", "neurons_deactivation",
]
