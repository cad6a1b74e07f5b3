"""Paper tables 1 and 2 over replicates: mean ± sample standard deviation, as CSV (numbers) and Markdown (text).

Each table is a data frame of numbers (the CSV): for every value column ``c``
its mean over the replicates, ``c sd`` the sample standard deviation between
them (empty for a single replicate) and the number of replicates (``replicates``
per row in table 1, ``c n`` per column in table 2). :func:`markdown` turns it
into the paper's layout, cells like "31.0 ± 4.4" (a single replicate shows just
its value) and "–" for a language that a task does not have, and :func:`write`
writes both. Languages are columns (table 1) or rows (table 2) in order of
first appearance.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.errors import LangspecError
from langspec.stats.frames import masks_of
from langspec.stats.replicates import spread
from langspec.tables.format import MISSING, SD, markdown

N = " n"
REGIMES = {"full": "Full", "sft": "SFT"}


def _replicates(items, what: str) -> list:
    """``items`` as a non-empty list with one entry per replicate, or a one-line error."""
    if isinstance(items, (Mapping, str, bytes)) or not isinstance(items, Sequence) or not items:
        raise LangspecError(f"{what} must be a non-empty list with one entry per replicate")
    return list(items)


def _same_languages(replicates: list[Mapping], what: str) -> None:
    """Every replicate has the languages of replicate 0."""
    for r, replicate in enumerate(replicates[1:], start=1):
        if odd := sorted(set(replicate) ^ set(replicates[0])):
            raise LangspecError(f"{what}: replicate {r} and replicate 0 differ in language '{odd[0]}'")


def table1(masks: dict[str, list[dict[str, np.ndarray]]]) -> pd.DataFrame:
    """Number of disabled attention heads in each language's subnetwork, per task, over replicates.

    ``masks``: task -> one language -> [layers, heads] 0/1 dict per replicate
    (0 = head disabled). Columns: ``task``, ``replicates``, then per language its
    mean and ``<lang> sd`` (NaN where the task lacks the language, and the sd
    for one replicate); one row per task.
    """
    if not masks:
        raise LangspecError("no masks given: table 1 needs task -> [language -> mask, one per replicate]")
    counts = {}
    for task, reps in masks.items():
        checked = [masks_of(m, f"task '{task}', replicate {r}")
                   for r, m in enumerate(_replicates(reps, f"masks of task '{task}'"))]
        _same_languages(checked, f"masks of task '{task}'")
        counts[task] = {lang: [int((m[lang] == 0).sum()) for m in checked] for lang in checked[0]}
    languages = list(dict.fromkeys(lang for per_lang in counts.values() for lang in per_lang))
    rows = []
    for task, per_lang in counts.items():
        row = {"task": task, "replicates": len(next(iter(per_lang.values())))}
        for lang in languages:
            mean, sd, _ = spread(per_lang.get(lang, []))
            row[lang], row[lang + SD] = mean, sd
        rows.append(row)
    return pd.DataFrame(rows, columns=["task", "replicates", *(c for lang in languages for c in (lang, lang + SD))])


def _check_accuracy(accuracy: dict[str, dict[str, list[dict[str, float]]]]) -> None:
    """Both regimes per task, a list of replicates each, the same languages throughout, percentages (not fractions)."""
    if not accuracy:
        raise LangspecError("no accuracies given: table 2 needs task -> regime (full, sft) -> [language -> accuracy, one per replicate]")
    for task, regimes in accuracy.items():
        for regime in REGIMES:
            if not regimes.get(regime):
                raise LangspecError(f"accuracy of task '{task}' lacks regime '{regime}' (or it has no replicates)")
            reps = _replicates(regimes[regime], f"accuracy of task '{task}', regime '{regime}'")
            if not all(reps):
                raise LangspecError(f"accuracy of task '{task}', regime '{regime}' has a replicate without languages")
            _same_languages(reps, f"accuracy of task '{task}', regime '{regime}'")
        if unmatched := sorted(set(regimes["full"][0]) ^ set(regimes["sft"][0])):
            raise LangspecError(f"accuracy of task '{task}' has language '{unmatched[0]}' in only one of the regimes full and sft")
        for regime in REGIMES:
            for r, replicate in enumerate(regimes[regime]):
                for lang, value in replicate.items():
                    if not 0 <= value <= 100:
                        raise LangspecError(f"accuracy of task '{task}', regime '{regime}', replicate {r}, "
                                            f"language '{lang}' is {value}: not a percentage")
    values = [value for regimes in accuracy.values() for regime in REGIMES for rep in regimes[regime] for value in rep.values()]
    if max(values) <= 1:
        raise LangspecError("table 2 accuracies are all at most 1: they look like fractions; pass percentages (100 x fraction)")


def table2(accuracy: dict[str, dict[str, list[dict[str, float]]]]) -> pd.DataFrame:
    """Dev accuracy (%) of each language's subnetwork after full fine-tuning and after SFT, over replicates.

    ``accuracy``: task -> regime ("full", "sft") -> one language -> accuracy in
    percent dict per replicate (all values at most 1 are taken for fractions
    passed by mistake and refused). Columns: ``lang``, then per task and regime
    "<task> Full" (mean), "<task> Full sd", "<task> Full n" (replicates), and the
    same for SFT; one row per language, NaN where a task lacks the language.
    """
    _check_accuracy(accuracy)
    languages = list(dict.fromkeys(lang for regimes in accuracy.values() for lang in regimes["full"][0]))
    frame = pd.DataFrame({"lang": languages})
    for task, regimes in accuracy.items():
        for regime, name in REGIMES.items():
            column = f"{task} {name}"
            stats = [spread([rep[lang] for rep in regimes[regime]]) if lang in regimes[regime][0] else (np.nan, np.nan, 0)
                     for lang in languages]
            frame[column] = [mean for mean, _, _ in stats]
            frame[column + SD] = [sd for _, sd, _ in stats]
            frame[column + N] = [n for _, _, n in stats]
    return frame


def replicate_note(frame: pd.DataFrame) -> str:
    """The line under a Markdown table: what its cells are and over how many replicates."""
    counts = frame["replicates"] if "replicates" in frame else frame[[c for c in frame.columns if c.endswith(N)]].stack()
    counts = sorted({int(c) for c in counts if c > 0})
    many = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return (f"Mean ± sample standard deviation over {many} replicate{'s' if counts[-1] != 1 else ''} "
            f"(a single replicate shows its value); {MISSING}: the task does not have the language.")


def write(stem: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Write ``stem.csv`` (the numbers of ``frame``) and ``stem.md`` (:func:`markdown` and :func:`replicate_note`), atomically."""
    stem = Path(stem)
    with atomic_path(stem.with_suffix(".csv")) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    with atomic_path(stem.with_suffix(".md")) as tmp:
        tmp.write_text(markdown(frame).to_markdown(index=False) + "\n\n" + replicate_note(frame) + "\n", encoding="utf-8")
