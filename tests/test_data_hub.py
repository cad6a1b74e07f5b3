"""XNLI, PAWS-X and MARC through datasets.load_dataset, on offline copies in the hub layout."""

from __future__ import annotations

import shutil

import datasets
import pandas as pd
import pytest

from langspec.core.errors import LangspecError
from langspec.data.tasks import build

from .fixtures.make_hub_fixtures import XNLI
from .test_data_common import HUB_FIXTURES, task_spec

SIZE = {"train": 8, "dev": 4, "test": 4}


@pytest.fixture(autouse=True)
def datasets_cache(tmp_path, monkeypatch):
    """Keep the Arrow cache that load_dataset writes out of the user's home."""
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    datasets.disable_progress_bars()


def hub_build(source: str, languages: list[str], seed: int = 0, fixture: str | None = None, size: dict = SIZE):
    spec = task_spec(source, size=size, hub_id=str(HUB_FIXTURES / (fixture or source)))
    return build(source, spec, languages, seed)


def items_by_language(frame: pd.DataFrame) -> dict[str, list[str]]:
    ids = frame["uid"].str.rsplit("-", n=1).str[0]
    return {lang: sorted(ids[frame["lang"] == lang]) for lang in frame["lang"].unique()}


def test_xnli_binary_entailment_parallel_by_row():
    languages = ["en", "de", "fr", "es", "ru"]
    frames, manifest = hub_build("xnli", languages)
    assert manifest["label_names"] == ["not_entailment", "entailment"] and manifest["parallel"]
    assert manifest["hub_id"].endswith("hub/xnli") and manifest["versions"]["datasets"]
    for split, frame in frames.items():
        assert len(frame) == SIZE[split] * len(languages) and frame["text_b"].notna().all()
        by_lang = items_by_language(frame)
        assert all(items == by_lang["en"] for items in by_lang.values())
        assert manifest["counts"][split]["ru"] == {"not_entailment": SIZE[split] // 2, "entailment": SIZE[split] // 2}
    english = pd.concat(frames.values()).query("lang == 'en'")
    entailed = {h.format(n=n) for _, h, _, _ in XNLI["en"] for n in ("Anna", "Maria", "Sofia", "Elena")}
    assert (english["text_b"].isin(entailed) == (english["label"] == 1)).all()


def test_pawsx_drops_items_missing_in_a_language():
    frames, manifest = hub_build("pawsx", ["en", "de", "es", "fr", "ko"], size={"train": 14, "dev": 8, "test": 8})
    assert manifest["label_names"] == ["not_paraphrase", "paraphrase"]
    assert manifest["dropped_items"]["train"]["incomplete"] == 1
    train = frames["train"]
    assert not train["uid"].str.startswith("train-16-").any()
    assert train.loc[train["lang"] == "ko", "label"].value_counts().to_dict() == {0: 7, 1: 7}
    ko = frames["dev"].query("lang == 'ko'")
    assert ko["text_a"].str.contains("강변 길").all()


def test_pawsx_too_few_items_after_alignment():
    with pytest.raises(
        LangspecError, match=r"split train, languages en, de \(parallel items\): 16 examples requested, 15 available"
    ):
        hub_build("pawsx", ["en", "de"], size={"train": 16})


def test_marc_is_binary_without_three_stars_and_not_parallel():
    languages = ["en", "de", "es", "fr", "zh"]
    frames, manifest = hub_build("marc", languages, seed=3)
    assert manifest["label_names"] == ["negative", "positive"] and not manifest["parallel"]
    assert manifest["rows_dropped"]["train"]["zh"] == {"unused_label": 4, "empty_text": 0}
    assert manifest["hub_id"].endswith("hub/marc")
    train = frames["train"]
    assert train["text_a"].str.contains("\n\n").all() and train["text_b"].isna().all()
    assert not train["text_a"].str.contains("Average|Durchschnitt|一般般").any()  # 3 stars
    by_lang = items_by_language(train)
    assert len({tuple(items) for items in by_lang.values()}) > 1  # drawn per language
    assert (train.groupby("lang")["label"].value_counts() == 4).all()


def test_hub_build_is_deterministic():
    first = hub_build("marc", ["en", "zh"], seed=7)
    again = hub_build("marc", ["en", "zh"], seed=7)
    for split in first[0]:
        pd.testing.assert_frame_equal(first[0][split], again[0][split])
    assert first[1] == again[1]


def test_language_the_dataset_lacks_is_named_with_those_it_has():
    with pytest.raises(LangspecError, match=r"xnli \(.*hub/xnli\) has no language ko, ja; it has de, en, es, fr, ru"):
        hub_build("xnli", ["en", "ko", "ja"])


def test_wrong_layout_names_the_missing_columns():
    with pytest.raises(
        LangspecError, match=r"config en split train lacks column\(s\) premise, hypothesis; it has text, label"
    ):
        hub_build("xnli", ["en", "de"], fixture="marc")


def test_unreachable_hub_dataset_says_how_to_work_offline():
    spec = task_spec("xnli", size=SIZE, hub_id="no-such-org/no-such-dataset")
    with pytest.raises(
        LangspecError, match=r"cannot open hub dataset 'no-such-org/no-such-dataset' .*set hub_id to a local copy"
    ):
        build("xnli", spec, ["en", "de"], 0)


def test_missing_split_file_is_named(tmp_path):
    copy = tmp_path / "xnli"
    shutil.copytree(HUB_FIXTURES / "xnli", copy)
    (copy / "de" / "validation-00000-of-00001.parquet").unlink()
    spec = task_spec("xnli", size=SIZE, hub_id=str(copy))
    with pytest.raises(
        LangspecError, match=r"cannot load '.*/xnli' config de \(NonMatchingSplitsSizesError: .*validation"
    ):
        build("xnli", spec, ["en", "de"], 0)
