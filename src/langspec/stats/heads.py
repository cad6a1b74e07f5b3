"""Paper 000's head subnetworks summarised: mask similarity and head overlap per language pair, per-layer
correlations of similarity with influence, and language specialization.

The analysis behind figures 7-10 and 12-18 of paper 000 (their frames: :mod:`langspec.stats.source_data.heads`)
and their claims (:mod:`langspec.stats.claims`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError
from langspec.heads.masks import cosine
from langspec.stats.correlations import correlation, pearson
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
    """Mean cosine similarity over replicates, and the p-value of its difference from the chance cosine.

    Each replicate's cosine minus its own chance cosine (:func:`chance_cosines`)
    is tested against 0 (:func:`against_chance`); the diagonal (a mask with
    itself) and a single replicate are not tested (NaN).
    """
    return against_chance([cosines(m) for m in replicates_], [chance_cosines(m) for m in replicates_], diagonal=False)


def shared_heads(masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Language x language number of heads enabled in both subnetworks (diagonal: a language's own)."""
    flat = np.stack([np.asarray(m).ravel() for m in masks.values()]).astype(int)
    return pd.DataFrame(flat @ flat.T, index=list(masks), columns=list(masks))


def overlap_pct(masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Row language's enabled heads that the column language also enables (%); NaN for an empty row mask."""
    shared = shared_heads(masks).astype(float)
    own = np.diag(shared.to_numpy()).copy()
    own[own == 0] = np.nan
    return shared.div(own, axis=0) * 100


def densities(masks: Mapping[str, np.ndarray]) -> np.ndarray:
    """Fraction of heads each language's subnetwork enables, in the order of ``masks``."""
    return np.array([np.asarray(m, float).mean() for m in masks.values()])


def chance_shared(masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Heads enabled in both a and b if b chose its heads independently at its density: own_a · p_b."""
    own = np.array([np.asarray(m, float).sum() for m in masks.values()])
    return pd.DataFrame(np.outer(own, densities(masks)), index=list(masks), columns=list(masks))


def chance_pct(masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """% of a's heads that b also enables if b chose its heads independently: 100 · p_b, in every row."""
    p = densities(masks)
    return pd.DataFrame(np.tile(100 * p, (len(p), 1)), index=list(masks), columns=list(masks))


def against_chance(observed: Sequence[pd.DataFrame], chance: Sequence[pd.DataFrame],
                   diagonal: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean over replicates of ``observed``, and the p-value of its difference from each replicate's ``chance``.

    The replicate differences observed − chance are tested against 0 with
    :func:`langspec.stats.replicates.summarize` (two-sided t-test); the p-value
    is NaN (not tested) with fewer than two replicates, and on the diagonal when
    ``diagonal`` is False (a language against itself is fixed by construction).
    A figure marks what survives :func:`langspec.stats.multiplicity.fdr_keep`.
    """
    index, columns = observed[0].index, observed[0].columns
    values = np.stack([o.loc[index, columns].to_numpy(float) for o in observed])
    expected = np.stack([c.loc[index, columns].to_numpy(float) for c in chance])
    summary = summarize(values - expected)
    present = np.isfinite(values).sum(axis=0)
    mean = np.where(present > 0, np.nansum(values, axis=0) / np.maximum(present, 1), np.nan)
    p = np.where(np.isfinite(summary["p_value"]), summary["p_value"], np.nan)
    if not diagonal:
        p[np.arange(len(index)), np.arange(len(index))] = np.nan
    return pd.DataFrame(mean, index=index, columns=columns), pd.DataFrame(p, index=index, columns=columns)


def head_counts(replicates: Sequence[Mapping[str, np.ndarray]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Layers (1-based) x heads (1-based): mean number of languages enabling the head, and its p-value against chance.

    Chance is the sum of the languages' densities (each language enabling a head
    independently at its own density), per replicate.
    """
    layers, heads = next(iter(replicates[0].values())).shape
    index, columns = range(1, layers + 1), range(1, heads + 1)
    observed = [pd.DataFrame(np.stack(list(m.values())).sum(axis=0), index=index, columns=columns) for m in replicates]
    chance = [pd.DataFrame(np.full((layers, heads), densities(m).sum()), index=index, columns=columns) for m in replicates]
    return against_chance(observed, chance)


def pairs(values: pd.DataFrame) -> pd.Series:
    """Entries of a language x language matrix whose row and column languages differ, indexed (row, column)."""
    rows, cols = np.indices(values.shape).reshape(2, -1)
    index, columns = values.index.to_numpy()[rows], values.columns.to_numpy()[cols]
    keep = index != columns
    return pd.Series(values.to_numpy()[rows[keep], cols[keep]], index=pd.MultiIndex.from_arrays([index[keep], columns[keep]]))


def layer_correlations(task_masks: Mapping[str, np.ndarray], shares: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Per layer: Pearson r over pairs test != train of that layer's mask cosine and positive share (%); and the number of pairs.

    ``shares`` is a test x train matrix of share_pct (:func:`langspec.stats.frames.masks_and_shares`).
    """
    influence = pairs(shares).dropna()
    layers = next(iter(task_masks.values())).shape[0]
    r = np.array([pearson(pairs(cosines(task_masks, layer)).loc[influence.index].to_numpy(), influence.to_numpy())
                  for layer in range(layers)])
    return r, len(influence)


def pooled_layer_correlations(reps: Sequence[tuple[Mapping[str, np.ndarray], pd.DataFrame]]) -> pd.DataFrame:
    """Per layer (1-based index): r pooled over replicates with its 95% interval (:func:`langspec.stats.correlations.correlation`).

    ``reps``: one (language -> mask, test x train share matrix) per replicate.
    """
    per = [layer_correlations(task_masks, shares) for task_masks, shares in reps]
    layers = len(per[0][0])
    rows = [correlation([r[layer] for r, _ in per], [n for _, n in per]) for layer in range(layers)]
    return pd.DataFrame(rows, index=pd.RangeIndex(1, layers + 1, name="layer"))


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
