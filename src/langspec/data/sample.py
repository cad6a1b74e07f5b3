"""Seeded, deterministic choices: split partition, parallel alignment, balanced subsampling.

Every choice ranks keys by the SHA-256 digest of (seed, purpose, key) instead of
drawing from a random generator: the same keys and seed give the same choice on
every machine and library version, and a key's rank does not depend on which other
keys are present.

Frames handled here carry the contract columns plus ``item``: the key of one item.
For a parallel task the rows of one item are its translations (one per language);
for a non-parallel task every row is an item of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from langspec.core.errors import LangspecError


def _digest(seed: int, purpose: str, key: str) -> bytes:
    return hashlib.sha256(f"{seed}\x1f{purpose}\x1f{key}".encode()).digest()


def seeded_order(keys: Iterable[str], seed: int, purpose: str) -> list[str]:
    """``keys`` (unique strings) in a seeded pseudo-random order."""
    return sorted(keys, key=lambda k: _digest(seed, purpose, k))


def _uniform(seed: int, purpose: str, key: str) -> float:
    """A number in [0, 1) fixed by (seed, purpose, key)."""
    return int.from_bytes(_digest(seed, purpose, key)[:8], "big") / 2**64


def split_of(item: str, seed: int, dev: float, test: float) -> str:
    """``train``, ``dev`` or ``test`` for one item, with probabilities 1-dev-test, dev, test."""
    u = _uniform(seed, "split", item)
    return "test" if u < test else "dev" if u < test + dev else "train"


def partition(items: Iterable[str], seed: int, dev: float, test: float) -> dict[str, str]:
    """Assign each item to ``train``, ``dev`` or ``test`` with probabilities 1-dev-test, dev, test.

    Each item's split depends only on the item and the seed, so adding or removing
    other items (another language, another area) never moves an item between splits.
    """
    return {item: split_of(item, seed, dev, test) for item in items}


def seeded_index(key: str, n: int, seed: int, purpose: str) -> int:
    """An index in 0..n-1 fixed by (seed, purpose, key), each equally likely."""
    return int(_uniform(seed, purpose, key) * n)


def complete_items(frame: pd.DataFrame, languages: Sequence[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Keep the items of a parallel frame that have exactly one row in every language and one label.

    Returns the kept rows and how many items were dropped, by reason: ``duplicate_rows``
    (rows after the first of an item and language), ``incomplete`` (an item missing in
    some language) and ``conflicting_labels`` (an item labelled differently across languages).
    """
    frame = frame[frame["lang"].isin(languages)]
    duplicated = frame.duplicated(["item", "lang"])
    frame = frame[~duplicated]
    per_item = frame.groupby("item", sort=False).agg(langs=("lang", "nunique"), labels=("label", "nunique"))
    incomplete = per_item["langs"] < len(languages)
    conflicting = ~incomplete & (per_item["labels"] > 1)
    keep = per_item.index[~incomplete & ~conflicting]
    dropped = {
        "duplicate_rows": int(duplicated.sum()),
        "incomplete": int(incomplete.sum()),
        "conflicting_labels": int(conflicting.sum()),
    }
    return frame[frame["item"].isin(keep)], dropped


def balanced_quota(available: Sequence[int], n: int) -> list[int]:
    """How many to take of each label: as equal as ``available`` allows, summing to ``n``.

    The remainder of an uneven division goes to the lowest labels; a label with too few
    examples gives its share to the others. Requires ``sum(available) >= n``.
    """
    quota = [0] * len(available)
    remaining = n
    open_labels = [i for i, a in enumerate(available) if a > 0]
    while remaining > 0:
        share, extra = divmod(remaining, len(open_labels))
        for rank, label in enumerate(open_labels):
            take = min(share + (rank < extra), available[label] - quota[label])
            quota[label] += take
            remaining -= take
        open_labels = [i for i in open_labels if quota[i] < available[i]]
    return quota


def subsample(
    frame: pd.DataFrame,
    n: int | None,
    seed: int,
    *,
    task: str,
    split: str,
    languages: Sequence[str],
    parallel: bool,
    label_names: Sequence[str],
    balance: bool = True,
) -> tuple[pd.DataFrame, list[dict]]:
    """Take ``n`` examples per language (all when ``n`` is None), balanced over labels if ``balance``.

    Without ``balance`` (tasks whose kind is not classification: MLM passages, tagged
    sentences) or without ``label_names`` the first ``n`` items in the seeded order
    are taken, whatever their label. A parallel task takes the same items in every language (``frame`` must
    hold complete items only, see :func:`complete_items`). Rows come out grouped by
    language in the order of ``languages``, items in a seeded order. Returns the rows
    and one note per group whose labels could not be balanced.
    """
    groups: list[tuple[list[str], pd.DataFrame]] = (
        [(list(languages), frame)] if parallel else [([lang], frame[frame["lang"] == lang]) for lang in languages]
    )
    chosen: dict[str, list[str]] = {}
    notes: list[dict] = []
    for langs, rows in groups:
        items = rows.drop_duplicates("item")
        purpose = f"{split}/{langs[0]}" if not parallel else split
        order = {item: rank for rank, item in enumerate(seeded_order(items["item"], seed, purpose))}
        if n is None:
            picked = list(items["item"])
        else:
            by_label = (
                [items.loc[items["label"] == c, "item"].tolist() for c in range(len(label_names))]
                if balance and label_names
                else [items["item"].tolist()]
            )
            available = [len(keys) for keys in by_label]
            if sum(available) < n:
                which = f"language {langs[0]}" if not parallel else f"languages {', '.join(langs)} (parallel items)"
                raise LangspecError(
                    f"task {task!r}, split {split}, {which}: {n} examples requested, {sum(available)} available"
                )
            quota = balanced_quota(available, n)
            picked = [
                key for keys, q in zip(by_label, quota, strict=True) for key in sorted(keys, key=order.__getitem__)[:q]
            ]
            if max(quota) - min(quota) > 1:
                notes.append(
                    {
                        "split": split,
                        "languages": langs,
                        "available": dict(zip(label_names, available, strict=True)),
                        "selected": dict(zip(label_names, quota, strict=True)),
                    }
                )
        for lang in langs:
            chosen[lang] = sorted(picked, key=order.__getitem__)
    parts = []
    for lang in languages:
        rows = frame[frame["lang"] == lang].set_index("item").loc[chosen[lang]].reset_index()
        parts.append(rows)
    return pd.concat(parts, ignore_index=True), notes


def label_counts(frames: Mapping[str, pd.DataFrame], languages: Sequence[str], label_names: Sequence[str]) -> dict:
    """Counts per split, language and label name (every label listed, zeros included)."""
    out: dict = {}
    for split, frame in frames.items():
        out[split] = {}
        for lang in languages:
            labels = frame.loc[frame["lang"] == lang, "label"]
            out[split][lang] = {name: int((labels == c).sum()) for c, name in enumerate(label_names)}
    return out


def tag_counts(frames: Mapping[str, pd.DataFrame], languages: Sequence[str], tag_names: Sequence[str]) -> dict:
    """Token classification: word counts per split, language and tag name (every tag listed, zeros included)."""
    out: dict = {}
    for split, frame in frames.items():
        out[split] = {}
        for lang in languages:
            tags = [tag for row in frame.loc[frame["lang"] == lang, "tags"] for tag in row]
            out[split][lang] = {name: tags.count(c) for c, name in enumerate(tag_names)}
    return out
