"""The gettext-mlm task: masked language modelling on parallel passages of program messages.

The messages are those of the gettext-topic source (the installed gettext
catalogs of the areas in the areas file, every area by default; the same
cleaning and filters, see :mod:`langspec.data.gettext_topic`); their areas are
not used. Each message is assigned to train/dev/test by the seeded hash of its
English text (the same split as in gettext-topic for the same seed). Within a
split, messages are put in a seeded order and packed consecutively into passages:
a passage takes messages until it holds at least ``words_per_example``
whitespace-separated English words (so it has fewer than that plus the words of
its last message; English words are counted whether or not en is one of the
task's languages), and the split's last, shorter remainder is dropped. Every
language's passage holds the same messages in the same order, joined by single
spaces, so the task is parallel: an item is one passage in every language.

Rows: ``text_a`` the passage, ``text_b`` null, ``label`` 0; no classes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pandas as pd

from langspec.data.gettext_topic import read_messages
from langspec.data.sample import partition, seeded_order
from langspec.data.schema import SPLITS, Loaded


def pack(messages: Sequence[str], english: dict[str, str], words: int) -> list[list[str]]:
    """``messages`` (item keys, in order) grouped into passages of at least ``words`` English words each.

    ``english`` maps each key to its English text; a remainder below ``words`` is dropped.
    """
    passages, current, count = [], [], 0
    for key in messages:
        current.append(key)
        count += len(english[key].split())
        if count >= words:
            passages.append(current)
            current, count = [], 0
    return passages


def build(spec: dict, languages: Sequence[str], seed: int) -> Loaded:
    """Parallel passages of the gettext-mlm task, split into train/dev/test, with their manifest."""
    options = spec["gettext"]
    words = spec["words_per_example"]
    messages, _, sources = read_messages(options, ["en", *(lang for lang in languages if lang != "en")])
    text = messages.set_index(["item", "lang"])["text_a"].to_dict()
    english = {item: text[item, "en"] for item in messages["item"].unique()}
    split_of = partition(messages["item"].unique(), seed, options["dev_fraction"], options["test_fraction"])
    frames, counts = {}, {}
    for split in SPLITS:
        keys = seeded_order([item for item, where in split_of.items() if where == split], seed, f"pack/{split}")
        passages = pack(keys, english, words)
        rows = []
        for members in passages:
            item = hashlib.sha1("\x1f".join(members).encode()).hexdigest()[:16]
            rows.extend(
                {
                    "item": item,
                    "uid": f"{item}-{lang}",
                    "lang": lang,
                    "text_a": " ".join(text[key, lang] for key in members),
                    "text_b": None,
                    "label": 0,
                }
                for lang in languages
            )
        frames[split] = pd.DataFrame(rows, columns=["item", "uid", "lang", "text_a", "text_b", "label"])
        counts[split] = {"messages": len(keys), "passages": len(passages)}
    manifest = {**sources, "words_per_example": words, "packed": counts}
    return Loaded(frames, [], parallel=True, manifest=manifest, kind="mlm")
