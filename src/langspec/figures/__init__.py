"""Paper figures 2-19 as matplotlib Figures, and ``save`` to write them as PDF and PNG.

Each ``figN`` returns a :class:`matplotlib.figure.Figure` built without pyplot
(Agg canvas); nothing is shown. Modules by figure type: ``heatmaps`` (2-4, 6,
11, 19), ``bars`` (5), ``epochs`` (7, 10, 17, 18), ``similarity`` (8, 9),
``overlap`` (12-16); ``cells`` and ``scatter`` draw the shared primitives,
``style`` holds the look and ``checks`` the input checks.
"""

from .bars import fig5
from .epochs import fig7, fig10, fig17, fig18
from .heatmaps import fig2, fig3, fig4, fig6, fig11, fig19
from .overlap import fig12, fig13, fig14, fig15, fig16, pair_overlap
from .save import save
from .similarity import fig8, fig9

__all__ = [
    "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9", "fig10", "fig11", "fig12",
    "fig13", "fig14", "fig15", "fig16", "fig17", "fig18", "fig19", "pair_overlap", "save",
]
