"""Tables 1 and 2: layout as in the paper, "–" for a language a task lacks, CSV and Markdown output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from langspec.atomic import write_table
from langspec.errors import LangspecError
from langspec.tables import table1, table2


def _mask(disabled: int, shape=(12, 12)) -> np.ndarray:
    mask = np.ones(shape, int)
    mask.flat[:disabled] = 0
    return mask


# the paper's table 1, for PAWS-X and MARC
MASKS = {
    "pawsx": {"de": _mask(42), "en": _mask(56), "es": _mask(56), "fr": _mask(56), "ko": _mask(42)},
    "marc": {"de": _mask(56), "en": _mask(42), "es": _mask(42), "fr": _mask(56), "zh": _mask(84)},
}
# the paper's table 2
ACCURACY = {
    "pawsx": {"full": {"de": 68.0, "en": 78.6, "es": 78.2, "fr": 82.1, "ko": 67.1},
              "sft": {"de": 78.8, "en": 83.0, "es": 80.5, "fr": 79.8, "ko": 69.9}},
    "marc": {"full": {"de": 75.3, "en": 75.1, "es": 76.6, "fr": 76.2, "zh": 69.5},
             "sft": {"de": 76.4, "en": 75.8, "es": 77.4, "fr": 77.6, "zh": 71.1}},
}


def test_table1_counts_disabled_heads_per_task_and_language(tmp_path):
    frame = table1(MASKS)
    assert list(frame.columns) == ["task", "de", "en", "es", "fr", "ko", "zh"]
    assert frame.iloc[0].tolist() == ["pawsx", 42, 56, 56, 56, 42, "–"]
    assert frame.iloc[1].tolist() == ["marc", 56, 42, 42, 56, "–", 84]
    write_table(tmp_path / "table1", frame)
    assert pd.read_csv(tmp_path / "table1.csv").loc[1, "zh"] == "84"
    assert "| pawsx  |" in (tmp_path / "table1.md").read_text()


def test_table2_has_full_and_sft_per_task_and_a_row_per_language(tmp_path):
    frame = table2(ACCURACY)
    assert list(frame.columns) == ["lang", "pawsx Full", "pawsx SFT", "marc Full", "marc SFT"]
    assert frame["lang"].tolist() == ["de", "en", "es", "fr", "ko", "zh"]
    assert frame.set_index("lang").loc["fr"].tolist() == [82.1, 79.8, 76.2, 77.6]
    assert frame.set_index("lang").loc["ko", "marc SFT"] == "–"
    assert frame.set_index("lang").loc["zh", "pawsx Full"] == "–"
    write_table(tmp_path / "table2", frame)
    markdown = (tmp_path / "table2.md").read_text()
    assert "82.1" in markdown and "–" in markdown


@pytest.mark.parametrize("make, message", [
    (lambda: table1({}), "no masks given"),
    (lambda: table1({"pawsx": {}}), "task 'pawsx'"),
    (lambda: table1({"pawsx": {"de": np.full((2, 2), 0.5)}}), "'de'"),
    (lambda: table2({}), "no accuracies given"),
    (lambda: table2({"pawsx": {"full": ACCURACY["pawsx"]["full"]}}), "regime 'sft'"),
    (lambda: table2({"pawsx": {"full": {"de": 70.0}, "sft": {"de": 71.0, "en": 72.0}}}), "language 'en'"),
    (lambda: table2({"pawsx": {"full": {"de": 0.7}, "sft": {"de": 170.0}}}), "not a percentage"),
    (lambda: table2({"pawsx": {"full": {"de": 0.7}, "sft": {"de": 0.8}}}), "look like fractions"),
])
def test_missing_or_bad_input_is_one_line_error(make, message):
    with pytest.raises(LangspecError, match=message):
        make()
