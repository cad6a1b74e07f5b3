"""Tables 1 and 2 over replicates: mean ± sd, "–" for a language a task lacks, numeric CSV and Markdown output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from langspec.core.errors import LangspecError
from langspec.tables.format import markdown, mean_sd
from langspec.tables.heads import table1, table2, write


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


@pytest.mark.parametrize("make, message", [
    (lambda: table1({}), "no masks given"),
    (lambda: table1({"pawsx": []}), "one entry per replicate"),
    (lambda: table1({"pawsx": MASKS["pawsx"][0]}), "one entry per replicate"),
    (lambda: table1({"pawsx": [{}]}), "task 'pawsx'"),
    (lambda: table1({"pawsx": [{"de": np.full((2, 2), 0.5)}]}), "'de'"),
    (lambda: table1({"pawsx": [{"de": _mask(1)}, {"en": _mask(1)}]}), "differ in language"),
    (lambda: table2({}), "no accuracies given"),
    (lambda: table2({"pawsx": {"full": ACCURACY["pawsx"]["full"]}}), "regime 'sft'"),
    (lambda: table2({"pawsx": {"full": PAPER2["pawsx"]["full"], "sft": PAPER2["pawsx"]["sft"]}}), "one entry per replicate"),
    (lambda: table2({"pawsx": {"full": [{"de": 70.0}], "sft": [{"de": 71.0, "en": 72.0}]}}), "language 'en'"),
    (lambda: table2({"pawsx": {"full": [{"de": 70.0}], "sft": [{"de": 71.0}, {"en": 72.0}]}}), "differ in language"),
    (lambda: table2({"pawsx": {"full": [{"de": 0.7}], "sft": [{"de": 170.0}]}}), "not a percentage"),
    (lambda: table2({"pawsx": {"full": [{"de": 0.7}], "sft": [{"de": 0.8}]}}), "look like fractions"),
])
def test_missing_or_bad_input_is_one_line_error(make, message):
    with pytest.raises(LangspecError, match=message) as error:
        make()
    assert "\n" not in str(error.value)
