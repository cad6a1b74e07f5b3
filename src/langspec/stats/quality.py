"""Which replicates learned: the quality records of their trainings as one table, and the replicates every
aggregate, figure and finding may count.

Each judged training writes a quality record (:mod:`langspec.training.quality`):
a model directory's ``quality.json`` (paper 000: the full fine-tune and SFT on
the language subnetworks) or a ticket's ``quality.json`` beside its trajectory
(paper 003: each language's IMP, judged on its first and last round). A
replicate is *used* when every judged training of it learned (after redraws);
otherwise it is *excluded*, with the failing training's reason. Artifacts of
one replicate carry ``rep{r}`` in their path (DESIGN.md's artifact contract),
which is how :func:`keep` drops an excluded replicate's files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from langspec.core.atomic import read_json
from langspec.core.errors import LangspecError

#: Columns of a quality table, one row per judged training of a replicate.
COLUMNS = ("rep", "training", "learned", "attempts", "redrawn", "used_attempt", "metric", "value", "reason", "status")
_REP = re.compile(r"(?:^|/)([^/]+)/rep(\d+)(?:/|$)")


def read_record(path: str | Path) -> dict:
    """One quality record (``quality.json``); a one-line error naming the file when missing or broken."""
    body = read_json(path, "quality record", " (was the training run by an older langspec?)")
    if not isinstance(body, dict) or not {"learned", "attempts"} <= set(body):
        raise LangspecError(f"quality record {path} lacks 'learned' and 'attempts'")
    return body


def quality_table(records: Mapping[int, Mapping[str, str | Path]]) -> pd.DataFrame:
    """One row per replicate and judged training (:data:`COLUMNS`) from ``records``: replicate -> training name
    (e.g. ``full``, ``sft``, a ticket language) -> its quality.json. ``status`` is the replicate's:
    ``used``, or ``excluded`` when any of its trainings failed."""
    rows = []
    for rep, per_training in records.items():
        for training, path in per_training.items():
            body = read_record(path)
            rows.append({"rep": int(rep), "training": training, "learned": bool(body["learned"]),
                         "attempts": len(body["attempts"]), "redrawn": int(body.get("redrawn", len(body["attempts"]) - 1)),
                         "used_attempt": int(body.get("used", len(body["attempts"]) - 1)), "metric": body.get("metric"),
                         "value": body.get("value"), "reason": body.get("reason", "")})
    frame = pd.DataFrame(rows, columns=list(COLUMNS[:-1]))
    failed = set(frame.loc[~frame["learned"].astype(bool), "rep"])
    frame["status"] = ["excluded" if r in failed else "used" for r in frame["rep"]]
    return frame.sort_values(["rep", "training"], kind="stable").reset_index(drop=True)


def used(table: pd.DataFrame) -> list[int]:
    """The replicates every judged training of which learned, ascending."""
    return sorted({int(r) for r in table.loc[table["status"] == "used", "rep"]})


def excluded(table: pd.DataFrame) -> dict[int, str]:
    """Excluded replicate -> why (each failed training and its reason, with the attempts it took)."""
    out: dict[int, list[str]] = {}
    for row in table[~table["learned"].astype(bool)].itertuples():
        out.setdefault(int(row.rep), []).append(f"{row.training}: {row.reason} after {row.attempts} attempt(s)")
    return {rep: "; ".join(reasons) for rep, reasons in sorted(out.items())}


def redrawn(table: pd.DataFrame) -> dict[int, str]:
    """Used replicate -> which of its trainings were redrawn, and how often."""
    out: dict[int, list[str]] = {}
    for row in table[(table["redrawn"] > 0) & table["learned"].astype(bool)].itertuples():
        out.setdefault(int(row.rep), []).append(f"{row.training} redrawn {row.redrawn}×")
    return {rep: ", ".join(parts) for rep, parts in sorted(out.items())}


def require(table: pd.DataFrame, task: str) -> list[int]:
    """:func:`used`, or a one-line error naming the task and its replicates when fewer than two learned (fewer
    than one for a one-replicate task): no spread to measure."""
    replicates = sorted({int(r) for r in table["rep"]})
    kept = used(table)
    if len(kept) < min(2, len(replicates)):
        why = "; ".join(f"rep{r}: {reason}" for r, reason in excluded(table).items())
        raise LangspecError(f"task '{task}': only {len(kept)} of {len(replicates)} replicates learned "
                            f"(used: {', '.join(f'rep{r}' for r in kept) or 'none'}; {why}); "
                            "a study needs at least two (raise quality.attempts or fix the training recipe)")
    return kept


def owner(path: str | Path) -> tuple[str, int] | None:
    """(task, replicate) of a path ``.../{task}/rep{r}/...``, else None."""
    match = _REP.search(Path(path).as_posix())
    return (match.group(1), int(match.group(2))) if match else None


def replicate_of(path: str | Path) -> int | None:
    """The replicate ``r`` of a path with a ``rep{r}`` component, else None."""
    found = owner(path)
    return found[1] if found else None


def keep(paths: Iterable[str], kept: Iterable[int]) -> list[str]:
    """``paths`` without those of replicates outside ``kept`` (paths without a replicate stay)."""
    kept = set(kept)
    return [p for p in paths if replicate_of(p) is None or replicate_of(p) in kept]


def _owners(item) -> set[tuple[str, int]]:
    """The (task, replicate) pairs named by the paths in ``item`` (a path, or dicts and lists of them)."""
    if isinstance(item, str):
        return {found} if (found := owner(item)) is not None else set()
    values = item.values() if isinstance(item, Mapping) else item if isinstance(item, list | tuple) else ()
    return set().union(*(_owners(v) for v in values))


def keep_in(spec, kept: Mapping[str, Iterable[int]]):
    """A nested spec (dicts and lists of paths) whose lists lose every item that belongs to one replicate not kept:
    ``kept`` maps a task to its used replicates (tasks it does not name keep all). An item is a path, or a dict
    or list of one replicate's paths (e.g. its masks by language)."""
    kept = {task: set(reps) for task, reps in kept.items()}

    def dropped(item) -> bool:
        owners = _owners(item)
        if len(owners) != 1:
            return False
        (task, rep), = owners
        return task in kept and rep not in kept[task]

    if isinstance(spec, Mapping):
        return {key: keep_in(value, kept) for key, value in spec.items()}
    if isinstance(spec, list):
        return [keep_in(item, kept) for item in spec if not dropped(item)]
    return spec


def summary(table: pd.DataFrame) -> dict:
    """What an aggregate records of its replicates: ``used``, ``excluded`` (rep -> reason), ``redrawn``."""
    return {"replicates_used": used(table), "replicates_excluded": {str(r): why for r, why in excluded(table).items()},
            "replicates_redrawn": {str(r): why for r, why in redrawn(table).items()}}


def keep_rows(frame: pd.DataFrame, kept: Iterable[int]) -> pd.DataFrame:
    """Rows of a table with every replicate's rows (column ``rep``: a replicate, or ``i-j`` for a pair of them)
    whose replicates are all in ``kept``; a table without ``rep`` is returned as it is."""
    if "rep" not in frame.columns:
        return frame
    kept = {str(r) for r in kept}
    return frame[[set(str(r).split("-")) <= kept for r in frame["rep"]]].reset_index(drop=True)


def with_replicates(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """A findings table with the replicates it used, excluded (with why) and redrawn, in three columns."""
    note = summary(table)
    return frame.assign(
        replicates_used=" ".join(str(r) for r in note["replicates_used"]),
        replicates_excluded="; ".join(f"{r}: {why}" for r, why in note["replicates_excluded"].items()),
        replicates_redrawn="; ".join(f"{r}: {why}" for r, why in note["replicates_redrawn"].items()),
    )


def markdown(table: pd.DataFrame) -> str:
    """The replicates section of a findings page: each judged training's dev metric and attempts, and what was
    excluded or redrawn and why."""
    shown = pd.DataFrame({
        "replicate": table["rep"], "training": table["training"],
        "dev metric": [f"{m} {v:.3f}" if pd.notna(v) else "–" for m, v in zip(table["metric"], table["value"])],
        "attempts": table["attempts"], "learned": ["yes" if x else "**no**" for x in table["learned"].astype(bool)],
        "replicate counted": table["status"],
    })
    note = summary(table)
    total = table["rep"].nunique()
    lines = ["## Replicates", "",
             f"{len(note['replicates_used'])} of {total} replicates learned and are counted "
             f"({' '.join(str(r) for r in note['replicates_used']) or 'none'}). Every training these findings rest on "
             "was judged by the quality rule fixed before the run (config `quality`; langspec.training.quality), "
             "which reads only its own dev metric.", ""]
    lines += [f"- Excluded replicate {r}: {why}." for r, why in note["replicates_excluded"].items()]
    lines += [f"- Redrawn in replicate {r}: {why} (a failed attempt's model replaced by the next seed's)."
              for r, why in note["replicates_redrawn"].items()]
    return "\n".join([*lines, "", shown.to_markdown(index=False), ""])


def learned(quality: Mapping[str, str | os.PathLike] | None) -> tuple[dict[str, list[int]], int | None]:
    """From task -> quality CSV: task -> replicates that learned, and the most replicates any task was configured
    with (None without quality files)."""
    if not quality:
        return {}, None
    tables = {task: pd.read_csv(path) for task, path in quality.items()}
    return {task: used(t) for task, t in tables.items()}, max(t["rep"].nunique() for t in tables.values())
