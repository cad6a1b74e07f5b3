"""The prepare_model stage writes a self-contained, reloadable, deterministic starting checkpoint."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from langspec.core.errors import LangspecError
from langspec.models.prepare import prepare
from langspec.models.tiny import build_tiny

SHAPE = {"hidden_size": 16, "layers": 2, "heads": 2, "intermediate_size": 32, "vocab_size": 200}
LABELS = ["entailment", "neutral", "contradiction"]
TEXTS = [
    ("The cat sat on the mat.", "A cat is sitting."),
    ("Der Hund schläft im Garten.", "Ein Hund ist wach."),
    ("Le chat dort sur le canapé.", None),
    ("Кошка спит на диване.", "Кошка спит."),
    ("猫在沙发上睡觉。", "猫醒着。"),
] * 4


def _predict(directory, texts):
    tokenizer = AutoTokenizer.from_pretrained(directory)
    model = AutoModelForSequenceClassification.from_pretrained(directory).eval()
    batch = tokenizer([a for a, _ in texts], [b or "" for _, b in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        return model(**batch).logits, model, tokenizer


def test_tiny_prepare_reloads_from_its_path(tmp_path):
    record = prepare("tiny", tmp_path / "m", iter(TEXTS), LABELS, layers=1, trim_vocabulary=True, tiny=SHAPE, seed=0)
    written = json.loads((tmp_path / "m" / "prepare.json").read_text())
    assert written == record
    assert record["layers_before"] == 2 and record["layers_kept"] == 1
    assert record["tokens_after"] <= record["tokens_before"] and record["params_after"] < record["params_before"]
    logits, model, tokenizer = _predict(tmp_path / "m", TEXTS[:5])
    assert logits.shape == (5, 3)
    assert model.config.num_hidden_layers == 1 and model.config.id2label[2] == "contradiction"
    assert model.config.vocab_size == len(tokenizer) == record["tokens_after"]


def test_same_seed_same_files(tmp_path):
    for name in ("a", "b", "c"):
        prepare(
            "tiny",
            tmp_path / name,
            TEXTS,
            LABELS,
            layers=None,
            trim_vocabulary=True,
            tiny=SHAPE,
            seed=0 if name != "c" else 1,
        )
    weights = {name: (tmp_path / name / "model.safetensors").read_bytes() for name in "abc"}
    assert weights["a"] == weights["b"] != weights["c"]
    assert (tmp_path / "a" / "tokenizer.json").read_bytes() == (tmp_path / "b" / "tokenizer.json").read_bytes()


@pytest.fixture
def local_dir(tmp_path):
    model, tokenizer = build_tiny(SHAPE, TEXTS, num_labels=2, seed=3)
    model.base_model.save_pretrained(tmp_path / "encoder")  # an encoder without a head, as from convert()
    tokenizer.save_pretrained(tmp_path / "encoder")
    return tmp_path / "encoder", model


def test_local_dir_gets_a_fresh_seeded_head(tmp_path, local_dir):
    source, original = local_dir
    runs = [prepare(str(source), tmp_path / f"run{seed}", TEXTS, LABELS, None, False, {}, seed) for seed in (7, 7, 8)]
    assert runs[0]["source"] == str(source) and "tokens_after" not in runs[0]
    heads = [AutoModelForSequenceClassification.from_pretrained(tmp_path / f"run{seed}") for seed in (7, 7, 8)]
    assert torch.equal(heads[0].classifier.weight, heads[1].classifier.weight)
    assert not torch.equal(heads[0].classifier.weight, heads[2].classifier.weight)
    assert heads[0].classifier.out_features == 3 and heads[0].config.label2id["neutral"] == 1
    # the encoder is the saved one
    assert torch.equal(heads[0].bert.embeddings.word_embeddings.weight, original.bert.embeddings.word_embeddings.weight)


def test_local_dir_trimmed_keeps_predictions(tmp_path, local_dir):
    source, _ = local_dir
    prepare(str(source), tmp_path / "full", TEXTS, LABELS, None, False, {}, 0)
    prepare(str(source), tmp_path / "trim", TEXTS, LABELS, None, True, {}, 0)
    full, _, _ = _predict(tmp_path / "full", TEXTS)
    trimmed, _, _ = _predict(tmp_path / "trim", TEXTS)
    assert torch.allclose(full, trimmed, atol=1e-6)


@pytest.mark.parametrize("name", ["./no/such/model-dir", "langspec-tests/no-such-model"])
def test_unloadable_model_is_one_line_error(tmp_path, name):
    with pytest.raises(LangspecError) as err:
        prepare(name, tmp_path / "out", TEXTS, LABELS, None, False, {}, 0)
    assert name in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


def test_too_many_layers(tmp_path):
    with pytest.raises(LangspecError, match=r"\b5\b.*\b2\b"):
        prepare("tiny", tmp_path / "out", TEXTS, LABELS, layers=5, trim_vocabulary=False, tiny=SHAPE, seed=0)
