"""Build one task's train/dev/test frames (the data contract) and their manifest.

A source (``gettext_topic``, ``hub``, ``local``) reads its rows; this module keeps
the complete items of parallel sources, takes ``size`` examples per language and
split (the same items in every language where parallel, balanced over labels) and
checks the result against the contract. Nothing is written here: the workflow
writes the frames with :func:`langspec.core.atomic.write_parquet`.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

import pandas as pd

from langspec.core.errors import LangspecError
from langspec.data import gettext_topic, hub, local, planted
from langspec.data.sample import complete_items, label_counts, subsample
from langspec.data.schema import SPLITS, Loaded, check_splits, to_contract

SOURCES = ("gettext-topic", *hub.TASKS, "local", "planted")


def load(task: str, spec: dict, languages: Sequence[str], seed: int) -> Loaded:
    """All rows the task's source offers in ``languages``, before subsampling."""
    source = spec["source"]
    if source == "gettext-topic":
        return gettext_topic.build(spec, languages, seed)
    if source in hub.TASKS:
        return hub.build(source, spec, languages)
    if source == "local":
        return local.build(spec, languages)
    if source == "planted":
        return planted.build(spec, languages, seed)
    raise LangspecError(f"task {task!r}: unknown source {source!r}; choose one of {', '.join(SOURCES)}")


def build(task: str, spec: dict, languages: list[str], seed: int) -> tuple[dict[str, pd.DataFrame], dict]:
    """Frames for ``train``, ``dev`` and ``test`` and a JSON-ready manifest of how they were made.

    ``spec`` is the task's config (schema definition ``task``, defaults filled in);
    ``languages`` and ``seed`` are the task's resolved values. The same inputs and
    seed give identical frames and manifest.
    """
    if not languages or len(set(languages)) != len(languages):
        raise LangspecError(f"task {task!r}: languages must be distinct and at least one, got {list(languages)}")
    loaded = load(task, spec, languages, seed)
    frames, dropped, unbalanced, available = {}, {}, [], {}
    for split in SPLITS:
        frame = loaded.frames[split]
        if loaded.parallel:
            frame, dropped[split] = complete_items(frame, languages)
        available[split] = {lang: int(frame.loc[frame["lang"] == lang, "item"].nunique()) for lang in languages}
        frame, notes = subsample(
            frame,
            spec["size"][split],
            seed,
            task=task,
            split=split,
            languages=languages,
            parallel=loaded.parallel,
            label_names=loaded.label_names,
        )
        unbalanced.extend(notes)
        frames[split] = to_contract(frame)
    check_splits(frames, task, len(loaded.label_names))
    details = dict(loaded.manifest)
    versions = {"langspec": version("langspec"), "pandas": version("pandas"), "pyarrow": version("pyarrow")}
    versions |= details.pop("versions", {})
    manifest = {
        "task": task,
        "source": spec["source"],
        "languages": list(languages),
        "seed": seed,
        "size": dict(spec["size"]),
        "options": {key: value for key, value in spec.items() if key != "size"},
        "available": available,
        "label_names": loaded.label_names,
        "parallel": loaded.parallel,
        "counts": label_counts(frames, languages, loaded.label_names),
        "unbalanced": unbalanced,
        "dropped_items": dropped,
        **details,
        "versions": versions,
    }
    return frames, manifest
