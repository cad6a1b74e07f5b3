"""The gettext-topic source: on this machine's catalogs, and on small fake locale dirs."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from langspec.core.errors import LangspecError
from langspec.data import gettext_topic
from langspec.data.tasks import build

from .test_data_common import AREAS_FILE, task_spec, write_catalog

DEFAULT_LANGS = ["en", "de", "fr", "es", "ru"]
SMALL = {"train": 14, "dev": 7, "test": 7}


@pytest.fixture(scope="module")
def real():
    spec = task_spec("gettext-topic", size=SMALL, gettext={"areas_file": str(AREAS_FILE)})
    return build("gettext-topic", spec, DEFAULT_LANGS, 0)


def test_real_catalogs_give_parallel_balanced_contract_frames(real):
    frames, manifest = real
    areas = list(yaml.safe_load(AREAS_FILE.read_text())["areas"])
    assert manifest["label_names"] == areas and manifest["parallel"] is True
    for split, frame in frames.items():
        assert list(frame.columns) == ["uid", "lang", "text_a", "text_b", "label"]
        assert len(frame) == SMALL[split] * len(DEFAULT_LANGS) and frame["text_b"].isna().all()
        items = {
            lang: sorted(frame.loc[frame["lang"] == lang, "uid"].str.rsplit("-", n=1).str[0]) for lang in DEFAULT_LANGS
        }
        assert all(items[lang] == items["en"] for lang in DEFAULT_LANGS)
        counts = manifest["counts"][split]["de"]
        assert max(counts.values()) - min(counts.values()) <= 1 and sum(counts.values()) == SMALL[split]
    uids = pd.concat(frames.values())["uid"]
    assert uids.is_unique
    assert manifest["unbalanced"] == []


def test_real_catalogs_manifest_names_files_packages_and_versions(real):
    _, manifest = real
    git = [c for c in manifest["catalogs"] if c["domain"] == "git" and c["lang"] == "de"]
    assert git == [
        {
            "area": "version-control",
            "domain": "git",
            "lang": "de",
            "path": "/usr/share/locale/de/LC_MESSAGES/git.mo",
            "messages": git[0]["messages"],
            "package": "git",
            "version": git[0]["version"],
        }
    ]
    assert git[0]["messages"] > 1000 and git[0]["version"]
    assert all(area_items > 0 for area_items in manifest["items"]["train"].values())
    assert manifest["versions"]["polib"] and manifest["dropped_messages"]["short"] > 0


def test_real_catalogs_with_korean_and_chinese():
    spec = task_spec(
        "gettext-topic",
        size={"train": 4, "dev": 2, "test": 2},
        gettext={"areas_file": str(AREAS_FILE), "areas": ["version-control", "desktop"]},
    )
    frames, manifest = build("gettext-topic", spec, ["en", "ko", "zh"], 1)
    test = frames["test"]
    assert sorted(test["lang"].unique()) == ["en", "ko", "zh"]
    assert any(c["path"].startswith("/usr/share/locale/zh_CN/") for c in manifest["catalogs"])
    assert not test["text_a"].str.contains(r"\(_\w\)").any()


@pytest.fixture
def fake(tmp_path: Path) -> dict:
    """A locale dir with German and Chinese catalogs of three areas, and its areas file."""
    locale = tmp_path / "locale"
    areas = {
        "areas": {
            "files": {"description": "file tools", "domains": ["fileutil"], "packages": ["fileutil-pkg"]},
            "net": {"description": "network tools", "domains": ["netutil*"], "packages": ["netutil-pkg"]},
            "gui": {
                "description": "widgets",
                "domains": ["widgets", "widget-docs"],
                "packages": ["libwidgets-common"],
                "mnemonics": ["widgets"],
            },
        }
    }
    areas_file = tmp_path / "areas.yaml"
    areas_file.write_text(yaml.safe_dump(areas, sort_keys=False))
    files = {
        "de": {
            "cannot remove '%s': Permission denied": "„%s“ kann nicht entfernt werden: Zugriff verweigert",
            "%s: %s": "%s: %s",
            "Done.": "Fertig.",
            "Copy the files to the target directory": "Die Dateien in das Zielverzeichnis kopieren",
            "Show this help and exit": "Show this help and exit",
            ("verb", "Open the selected file now"): "Die gewählte Datei jetzt öffnen",
            ("noun", "Open the selected file now"): "Die gewählte Datei sofort öffnen",
            "Set the value of max_connections now": "Den Wert von max_connections jetzt setzen",
            "Only translated into German here": "Nur hier ins Deutsche übersetzt",
        },
        "zh_CN": {
            "cannot remove '%s': Permission denied": "无法删除“%s”：权限不够",
            "%s: %s": "%s：%s",
            "Done.": "完成。",
            "Copy the files to the target directory": "将文件复制到目标目录",
            "Show this help and exit": "显示此帮助信息并退出",
            ("verb", "Open the selected file now"): "立即打开所选文件",
            ("noun", "Open the selected file now"): "现在打开所选文件",
            "Set the value of max_connections now": "立即设置 max_connections 的值",
        },
    }
    plurals = {
        ("removed %d file from the list", "removed %d files from the list"): [
            "%d Datei entfernt",
            "%d Dateien entfernt",
        ]
    }
    for locale_name, messages in files.items():
        write_catalog(locale, locale_name, "fileutil", messages, plurals)
    net = {"de": "Verbindung zum entfernten Rechner fehlgeschlagen", "zh_CN": "无法连接到远程主机"}
    copy = {"de": "Die Dateien ins Zielverzeichnis kopieren", "zh_CN": "把文件复制到目标目录"}
    for locale_name in ("de", "zh_CN"):
        write_catalog(
            locale,
            locale_name,
            "netutil-1",
            {
                "Connection to the remote host failed": net[locale_name],
                "Copy the files to the target directory": copy[locale_name],
            },
        )
    write_catalog(locale, "de", "netutil-2", {"Resolve the host name first": "Zuerst den Rechnernamen auflösen"})
    gui = {"de": "_Neuen Ordner hier erstellen", "zh_CN": "在此新建文件夹(_R)"}
    for locale_name in ("de", "zh_CN"):
        write_catalog(locale, locale_name, "widgets", {"C_reate a new folder here": gui[locale_name]})
    spec = task_spec(
        "gettext-topic",
        size={"train": None, "dev": None, "test": None},
        gettext={"locale_dir": str(locale), "areas_file": str(areas_file)},
    )
    return {"spec": spec, "locale": locale}


def texts(frames: dict) -> pd.DataFrame:
    rows = pd.concat(frames.values())
    rows["item"] = rows["uid"].str.rsplit("-", n=1).str[0]
    return rows.pivot(index="item", columns="lang", values="text_a").set_index("en").sort_index()


def test_fake_catalogs_filters_and_cleaning(fake):
    frames, manifest = build("t", fake["spec"], ["en", "de", "zh"], 0)
    table = texts(frames)
    assert table.to_dict("index") == {
        "Connection to the remote host failed": {
            "de": "Verbindung zum entfernten Rechner fehlgeschlagen",
            "zh": "无法连接到远程主机",
        },
        "Create a new folder here": {"de": "Neuen Ordner hier erstellen", "zh": "在此新建文件夹"},
        "Open the selected file now": {"de": "Die gewählte Datei sofort öffnen", "zh": "现在打开所选文件"},
        "Set the value of max_connections now": {
            "de": "Den Wert von max_connections jetzt setzen",
            "zh": "立即设置 max_connections 的值",
        },
        "cannot remove '%s': Permission denied": {
            "de": "„%s“ kann nicht entfernt werden: Zugriff verweigert",
            "zh": "无法删除“%s”：权限不够",
        },
    }
    assert manifest["label_names"] == ["files", "net", "gui"]
    assert manifest["dropped_messages"] == {
        "short": 2,
        "copied_untranslated": 1,
        "duplicates": 1,
        "conflicting_areas": 1,
    }
    assert manifest["skipped_catalogs"] == [{"area": "net", "domain": "netutil-2", "missing": ["zh"]}]
    assert {c["domain"] for c in manifest["catalogs"]} == {"fileutil", "netutil-1", "widgets"}
    assert all(c["package"] is None for c in manifest["catalogs"])  # not installed by dpkg


def test_fake_catalogs_labels_follow_the_chosen_areas(fake):
    spec = copy.deepcopy(fake["spec"])
    spec["gettext"]["areas"] = ["gui", "files"]
    frames, manifest = build("t", spec, ["en", "de"], 0)
    rows = pd.concat(frames.values())
    assert manifest["label_names"] == ["gui", "files"]
    assert rows.loc[rows["text_a"] == "Create a new folder here", "label"].tolist() == [0]
    assert set(rows["label"]) == {0, 1}


def test_missing_catalogs_name_area_language_and_packages(fake):
    for path in (fake["locale"] / "zh_CN" / "LC_MESSAGES").glob("widget*.mo"):
        path.unlink()
    with pytest.raises(LangspecError) as err:
        build("t", fake["spec"], ["en", "de", "zh"], 0)
    message = str(err.value)
    assert "area gui in zh (Debian packages: libwidgets-common)" in message and "\n" not in message
    with pytest.raises(LangspecError, match=r"area files in ja \(Debian packages: fileutil-pkg\); area net in ja"):
        build("t", fake["spec"], ["en", "de", "ja"], 0)


@pytest.mark.parametrize(
    ("gettext", "languages", "message"),
    [
        (
            {"areas": ["files", "bogus"]},
            ["en", "de"],
            r"gettext.areas: unknown area\(s\) bogus; .* has files, net, gui",
        ),
        (
            {"areas_file": "/nonexistent/areas.yaml"},
            ["en", "de"],
            "gettext.areas_file '/nonexistent/areas.yaml' does not exist",
        ),
        ({}, ["en"], "the gettext sources need a language besides en"),
    ],
)
def test_bad_gettext_options(fake, gettext, languages, message):
    spec = fake["spec"] | {"gettext": fake["spec"]["gettext"] | gettext}
    with pytest.raises(LangspecError, match=message):
        build("t", spec, languages, 0)


def test_unreadable_catalog_is_named(fake):
    bad = fake["locale"] / "de" / "LC_MESSAGES" / "widgets.mo"
    bad.write_bytes(b"not a catalog")
    with pytest.raises(LangspecError, match=re.escape(f"cannot read gettext catalog {bad}")):
        build("t", fake["spec"], ["en", "de"], 0)


@pytest.mark.parametrize(
    ("english", "usable"),
    [
        ("%s: %s", False),
        ("%1$s → %2$s (%3$.2f%%)", False),
        ("<b>{0}</b> of {1}", False),
        ("Authentication is required to restart '$(unit)'.", True),
        ("Invalid ENCRYPT_METHOD value: '%s'.", True),
        ('could not open file "%s" for reading: %m', True),
        ("Cannot open <b>%s</b>", False),
    ],
)
def test_usable_messages_discount_placeholders_and_markup(english, usable):
    assert gettext_topic.is_usable(english, min_chars=16, min_words=3) is usable


def test_mnemonics_are_removed_only_where_marked():
    assert gettext_topic.clean_text("C_reate  a\nfolder", mnemonics=True) == "Create a folder"
    assert gettext_topic.clean_text("新建文件夹(_R)", mnemonics=True) == "新建文件夹"
    assert gettext_topic.clean_text("g_io_channel_read failed", mnemonics=False) == "g_io_channel_read failed"
