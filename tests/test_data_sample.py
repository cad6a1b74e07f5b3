"""Seeded partition, parallel alignment and balanced subsampling."""

from __future__ import annotations

import pandas as pd
import pytest

from langspec.core.errors import LangspecError
from langspec.data.sample import balanced_quota, complete_items, partition, seeded_order, subsample

LANGS = ["en", "de", "fr"]


def parallel_frame(labels: list[int], languages=LANGS) -> pd.DataFrame:
    """Item i (label labels[i]) translated into every language."""
    rows = [
        {
            "item": f"i{i}",
            "uid": f"i{i}-{lang}",
            "lang": lang,
            "text_a": f"{lang} text {i}",
            "text_b": None,
            "label": label,
        }
        for i, label in enumerate(labels)
        for lang in languages
    ]
    return pd.DataFrame(rows)


def take(frame, n, seed=0, parallel=True, names=("a", "b", "c")):
    return subsample(
        frame, n, seed, task="t", split="train", languages=LANGS, parallel=parallel, label_names=list(names)
    )


@pytest.mark.parametrize(
    ("available", "n", "quota"),
    [
        ([10, 10, 10], 9, [3, 3, 3]),
        ([10, 10, 10], 10, [4, 3, 3]),
        ([10, 10, 10], 11, [4, 4, 3]),
        ([1, 10, 10], 9, [1, 4, 4]),
        ([1, 2, 10], 9, [1, 2, 6]),
        ([0, 5, 5], 4, [0, 2, 2]),
        ([3, 3], 6, [3, 3]),
    ],
)
def test_balanced_quota(available, n, quota):
    assert balanced_quota(available, n) == quota


def test_partition_is_seeded_stable_and_close_to_its_fractions():
    items = [f"item{i}" for i in range(4000)]
    split = partition(items, 0, dev=0.15, test=0.15)
    shares = pd.Series(split).value_counts(normalize=True)
    assert abs(shares["dev"] - 0.15) < 0.03 and abs(shares["test"] - 0.15) < 0.03
    assert partition(items[:100], 0, 0.15, 0.15) == {i: split[i] for i in items[:100]}  # other items do not matter
    assert partition(items, 1, 0.15, 0.15) != split


def test_seeded_order_ignores_input_order():
    keys = [f"k{i}" for i in range(50)]
    assert seeded_order(keys, 3, "x") == seeded_order(reversed(keys), 3, "x")
    assert seeded_order(keys, 3, "x") != seeded_order(keys, 4, "x")


def test_parallel_subsample_takes_the_same_items_in_every_language_balanced():
    frame = parallel_frame([0] * 20 + [1] * 20 + [2] * 20)
    out, notes = take(frame, 9)
    assert notes == []
    assert list(out["lang"].unique()) == LANGS
    items = {lang: out.loc[out["lang"] == lang, "item"].tolist() for lang in LANGS}
    assert items["en"] == items["de"] == items["fr"] and len(set(items["en"])) == 9
    assert out[out["lang"] == "en"]["label"].value_counts().to_dict() == {0: 3, 1: 3, 2: 3}


def test_non_parallel_subsample_draws_each_language_on_its_own():
    frame = parallel_frame([0] * 20 + [1] * 20)
    frame["item"] = frame["uid"]
    out, _ = take(frame, 6, parallel=False, names=("a", "b"))
    per_lang = {lang: sorted(u.split("-")[0] for u in out.loc[out["lang"] == lang, "uid"]) for lang in LANGS}
    assert all(len(v) == 6 for v in per_lang.values())
    assert per_lang["en"] != per_lang["de"] or per_lang["de"] != per_lang["fr"]
    assert (out.groupby("lang")["label"].value_counts() == 3).all()


def test_subsample_is_deterministic_and_seeded():
    frame = parallel_frame([i % 3 for i in range(60)])
    first, _ = take(frame, 12, seed=5)
    again, _ = take(frame.sample(frac=1, random_state=1), 12, seed=5)
    other, _ = take(frame, 12, seed=6)
    pd.testing.assert_frame_equal(first.reset_index(drop=True), again.reset_index(drop=True))
    assert set(first["item"]) != set(other["item"])


def test_unbalanced_split_is_reported():
    frame = parallel_frame([0] * 2 + [1] * 20 + [2] * 20)
    out, notes = take(frame, 12)
    assert out[out["lang"] == "en"]["label"].value_counts().to_dict() == {1: 5, 2: 5, 0: 2}
    assert notes == [
        {
            "split": "train",
            "languages": LANGS,
            "available": {"a": 2, "b": 20, "c": 20},
            "selected": {"a": 2, "b": 5, "c": 5},
        }
    ]


def test_none_keeps_everything():
    frame = parallel_frame([0, 1, 1, 2])
    out, notes = take(frame, None)
    assert len(out) == len(frame) and notes == []


def test_too_few_examples_names_task_split_languages_and_counts():
    with pytest.raises(
        LangspecError,
        match=r"task 't', split train, languages en, de, fr \(parallel items\): "
        r"50 examples requested, 6 available",
    ):
        take(parallel_frame([0, 1, 2, 0, 1, 2]), 50)
    frame = parallel_frame([0, 1, 2, 0, 1, 2])
    frame["item"] = frame["uid"]
    frame = frame[~((frame["lang"] == "de") & (frame["label"] == 2))]
    with pytest.raises(LangspecError, match=r"task 't', split train, language de: 5 examples requested, 4 available"):
        take(frame, 5, parallel=False)


def test_complete_items_drops_incomplete_duplicate_and_conflicting():
    frame = parallel_frame([0, 1, 2, 0])
    frame = frame[~((frame["item"] == "i0") & (frame["lang"] == "fr"))]  # incomplete
    frame.loc[(frame["item"] == "i1") & (frame["lang"] == "de"), "label"] = 2  # conflicting
    frame = pd.concat([frame, frame[(frame["item"] == "i2") & (frame["lang"] == "en")]])  # duplicate row
    kept, dropped = complete_items(frame, LANGS)
    assert sorted(kept["item"].unique()) == ["i2", "i3"] and len(kept) == 6
    assert dropped == {"duplicate_rows": 1, "incomplete": 1, "conflicting_labels": 1}
