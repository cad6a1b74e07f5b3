"""Cross-lingual transfer of lottery tickets (paper 003, figures 4 and 6) and the winning-ticket criterion.

Inputs are tidy frames with one row per replicate (seed): ``source`` (the
language whose ticket was trained, or ``rand`` for a random mask of the same
sparsity), ``target`` (the language it was trained and scored on) and ``metric``
(higher is better, e.g. dev accuracy). a(s, t) is the mean over replicates.
Standard deviations are over replicates (ddof = 1); with one replicate the
standard deviation is taken as 0, so "within one standard deviation" means
"at least as good".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError

RANDOM = "rand"


def _sd(values: Sequence[float] | np.ndarray) -> float:
    values = np.asarray(values, dtype=float)
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def _check(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LangspecError(f"{what} lacks column(s) {', '.join(missing)}")


def transfer_table(frame: pd.DataFrame, higher_is_better: bool = True) -> pd.DataFrame:
    """One row per (source, target) with a target's own ticket (source == target) measured.

    Columns: ``source``, ``target``, ``mean`` a(s, t), ``sd``, ``n``,
    ``own_mean`` a(t, t), ``own_sd``, ``difference`` a(s, t) − a(t, t)
    (a(t, t) − a(s, t) when lower is better), ``relative`` difference / a(t, t),
    and ``successful``: the transferred ticket is within one standard deviation
    of the target's own (difference ≥ −sd(t, t); gains count as success).
    """
    _check(frame, ("source", "target", "metric"), "the transfer results")
    stats = frame.groupby(["source", "target"], sort=False)["metric"].agg(mean="mean", sd=_sd, n="size").reset_index()
    own = stats[stats["source"] == stats["target"]].set_index("target")
    missing = sorted(set(stats["target"]) - set(own.index))
    if missing:
        raise LangspecError(f"the transfer results lack the own ticket (source = target) of {', '.join(missing)}")
    stats["own_mean"] = stats["target"].map(own["mean"])
    stats["own_sd"] = stats["target"].map(own["sd"])
    stats["difference"] = (stats["mean"] - stats["own_mean"]) * (1 if higher_is_better else -1)
    stats["relative"] = stats["difference"] / stats["own_mean"]
    stats["successful"] = stats["difference"] >= -stats["own_sd"]
    return stats


def transfer_matrix(frame: pd.DataFrame, higher_is_better: bool = True) -> pd.DataFrame:
    """a(s, t) − a(t, t), oriented: sources as rows (``rand`` last), targets as columns (figure 4 of paper 003)."""
    table = transfer_table(frame, higher_is_better)
    matrix = table.pivot(index="source", columns="target", values="difference")
    sources = [s for s in dict.fromkeys(table["source"]) if s != RANDOM] + ([RANDOM] if RANDOM in matrix.index else [])
    targets = list(dict.fromkeys(table["target"]))
    return matrix.loc[sources, targets]


def relative_transfer_drop(frame: pd.DataFrame, higher_is_better: bool = True) -> pd.Series:
    """Average relative transfer change per source (figure 6, footnote 15 of paper 003).

    (1 / (|L| − 1)) Σ_{t ∈ L, t ≠ s} (a(s, t) − a(t, t)) / a(t, t), with L the
    languages that are both sources and targets; negative is a drop (for a
    lower-is-better metric the sign is flipped, so a drop is still negative).
    """
    table = transfer_table(frame, higher_is_better)
    languages = [s for s in dict.fromkeys(table["source"]) if s in set(table["target"])]
    if len(languages) < 2:
        raise LangspecError("the relative transfer drop needs at least two languages with tickets")
    cross = table[table["source"].isin(languages) & table["target"].isin(languages) & (table["source"] != table["target"])]
    out = {}
    for source in languages:
        rows = cross[cross["source"] == source]
        if len(rows) != len(languages) - 1:
            have = set(rows["target"]) | {source}
            raise LangspecError(f"the ticket of {source} lacks transfer results to {', '.join(sorted(set(languages) - have))}")
        out[source] = float(rows["relative"].sum() / (len(languages) - 1))
    return pd.Series(out, name="relative_drop")


def is_winning(full: Sequence[float], ticket: Sequence[float], higher_is_better: bool = True) -> bool:
    """Paper 003's criterion: the ticket's mean is worse than the full model's by at most one sd of the full model.

    Higher is better: mean(full) − mean(ticket) ≤ sd(full); lower is better
    (perplexity): mean(ticket) − mean(full) ≤ sd(full).
    """
    if len(full) == 0 or len(ticket) == 0:
        raise LangspecError("the winning-ticket criterion needs at least one full-model and one ticket result")
    shortfall = float(np.mean(full)) - float(np.mean(ticket))
    return (shortfall if higher_is_better else -shortfall) <= _sd(full)


def winning_table(full: pd.DataFrame, tickets: pd.DataFrame, higher_is_better: bool = True) -> pd.DataFrame:
    """Which rounds' tickets are winning, per language.

    ``full``: columns ``lang``, ``metric`` (one row per replicate of the full
    model fine-tuned on that language); ``tickets``: ``lang``, ``sparsity``,
    ``metric`` (one row per replicate of each retrained ticket). Returns one row
    per (lang, sparsity): ``full_mean``, ``full_sd``, ``ticket_mean``,
    ``ticket_sd``, ``winning``.
    """
    _check(full, ("lang", "metric"), "the full-model results")
    _check(tickets, ("lang", "sparsity", "metric"), "the ticket results")
    rows = []
    for (lang, level), group in tickets.groupby(["lang", "sparsity"], sort=True):
        reference = full.loc[full["lang"] == lang, "metric"].to_numpy()
        if len(reference) == 0:
            raise LangspecError(f"the full-model results lack language {lang}")
        values = group["metric"].to_numpy()
        rows.append({
            "lang": lang, "sparsity": level,
            "full_mean": float(reference.mean()), "full_sd": _sd(reference),
            "ticket_mean": float(values.mean()), "ticket_sd": _sd(values),
            "winning": is_winning(reference, values, higher_is_better),
        })
    return pd.DataFrame(rows)


def highest_winning_sparsity(table: pd.DataFrame) -> pd.Series:
    """Per language, the highest sparsity whose ticket is winning (NaN when none is): table 2 of paper 003."""
    winners = table[table["winning"]]
    out = winners.groupby("lang")["sparsity"].max()
    return out.reindex(list(dict.fromkeys(table["lang"]))).rename("highest_winning_sparsity")
