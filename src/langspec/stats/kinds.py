"""Heads, weights and neurons side by side (:mod:`langspec.kinds`) as statistics per replicate: the specificity
index of each kind, the differences between kinds, and the overlaps against their random expectation.

The *specificity index* of a kind for a language, in one replicate: the rise of the language's own dev loss
(nats; the mean cross-entropy the evaluation reports) when the kind's most specific units of that language are
removed, minus the mean rise of the other languages' dev losses under the same removal; removals at the parameter
budget of the language's LAPE neurons (:mod:`langspec.kinds.matching`). A kind's index per replicate is its mean
over languages; positive when removing a language's units hurts that language more than the others. Tables as
:mod:`langspec.kinds.tables` documents them, gathered per task with a ``rep`` column.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError
from langspec.kinds.tables import INTACT, KINDS, OVERLAP, PROFILE, REMOVAL
from langspec.stats.frames import columns
from langspec.stats.tickets import as_text


def _reps(frame: pd.DataFrame) -> list[str]:
    return sorted(dict.fromkeys(frame["rep"]), key=lambda r: (len(r), r))


def _checked(frame: pd.DataFrame, needed, what: str) -> pd.DataFrame:
    frame = columns(frame, ("rep", *needed), what).copy()
    frame["rep"] = as_text(frame["rep"])
    return frame


def index_table(removal: pd.DataFrame, what: str = "the kinds' removal table") -> pd.DataFrame:
    """Per replicate, kind and removed language: ``own`` (the language's own loss rise, nats), ``others`` (the
    mean rise of the other test languages) and ``index`` (own minus others), with the removal's ``units``,
    ``specific`` and ``params``."""
    table = _checked(removal, REMOVAL, what)
    table["removed"] = as_text(table["removed"])
    table["test_lang"] = as_text(table["test_lang"])
    intact = table[table["kind"] == INTACT].set_index(["rep", "test_lang"])["loss"]
    if intact.index.duplicated().any():
        raise LangspecError(f"{what} has more than one intact row for a replicate and test language")
    rows = []
    for (rep, kind, lang), part in table[table["kind"] != INTACT].groupby(["rep", "kind", "removed"], sort=False):
        rise = part.set_index("test_lang")["loss"] - intact.loc[rep].reindex(part["test_lang"]).to_numpy(float)
        if rise.isna().any() or lang not in rise.index:
            raise LangspecError(f"{what} lacks the intact model's or {lang}'s own row in replicate {rep}")
        own, others = float(rise[lang]), float(rise.drop(lang).mean())
        first = part.iloc[0]
        rows.append({"rep": rep, "kind": kind, "lang": lang, "own": own, "others": others, "index": own - others,
                     "units": int(first["units"]), "specific": int(first["specific"]), "params": int(first["params"])})
    return pd.DataFrame(rows, columns=["rep", "kind", "lang", "own", "others", "index", "units", "specific", "params"])


def specificity_index(removal: pd.DataFrame, kind: str) -> np.ndarray:
    """Per replicate (in order): the kind's specificity index, the mean over languages (nats); NaN where the
    replicate has no removal of that kind."""
    if kind not in KINDS:
        raise LangspecError(f"no subnetwork kind '{kind}' (known: {', '.join(KINDS)})")
    table = index_table(removal)
    per = table[table["kind"] == kind].groupby("rep")["index"].mean()
    return per.reindex(_reps(table)).to_numpy(float) if not table.empty else np.array([])


def index_difference(removal: pd.DataFrame, first: str, second: str) -> np.ndarray:
    """Per replicate: the specificity index of kind ``first`` minus that of ``second`` (paired: the same model,
    languages and dev set), nats."""
    return specificity_index(removal, first) - specificity_index(removal, second)


def overlap_excess(overlap: pd.DataFrame, measure: str, what: str = "the kinds' overlap table") -> np.ndarray:
    """Per replicate (in order): the mean over languages of ``measure``'s share minus its random expectation
    (percentage points); NaN for a replicate where no language has the measure."""
    table = _checked(overlap, OVERLAP, what)
    part = table[table["overlap"] == measure]
    if part.empty:
        raise LangspecError(f"{what} has no rows of '{measure}'")
    excess = (part["share_pct"].astype(float) - part["expected_pct"].astype(float)).groupby(part["rep"]).mean()
    return excess.reindex(_reps(table)).to_numpy(float)


def profile_by_rep(profile: pd.DataFrame, what: str = "the kinds' layer profile") -> pd.DataFrame:
    """Per replicate, kind and layer: the mean over languages of the share (%) of specificity in the layer
    (languages with none left out). Columns: rep, kind, layer, layers, share_pct."""
    table = _checked(profile, PROFILE, what)
    out = (table.groupby(["rep", "kind", "layer"], sort=False)
           .agg(share_pct=("share_pct", "mean"), layers=("layers", "first")).reset_index())
    out["share_pct"] = out["share_pct"].where(np.isfinite(out["share_pct"]), math.nan)
    return out[["rep", "kind", "layer", "layers", "share_pct"]]
