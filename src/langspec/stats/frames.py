"""Checks of figure inputs: anything empty or missing is a one-line LangspecError."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

from langspec.attribution.shares import matrix
from langspec.core.errors import LangspecError
from langspec.stats.replicates import wide

#: Columns of one replicate's shares (or comparison) table and epoch table.
SHARES = ("test_lang", "train_lang", "sign", "share_pct", "n_test")
EPOCHS = ("epoch", "test_lang", "train_lang", "sign", "share_pct", "n_test", "accuracy")
#: Columns of an aggregated table (``langspec.stats.replicates.aggregate_shares`` / ``aggregate_epochs``).
SUMMARY = ("measure", "mean", "ci_low", "ci_high", "n_replicates", "reference", "p_value", "robust", "method")
AGGREGATED = ("test_lang", "train_lang", "sign", *SUMMARY)
AGGREGATED_EPOCHS = ("epoch", *AGGREGATED)

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


def flags(values: pd.Series, what: str) -> pd.Series:
    """A column of booleans, also when a CSV gave it back as text ("True" / "False")."""
    if values.dtype == bool:
        return values
    text = values.astype(str).str.strip().str.lower()
    known = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}
    unknown = sorted(set(text) - set(known))
    if unknown:
        raise LangspecError(f"{what} has '{unknown[0]}' in column robust (True or False expected)")
    return text.map(known).astype(bool)


def aggregated(table: pd.DataFrame, measure: str, what: str, needed: tuple[str, ...] = AGGREGATED) -> pd.DataFrame:
    """One ``measure`` of an aggregated table, checked: its key and summary columns, ``robust`` as bool."""
    columns(table, needed, what)
    if not (table["measure"] == measure).any():
        present = ", ".join(map(str, table["measure"].unique()))
        raise LangspecError(f"{what} has no measure '{measure}' (it has {present}): is it an aggregated table of the right kind?")
    part = wide(table, measure)
    part["robust"] = flags(part["robust"], what)
    return part


def replicate_lists(items: Mapping[str, object], what: str) -> Mapping[str, list]:
    """``items`` (label -> one entry per replicate), checked to hold a non-empty list per label."""
    nonempty(items, what)
    for label, entries in items.items():
        if isinstance(entries, (str, bytes, Mapping, pd.DataFrame)) or not len(entries):
            raise LangspecError(f"{what} of '{label}' must be a non-empty list with one entry per replicate")
    return items


def languages_present(needed: Iterable[str], available: Iterable[str], what: str, role: str = "language") -> None:
    """Error naming the first language of ``needed`` that is not in ``available``.

    The message reads "<what> has no <role> '<lang>'".
    """
    available = set(available)
    for lang in needed:
        if lang not in available:
            raise LangspecError(f"{what} has no {role} '{lang}'")


def sign_tests(part: pd.DataFrame, sign: str, what: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Test x train matrices of the mean, the p-value and the number of replicates of one sign (:func:`aggregated`)."""
    mean = sign_matrix(part, sign, "mean", what)
    p = matrix(part, sign, "p_value").loc[mean.index, mean.columns].astype(float)
    n = matrix(part, sign, "n_replicates").loc[mean.index, mean.columns].astype(float)
    return mean, p, n


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


def replicate_masks(masks: Sequence[Mapping[str, np.ndarray]], what: str) -> list[dict[str, np.ndarray]]:
    """One checked language -> mask dict per replicate (:func:`masks_of`), the same languages and shape in each."""
    if isinstance(masks, Mapping) or not len(masks):
        raise LangspecError(f"masks for {what} must be a non-empty list with one language -> mask dict per replicate")
    checked = [masks_of(m, f"{what}, replicate {r}") for r, m in enumerate(masks)]
    for r, m in enumerate(checked[1:], start=1):
        if set(m) != set(checked[0]):
            odd = sorted(set(m) ^ set(checked[0]))[0]
            raise LangspecError(f"masks for {what}: replicate {r} and replicate 0 differ in language '{odd}'")
        if next(iter(m.values())).shape != next(iter(checked[0].values())).shape:
            raise LangspecError(f"masks for {what}: replicate {r} and replicate 0 differ in shape")
    return checked


def masks_and_shares(masks: Mapping[str, Sequence[Mapping[str, np.ndarray]]], tables: Mapping[str, Sequence[pd.DataFrame]],
                     sign: str) -> dict[str, list[tuple[dict[str, np.ndarray], pd.DataFrame]]]:
    """task -> per replicate (checked masks of the table's languages, test x train matrix of ``sign`` share_pct).

    ``masks`` and ``tables`` hold one entry per replicate of a task (replicate i
    of the masks goes with replicate i of the tables); tasks in the order of
    ``tables``; each replicate needs masks for every language of its table.
    """
    replicate_lists(tables, "replicate tables")
    out = {}
    for task, task_tables in tables.items():
        if task not in masks:
            raise LangspecError(f"no masks given for task '{task}'")
        task_masks = replicate_masks(masks[task], f"task '{task}'")
        if len(task_masks) != len(task_tables):
            raise LangspecError(f"task '{task}' has {len(task_masks)} replicate(s) of masks but {len(task_tables)} replicate table(s)")
        out[task] = []
        for r, (replicate, table) in enumerate(zip(task_masks, task_tables)):
            what = f"table '{task}' (replicate {r})"
            shares = sign_matrix(columns(table, SHARES, what), sign, "share_pct", what)
            languages_present(shares.index, replicate, f"masks of task '{task}' (replicate {r})", "mask for language")
            out[task].append(({lang: replicate[lang] for lang in shares.index}, shares))
    return out


def spec_roles(spec: dict, roles: tuple[str, ...], what: str) -> dict:
    """The ``roles`` of ``spec`` (role -> task -> CSV path), checked to be present and shaped so."""
    missing = [role for role in roles if role not in spec]
    if missing:
        raise LangspecError(f"the spec of {what} lacks the role(s) {', '.join(missing)}")
    for role in roles:
        paths = spec[role]
        if not isinstance(paths, dict) or not paths or not all(isinstance(p, (str, os.PathLike)) for p in paths.values()):
            raise LangspecError(f"spec role '{role}' of {what} must map each task to its CSV: one CSV path per task")
    return {role: spec[role] for role in roles}


def load_lth(spec: dict) -> dict:
    """Role -> task -> data frame, read from role -> task -> CSV path."""
    return {role: {task: pd.read_csv(path) for task, path in paths.items()} for role, paths in spec.items()}
