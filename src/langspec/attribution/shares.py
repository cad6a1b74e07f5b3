"""Language shares: how much each training language contributes to the top-k (paper 4.3).

For a test example, the share of training language ℓ is the fraction of its k
most positively (or negatively) influential training examples that are in ℓ.
Shares are averaged over the test examples of a test language and given in
percent. A condition is compared with its baseline over the test examples that
both models classify correctly (the paper's rule).
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from langspec.attribution.influence import Influence
from langspec.core.errors import LangspecError

SIGNS = {"pos": "pos_idx", "neg": "neg_idx"}
VALUES = ("share_pct", "share_se", "baseline_pct", "baseline_se", "change_pct", "change_se", "accuracy", "accuracy_se")
log = logging.getLogger(__name__)


def _per_example(idx: np.ndarray, train_codes: np.ndarray, n_langs: int) -> np.ndarray:
    """[T, k] indices -> [T, languages] fraction of the top-k in each training language."""
    onehot = np.eye(n_langs)[train_codes]  # [N, L]
    return onehot[idx].mean(axis=1)


def _mean_se(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean [L] and its standard error [L] over the rows of ``values`` [n, L] (NaN where undefined)."""
    n = len(values)
    if n == 0:
        return np.full(values.shape[1], np.nan), np.full(values.shape[1], np.nan)
    se = values.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(values.shape[1], np.nan)
    return values.mean(axis=0), se


def _fractions(influence: Influence, languages: list[str], sign: str, epoch: int | None) -> np.ndarray:
    """[T, languages] fraction of each test example's top-k (one sign) in each training language."""
    unknown = sorted(set(influence.train_lang) - set(languages))
    if unknown:
        raise LangspecError(f"training language(s) {', '.join(unknown)} are not among {', '.join(languages)}")
    codes = np.array([languages.index(lang) for lang in influence.train_lang])
    idx = getattr(influence, SIGNS[sign]) if epoch is None else influence.epoch[SIGNS[sign]][epoch]
    return _per_example(idx, codes, len(languages))


def shares(influence: Influence, rows: np.ndarray, languages: list[str], epoch: int | None = None) -> pd.DataFrame:
    """Shares (%) for the test examples selected by the boolean ``rows`` [T].

    ``epoch`` picks one checkpoint's own top-k (0-based) instead of the sum.
    Columns: test_lang, train_lang, sign, share_pct, share_se (standard error of
    the mean over the test examples, pp), n_test.
    """
    records = []
    for sign in SIGNS:
        fractions = _fractions(influence, languages, sign, epoch) * 100
        for test_lang in languages:
            selected = rows & (influence.test_lang == test_lang)
            mean, se = _mean_se(fractions[selected])
            for j, train_lang in enumerate(languages):
                records.append((test_lang, train_lang, sign, float(mean[j]), float(se[j]), int(selected.sum())))
    return pd.DataFrame(records, columns=["test_lang", "train_lang", "sign", "share_pct", "share_se", "n_test"])


def compare(condition: Influence, baseline: Influence, languages: list[str]) -> pd.DataFrame:
    """Shares of ``condition`` and ``baseline`` over the examples both classify correctly.

    Columns: test_lang, train_lang, sign, share_pct, share_se, n_test, baseline_pct,
    baseline_se, change_pct (percentage points, condition minus baseline) and
    change_se (standard error of the mean paired change over the test examples).
    """
    if not np.array_equal(condition.test_uid, baseline.test_uid):
        raise LangspecError("the condition and its baseline were scored on different test examples")
    if not np.array_equal(condition.train_uid, baseline.train_uid):
        raise LangspecError("the condition and its baseline were scored against different training examples")
    both = condition.correct & baseline.correct
    table = shares(condition, both, languages)
    base = shares(baseline, both, languages)
    table["baseline_pct"] = base["share_pct"].to_numpy()
    table["baseline_se"] = base["share_se"].to_numpy()
    table["change_pct"] = table["share_pct"] - table["baseline_pct"]
    change_se = []
    for sign in SIGNS:
        difference = (_fractions(condition, languages, sign, None) - _fractions(baseline, languages, sign, None)) * 100
        for test_lang in languages:
            change_se.extend(_mean_se(difference[both & (condition.test_lang == test_lang)])[1])
    table["change_se"] = change_se
    return table


def epoch_shares(influence: Influence, languages: list[str]) -> pd.DataFrame:
    """Per-checkpoint shares over the examples correct at that checkpoint, with test accuracy.

    Columns: epoch (1-based), test_lang, train_lang, sign, share_pct, share_se, n_test,
    accuracy (fraction of the test language's examples) and accuracy_se.
    Needs an influence file made with ``per_checkpoint``.
    """
    if not influence.epoch:
        raise LangspecError("per-checkpoint rankings are missing: set influence.per_checkpoint: true")
    frames = []
    for e in range(influence.epoch_correct.shape[0]):
        correct = influence.epoch_correct[e]
        table = shares(influence, correct, languages, epoch=e)
        accuracy, accuracy_se = {}, {}
        for lang in languages:
            scored = correct[influence.test_lang == lang]
            if scored.size:
                accuracy[lang] = float(scored.mean())
                accuracy_se[lang] = float(np.sqrt(accuracy[lang] * (1 - accuracy[lang]) / scored.size))
        table.insert(0, "epoch", e + 1)
        table["accuracy"] = table["test_lang"].map(accuracy)
        table["accuracy_se"] = table["test_lang"].map(accuracy_se)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def matrix(table: pd.DataFrame, sign: str, value: str = "change_pct") -> pd.DataFrame:
    """A test-language × train-language matrix of one column of a shares table."""
    part = table[table["sign"] == sign]
    order = list(dict.fromkeys(part["test_lang"]))
    return part.pivot(index="test_lang", columns="train_lang", values=value).loc[order, order]


def require_test_examples(table: pd.DataFrame, min_test: int, what: str) -> pd.DataFrame:
    """Blank (NaN) the values of cells scored on fewer than ``min_test`` test examples, with a warning.

    A cell's share is a mean over the test examples of its test language (those
    both models classify correctly, for a comparison); below ``min_test`` it is
    too noisy to report. Raises when no cell has enough test examples.
    """
    few = table["n_test"] < min_test
    if few.all():
        raise LangspecError(
            f"{what}: no test language has at least shares.min_test = {min_test} scored test examples "
            f"(at most {int(table['n_test'].max())}); the models may be at chance or the test split too small"
        )
    if few.any():
        groups = table[few].drop_duplicates(["test_lang", *(["epoch"] if "epoch" in table else [])])
        where = ", ".join(
            f"{row.test_lang}{f' (epoch {row.epoch})' if 'epoch' in table else ''}: n = {row.n_test}" for row in groups.itertuples()
        )
        log.warning("%s: cells of %s have fewer than shares.min_test = %d test examples and are left blank", what, where, min_test)
    table = table.copy()
    columns = [c for c in VALUES if c in table.columns]
    table.loc[few, columns] = np.nan
    return table


#: Range of each value column of a shares table (NaN allowed: a blank cell).
RANGES = {"share_pct": (0, 100), "baseline_pct": (0, 100), "change_pct": (-100, 100), "accuracy": (0, 1),
          "share_se": (0, 100), "baseline_se": (0, 100), "change_se": (0, 200), "accuracy_se": (0, 1)}


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """A per-replicate shares (or epoch shares) CSV, checked: its columns, value ranges, and counts."""
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise LangspecError(f"shares table {path} cannot be read ({error.__class__.__name__})") from None
    missing = [c for c in ("test_lang", "train_lang", "sign", "share_pct", "n_test") if c not in table.columns]
    if missing:
        raise LangspecError(f"shares table {path} lacks column(s) {', '.join(missing)}")
    for column, (low, high) in RANGES.items():
        if column in table.columns:
            values = pd.to_numeric(table[column], errors="coerce").to_numpy(float)
            finite = values[np.isfinite(values)]
            if np.isinf(values).any() or (finite.size and (finite.min() < low or finite.max() > high)):
                raise LangspecError(f"shares table {path}: column {column} has values outside [{low}, {high}]")
    if (table["n_test"] < 0).any() or not set(table["sign"]) <= set(SIGNS):
        raise LangspecError(f"shares table {path} has negative counts or signs other than {', '.join(SIGNS)}")
    return table
