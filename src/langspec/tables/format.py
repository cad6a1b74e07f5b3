"""Formatting shared by the tables of both papers: "mean ± sd" cells and the mark of a missing value."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: A cell without a value (a language that a task does not have).
MISSING = "–"
#: Suffixes of a value column's standard deviation and number of replicates.
SD, N = " sd", " n"


def mean_sd(mean: float, sd: float, decimals: int = 1) -> str:
    """ "31.0 ± 4.4"; just the value without a spread (one replicate: "31" for a whole number); "–" without a value."""
    if not np.isfinite(mean):
        return MISSING
    if np.isfinite(sd):
        return f"{mean:.{decimals}f} ± {sd:.{decimals}f}"
    return f"{mean:.0f}" if float(mean).is_integer() else f"{mean:.{decimals}f}"


def markdown(frame: pd.DataFrame, decimals: int | Sequence[int] = 1) -> pd.DataFrame:
    """The display table: each value column with an ``sd`` column becomes "mean ± sd" text; sd and n columns are dropped.

    ``decimals``: one number for every row, or one per row (perplexity rows beside percentages).
    """
    places = [decimals] * len(frame) if isinstance(decimals, int) else list(decimals)
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        if column.endswith((SD, N)) and column.rsplit(" ", 1)[0] in frame.columns:
            continue
        if column + SD in frame.columns:
            out[column] = [mean_sd(m, s, d) for m, s, d in
                           zip(frame[column].astype(float), frame[column + SD].astype(float), places)]
        else:
            out[column] = frame[column]
    return out
