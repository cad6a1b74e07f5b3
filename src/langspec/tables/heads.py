"""Paper tables 1 and 2 over replicates: mean ± sample standard deviation, as CSV (numbers) and Markdown (text).

Each table is laid out from its source-data frame (:func:`langspec.stats.source_data.heads.table1`,
:func:`~langspec.stats.source_data.heads.table2`: one row per task and language, or per task, regime and
language, with every replicate's value), and only laid out here. The table is a data frame of numbers (the
CSV): for every value column ``c`` its mean over the replicates, ``c sd`` the sample standard deviation
between them (empty for a single replicate) and the number of replicates (``replicates`` per row in table 1,
``c n`` per column in table 2). :func:`markdown` turns it into the paper's layout, cells like "31.0 ± 4.4"
(a single replicate shows just its value) and "–" for a language that a task does not have, and
:func:`write` writes both. Languages are columns (table 1) or rows (table 2) in order of first appearance.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.tables.format import MISSING, SD, markdown

N = " n"
REGIMES = {"full": "Full", "sft": "SFT"}


def table1(frame: pd.DataFrame) -> pd.DataFrame:
    """Number of disabled attention heads in each language's subnetwork, per task, over replicates.

    ``frame``: table 1's source data (task, lang, mean, sd, n_replicates, ...). Columns: ``task``,
    ``replicates``, then per language its mean and ``<lang> sd`` (NaN where the task lacks the language, and
    the sd for one replicate); one row per task.
    """
    languages = list(dict.fromkeys(frame["lang"]))
    rows = []
    for task, part in frame.groupby("task", sort=False):
        by_lang = part.set_index("lang")
        row = {"task": task, "replicates": int(part["n_replicates"].max())}
        for lang in languages:
            present = lang in by_lang.index
            row[lang] = float(by_lang.loc[lang, "mean"]) if present else np.nan
            row[lang + SD] = float(by_lang.loc[lang, "sd"]) if present else np.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=["task", "replicates", *(c for lang in languages for c in (lang, lang + SD))])


def table2(frame: pd.DataFrame) -> pd.DataFrame:
    """Dev accuracy (%) of each language's subnetwork after full fine-tuning and after SFT, over replicates.

    ``frame``: table 2's source data (task, regime, lang, mean, sd, n_replicates, ...). Columns: ``lang``,
    then per task and regime "<task> Full" (mean), "<task> Full sd", "<task> Full n" (replicates), and the
    same for SFT; one row per language, NaN (and n 0) where a task lacks the language.
    """
    languages = list(dict.fromkeys(frame["lang"]))
    table = pd.DataFrame({"lang": languages})
    for task, part in frame.groupby("task", sort=False):
        for regime, name in REGIMES.items():
            cells = part[part["regime"] == regime].set_index("lang").reindex(languages)
            column = f"{task} {name}"
            table[column] = cells["mean"].to_numpy(float)
            table[column + SD] = cells["sd"].to_numpy(float)
            table[column + N] = cells["n_replicates"].fillna(0).to_numpy().astype(int)
    return table


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
