"""The iso-ner source: program messages tagged with translated country, language and currency names."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import polib
import pytest

from langspec.core.errors import LangspecError
from langspec.data import iso_ner
from langspec.data.schema import SPLITS, check_tags
from langspec.data.tasks import build

from .test_data_common import AREAS_FILE, task_spec, write_catalog

LANGS = ["en", "de", "ru"]
SMALL = {"train": 12, "dev": 6, "test": 6}
LOCALE = Path("/usr/share/locale")
CATALOG = {"LOC": "iso_3166-1", "LANG": "iso_639-2", "CUR": "iso_4217"}


def real_spec(**gettext) -> dict:
    return task_spec("iso-ner", size=SMALL, gettext={"areas_file": str(AREAS_FILE), **gettext})


@pytest.fixture(scope="module")
def real():
    """All areas' messages (the default) in en, de, ru on this machine's catalogs."""
    return iso_ner.build(real_spec(), LANGS, 0)


def entity(words: list[str], tags: list[int]) -> tuple[str, str, int]:
    """The one entity of a row: its type, its words and its first word's position."""
    first = [i for i, tag in enumerate(tags) if tag != 0]
    kind = iso_ner.TAG_NAMES[tags[first[0]]][2:]
    return kind, " ".join(words[first[0] : first[-1] + 1]), first[0]


def test_rows_are_parallel_and_tags_well_formed_iob2(real):
    assert real.kind == "token-classification" and real.parallel is True
    assert real.label_names == iso_ner.TAG_NAMES
    for split in SPLITS:
        frame = real.frames[split]
        check_tags(frame, split, len(iso_ner.TAG_NAMES))
        assert frame["uid"].is_unique and (frame["uid"] == frame["item"] + "-" + frame["lang"]).all()
        assert frame["text_b"].isna().all() and (frame["label"] == 0).all()
        per_item = frame.groupby("item")["lang"].agg(sorted)
        assert all(langs == sorted(LANGS) for langs in per_item)
        for item, rows in frame.head(3000).groupby("item"):
            kinds = set()
            for text, tags in zip(rows["text_a"], rows["tags"], strict=True):
                words = text.split(" ")
                assert len(words) == len(tags)
                names = [iso_ner.TAG_NAMES[tag] for tag in tags]
                assert sum(name.startswith("B-") for name in names) == 1, (item, names)
                begin = next(i for i, name in enumerate(names) if name.startswith("B-"))
                inside = [i for i, name in enumerate(names) if name.startswith("I-")]
                assert inside == list(range(begin + 1, begin + 1 + len(inside))), "I- follows its B- without gap"
                assert {names[i][2:] for i in inside} <= {names[begin][2:]}
                kind, _, start = entity(words, tags)
                end = start + 1 + len(inside)
                assert words[start - 1] == iso_ner.SEPARATOR if start else words[end] == iso_ner.SEPARATOR
                kinds.add((kind, start == 0))
            assert len(kinds) == 1, "one entity type at the same place in every language"


def test_entity_words_are_each_languages_translation(real):
    catalogs = {
        (kind, lang): {entry.msgid: entry.msgstr for entry in polib.mofile(str(LOCALE / lang / "LC_MESSAGES" / f"{stem}.mo"))}
        for kind, stem in CATALOG.items()
        for lang in ("de", "ru")
    }
    frame = real.frames["train"].head(900)
    seen = set()
    for _, rows in frame.groupby("item"):
        found = {lang: entity(text.split(" "), tags) for lang, text, tags in zip(rows["lang"], rows["text_a"], rows["tags"], strict=True)}
        kind, english, _ = found["en"]
        seen.add(kind)
        for lang in ("de", "ru"):
            assert found[lang][1] == " ".join(catalogs[kind, lang][english].split()), (english, lang)
    assert seen == {"LOC", "LANG", "CUR"}


def test_test_and_dev_entities_never_occur_in_training(real):
    def names(split: str) -> set[tuple[str, str]]:
        rows = real.frames[split]
        rows = rows[rows["lang"] == "en"]
        return {entity(text.split(" "), tags)[:2] for text, tags in zip(rows["text_a"], rows["tags"], strict=True)}

    train, dev, test = names("train"), names("dev"), names("test")
    assert train and dev and test
    assert not train & test and not train & dev and not dev & test
    items = {split: set(real.frames[split]["item"]) for split in SPLITS}
    assert not items["train"] & items["test"] and not items["train"] & items["dev"]


def test_manifest_counts_entities_and_names_sources(real):
    manifest = real.manifest
    lists = manifest["iso_codes_lists"]
    assert set(lists) == {"LOC", "LANG", "CUR"}
    assert lists["LOC"]["path"] == "/usr/share/iso-codes/json/iso_3166-1.json"
    assert all(entry["complete"] > 100 for entry in lists.values())
    assert lists["LANG"]["excluded_codes"] == 5 and lists["LOC"]["excluded_forms"] > 0
    per_split = manifest["entities"]
    for kind in lists:
        assert sum(per_split[split][kind] for split in SPLITS) == lists[kind]["complete"]
    assert {c["lang"] for c in manifest["iso_codes_catalogs"]} == {"de", "ru"}
    assert manifest["versions"]["polib"] and manifest["versions"].get("iso-codes")
    assert sum(manifest["items"]["train"].values()) == real.frames["train"]["item"].nunique()
    assert manifest["catalogs"] and manifest["dropped_messages"]


def test_same_seed_same_examples_other_seed_other_entities():
    spec = real_spec(areas=["version-control", "packaging"])
    first, again = iso_ner.build(spec, LANGS, 3), iso_ner.build(spec, LANGS, 3)
    for split in SPLITS:
        pd.testing.assert_frame_equal(first.frames[split], again.frames[split])
    assert first.manifest == again.manifest
    other = iso_ner.build(spec, LANGS, 4)
    assert not first.frames["train"]["text_a"].equals(other.frames["train"]["text_a"])


def test_through_tasks_build():
    spec = real_spec(areas=["version-control", "packaging"])
    frames, manifest = build("ner", spec, LANGS, 0)
    assert manifest["kind"] == "token-classification" and manifest["source"] == "iso-ner"
    assert manifest["label_names"] == iso_ner.TAG_NAMES and manifest["parallel"] is True
    assert set(manifest["versions"]) >= {"langspec", "polib", "iso-codes"}
    for split, frame in frames.items():
        assert list(frame.columns) == ["uid", "lang", "text_a", "text_b", "label", "tags"]
        assert len(frame) == SMALL[split] * len(LANGS)
        counts = manifest["counts"][split]["ru"]
        assert sum(counts[tag] for tag in counts if tag.startswith("B-")) == SMALL[split], "one entity per example"


@pytest.fixture
def fake(tmp_path: Path) -> dict:
    """Messages, iso-codes lists and their German and Chinese (zh_CN) catalogs, written for the test."""
    locale = tmp_path / "locale"
    codes = tmp_path / "iso-codes"
    codes.mkdir()
    areas_file = tmp_path / "areas.yaml"
    areas_file.write_text(
        "areas:\n"
        "  files: {description: file tools, domains: [fileutil], packages: [fileutil-pkg]}\n"
        "  net: {description: network tools, domains: [netutil], packages: [netutil-pkg]}\n"
    )
    write_catalog(locale, "de", "fileutil", {"Copy the files to the target directory": "Die Dateien in das Zielverzeichnis kopieren"})
    write_catalog(locale, "zh_CN", "fileutil", {"Copy the files to the target directory": "将文件复制到目标目录"})
    write_catalog(locale, "de", "netutil", {"Connection to the remote host failed": "Verbindung zum entfernten Rechner fehlgeschlagen"})
    write_catalog(locale, "zh_CN", "netutil", {"Connection to the remote host failed": "无法连接到远程主机"})
    lists = {
        "iso_3166-1": ("3166-1", [
            {"alpha_3": "DEU", "name": "Germany"},
            {"alpha_3": "BOL", "name": "Bolivia, Plurinational State of", "common_name": "Bolivia"},
            {"alpha_3": "KOR", "name": "Korea, Republic of"},
            {"alpha_3": "NZL", "name": "New Zealand"},
        ]),
        "iso_639-2": ("639-2", [
            {"alpha_3": "fra", "name": "French"},
            {"alpha_3": "und", "name": "Undetermined"},
            {"alpha_3": "mnc", "name": "Manchu"},
        ]),
        "iso_4217": ("4217", [{"alpha_3": "EUR", "name": "Euro"}, {"alpha_3": "XAU", "name": "Gold"}]),
    }
    for stem, (key, entries) in lists.items():
        (codes / f"{stem}.json").write_text(json.dumps({key: entries}))
    names = {
        "de": {"Germany": "Deutschland", "Bolivia": "Bolivien", "Korea, Republic of": "Korea, Republik",
               "New Zealand": "Neuseeland", "French": "Französisch", "Undetermined": "Unbestimmt", "Euro": "Euro", "Gold": "Gold",
               "Manchu": "Manchu; Mandschurisch"},
        "zh_CN": {"Germany": "德国", "Bolivia": "玻利维亚", "Korea, Republic of": "韩国", "New Zealand": "新 西兰",
                  "French": "法语", "Undetermined": "未确定", "Euro": "欧元", "Gold": "黄金", "Manchu": "满语"},
    }
    for locale_name, table in names.items():
        for stem in lists:
            write_catalog(locale, locale_name, stem, table)
    spec = task_spec(
        "iso-ner",
        size={"train": None, "dev": None, "test": None},
        gettext={"locale_dir": str(locale), "areas_file": str(areas_file), "dev_fraction": 0, "test_fraction": 0},
        iso_ner={"iso_codes_dir": str(codes)},
    )
    return {"spec": spec, "locale": locale, "codes": codes}


def test_fake_lists_entities_and_examples(fake):
    loaded = iso_ner.build(fake["spec"], ["en", "de", "zh"], 0)
    lists = loaded.manifest["iso_codes_lists"]
    assert {kind: entry["complete"] for kind, entry in lists.items()} == {"LOC": 3, "LANG": 1, "CUR": 1}
    assert lists["LOC"]["excluded_forms"] == 1 and lists["LANG"]["excluded_codes"] == 1 and lists["CUR"]["excluded_codes"] == 1
    assert lists["LANG"]["translated_forms"] == 1, "German 'Manchu; Mandschurisch' is a list of names"
    assert loaded.manifest["entities"]["train"] == {"LOC": 3, "LANG": 1, "CUR": 1}
    frame = loaded.frames["train"]
    assert len(frame) == 6 and loaded.frames["dev"].empty and loaded.frames["test"].empty
    translations = {
        "Germany": {"de": "Deutschland", "zh": "德国"}, "Bolivia": {"de": "Bolivien", "zh": "玻利维亚"},
        "New Zealand": {"de": "Neuseeland", "zh": "新 西兰"}, "French": {"de": "Französisch", "zh": "法语"},
        "Euro": {"de": "Euro", "zh": "欧元"},
    }
    for _, rows in frame.groupby("item"):
        text = dict(zip(rows["lang"], rows["text_a"], strict=True))
        tags = dict(zip(rows["lang"], rows["tags"], strict=True))
        kind, english, start = entity(text["en"].split(" "), tags["en"])
        message = " ".join(text["en"].split(" ")[len(english.split()) + 1 :] if start == 0 else text["en"].split(" ")[: start - 1])
        assert message in {"Copy the files to the target directory", "Connection to the remote host failed"}
        for lang in ("de", "zh"):
            assert entity(text[lang].split(" "), tags[lang])[:2] == (kind, translations[english][lang])
        if english == "New Zealand":
            assert tags["zh"].count(iso_ner.TAG_NAMES.index("I-LOC")) == 1, "a name of two words is B- then I-"


def test_example_puts_the_name_before_or_after_the_separator():
    assert iso_ner.example(["Datei", "fehlt"], ["Neuseeland"], "LOC", True) == (["Neuseeland", "—", "Datei", "fehlt"], [1, 0, 0, 0])
    assert iso_ner.example(["file", "missing"], ["New", "Zealand"], "LOC", False) == (
        ["file", "missing", "—", "New", "Zealand"],
        [0, 0, 0, 1, 2],
    )
    assert iso_ner.example(["x"], ["US", "Dollar"], "CUR", True)[1] == [5, 6, 0, 0]


def test_missing_iso_codes_dir_or_list_is_named(fake, tmp_path):
    spec = copy.deepcopy(fake["spec"])
    spec["iso_ner"]["iso_codes_dir"] = str(tmp_path / "absent")
    with pytest.raises(LangspecError, match=r"^iso_ner.iso_codes_dir '.*/absent' does not exist") as err:
        iso_ner.build(spec, ["en", "de"], 0)
    assert "\n" not in str(err.value)
    (fake["codes"] / "iso_4217.json").unlink()
    with pytest.raises(LangspecError, match=r"^iso_ner.iso_codes_dir '.*/iso-codes' has no iso_4217.json"):
        build("ner", fake["spec"], ["en", "de"], 0)


def test_missing_translation_catalog_is_named(fake):
    (fake["locale"] / "zh_CN" / "LC_MESSAGES" / "iso_639-2.mo").unlink()
    with pytest.raises(LangspecError, match=r"no iso-codes catalog .*/zh_CN/LC_MESSAGES/iso_639-2.mo for language zh"):
        iso_ner.build(fake["spec"], ["en", "zh"], 0)
