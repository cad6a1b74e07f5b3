"""Checks of figure inputs: anything empty or missing is a one-line LangspecError."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

import numpy as np
import pandas as pd

from ..errors import LangspecError
from ..shares import matrix

COMPARISON = ("test_lang", "train_lang", "sign", "share_pct", "n_test", "baseline_pct", "change_pct")
SHARES = ("test_lang", "train_lang", "sign", "share_pct", "n_test")
EPOCHS = ("epoch", "test_lang", "train_lang", "sign", "share_pct", "n_test", "accuracy")

V = TypeVar("V")


def nonempty(items: Mapping[str, V], what: str) -> Mapping[str, V]:
    """``items`` itself, or an error saying that no ``what`` was given."""
    if not items:
        raise LangspecError(f"no {what} given: nothing to plot")
    return items


def columns(table: pd.DataFrame, needed: Iterable[str], what: str) -> pd.DataFrame:
    """``table`` itself once it is non-empty and has the ``needed`` columns."""
    missing = [name for name in needed if name not in table.columns]
    if missing:
        raise LangspecError(f"{what} lacks the column(s) {', '.join(missing)}")
    if table.empty:
        raise LangspecError(f"{what} has no rows")
    return table


def languages_present(needed: Iterable[str], available: Iterable[str], what: str, role: str = "language") -> None:
    """Error naming the first language of ``needed`` that is not in ``available``.

    The message reads "<what> has no <role> '<lang>'".
    """
    available = set(available)
    for lang in needed:
        if lang not in available:
            raise LangspecError(f"{what} has no {role} '{lang}'")


def sign_matrix(table: pd.DataFrame, sign: str, value: str, what: str) -> pd.DataFrame:
    """Test-language x train-language matrix of column ``value`` for one sign, order as given.

    Every test language must appear as a training language and the other way round.
    """
    if not (table["sign"] == sign).any():
        raise LangspecError(f"{what} has no rows with sign '{sign}'")
    part = table[table["sign"] == sign]
    if part.duplicated(["test_lang", "train_lang"]).any():
        raise LangspecError(f"{what} has more than one row for a (test_lang, train_lang) pair with sign '{sign}'")
    languages_present(part["train_lang"], part["test_lang"], f"{what} (sign {sign})", "test language")
    languages_present(part["test_lang"], part["train_lang"], f"{what} (sign {sign})", "training language")
    return matrix(table, sign, value).astype(float)


def masks_of(masks: Mapping[str, np.ndarray], what: str) -> dict[str, np.ndarray]:
    """Language -> [layers, heads] 0/1 int arrays, checked to be 2-D, binary and of one shape."""
    nonempty(masks, f"masks for {what}")
    out: dict[str, np.ndarray] = {}
    for lang, mask in masks.items():
        array = np.asarray(mask, dtype=float)
        if array.ndim != 2 or not np.isin(array, (0.0, 1.0)).all():
            raise LangspecError(f"mask of '{lang}' for {what} is not a layers x heads array of 0/1")
        out[lang] = array.astype(int)
    shapes = {array.shape for array in out.values()}
    if len(shapes) > 1:
        raise LangspecError(f"masks for {what} differ in shape: {sorted(shapes)}")
    return out


def masks_and_shares(masks: Mapping[str, Mapping[str, np.ndarray]], tables: Mapping[str, pd.DataFrame],
                     sign: str) -> dict[str, tuple[dict[str, np.ndarray], pd.DataFrame]]:
    """task -> (checked masks of the table's languages, test x train matrix of ``sign`` share_pct).

    Tasks in the order of ``tables``; each needs masks for every language of its table.
    """
    nonempty(tables, "tables")
    out = {}
    for task, table in tables.items():
        if task not in masks:
            raise LangspecError(f"no masks given for task '{task}'")
        shares = sign_matrix(columns(table, SHARES, f"table '{task}'"), sign, "share_pct", f"table '{task}'")
        task_masks = masks_of(masks[task], f"task '{task}'")
        languages_present(shares.index, task_masks, f"masks of task '{task}'", "mask for language")
        out[task] = ({lang: task_masks[lang] for lang in shares.index}, shares)
    return out
