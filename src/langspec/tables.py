"""Paper tables 1 and 2 as data frames (``langspec.atomic.write_table`` writes them as CSV and Markdown).

Languages are columns (table 1) or rows (table 2) in order of first appearance;
"–" marks a language that a task does not have, as in the paper.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import LangspecError
from .figures.checks import masks_of

MISSING = "–"
REGIMES = {"full": "Full", "sft": "SFT"}


def table1(masks: dict[str, dict[str, np.ndarray]]) -> pd.DataFrame:
    """Number of disabled attention heads in each language's subnetwork, per task.

    ``masks``: task -> language -> [layers, heads] 0/1 (0 = head disabled).
    Columns: ``task`` and one per language; one row per task.
    """
    if not masks:
        raise LangspecError("no masks given: table 1 needs task -> language -> mask")
    checked = {task: masks_of(task_masks, f"task '{task}'") for task, task_masks in masks.items()}
    languages = list(dict.fromkeys(lang for task_masks in checked.values() for lang in task_masks))
    rows = [
        {"task": task, **{lang: int((m[lang] == 0).sum()) if lang in m else MISSING for lang in languages}}
        for task, m in checked.items()
    ]
    return pd.DataFrame(rows, columns=["task", *languages])


def _check_accuracy(accuracy: dict[str, dict[str, dict[str, float]]]) -> None:
    """Both regimes per task, the same languages in each, percentages (not fractions)."""
    if not accuracy:
        raise LangspecError("no accuracies given: table 2 needs task -> regime (full, sft) -> language -> accuracy")
    for task, regimes in accuracy.items():
        for regime in REGIMES:
            if not regimes.get(regime):
                raise LangspecError(f"accuracy of task '{task}' lacks regime '{regime}' (or it has no languages)")
        if unmatched := sorted(set(regimes["full"]) ^ set(regimes["sft"])):
            raise LangspecError(f"accuracy of task '{task}' has language '{unmatched[0]}' in only one of the regimes full and sft")
        for regime in REGIMES:
            for lang, value in regimes[regime].items():
                if not 0 <= value <= 100:
                    raise LangspecError(f"accuracy of task '{task}', regime '{regime}', language '{lang}' is {value}: not a percentage")
    values = [value for regimes in accuracy.values() for regime in REGIMES for value in regimes[regime].values()]
    if max(values) <= 1:
        raise LangspecError("table 2 accuracies are all at most 1: they look like fractions; pass percentages (100 x fraction)")


def table2(accuracy: dict[str, dict[str, dict[str, float]]]) -> pd.DataFrame:
    """Dev accuracy (%) of each language's subnetwork after full fine-tuning and after SFT.

    ``accuracy``: task -> regime ("full", "sft") -> language -> accuracy in
    percent (all values at most 1 are taken for fractions passed by mistake and
    refused). Columns: ``lang``, then "<task> Full" and "<task> SFT" per task;
    one row per language, values rounded to one decimal.
    """
    _check_accuracy(accuracy)
    languages = list(dict.fromkeys(lang for regimes in accuracy.values() for lang in regimes["full"]))
    frame = pd.DataFrame({"lang": languages})
    for task, regimes in accuracy.items():
        for regime, name in REGIMES.items():
            frame[f"{task} {name}"] = [round(float(regimes[regime][lang]), 1) if lang in regimes[regime] else MISSING
                                       for lang in languages]
    return frame
