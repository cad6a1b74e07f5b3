"""The wikiann source: WikiAnn's tagged sentences, on an offline copy in the unimelb-nlp/wikiann layout."""

from __future__ import annotations

import datasets
import pytest

from langspec.core.errors import LangspecError
from langspec.data import wikiann
from langspec.data.tasks import build

from .fixtures import make_hub_fixtures as fixtures
from .test_data_common import HUB_FIXTURES, task_spec

LANGS = ["en", "de", "fr", "es", "ru"]
SIZE = {"train": 10, "dev": 3, "test": 3}


@pytest.fixture(autouse=True)
def datasets_cache(tmp_path, monkeypatch):
    """Keep the Arrow cache that load_dataset writes out of the user's home."""
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    datasets.disable_progress_bars()


def test_fixture_reads_as_the_hub_dataset():
    train = datasets.load_dataset(str(HUB_FIXTURES / "wikiann"), name="de", split="train")
    assert train.features["ner_tags"].feature.names == wikiann.TAG_NAMES
    assert len(train) == 12 and train[0]["spans"] == ["PER: Angela Merkel", "LOC: Paris"]


def test_build_carries_the_tags():
    frames, manifest = build("ner", task_spec("wikiann", size=SIZE, hub_id=str(HUB_FIXTURES / "wikiann")), LANGS, 0)
    assert manifest["kind"] == "token-classification" and manifest["label_names"] == wikiann.TAG_NAMES
    assert manifest["parallel"] is False and manifest["versions"]["datasets"]
    expected = {
        (lang, " ".join(tokens)): tags
        for lang in LANGS
        for split in fixtures.SPLITS
        for tokens, tags, _ in map(fixtures.tagged, fixtures.WIKIANN[lang][split])
    }
    for split, frame in frames.items():
        assert list(frame.columns) == ["uid", "lang", "text_a", "text_b", "label", "tags"]
        assert (frame.groupby("lang").size() == SIZE[split]).all()
        for lang, text, tags in zip(frame["lang"], frame["text_a"], frame["tags"], strict=True):
            assert tags == expected[lang, text]
    assert manifest["counts"]["test"]["ru"]["B-PER"] + manifest["counts"]["test"]["ru"]["B-LOC"] > 0


def test_unsplittable_tokens_are_dropped_and_counted(tmp_path):
    def rows(lang: str, split: str) -> dict[str, list]:
        out = fixtures.wikiann_rows(lang, split)
        if split == "train" and lang == "en":
            for tokens, tags in ((["New York", "is", "big"], [5, 0, 0]), (["An", "", "empty", "token"], [0, 0, 0, 0])):
                out["tokens"].append(tokens)
                out["ner_tags"].append(tags)
                out["langs"].append([lang] * len(tokens))
                out["spans"].append([])
        return out

    features = fixtures.FIXTURES["wikiann"][2]
    fixtures.write(tmp_path / "wikiann", "wikiann", rows, ["en", "de"], features)
    loaded = wikiann.build(task_spec("wikiann", hub_id=str(tmp_path / "wikiann")), ["en", "de"])
    assert loaded.manifest["rows_read"]["train"] == {"en": 14, "de": 12}
    assert loaded.manifest["rows_dropped_unsplittable_tokens"]["train"] == {"en": 2, "de": 0}
    train = loaded.frames["train"]
    assert len(train) == 24 and not train["text_a"].isin(["New York is big", "An  empty token"]).any()


def test_missing_language_is_named():
    spec = task_spec("wikiann", size=SIZE, hub_id=str(HUB_FIXTURES / "wikiann"))
    with pytest.raises(LangspecError, match=r"wikiann \(.*hub/wikiann\) has no language ko; it has de, en, es, fr, ru"):
        build("ner", spec, ["en", "ko"], 0)
