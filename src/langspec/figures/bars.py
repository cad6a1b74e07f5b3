"""Grouped bars of absolute positive shares after SFT (paper figure 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .checks import SHARES, columns, nonempty, sign_matrix
from .style import PANEL, drop_unused, new_figure, palette, styled, wrap


@styled
def fig5(tables: dict[str, pd.DataFrame]) -> Figure:
    """Share (%) of each training language in each test language's top-k positive examples.

    ``tables``: task -> shares or comparison table of the own-language
    subnetworks after SFT (``share_pct`` of sign pos is used). One panel per task,
    each with its own y scale; groups = test languages, bars = training languages.
    A test language without test examples gets "n/a" instead of bars.
    """
    nonempty(tables, "tables")
    matrices = {task: sign_matrix(columns(t, SHARES, f"table '{task}'"), "pos", "share_pct", f"table '{task}'")
                for task, t in tables.items()}
    colours = palette(lang for values in matrices.values() for lang in values.columns)
    rows, cols = wrap(len(matrices))
    fig, axes = new_figure(rows, cols, PANEL, (1.0, 0.3))
    for ax, (task, values) in zip(drop_unused(axes, len(matrices)), matrices.items()):
        width = 0.8 / len(values.columns)
        positions = np.arange(len(values.index))
        for j, train_lang in enumerate(values.columns):
            ax.bar(positions - 0.4 + (j + 0.5) * width, values[train_lang].fillna(0.0), width, color=colours[train_lang])
        for i in np.flatnonzero(values.isna().all(axis=1).to_numpy()):
            ax.text(positions[i], 0, "n/a", ha="center", va="bottom")
        ax.set_xticks(positions, list(values.index))
        ax.set_xlabel("test language")
        ax.set_ylabel("share of top-k positive (%)")
        ax.set_title(task)
    fig.legend(handles=[Patch(color=c, label=lang) for lang, c in colours.items()], title="training language",
               loc="outside right upper", frameon=False)
    fig.suptitle("After SFT: positive share of each training language (absolute)")
    return fig
