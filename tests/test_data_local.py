"""The local source: your own csv, jsonl or parquet files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from langspec.core.errors import LangspecError
from langspec.data.tasks import build

from .test_data_common import task_spec

WORDS = {"en": ("good", "bad"), "de": ("gut", "schlecht"), "fr": ("bon", "mauvais")}


def table(split: str, items: int = 6) -> pd.DataFrame:
    """Parallel rows: item i in every language, label i % 2, and a French-only extra row."""
    rows = [
        {
            "key": f"{split}{i}",
            "language": lang,
            "sentence": f"{WORDS[lang][i % 2]} {split} {i}",
            "context": f"{lang} context {i}",
            "gold": i % 2,
        }
        for i in range(items)
        for lang in ("en", "de")
    ]
    rows.append({"key": "extra", "language": "fr", "sentence": "bon", "context": "fr", "gold": 1})
    return pd.DataFrame(rows)


def write(frame: pd.DataFrame, path: Path) -> str:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in frame.to_dict("records")))
    else:
        frame.to_parquet(path, index=False)
    return str(path)


def local_spec(tmp_path: Path, suffix: str = ".csv", tables: dict | None = None, **local) -> dict:
    tables = tables or {split: table(split) for split in ("train", "dev", "test")}
    files = {split: write(frame, tmp_path / f"{split}{suffix}") for split, frame in tables.items()}
    options = {
        **files,
        "columns": {"lang": "language", "text_a": "sentence", "text_b": "context", "label": "gold"},
        **local,
    }
    return task_spec("local", size={"train": 4, "dev": 2, "test": 2}, local=options)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_every_format_reads_into_the_contract(tmp_path, suffix):
    frames, manifest = build("mine", local_spec(tmp_path, suffix), ["en", "de"], 0)
    assert manifest["label_names"] == ["0", "1"] and not manifest["parallel"]
    assert manifest["files"]["dev"]["rows"] == 13 and len(manifest["files"]["dev"]["sha256"]) == 64
    for frame in frames.values():
        assert list(frame.columns) == ["uid", "lang", "text_a", "text_b", "label"]
        assert frame["label"].dtype == "int64" and frame["text_b"].str.fullmatch(r"(en|de) context \d").all()
        assert sorted(frame["lang"].unique()) == ["de", "en"]
    assert frames["train"]["uid"].str.startswith("train-").all()


def test_parallel_key_gives_the_same_items_in_every_language(tmp_path):
    spec = local_spec(tmp_path, parallel_key="key", label_names=["negative", "positive"])
    frames, manifest = build("mine", spec, ["en", "de"], 0)
    assert manifest["parallel"] and manifest["label_names"] == ["negative", "positive"]
    train = frames["train"]
    keys = {lang: sorted(train.loc[train["lang"] == lang, "text_a"].str.split().str[-1]) for lang in ("en", "de")}
    assert keys["en"] == keys["de"] and len(keys["en"]) == 4
    assert train.loc[train["lang"] == "en", "label"].value_counts().to_dict() == {0: 2, 1: 2}


def test_uid_column_is_kept(tmp_path):
    tables = {
        split: table(split).assign(rid=lambda f, s=split: [f"{s}-row{i}" for i in range(len(f))])
        for split in ("train", "dev", "test")
    }
    spec = local_spec(tmp_path, ".parquet", tables)
    spec["local"]["columns"]["uid"] = "rid"
    frames, _ = build("mine", spec, ["en"], 0)
    assert frames["dev"]["uid"].str.fullmatch(r"dev-row\d+").all()


def test_language_missing_in_a_file_is_named_with_those_it_has(tmp_path):
    with pytest.raises(LangspecError, match=r"local.train '.*train.csv' has no rows in language ko; it has de, en, fr"):
        build("mine", local_spec(tmp_path), ["en", "ko"], 0)


def test_missing_file_and_unset_split(tmp_path):
    spec = local_spec(tmp_path)
    spec["local"]["dev"] = str(tmp_path / "nope.csv")
    with pytest.raises(LangspecError, match=r"local.dev '.*nope.csv' does not exist"):
        build("mine", spec, ["en"], 0)
    spec["local"]["dev"] = None
    with pytest.raises(
        LangspecError, match="local.dev is not set; the local source needs a file for each of train, dev, test"
    ):
        build("mine", spec, ["en"], 0)


def test_unsupported_extension(tmp_path):
    spec = local_spec(tmp_path)
    (tmp_path / "train.tsv").write_text("x")
    spec["local"]["train"] = str(tmp_path / "train.tsv")
    with pytest.raises(
        LangspecError, match=r"local.train '.*train.tsv': unsupported extension '.tsv'; use .jsonl, .csv, .parquet"
    ):
        build("mine", spec, ["en"], 0)


def test_missing_column_names_column_and_setting(tmp_path):
    spec = local_spec(tmp_path, parallel_key="pair")
    with pytest.raises(
        LangspecError, match=r"local.train '.*' lacks column 'pair' \(local.parallel_key\); it has key, language"
    ):
        build("mine", spec, ["en"], 0)
    spec = local_spec(tmp_path)
    spec["local"]["columns"]["text_a"] = "text"
    with pytest.raises(LangspecError, match=r"lacks column 'text' \(local.columns.text_a\)"):
        build("mine", spec, ["en"], 0)


def test_bad_labels_and_texts_are_named_with_their_row(tmp_path):
    bad = table("train").astype({"gold": float})
    bad.loc[3, "gold"] = 1.5
    spec = local_spec(tmp_path, ".jsonl", {"train": bad, "dev": table("dev"), "test": table("test")})
    with pytest.raises(
        LangspecError, match=r"local.train '.*train.jsonl': label '1.5' in row 3 is not an integer >= 0"
    ):
        build("mine", spec, ["en", "de"], 0)
    empty = table("train")
    empty.loc[2, "sentence"] = ""
    spec = local_spec(tmp_path, ".csv", {"train": empty, "dev": table("dev"), "test": table("test")})
    with pytest.raises(LangspecError, match=r"local.train '.*train.csv': column 'sentence' is empty in row 2"):
        build("mine", spec, ["en", "de"], 0)


def test_label_names_must_cover_the_labels(tmp_path):
    three = table("train")
    three.loc[0, "gold"] = 2
    spec = local_spec(
        tmp_path, ".csv", {"train": three, "dev": table("dev"), "test": table("test")}, label_names=["a", "b"]
    )
    with pytest.raises(LangspecError, match="local.label_names names 2 labels, but the data have label 2"):
        build("mine", spec, ["en", "de"], 0)


def test_duplicate_uids_across_splits_are_named(tmp_path):
    tables = {
        split: table("same").assign(rid=lambda f: [f"r{i}" for i in range(len(f))])
        for split in ("train", "dev", "test")
    }
    spec = local_spec(tmp_path, ".csv", tables)
    spec["local"]["columns"]["uid"] = "rid"
    spec["size"] = {"train": None, "dev": None, "test": None}
    with pytest.raises(LangspecError, match=r"task 'mine': uid 'r\d+' occurs in splits train and dev"):
        build("mine", spec, ["en", "de"], 0)
