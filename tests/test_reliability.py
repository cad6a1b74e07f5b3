"""No silent wrong results: damaged checkpoints, metrics and shares are refused in one line; a model at chance is reported."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from langspec.attribution.shares import require_test_examples
from langspec.core.errors import LangspecError
from langspec.data.schema import read_split
from langspec.models.checkpoints import load_model, read_metrics
from langspec.training.evaluate import at_chance

from .conftest import tiny_classifier


@pytest.fixture
def checkpoint(tmp_path):
    from transformers import BertTokenizerFast

    model = tiny_classifier("bert")
    model.save_pretrained(tmp_path)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *[f"w{i}" for i in range(45)]]))
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(tmp_path)
    return tmp_path


def test_a_garbage_weights_file_is_one_line_naming_the_directory(checkpoint):
    load_model(checkpoint)
    (checkpoint / "model.safetensors").write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(LangspecError, match=rf"cannot load a model from {checkpoint} \(\w+"):
        load_model(checkpoint)


def test_non_finite_weights_are_refused(checkpoint):
    from safetensors.torch import load_file, save_file

    weights = load_file(checkpoint / "model.safetensors")
    name = next(n for n in weights if n.endswith("query.weight"))
    weights[name][0, 0] = float("nan")
    save_file(weights, checkpoint / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(LangspecError, match="non-finite weights"):
        load_model(checkpoint)


def test_metrics_are_checked(tmp_path):
    good = {"learning_rate": 1e-5, "train_loss": 0.5, "dev": {"en": {"loss": 0.4, "accuracy": 0.8, "n": 10}}}
    (tmp_path / "metrics.json").write_text(json.dumps(good))
    assert read_metrics(tmp_path)["dev"]["en"]["accuracy"] == 0.8
    (tmp_path / "metrics.json").write_text(json.dumps({**good, "train_loss": float("nan")}))
    with pytest.raises(LangspecError, match="metrics.json holds a non-finite loss"):
        read_metrics(tmp_path)
    (tmp_path / "metrics.json").write_text(json.dumps({**good, "dev": {"en": {"loss": 0.4, "accuracy": 1.7, "n": 10}}}))
    with pytest.raises(LangspecError, match="accuracy 1.7 of language en is outside"):
        read_metrics(tmp_path)


def test_a_damaged_data_file_is_one_line(tmp_path):
    (tmp_path / "train.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(LangspecError, match="data file .*train.parquet cannot be read"):
        read_split(tmp_path / "train.parquet")


def test_at_chance_is_within_two_standard_errors_of_one_over_labels():
    metrics = {"en": {"accuracy": 0.36, "n": 100}, "de": {"accuracy": 0.45, "n": 100}, "fr": {"accuracy": 0.33, "n": 12}}
    assert at_chance(metrics, 3) == ["en", "fr"]


def test_cells_with_too_few_test_examples_are_blank_with_a_warning(caplog):
    table = pd.DataFrame({"test_lang": ["en", "en", "de", "de"], "train_lang": ["en", "de"] * 2, "sign": "pos",
                          "share_pct": [60.0, 40.0, 30.0, 70.0], "share_se": 1.0, "n_test": [30, 30, 5, 5]})
    with caplog.at_level(logging.WARNING, logger="langspec"):
        out = require_test_examples(table, 20, "shares.csv")
    assert out.loc[out.test_lang == "de", "share_pct"].isna().all() and out.loc[out.test_lang == "en", "share_pct"].notna().all()
    assert "de: n = 5" in caplog.text and "fewer than shares.min_test = 20" in caplog.text
    with pytest.raises(LangspecError, match="no test language has at least shares.min_test = 50"):
        require_test_examples(table, 50, "shares.csv")


def test_training_that_learns_nothing_says_so(caplog):
    from langspec.data.encode import Encoded
    from langspec.training.train import Hyperparameters, train

    model = tiny_classifier("bert", num_labels=3)
    rng = np.random.default_rng(0)
    ids = [list(rng.integers(5, 50, size=6)) for _ in range(60)]
    data = Encoded(np.array([f"u{i}" for i in range(60)]), np.array(["aa"] * 60), __import__("torch").tensor(rng.integers(0, 3, 60)),
                   {"input_ids": ids, "attention_mask": [[1] * 6] * 60}, pad_id=0)
    hp = Hyperparameters(learning_rate=1e-9, epochs=1, batch_size=8, eval_batch_size=32, max_length=8, warmup_ratio=0.0,
                         weight_decay=0.0, max_grad_norm=1.0, group_by_length=False, seed=0)
    with caplog.at_level(logging.WARNING, logger="langspec"):
        train(model, None, data, data, hp, None)
    assert "the dev accuracy of aa is at chance" in caplog.text


def test_shares_tables_are_checked_where_read(tmp_path):
    from langspec.attribution.shares import read_table

    table = pd.DataFrame({"test_lang": ["en"], "train_lang": ["en"], "sign": ["pos"], "share_pct": [60.0], "n_test": [30],
                          "change_pct": [3.0]})
    table.to_csv(tmp_path / "ok.csv", index=False)
    assert len(read_table(tmp_path / "ok.csv")) == 1
    table.assign(share_pct=[160.0]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(LangspecError, match="bad.csv: column share_pct has values outside"):
        read_table(tmp_path / "bad.csv")
