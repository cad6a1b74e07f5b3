"""build(): source dispatch, identical output for identical inputs, a JSON-ready manifest."""

from __future__ import annotations

import json

import datasets
import pytest

from langspec.core.atomic import write_json, write_parquet
from langspec.core.errors import LangspecError
from langspec.data.tasks import build

from .test_data_common import AREAS_FILE, HUB_FIXTURES, task_spec


def written(frames: dict, manifest: dict, directory) -> dict[str, bytes]:
    """The bytes the workflow would write for one build."""
    for split, frame in frames.items():
        write_parquet(directory / f"{split}.parquet", frame)
    write_json(directory / "manifest.json", manifest)
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.mark.parametrize(
    ("source", "languages", "options"),
    [
        (
            "gettext-topic",
            ["en", "de", "ru"],
            {"gettext": {"areas_file": str(AREAS_FILE), "areas": ["version-control", "system"]}},
        ),
        ("pawsx", ["en", "de", "ko"], {"hub_id": str(HUB_FIXTURES / "pawsx")}),
    ],
)
def test_same_inputs_give_byte_identical_files(tmp_path, monkeypatch, source, languages, options):
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    spec = task_spec(source, size={"train": 6, "dev": 2, "test": 2}, **options)
    first = written(*build("t", spec, languages, 11), tmp_path / "a")
    second = written(*build("t", spec, languages, 11), tmp_path / "b")
    assert first == second and set(first) == {"train.parquet", "dev.parquet", "test.parquet", "manifest.json"}
    other = written(*build("t", spec, languages, 12), tmp_path / "c")
    assert other["train.parquet"] != first["train.parquet"]
    manifest = json.loads(first["manifest.json"])
    assert manifest["task"] == "t" and manifest["seed"] == 11 and manifest["languages"] == languages
    assert manifest["counts"]["dev"]["de"] == dict.fromkeys(manifest["label_names"], 1)
    assert set(manifest["versions"]) >= {"langspec", "pandas", "pyarrow"}


def test_unknown_source_is_named():
    spec = task_spec("xnli") | {"source": "no-such-source"}
    with pytest.raises(
        LangspecError,
        match="task 'w': unknown source 'no-such-source'; choose one of gettext-topic, xnli, xnli3, pawsx, marc, local",
    ):
        build("w", spec, ["en", "de"], 0)


def test_repeated_language_is_refused():
    with pytest.raises(
        LangspecError, match=r"task 'w': languages must be distinct and at least one, got \['en', 'en'\]"
    ):
        build("w", task_spec("xnli"), ["en", "en"], 0)
