"""Build one task's train/dev/test frames (the data contract) and their manifest.

A source (``gettext_topic``, ``hub``, ``local``, ``gettext_mlm``, ``iso_ner``,
``wikipedia``, ``wikiann``, ...) reads its rows; this module keeps the complete
items of parallel sources, takes ``size`` examples per language and split (the
same items in every language where parallel, balanced over labels for
classification) and checks the result against the contract of the task's kind
(:data:`langspec.data.schema.KINDS`). Nothing is written here: the workflow
writes the frames with :func:`langspec.core.atomic.write_parquet`.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

import pandas as pd

from langspec.core.errors import LangspecError
from langspec.data import gettext_mlm, gettext_topic, hub, iso_ner, local, planted, wikiann, wikipedia
from langspec.data.sample import complete_items, label_counts, subsample, tag_counts
from langspec.data.schema import SPLITS, Loaded, check_splits, to_contract

#: Each source and the kind of task it makes.
KIND_OF: dict[str, str] = {
    "gettext-topic": "classification",
    **dict.fromkeys(hub.TASKS, "classification"),
    "local": "classification",
    "planted": "classification",
    "gettext-mlm": "mlm",
    "iso-ner": "token-classification",
    "wikipedia": "mlm",
    "wikiann": "token-classification",
}
SOURCES = tuple(KIND_OF)

#: The task options each source reads, besides ``source``, ``size`` and the seed.
OPTIONS: dict[str, tuple[str, ...]] = {
    "gettext-topic": ("gettext",),
    **dict.fromkeys(hub.TASKS, ("hub_id",)),
    "local": ("local",),
    "planted": ("planted",),
    "gettext-mlm": ("gettext", "words_per_example"),
    "iso-ner": ("gettext", "iso_ner"),
    "wikipedia": ("hub_id", "wikipedia", "words_per_example"),
    "wikiann": ("hub_id",),
}

#: The hub dataset each hub source reads when ``hub_id`` is null.
HUB_IDS: dict[str, str] = {
    **{name: how.hub_id for name, how in hub.TASKS.items()},
    "wikipedia": wikipedia.HUB_ID,
    "wikiann": wikiann.HUB_ID,
}


def task_kind(spec: dict) -> str:
    """The kind of the task ``spec`` configures (classification, mlm, token-classification), from its source; a
    classification source with ``text_to_text`` set is text-to-text (an encoder-decoder generates the label word)."""
    source = spec.get("source")
    if source not in KIND_OF:
        raise LangspecError(f"unknown task source {source!r}; choose one of {', '.join(SOURCES)}")
    if spec.get("text_to_text") is not None:
        if KIND_OF[source] != "classification":
            raise LangspecError(f"config key 'text_to_text' casts a classification task as text-to-text; source '{source}' "
                                f"makes a {KIND_OF[source]} task")
        return "text-to-text"
    return KIND_OF[source]


def text_to_text_prefix(spec: dict) -> str | None:
    """The input prefix of a text-to-text task (its ``text_to_text`` value), None for other kinds."""
    return spec["text_to_text"] if task_kind(spec) == "text-to-text" else None


#: Sources whose items are translations of each other in every language (local: where local.parallel_key is set).
PARALLEL: frozenset[str] = frozenset(
    {"gettext-topic", "planted", "gettext-mlm", "iso-ner"}
    | {name for name, how in hub.TASKS.items() if how.parallel_by is not None}
)


def is_parallel(spec: dict) -> bool:
    """Whether the task ``spec`` configures has parallel items (what retrieval and the multilingual ticket's pooling use)."""
    task_kind(spec)
    if spec["source"] == "local":
        return bool((spec.get("local") or {}).get("parallel_key"))
    return spec["source"] in PARALLEL


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
    if source == "gettext-mlm":
        return gettext_mlm.build(spec, languages, seed)
    if source == "iso-ner":
        return iso_ner.build(spec, languages, seed)
    if source == "wikipedia":
        return wikipedia.build(spec, languages, seed)
    if source == "wikiann":
        return wikiann.build(spec, languages)
    raise LangspecError(f"task {task!r}: unknown source {source!r}; choose one of {', '.join(SOURCES)}")


def build(task: str, spec: dict, languages: list[str], seed: int) -> tuple[dict[str, pd.DataFrame], dict]:
    """Frames for ``train``, ``dev`` and ``test`` and a JSON-ready manifest of how they were made.

    ``spec`` is the task's config (schema definition ``task``, defaults filled in);
    ``languages`` and ``seed`` are the task's resolved values. The same inputs and
    seed give identical frames and manifest. The manifest's ``counts`` are labels
    per split and language, or tags (words) for token classification.
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
            balance=loaded.kind == "classification",
        )
        unbalanced.extend(notes)
        frames[split] = to_contract(frame)
    check_splits(frames, task, len(loaded.label_names), loaded.kind)
    count = tag_counts if loaded.kind == "token-classification" else label_counts
    details = dict(loaded.manifest)
    versions = {"langspec": version("langspec"), "pandas": version("pandas"), "pyarrow": version("pyarrow")}
    versions |= details.pop("versions", {})
    manifest = {
        "task": task,
        "source": spec["source"],
        "kind": loaded.kind,
        "languages": list(languages),
        "seed": seed,
        "size": dict(spec["size"]),
        "options": {key: value for key, value in spec.items() if key != "size"},
        "available": available,
        "label_names": loaded.label_names,
        "parallel": loaded.parallel,
        "counts": count(frames, languages, loaded.label_names),
        "unbalanced": unbalanced,
        "dropped_items": dropped,
        **details,
        "versions": versions,
    }
    return frames, manifest


def parallel_sentences(task: str, spec: dict, languages: list[str], seed: int, n: int) -> pd.DataFrame:
    """``n`` items of a parallel task in every one of ``languages``: a contract frame, items in the same seeded order.

    Drawn from the source's dev and test splits together (held out from
    training), whatever the task's ``size``: for measures that need many
    translations of the same sentences (representational similarity, paper 003's
    figure 10). A one-line error names ``n`` and what the pool holds when it is
    too small.
    """
    loaded = load(task, spec, languages, seed)
    if not loaded.parallel:
        raise LangspecError(f"task {task!r} is not parallel: its items have no translations to compare")
    pool, _ = complete_items(pd.concat([loaded.frames["dev"], loaded.frames["test"]], ignore_index=True), languages)
    frame, _ = subsample(pool, n, seed, task=task, split="dev+test", languages=languages, parallel=True,
                         label_names=loaded.label_names, balance=False)
    return to_contract(frame)
