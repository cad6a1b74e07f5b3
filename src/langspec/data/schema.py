"""The data contract of ``data/{task}/{split}.parquet`` (see DESIGN.md).

Columns, in this order: ``uid`` (str, unique across all splits of a task),
``lang`` (str), ``text_a`` (str), ``text_b`` (str or null), ``label`` (int,
0..C-1), and for token classification ``tags``. A task has one of three kinds:

- ``classification``: ``label`` is the class of the text (pair), one of the C
  ``label_names``;
- ``mlm`` (masked language modelling): ``text_a`` is a passage of text,
  ``text_b`` null, ``label`` 0, and there are no classes (``label_names`` is []);
- ``token-classification``: ``text_a`` is words joined by single spaces (each word
  non-empty, without whitespace), ``tags`` holds one IOB2 tag id (int64, 0..C-1)
  per word, ``label`` is 0, and ``label_names`` are the C tag names in id order
  (e.g. O, B-PER, I-PER, ...).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral

import pandas as pd

from langspec.core.errors import LangspecError

SPLITS: tuple[str, ...] = ("train", "dev", "test")
COLUMNS: tuple[str, ...] = ("uid", "lang", "text_a", "text_b", "label")
TAGS = "tags"
KINDS: tuple[str, ...] = ("classification", "mlm", "token-classification")


@dataclass
class Loaded:
    """What a source hands to :func:`langspec.data.tasks.build`, before subsampling.

    ``frames`` maps each split to rows with the contract columns (``tags`` included
    for token classification) plus ``item``, the key shared by the translations of
    one item (parallel sources) or unique per row. ``kind`` is one of :data:`KINDS`.
    """

    frames: dict[str, pd.DataFrame]
    label_names: list[str]
    parallel: bool
    manifest: dict = field(default_factory=dict)
    kind: str = "classification"


def to_contract(frame: pd.DataFrame) -> pd.DataFrame:
    """The contract columns of ``frame``: strings (text_b null where absent), int64 labels, a fresh index.

    ``tags``, where present, is kept as lists of int.
    """
    columns = [*COLUMNS, TAGS] if TAGS in frame.columns else list(COLUMNS)
    out = frame.loc[:, columns].reset_index(drop=True)
    for column in ("uid", "lang", "text_a", "text_b"):
        out[column] = out[column].astype("str")
    out["label"] = out["label"].astype("int64")
    if TAGS in out.columns:
        out[TAGS] = out[TAGS].map(lambda tags: [int(tag) for tag in tags])
    return out


def _first(mask: pd.Series) -> int:
    """Position of the first True in ``mask``."""
    return int(mask.to_numpy().argmax())


def check_tags(frame: pd.DataFrame, name: str, num_labels: int | None = None) -> None:
    """Raise a one-line :class:`LangspecError` naming ``name`` and the row if the tags of ``frame`` are malformed.

    Every ``text_a`` must be words joined by single spaces, and ``tags`` one integer
    per word, within 0..C-1 where ``num_labels`` (C) is given.
    """
    if TAGS not in frame.columns:
        raise LangspecError(f"{name}: missing column {TAGS}, which token classification needs")
    for row, (text, tags) in enumerate(zip(frame["text_a"], frame[TAGS], strict=True)):
        words = text.split(" ")
        if "" in words or any(len(word.split()) != 1 for word in words):
            raise LangspecError(f"{name}: column text_a must be words joined by single spaces (row {row})")
        if isinstance(tags, str) or not hasattr(tags, "__len__"):
            raise LangspecError(f"{name}: column {TAGS} must be lists of integers (row {row})")
        if len(tags) != len(words):
            raise LangspecError(f"{name}: column {TAGS} has {len(tags)} tags for {len(words)} words in row {row}")
        for tag in tags:
            if isinstance(tag, bool) or not isinstance(tag, Integral):
                raise LangspecError(f"{name}: column {TAGS} has non-integer tag {tag!r} in row {row}")
            if tag < 0 or (num_labels is not None and tag >= num_labels):
                bound = f"0..{num_labels - 1}" if num_labels is not None else ">= 0"
                raise LangspecError(f"{name}: column {TAGS} has tag {int(tag)} in row {row}, tags must be {bound}")


def check_frame(frame: pd.DataFrame, name: str, num_labels: int | None = None, kind: str = "classification") -> None:
    """Raise a one-line :class:`LangspecError` naming ``name`` if ``frame`` breaks the contract of ``kind``.

    ``num_labels`` (C), when given, also bounds the labels (classification) or the
    tags (token classification) to 0..C-1; an mlm task has no label bound.
    """
    if kind not in KINDS:
        raise LangspecError(f"{name}: unknown task kind {kind!r}; choose one of {', '.join(KINDS)}")
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
    if kind == "classification" and num_labels is not None and len(frame) and labels.max() >= num_labels:
        raise LangspecError(f"{name}: column label has value {int(labels.max())}, labels must be 0..{num_labels - 1}")
    if kind == "token-classification":
        check_tags(frame, name, num_labels)
    duplicated = frame["uid"].duplicated()
    if duplicated.any():
        raise LangspecError(f"{name}: uid {frame['uid'][duplicated].iloc[0]!r} is not unique")


def check_splits(
    frames: Mapping[str, pd.DataFrame], task: str, num_labels: int, kind: str = "classification"
) -> None:
    """Check every split of ``task`` (a task of ``kind``) and that no uid occurs in two splits."""
    for split, frame in frames.items():
        check_frame(frame, f"task {task!r} split {split}", num_labels, kind)
    seen: dict[str, str] = {}
    for split, frame in frames.items():
        for uid in frame["uid"]:
            if uid in seen:
                raise LangspecError(f"task {task!r}: uid {uid!r} occurs in splits {seen[uid]} and {split}")
            seen[uid] = split


def read_split(path: str | os.PathLike) -> pd.DataFrame:
    """A data split in the contract's columns; ``tags`` (token classification) comes back as int64 arrays."""
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
        raise LangspecError(f"data file {path} cannot be read ({error.__class__.__name__})") from None
    missing = {"uid", "lang", "text_a", "text_b", "label"} - set(frame.columns)
    if missing:
        raise LangspecError(f"data file {path} lacks column(s) {', '.join(sorted(missing))}")
    return frame
