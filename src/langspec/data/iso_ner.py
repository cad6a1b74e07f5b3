"""The iso-ner task: tag the country, language or currency name in a program message.

An offline, parallel token-classification (NER-like) task built from real
translations on a Debian machine. Its entities are the English names of the
Debian package iso-codes (``<iso_codes_dir>/iso_3166-1.json``: countries,
``iso_639-2.json``: languages, ``iso_4217.json``: currencies; the field
``common_name`` where a country has one, e.g. "Bolivia" for "Bolivia,
Plurinational State of", else ``name``) and their translations in the gettext
catalogs ``<locale_dir>/<locale>/LC_MESSAGES/iso_3166-1.mo``, ``iso_639-2.mo``,
``iso_4217.mo`` (zh reads zh_CN, as every gettext source). Its sentences are the
program messages of the gettext-topic source (:func:`langspec.data.gettext_topic.read_messages`,
the same catalogs, cleaning and filters; their areas are not used).

Which names are entities: every listed name translated (non-empty) in every
requested language, except

- codes that name no country, language or currency: ISO 639-2 ``mis``, ``mul``,
  ``und``, ``zxx``, ``qaa-qtz``; ISO 4217 precious metals, bond-market and
  drawing units, test and no-currency codes (XAG, XAU, XPD, XPT, XBA-XBD, XDR,
  XSU, XUA, XTS, XXX) and fund codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW);
- names holding ``,``, ``;`` or ``(`` (or their full-width forms) in English or
  in any requested language: inverted or qualified forms and lists of
  alternatives ("Korea, Republic of", "Catalan; Valencian", "Greek, Modern
  (1453-)", French "Russie, Fédération de", German "Mbundu; Kimbundu"), which do
  not read as a name in running text.

A translation equal to the English name is kept (many country and language names
are spelt the same in German, French or Spanish, as in real text). An English
name listed twice (two currency codes named "Leone") is one entity.

One item is one message together with one entity. The message's key (a hash of
its English text) fixes, by seeded hashing (:func:`langspec.data.sample.seeded_index`):
the entity type (LOC country, LANG language, CUR currency; equally likely among
the types with an entity in the item's split), the entity (uniform among that
type's entities of the item's split) and the position: the entity's name,
followed by the separator ``—``, before the message, or the separator and the
name after it. Every language's text is that language's message and that
language's name of the same entity, at the same place, split on whitespace into
words: ``text_a`` is the words joined by single spaces, ``tags`` IOB2 over
:data:`TAG_NAMES` (B- on the name's first word, I- on the others, O on the
message's words and the separator). A message's own words are tagged O even where
they happen to name a country or language.

Splits: items go to train/dev/test by the seeded hash of their key
(:func:`langspec.data.sample.partition`, the same split as gettext-topic and
gettext-mlm give the message), and ENTITIES are split too, by the seeded hash of
their type and English name, with the same ``gettext.dev_fraction`` and
``gettext.test_fraction``; an item only takes an entity of its own split, so the
names in dev and test never occur as entities in train and the tagger cannot pass
by memorising names.

Rows: ``item`` the message key, ``uid`` ``<item>-<lang>``, ``text_b`` null,
``label`` 0, ``tags`` one tag id per word.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from langspec.core.errors import LangspecError
from langspec.data.gettext_topic import (
    LOCALE_NAMES,
    debian_packages,
    read_catalog,
    read_messages,
)
from langspec.data.sample import partition, seeded_index, split_of
from langspec.data.schema import SPLITS, Loaded

TAG_NAMES = ["O", "B-LOC", "I-LOC", "B-LANG", "I-LANG", "B-CUR", "I-CUR"]
SEPARATOR = "—"


@dataclass(frozen=True)
class EntityList:
    """One iso-codes list: its entity type (tag suffix), file stem, JSON key and the codes left out."""

    kind: str
    stem: str
    key: str
    code_field: str
    excluded: frozenset[str]


LISTS: tuple[EntityList, ...] = (
    EntityList("LOC", "iso_3166-1", "3166-1", "alpha_3", frozenset()),
    EntityList("LANG", "iso_639-2", "639-2", "alpha_3", frozenset({"mis", "mul", "und", "zxx", "qaa-qtz"})),
    EntityList(
        "CUR",
        "iso_4217",
        "4217",
        "alpha_3",
        frozenset(
            {"XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"}
            | {"BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW"}
        ),
    ),
)
ENTITY_TYPES: tuple[str, ...] = tuple(entity_list.kind for entity_list in LISTS)
_NOT_A_NAME = (",", ";", "(", "，", "；", "（")


def _is_form(name: str) -> bool:
    """Whether ``name`` is an inverted or qualified form or a list of alternatives rather than a plain name."""
    return any(mark in name for mark in _NOT_A_NAME)


def _english_names(entity_list: EntityList, directory: Path) -> tuple[list[str], dict]:
    """The usable English names of one list (sorted, unique) and what was left out."""
    path = directory / f"{entity_list.stem}.json"
    if not path.is_file():
        raise LangspecError(f"iso_ner.iso_codes_dir {str(directory)!r} has no {path.name} (Debian package iso-codes)")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))[entity_list.key]
        names = {
            entry[entity_list.code_field]: " ".join((entry.get("common_name") or entry["name"]).split())
            for entry in entries
        }
    except (ValueError, KeyError, TypeError) as err:
        raise LangspecError(f"iso-codes list {path} is not in the iso-codes JSON layout ({type(err).__name__})") from None
    excluded = sum(code in entity_list.excluded for code in names)
    named = {name for code, name in names.items() if code not in entity_list.excluded and name}
    usable = sorted(name for name in named if not _is_form(name))
    counts = {"listed": len(names), "excluded_codes": excluded, "excluded_forms": len(named) - len(usable)}
    return usable, {"path": str(path), **counts}


def read_entities(
    iso_codes_dir: str | Path, locale_dir: str | Path, languages: Sequence[str]
) -> tuple[dict[str, dict[str, dict[str, str]]], dict]:
    """Entities translated into every language: type -> English name -> language -> name.

    Also returns the manifest entries: the lists and catalogs read, and per type
    how many names were listed, left out (``excluded_codes``, ``excluded_forms``
    in English, ``untranslated`` in some language, ``translated_forms``: a
    translation that is not a plain name) and complete.
    """
    directory, locale_dir = Path(iso_codes_dir), Path(locale_dir)
    if not directory.is_dir():
        raise LangspecError(
            f"iso_ner.iso_codes_dir {str(directory)!r} does not exist (the Debian package iso-codes installs "
            "/usr/share/iso-codes/json)"
        )
    foreign = [lang for lang in languages if lang != "en"]
    entities, lists, catalogs = {}, {}, []
    for entity_list in LISTS:
        english, lists[entity_list.kind] = _english_names(entity_list, directory)
        tables = {}
        for lang in foreign:
            path = locale_dir / LOCALE_NAMES.get(lang, lang) / "LC_MESSAGES" / f"{entity_list.stem}.mo"
            if not path.is_file():
                raise LangspecError(
                    f"iso-ner: no iso-codes catalog {path} for language {lang} under gettext.locale_dir "
                    "(Debian package iso-codes)"
                )
            tables[lang] = {msgid: " ".join(text.split()) for (_, msgid), text in read_catalog(path).items()}
            catalogs.append({"type": entity_list.kind, "lang": lang, "path": str(path), "entries": len(tables[lang])})
        complete, untranslated, forms = {}, 0, 0
        for name in english:
            translated = {lang: tables[lang].get(name, "") for lang in foreign}
            if not all(translated.values()):
                untranslated += 1
            elif any(_is_form(text) for text in translated.values()):
                forms += 1
            else:
                complete[name] = {"en": name, **translated}
        entities[entity_list.kind] = complete
        counts = {"untranslated": untranslated, "translated_forms": forms, "complete": len(complete)}
        lists[entity_list.kind] |= counts
    paths = [entry["path"] for entry in lists.values()]
    owners = debian_packages(paths)
    manifest = {
        "iso_codes_dir": str(directory),
        "iso_codes_lists": lists,
        "iso_codes_catalogs": catalogs,
        "versions": {package: found for package, found in owners.values() if found},
    }
    return entities, manifest


def example(message: Sequence[str], name: Sequence[str], kind: str, first: bool) -> tuple[list[str], list[int]]:
    """Words and IOB2 tag ids of one text: the name and the separator before (``first``) or after the message."""
    begin, inside = TAG_NAMES.index(f"B-{kind}"), TAG_NAMES.index(f"I-{kind}")
    entity_tags = [begin] + [inside] * (len(name) - 1)
    if first:
        return [*name, SEPARATOR, *message], [*entity_tags, 0, *[0] * len(message)]
    return [*message, SEPARATOR, *name], [*[0] * len(message), 0, *entity_tags]


def build(spec: dict, languages: Sequence[str], seed: int) -> Loaded:
    """Parallel tagged messages of the iso-ner task, split into train/dev/test, with their manifest."""
    options = spec["gettext"]
    dev, test = options["dev_fraction"], options["test_fraction"]
    read = ["en", *(lang for lang in languages if lang != "en")]
    entities, found = read_entities(spec["iso_ner"]["iso_codes_dir"], options["locale_dir"], read)
    messages, _, sources = read_messages(options, read)
    pools: dict[str, dict[str, list[str]]] = {split: {kind: [] for kind in ENTITY_TYPES} for split in SPLITS}
    for kind, names in entities.items():
        for name in names:  # sorted English names
            pools[split_of(f"{kind}/{name}", seed, dev, test)][kind].append(name)
    text = messages.set_index(["item", "lang"])["text_a"].to_dict()
    item_split = partition(messages["item"].unique(), seed, dev, test)
    frames, items = {}, {}
    for split in SPLITS:
        kinds = [kind for kind in ENTITY_TYPES if pools[split][kind]]
        keys = sorted(item for item, where in item_split.items() if where == split)
        if keys and not kinds:
            raise LangspecError(
                f"iso-ner: none of the entities translated into {', '.join(read)} falls in split {split} "
                f"(gettext.dev_fraction {dev}, gettext.test_fraction {test})"
            )
        rows, items[split] = [], dict.fromkeys(ENTITY_TYPES, 0)
        for item in keys:
            kind = kinds[seeded_index(item, len(kinds), seed, "iso-ner/type")]
            name = pools[split][kind][seeded_index(item, len(pools[split][kind]), seed, f"iso-ner/{kind}")]
            first = seeded_index(item, 2, seed, "iso-ner/position") == 0
            items[split][kind] += 1
            for lang in languages:
                words, tags = example(text[item, lang].split(), entities[kind][name][lang].split(), kind, first)
                rows.append(
                    {
                        "item": item,
                        "uid": f"{item}-{lang}",
                        "lang": lang,
                        "text_a": " ".join(words),
                        "text_b": None,
                        "label": 0,
                        "tags": tags,
                    }
                )
        frames[split] = pd.DataFrame(rows, columns=["item", "uid", "lang", "text_a", "text_b", "label", "tags"])
    manifest = {
        **sources,
        **{key: value for key, value in found.items() if key != "versions"},
        "separator": SEPARATOR,
        "entities": {split: {kind: len(pools[split][kind]) for kind in ENTITY_TYPES} for split in SPLITS},
        "items": items,
        "versions": {**sources["versions"], **found["versions"]},
    }
    return Loaded(frames, list(TAG_NAMES), parallel=True, manifest=manifest, kind="token-classification")
