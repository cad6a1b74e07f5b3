"""Tiny random models: deterministic, shaped as asked, XLM-R-style special tokens."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from langspec.core.errors import LangspecError
from langspec.models.tiny import build_tiny

SHAPE = {"hidden_size": 24, "layers": 3, "heads": 4, "intermediate_size": 40, "vocab_size": 120}
TEXTS = [
    "The cat sat on the mat.",
    ("Der Hund schläft im Garten.", "Le chien dort dans le jardin."),
    ("El perro duerme.", None),
    "Кошка спит на диване.",
    "고양이가 소파에서 잔다.",
    "猫在沙发上睡觉。",
] * 5


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_shape_and_special_tokens():
    model, tokenizer = build_tiny(SHAPE, TEXTS, num_labels=3, seed=0)
    config = model.config
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads, config.intermediate_size) == (
        24,
        3,
        4,
        40,
    )
    assert config.num_labels == 3 and config.vocab_size == len(tokenizer) <= SHAPE["vocab_size"]
    assert model.get_input_embeddings().weight.shape == (len(tokenizer), 24)
    assert [
        tokenizer.bos_token_id,
        tokenizer.pad_token_id,
        tokenizer.eos_token_id,
        tokenizer.unk_token_id,
        tokenizer.mask_token_id,
    ] == [0, 1, 2, 3, 4]
    ids = tokenizer("Der Hund.", "Le chien.")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and ids.count(2) == 3
    batch = tokenizer(["Der Hund schläft.", "猫"], padding=True, return_tensors="pt")
    assert batch["input_ids"][1, -1].item() == tokenizer.pad_token_id
    with torch.no_grad():
        assert model(**batch).logits.shape == (2, 3)


def test_same_arguments_same_model_and_tokenizer():
    model_a, tok_a = build_tiny(SHAPE, TEXTS, num_labels=2, seed=5)
    model_b, tok_b = build_tiny(SHAPE, TEXTS, num_labels=2, seed=5)
    model_c, _ = build_tiny(SHAPE, TEXTS, num_labels=2, seed=6)
    assert tok_a.backend_tokenizer.to_str() == tok_b.backend_tokenizer.to_str()
    a, b, c = _state(model_a), _state(model_b), _state(model_c)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["classifier.weight"], c["classifier.weight"])


def test_save_and_reload(tmp_path):
    model, tokenizer = build_tiny(SHAPE, TEXTS, num_labels=2, seed=0)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert reloaded(TEXTS[0])["input_ids"] == tokenizer(TEXTS[0])["input_ids"]
    assert json.loads(reloaded.backend_tokenizer.to_str())["model"]["type"] == "Unigram"
    again = AutoModelForSequenceClassification.from_pretrained(tmp_path)
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in model.state_dict().items())


@pytest.mark.parametrize(
    "shape, match",
    [
        ({**SHAPE, "heads": 5}, "multiple of heads"),
        ({k: v for k, v in SHAPE.items() if k != "layers"}, "missing keys \\['layers'\\]"),
        ({**SHAPE, "depth": 2}, "unknown keys \\['depth'\\]"),
    ],
)
def test_bad_shape(shape, match):
    with pytest.raises(LangspecError, match=match):
        build_tiny(shape, TEXTS, num_labels=2, seed=0)


def test_no_texts():
    with pytest.raises(LangspecError, match="no texts"):
        build_tiny(SHAPE, [], num_labels=2, seed=0)
