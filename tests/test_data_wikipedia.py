"""The wikipedia source: passages of streamed articles, on an offline copy in the wikimedia/wikipedia layout."""

from __future__ import annotations

import datasets
import pandas as pd
import pytest

from langspec.core.errors import LangspecError
from langspec.data import wikipedia
from langspec.data.sample import split_of
from langspec.data.schema import SPLITS
from langspec.data.tasks import build

from .fixtures.make_hub_fixtures import WIKIPEDIA
from .test_data_common import HUB_FIXTURES, task_spec

LANGS = ["en", "de", "fr", "es", "ru"]
SIZE = {"train": 8, "dev": 3, "test": 3}
FRACTIONS = {"dev_fraction": 0.25, "test_fraction": 0.25}
SEED = 3  # gives every language of the fixture an article in each split at these fractions


@pytest.fixture(autouse=True)
def datasets_cache(tmp_path, monkeypatch):
    """Keep the Arrow cache that load_dataset writes out of the user's home, and skip the stream's closing nap.

    ``datasets`` sleeps ``SLEEP_TIME_ON_THREADS_SHUTDOWN`` (5 s) whenever a parquet
    stream closes (a guard against apache/arrow#45214 at interpreter exit); a
    twentieth of that keeps these tests fast.
    """
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(datasets.config, "SLEEP_TIME_ON_THREADS_SHUTDOWN", 0.25)
    datasets.disable_progress_bars()


def spec(size: dict = SIZE, **wiki) -> dict:
    return task_spec(
        "wikipedia",
        size=size,
        hub_id=str(HUB_FIXTURES / "wikipedia"),
        words_per_example=10,
        wikipedia={**FRACTIONS, "shuffle_buffer": 4, **wiki},
    )


def articles(lang: str) -> dict[str, str]:
    return {article: "\n\n".join(paragraphs) for article, _, paragraphs in WIKIPEDIA[lang]}


def test_passages_cover_the_whole_text_with_a_short_remainder_joined():
    text = " ".join(f"w{i}" for i in range(24))
    assert [len(p.split()) for p in wikipedia.passages(text, 10)] == [10, 14]
    assert [len(p.split()) for p in wikipedia.passages(text + " w24", 10)] == [10, 10, 5], "half is kept"
    assert wikipedia.passages("one two\n\nthree  four", 10) == [], "shorter than half a passage"
    assert wikipedia.passages("one two\n\nthree  four five", 10) == ["one two three four five"]
    assert " ".join(wikipedia.passages(text, 7)) == text


def test_every_block_of_every_article_is_used():
    loaded = wikipedia.build(spec(size={"train": 100, "dev": 100, "test": 100}), ["en"], SEED)
    rows = pd.concat(loaded.frames.values())
    rows["article"] = rows["uid"].str.split("-").str[0]
    rows["number"] = rows["uid"].str.split("-").str[1].astype(int)
    texts = articles("en")
    assert set(rows["article"]) == set(texts) - {"61234"}, "all articles but the four-word stub"
    for article, passages in rows.sort_values("number").groupby("article")["text_a"]:
        assert " ".join(passages) == " ".join(texts[article].split()), article
    assert (rows["article"] == "8192").sum() == 15, "the long article gives all its 15 passages, not one block"
    manifest = loaded.manifest
    assert manifest["stream_exhausted"] == {"en": True}
    assert manifest["articles_skipped"] == {"en": {"split_full": 0, "too_short": 1}}
    assert sum(manifest["articles_read"][split]["en"] for split in SPLITS) == 6
    assert {split: manifest["passages"][split]["en"] for split in SPLITS} == {
        split: len(frame) for split, frame in loaded.frames.items()
    }


def test_build_gives_mlm_passages_with_splits_disjoint_by_article():
    frames, manifest = build("wiki", spec(), LANGS, SEED)
    assert manifest["kind"] == "mlm" and manifest["label_names"] == [] and manifest["parallel"] is False
    assert manifest["hub_id"].endswith("hub/wikipedia") and manifest["dump"] == "20231101"
    assert manifest["versions"]["datasets"]
    by_split = {}
    for split, frame in frames.items():
        assert list(frame.columns) == ["uid", "lang", "text_a", "text_b", "label"]
        assert (frame.groupby("lang").size() == SIZE[split]).all() and set(frame["lang"]) == set(LANGS)
        assert frame["text_b"].isna().all() and (frame["label"] == 0).all()
        assert frame["text_a"].map(lambda text: text == " ".join(text.split()) and 5 <= len(text.split()) < 15).all()
        ids = frame["uid"].str.split("-").str[0] + "-" + frame["lang"]
        by_split[split] = set(ids)
        for key in by_split[split]:
            assert split_of(key.split("-")[0], SEED, 0.25, 0.25) == split
    assert not by_split["train"] & by_split["dev"] and not by_split["train"] & by_split["test"]
    assert not by_split["dev"] & by_split["test"]


def test_same_seed_same_passages():
    first, again = wikipedia.build(spec(), ["de", "ru"], SEED), wikipedia.build(spec(), ["de", "ru"], SEED)
    for split in SPLITS:
        pd.testing.assert_frame_equal(first.frames[split], again.frames[split])
    assert first.manifest == again.manifest


def test_null_size_is_refused():
    with pytest.raises(LangspecError, match=r"^size.dev is null, but the wikipedia source streams a dump"):
        build("wiki", spec(size={"dev": None}), ["en"], SEED)


def test_missing_dump_or_language_is_named():
    with pytest.raises(
        LangspecError, match=r"^wikipedia \(.*hub/wikipedia\) has no config 20231101.<lang> for language ko, ja \(dump 20231101\)"
    ):
        build("wiki", spec(), ["en", "ko", "ja"], SEED)
    with pytest.raises(LangspecError, match=r"for language en, de \(dump 20220301\); its dumps: 20231101$"):
        build("wiki", spec(dump="20220301"), ["en", "de"], SEED)
