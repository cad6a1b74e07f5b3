"""The data contract check: one line naming the split and the column at fault."""

from __future__ import annotations

import pandas as pd
import pytest

from langspec.core.errors import LangspecError
from langspec.data.schema import check_frame, check_splits, to_contract


def frame(**changes) -> pd.DataFrame:
    base = {
        "uid": ["a-en", "a-de", "b-en"],
        "lang": ["en", "de", "en"],
        "text_a": ["one", "eins", "two"],
        "text_b": [None, None, None],
        "label": [0, 0, 1],
    }
    return pd.DataFrame(base | changes)


def test_contract_frame_passes_and_keeps_column_order():
    out = to_contract(frame().iloc[:, ::-1])
    check_frame(out, "train", num_labels=2)
    assert list(out.columns) == ["uid", "lang", "text_a", "text_b", "label"]
    assert out["label"].dtype == "int64" and out["text_b"].isna().all()


@pytest.mark.parametrize(
    ("changes", "drop", "message"),
    [
        ({}, "label", "train: missing column(s) label"),
        ({"uid": ["a", "a", "b"]}, None, "train: uid 'a' is not unique"),
        ({"label": [0.0, 1.0, 0.5]}, None, "train: column label must be integers"),
        ({"label": [0, -1, 1]}, None, "train: column label has negative value -1"),
        ({"label": [0, 2, 1]}, None, "train: column label has value 2, labels must be 0..1"),
        ({"text_a": ["one", None, "two"]}, None, "train: column text_a must be non-null strings (row 1)"),
        ({"text_a": ["one", "  ", "two"]}, None, "train: column text_a is empty in row 1"),
        ({"lang": ["en", 3, "en"]}, None, "train: column lang must be non-null strings (row 1)"),
        ({"text_b": [None, 5, None]}, None, "train: column text_b must be strings or null (row 1)"),
    ],
)
def test_contract_violations_name_the_column(changes, drop, message):
    bad = frame(**changes)
    if drop:
        bad = bad.drop(columns=drop)
    with pytest.raises(LangspecError) as err:
        check_frame(bad, "train", num_labels=2)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_uid_shared_by_two_splits_is_named():
    with pytest.raises(LangspecError, match="task 't': uid 'a-en' occurs in splits train and test"):
        check_splits({"train": frame(), "test": frame(uid=["a-en", "x", "y"])}, "t", 2)
