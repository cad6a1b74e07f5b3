"""The wikiann task: named-entity recognition on WikiAnn (Pan et al. 2017), as paper 003 uses it.

Read with ``datasets.load_dataset(hub_id, name=<language>)`` from
``unimelb-nlp/wikiann`` (or a local copy in its layout): one config per language,
splits train/validation/test (train/dev/test here), columns ``tokens`` (list of
str), ``ner_tags`` (list of int, IOB2: O=0, B-PER=1, I-PER=2, B-ORG=3, I-ORG=4,
B-LOC=5, I-LOC=6), ``langs`` and ``spans`` (not used). Its entities come from
Wikipedia links, tagged automatically; sentences differ between languages (not
parallel).

Rows: ``text_a`` the tokens joined by single spaces, ``tags`` the ``ner_tags``,
``label`` 0. A sentence with an empty token or a token containing whitespace
cannot be written as space-joined words and is dropped (counted per split and
language in the manifest).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

import pandas as pd

from langspec.core.errors import LangspecError
from langspec.data.hub import HUB_SPLITS, config_names, read_configs
from langspec.data.schema import Loaded

HUB_ID = "unimelb-nlp/wikiann"
TAG_NAMES = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]


def _plain(tokens: Sequence[str]) -> bool:
    """Whether every token is a non-empty string without whitespace (and there is one)."""
    return len(tokens) > 0 and all(isinstance(token, str) and len(token.split()) == 1 and token == token.strip() for token in tokens)


def to_rows(frame: pd.DataFrame, lang: str, split: str) -> tuple[pd.DataFrame, int]:
    """Contract rows plus ``item`` and ``tags`` from one language's split, and how many sentences were dropped."""
    keep = frame["tokens"].map(_plain)
    kept = frame[keep]
    uid = f"{split}-" + kept.index.to_series().astype(str) + f"-{lang}"
    rows = pd.DataFrame(
        {
            "item": uid,
            "uid": uid,
            "lang": lang,
            "text_a": kept["tokens"].map(" ".join),
            "text_b": None,
            "label": 0,
            "tags": kept["ner_tags"].map(lambda tags: [int(tag) for tag in tags]),
        }
    )
    return rows.reset_index(drop=True), int((~keep).sum())


def build(spec: dict, languages: Sequence[str]) -> Loaded:
    """The tagged sentences of ``languages`` for every split, with their manifest."""
    hub_id = spec["hub_id"] or HUB_ID
    offered = config_names(hub_id)
    absent = [lang for lang in languages if lang not in offered]
    if absent:
        raise LangspecError(f"wikiann ({hub_id}) has no language {', '.join(absent)}; it has {', '.join(sorted(offered))}")
    frames, read, dropped = read_configs(hub_id, languages, ["tokens", "ner_tags"], to_rows)
    manifest = {
        "hub_id": hub_id,
        "hub_splits": HUB_SPLITS,
        "rows_read": read,
        "rows_dropped_unsplittable_tokens": dropped,
        "versions": {"datasets": version("datasets")},
    }
    return Loaded(frames, list(TAG_NAMES), parallel=False, manifest=manifest, kind="token-classification")
