"""Paper 000's head subnetworks summarised: mask similarity per language pair, and language specialization.

The analysis behind figures 7-10 and 16-18 of paper 000 (:mod:`langspec.figures`)
and their claims (:mod:`langspec.stats.claims`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError
from langspec.heads.masks import cosine
from langspec.stats.frames import AGGREGATED_EPOCHS, EPOCHS, aggregated, columns
from langspec.stats.replicates import summarize


def cosines(masks: Mapping[str, np.ndarray], layer: int | None = None) -> pd.DataFrame:
    """Language x language cosine similarity of the masks (of one ``layer`` when given)."""
    part = {lang: np.asarray(m if layer is None else m[layer]) for lang, m in masks.items()}
    return pd.DataFrame([[cosine(part[a], part[b]) for b in part] for a in part], index=list(part), columns=list(part))


def chance_cosines(masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Language x language cosine expected of independent masks with the same densities: √(p_a · p_b)."""
    density = np.array([np.asarray(m, float).mean() for m in masks.values()])
    return pd.DataFrame(np.sqrt(np.outer(density, density)), index=list(masks), columns=list(masks))


def mean_cosines(replicates_: Sequence[Mapping[str, np.ndarray]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean cosine similarity over replicates, and whether its 95% interval excludes the chance cosine.

    Each replicate's cosine minus its own chance cosine (:func:`chance_cosines`)
    is summarized with :func:`langspec.stats.replicates.summarize` against 0; one
    replicate gives no interval (nothing is marked as supported).
    """
    observed = [cosines(m) for m in replicates_]
    index = observed[0].index
    values = np.stack([o.loc[index, index].to_numpy() for o in observed])
    chance = np.stack([chance_cosines(m).loc[index, index].to_numpy() for m in replicates_])
    summary = summarize(values - chance)
    return (pd.DataFrame(values.mean(axis=0), index=index, columns=index),
            pd.DataFrame(summary["robust"], index=index, columns=index))


def pairs(values: pd.DataFrame) -> pd.Series:
    """Entries of a language x language matrix whose row and column languages differ, indexed (row, column)."""
    rows, cols = np.indices(values.shape).reshape(2, -1)
    index, columns = values.index.to_numpy()[rows], values.columns.to_numpy()[cols]
    keep = index != columns
    return pd.Series(values.to_numpy()[rows[keep], cols[keep]], index=pd.MultiIndex.from_arrays([index[keep], columns[keep]]))


def specialization(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """One replicate's epoch table -> columns epoch, test_lang, specialization_pct, accuracy_pct.

    One row per (epoch, test language); ``accuracy`` in the epoch table is a
    fraction in [0, 1] and is returned in percent.
    """
    columns(table, EPOCHS, what)
    if not table["accuracy"].dropna().between(0, 1).all():
        raise LangspecError(f"{what} has accuracy outside [0, 1] (a fraction is expected)")
    own = table[(table["sign"] == "pos") & (table["train_lang"] == table["test_lang"])]
    if own.empty:
        raise LangspecError(f"{what} has no in-language positive rows (sign pos, train_lang == test_lang)")
    return pd.DataFrame({
        "epoch": own["epoch"].astype(int).to_numpy(),
        "test_lang": own["test_lang"].to_numpy(),
        "specialization_pct": own["share_pct"].astype(float).to_numpy(),
        "accuracy_pct": own["accuracy"].astype(float).to_numpy() * 100,
    })


def specialization_summary(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """An aggregated epoch table -> the in-language positive share per (epoch, test language) over replicates.

    Columns: epoch, test_lang, mean, ci_low, ci_high, n_replicates, method.
    """
    part = aggregated(table, "share_pct", what, AGGREGATED_EPOCHS)
    own = part[(part["sign"] == "pos") & (part["train_lang"] == part["test_lang"])]
    if own.empty:
        raise LangspecError(f"{what} has no in-language positive rows (sign pos, train_lang == test_lang)")
    out = own[["epoch", "test_lang", "mean", "ci_low", "ci_high", "n_replicates", "method"]].copy()
    out["epoch"] = out["epoch"].astype(int)
    return out.reset_index(drop=True)
