"""Tables 1 and 2 over replicates: their source data (one row per task and language, every replicate's value), laid
out as mean ± sd, "–" for a language a task lacks, numeric CSV and Markdown output."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from langspec.core.errors import LangspecError
from langspec.registry import TABLES_000
from langspec.stats.source_data import heads as source
from langspec.stats.source_data.heads import from_spec, read_source_data, write_source_data
from langspec.tables import heads as tables
from langspec.tables.format import markdown, mean_sd
from langspec.tables.heads import write


def table1(masks: dict) -> pd.DataFrame:
    """Table 1 laid out from its source data, read back from CSV as the workflow does."""
    return tables.table1(source.table1(masks))


def table2(accuracy: dict) -> pd.DataFrame:
    return tables.table2(source.table2(accuracy))


def _mask(disabled: int, shape=(12, 12)) -> np.ndarray:
    mask = np.ones(shape, int)
    mask.flat[:disabled] = 0
    return mask


# the paper's table 1 for PAWS-X and MARC as replicate 0; replicates 1 and 2 prune 14 heads more or fewer
PAPER1 = {
    "pawsx": {"de": 42, "en": 56, "es": 56, "fr": 56, "ko": 42},
    "marc": {"de": 56, "en": 42, "es": 42, "fr": 56, "zh": 84},
}
MASKS = {task: [{lang: _mask(n + delta) for lang, n in counts.items()} for delta in (0, 14, -14)]
         for task, counts in PAPER1.items()}
# the paper's table 2 as the mean of three replicates at mean - 1, mean, mean + 1
PAPER2 = {
    "pawsx": {"full": {"de": 68.0, "en": 78.6, "es": 78.2, "fr": 82.1, "ko": 67.1},
              "sft": {"de": 78.8, "en": 83.0, "es": 80.5, "fr": 79.8, "ko": 69.9}},
    "marc": {"full": {"de": 75.3, "en": 75.1, "es": 76.6, "fr": 76.2, "zh": 69.5},
             "sft": {"de": 76.4, "en": 75.8, "es": 77.4, "fr": 77.6, "zh": 71.1}},
}
ACCURACY = {task: {regime: [{lang: v + delta for lang, v in values.items()} for delta in (-1.0, 0.0, 1.0)]
                   for regime, values in regimes.items()}
            for task, regimes in PAPER2.items()}


def test_table1_counts_disabled_heads_per_task_and_language_over_replicates(tmp_path):
    frame = table1(MASKS)
    languages = ["de", "en", "es", "fr", "ko", "zh"]
    assert list(frame.columns) == ["task", "replicates", *(c for lang in languages for c in (lang, f"{lang} sd"))]
    assert frame["replicates"].tolist() == [3, 3]
    pawsx = frame.set_index("task").loc["pawsx"]
    assert [pawsx[lang] for lang in languages[:5]] == [42, 56, 56, 56, 42] and np.isnan(pawsx["zh"])
    assert pawsx["de sd"] == pytest.approx(14.0)
    display = markdown(frame)
    assert display.iloc[0].tolist() == ["pawsx", 3, "42.0 ± 14.0", "56.0 ± 14.0", "56.0 ± 14.0", "56.0 ± 14.0", "42.0 ± 14.0", "–"]
    write(tmp_path / "table1", frame)
    csv = pd.read_csv(tmp_path / "table1.csv")
    assert csv.loc[1, "zh"] == 84 and csv.loc[1, "zh sd"] == pytest.approx(14.0) and np.isnan(csv.loc[0, "zh"])
    assert csv.select_dtypes("number").shape[1] == csv.shape[1] - 1, "every column but task is a number"
    md = (tmp_path / "table1.md").read_text()
    assert "| pawsx  |" in md and "84.0 ± 14.0" in md and "over 3 replicates" in md


def test_a_single_replicate_shows_just_its_value(tmp_path):
    frame = table1({task: reps[:1] for task, reps in MASKS.items()})
    assert frame["replicates"].tolist() == [1, 1] and frame["de sd"].isna().all()
    assert markdown(frame).iloc[1].tolist() == ["marc", 1, "56", "42", "42", "56", "–", "84"]
    write(tmp_path / "table1", frame)
    assert "over 1 replicate " in (tmp_path / "table1.md").read_text()
    assert mean_sd(78.6, np.nan) == "78.6" and mean_sd(np.nan, np.nan) == "–" and mean_sd(31.04, 4.44) == "31.0 ± 4.4"


def test_table2_has_full_and_sft_per_task_and_a_row_per_language(tmp_path):
    frame = table2(ACCURACY)
    assert list(frame.columns) == ["lang", *(f"{task} {regime}{part}" for task in ("pawsx", "marc")
                                             for regime in ("Full", "SFT") for part in ("", " sd", " n"))]
    assert frame["lang"].tolist() == ["de", "en", "es", "fr", "ko", "zh"]
    fr = frame.set_index("lang").loc["fr"]
    assert [fr["pawsx Full"], fr["pawsx SFT"], fr["marc Full"], fr["marc SFT"]] == pytest.approx([82.1, 79.8, 76.2, 77.6])
    assert fr["pawsx Full sd"] == pytest.approx(1.0) and fr["pawsx Full n"] == 3
    assert np.isnan(frame.set_index("lang").loc["ko", "marc SFT"]) and frame.set_index("lang").loc["ko", "marc SFT n"] == 0
    display = markdown(frame).set_index("lang")
    assert list(display.columns) == ["pawsx Full", "pawsx SFT", "marc Full", "marc SFT"]
    assert display.loc["fr"].tolist() == ["82.1 ± 1.0", "79.8 ± 1.0", "76.2 ± 1.0", "77.6 ± 1.0"]
    assert display.loc["zh", "pawsx Full"] == "–"
    write(tmp_path / "table2", frame)
    csv = pd.read_csv(tmp_path / "table2.csv")
    assert csv.set_index("lang").loc["fr", "pawsx Full"] == pytest.approx(82.1)
    assert csv.select_dtypes("number").shape[1] == csv.shape[1] - 1, "every column but lang is a number"
    markdown_text = (tmp_path / "table2.md").read_text()
    assert "82.1 ± 1.0" in markdown_text and "–" in markdown_text and "over 3 replicates" in markdown_text


def test_source_data_of_table1_is_one_row_per_task_and_language_with_each_replicate():
    frame = source.table1(MASKS)
    assert list(frame.columns) == ["task", "lang", "mean", "sd", "n_replicates", "rep0", "rep1", "rep2"]
    assert len(frame) == 10 and frame["n_replicates"].eq(3).all()
    row = frame.set_index(["task", "lang"]).loc[("marc", "zh")]
    assert [row["rep0"], row["rep1"], row["rep2"]] == [84, 98, 70] and row["mean"] == 84 and row["sd"] == pytest.approx(14.0)
    assert TABLES_000["table1"].resolve_source() is source.table1 and TABLES_000["table1"].source_data == "tables/table1.data.csv"


def test_source_data_of_table2_is_one_row_per_task_regime_and_language(tmp_path):
    frame = source.table2(ACCURACY, {"pawsx": [0, 2, 5], "marc": [0, 1, 2]})
    assert list(frame.columns) == ["task", "regime", "lang", "mean", "sd", "n_replicates", "rep0", "rep1", "rep2", "rep5"]
    assert len(frame) == 2 * 2 * 5 and frame["mean"].between(0, 100).all()
    row = frame.set_index(["task", "regime", "lang"]).loc[("pawsx", "sft", "fr")]
    assert [row["rep0"], row["rep2"], row["rep5"]] == pytest.approx([78.8, 79.8, 80.8]) and np.isnan(row["rep1"])
    write_source_data(tmp_path / "table2.data.csv", frame)
    assert tables.table2(read_source_data(tmp_path / "table2.data.csv")).equals(tables.table2(frame))


def test_table_sources_read_their_spec_files(tmp_path):
    """The workflow's spec: mask files and subnetwork-accuracy JSON under rep{r}, learned replicates only."""
    masks, accuracy = {}, {}
    for task, reps in MASKS.items():
        masks[task] = []
        for r, replicate in enumerate(reps):
            paths = {}
            for lang, mask in replicate.items():
                paths[lang] = tmp_path / "masks" / task / f"rep{r}" / f"{lang}.json"
                paths[lang].parent.mkdir(parents=True, exist_ok=True)
                paths[lang].write_text(json.dumps({"mask": mask.tolist(), "lang": lang, "kind": "pruned"}))
                paths[lang] = str(paths[lang])
            masks[task].append(paths)
    for task, regimes in ACCURACY.items():
        accuracy[task] = {}
        for regime, reps in regimes.items():
            accuracy[task][regime] = []
            for r, values in enumerate(reps):
                path = tmp_path / "accuracy" / task / f"rep{r}" / f"{regime}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps({"subnetwork": {lang: {"accuracy": v / 100} for lang, v in values.items()}}))
                accuracy[task][regime].append(str(path))
    pd.DataFrame({"rep": [0, 1, 2], "training": "full", "learned": [True, False, True],
                  "status": ["used", "excluded", "used"]}).to_csv(tmp_path / "quality.csv", index=False)
    quality = {"pawsx": str(tmp_path / "quality.csv")}
    one = TABLES_000["table1"]
    frame = from_spec(one.resolve_source(), one.roles, {"masks": masks}, quality, what="table1")
    pawsx = frame[frame["task"] == "pawsx"]
    assert pawsx["n_replicates"].eq(2).all() and pawsx["rep1"].isna().all() and frame.loc[frame["task"] == "marc", "rep1"].notna().all()
    two = TABLES_000["table2"]
    frame = from_spec(two.resolve_source(), two.roles, {"accuracy": accuracy}, quality, what="table2")
    assert frame.set_index(["task", "regime", "lang"]).loc[("marc", "full", "zh"), "rep2"] == pytest.approx(70.5)
    assert tables.table2(frame).set_index("lang").loc["fr", "pawsx Full n"] == 2
    with pytest.raises(LangspecError, match="lacks the role"):
        from_spec(two.resolve_source(), two.roles, {}, what="table2")


@pytest.mark.parametrize("make, message", [
    (lambda: source.table1({}), "no masks given"),
    (lambda: source.table1({"pawsx": []}), "one entry per replicate"),
    (lambda: source.table1({"pawsx": MASKS["pawsx"][0]}), "one entry per replicate"),
    (lambda: source.table1({"pawsx": [{}]}), "task 'pawsx'"),
    (lambda: source.table1({"pawsx": [{"de": np.full((2, 2), 0.5)}]}), "'de'"),
    (lambda: source.table1({"pawsx": [{"de": _mask(1)}, {"en": _mask(1)}]}), "differ in language"),
    (lambda: source.table2({}), "no accuracies given"),
    (lambda: source.table2({"pawsx": {"full": ACCURACY["pawsx"]["full"]}}), "regime 'sft'"),
    (lambda: source.table2({"pawsx": {"full": PAPER2["pawsx"]["full"], "sft": PAPER2["pawsx"]["sft"]}}), "one entry per replicate"),
    (lambda: source.table2({"pawsx": {"full": [{"de": 70.0}], "sft": [{"de": 71.0, "en": 72.0}]}}), "language 'en'"),
    (lambda: source.table2({"pawsx": {"full": [{"de": 70.0}], "sft": [{"de": 71.0}, {"en": 72.0}]}}), "differ in language"),
    (lambda: source.table2({"pawsx": {"full": [{"de": 0.7}], "sft": [{"de": 170.0}]}}), "not a percentage"),
    (lambda: source.table2({"pawsx": {"full": [{"de": 0.7}], "sft": [{"de": 0.8}]}}), "look like fractions"),
])
def test_missing_or_bad_input_is_one_line_error(make, message):
    with pytest.raises(LangspecError, match=message) as error:
        make()
    assert "\n" not in str(error.value)
