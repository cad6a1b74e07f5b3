"""The data contract of ``data/{task}/{split}.parquet`` (see DESIGN.md).

Columns, in this order: ``uid`` (str, unique across all splits of a task),
``lang`` (str), ``text_a`` (str), ``text_b`` (str or null), ``label`` (int,
0..C-1).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from langspec.core.errors import LangspecError

SPLITS: tuple[str, ...] = ("train", "dev", "test")
COLUMNS: tuple[str, ...] = ("uid", "lang", "text_a", "text_b", "label")


@dataclass
class Loaded:
    """What a source hands to :func:`langspec.data.tasks.build`, before subsampling.

    ``frames`` maps each split to rows with the contract columns plus ``item``, the
    key shared by the translations of one item (parallel sources) or unique per row.
    """

    frames: dict[str, pd.DataFrame]
    label_names: list[str]
    parallel: bool
    manifest: dict = field(default_factory=dict)


def to_contract(frame: pd.DataFrame) -> pd.DataFrame:
    """The contract columns of ``frame``: strings (text_b null where absent), int64 labels, a fresh index."""
    out = frame.loc[:, list(COLUMNS)].reset_index(drop=True)
    for column in ("uid", "lang", "text_a", "text_b"):
        out[column] = out[column].astype("str")
    out["label"] = out["label"].astype("int64")
    return out


def _first(mask: pd.Series) -> int:
    """Position of the first True in ``mask``."""
    return int(mask.to_numpy().argmax())


def check_frame(frame: pd.DataFrame, name: str, num_labels: int | None = None) -> None:
    """Raise a one-line :class:`LangspecError` naming ``name`` if ``frame`` breaks the contract.

    ``num_labels`` (C), when given, also bounds the labels to 0..C-1.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise LangspecError(f"{name}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    for column in ("uid", "lang", "text_a"):
        bad = frame[column].isna() | ~frame[column].map(lambda v: isinstance(v, str))
        if bad.any():
            raise LangspecError(f"{name}: column {column} must be non-null strings (row {_first(bad)})")
    bad = frame["text_b"].notna() & ~frame["text_b"].map(lambda v: isinstance(v, str))
    if bad.any():
        raise LangspecError(f"{name}: column text_b must be strings or null (row {_first(bad)})")
    empty = frame["text_a"].str.strip() == ""
    if empty.any():
        raise LangspecError(f"{name}: column text_a is empty in row {_first(empty)}")
    labels = frame["label"]
    if not pd.api.types.is_integer_dtype(labels.dtype):
        raise LangspecError(f"{name}: column label must be integers, found dtype {labels.dtype}")
    if len(frame) and labels.min() < 0:
        raise LangspecError(f"{name}: column label has negative value {int(labels.min())}")
    if num_labels is not None and len(frame) and labels.max() >= num_labels:
        raise LangspecError(f"{name}: column label has value {int(labels.max())}, labels must be 0..{num_labels - 1}")
    duplicated = frame["uid"].duplicated()
    if duplicated.any():
        raise LangspecError(f"{name}: uid {frame['uid'][duplicated].iloc[0]!r} is not unique")


def check_splits(frames: Mapping[str, pd.DataFrame], task: str, num_labels: int) -> None:
    """Check every split of ``task`` and that no uid occurs in two splits."""
    for split, frame in frames.items():
        check_frame(frame, f"task {task!r} split {split}", num_labels)
    seen: dict[str, str] = {}
    for split, frame in frames.items():
        for uid in frame["uid"]:
            if uid in seen:
                raise LangspecError(f"task {task!r}: uid {uid!r} occurs in splits {seen[uid]} and {split}")
            seen[uid] = split


def read_split(path: str | os.PathLike) -> pd.DataFrame:
    """A data split in the contract's columns."""
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
        raise LangspecError(f"data file {path} cannot be read ({error.__class__.__name__})") from None
    missing = {"uid", "lang", "text_a", "text_b", "label"} - set(frame.columns)
    if missing:
        raise LangspecError(f"data file {path} lacks column(s) {', '.join(sorted(missing))}")
    return frame
