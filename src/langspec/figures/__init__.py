"""Paper figures 2-19 as matplotlib Figures, and ``save`` to write them as PDF and PNG.

Each ``figN`` returns a :class:`matplotlib.figure.Figure` built without pyplot
(Agg canvas); nothing is shown. Every figure shows what the replicates support:
heatmaps and bars give means and hatch (and wash out) what their 95% interval
does not tell apart from its reference, lines carry a shaded 95% band, scatter
plots draw every replicate's points and give r with its interval; a legend under
the panels says what the marks mean and over how many replicates. Modules by
figure type: ``heatmaps`` (2-4, 6, 11, 19), ``bars`` (5), ``epochs`` (7, 10,
17, 18), ``similarity`` (8, 9), ``overlap`` (12-16); ``cells`` and ``scatter``
draw the shared primitives, ``marks`` the uncertainty marks and their legend,
``style`` holds the look (and fits text to the canvas) and ``checks`` the input
checks. Paper 003's figures (lottery tickets) are ``lth_fig2``, ``lth_fig3``,
``lth_fig4``, ``lth_fig6``, ``lth_fig7`` and ``lth_heads`` in ``lth``, drawn in
the same style; :func:`langspec.figures.draw.draw_lth` draws them from a spec.
"""

from .bars import fig5
from .epochs import fig7, fig10, fig17, fig18
from .heatmaps import fig2, fig3, fig4, fig6, fig11, fig19
from .lth import lth_fig2, lth_fig3, lth_fig4, lth_fig6, lth_fig7, lth_heads
from .overlap import fig12, fig13, fig14, fig15, fig16, pair_overlap
from .save import save
from .similarity import fig8, fig9

__all__ = [
    "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9", "fig10", "fig11", "fig12",
    "fig13", "fig14", "fig15", "fig16", "fig17", "fig18", "fig19", "pair_overlap", "save",
    "lth_fig2", "lth_fig3", "lth_fig4", "lth_fig6", "lth_fig7", "lth_heads",
]
