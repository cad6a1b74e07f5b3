"""Fine-tuning: per-epoch self-contained checkpoints, SFT batching, strict vs paper updates."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, BertConfig, BertForSequenceClassification

from langspec.core.errors import LangspecError
from langspec.core.precision import autocast
from langspec.data.encode import encode
from langspec.heads.subnetworks import HeadSubnetworks
from langspec.models.layout import head_layout
from langspec.models.tiny import train_tokenizer
from langspec.training.evaluate import predict
from langspec.training.train import Hyperparameters, language_batches, train

from .conftest import toy_task

HP = Hyperparameters(learning_rate=5e-3, epochs=2, batch_size=8, eval_batch_size=16, max_length=16,
                     warmup_ratio=0.1, weight_decay=0.1, max_grad_norm=1.0, group_by_length=False, seed=0)


@pytest.fixture(scope="module")
def setup():
    frame = toy_task()
    tokenizer = train_tokenizer(frame["text_a"].tolist(), 200)
    data = encode(frame, tokenizer, HP.max_length)
    return frame, tokenizer, data


def _model(tokenizer, seed=0):
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=32, num_labels=3, max_position_embeddings=32)
    return BertForSequenceClassification(config)


def test_full_finetuning_writes_self_contained_checkpoints(setup, tmp_path):
    _, tokenizer, data = setup
    model = _model(tokenizer)
    history = train(model, tokenizer, data, data, dataclasses.replace(HP, epochs=8), tmp_path)
    assert [h["epoch"] for h in history] == list(range(1, 9))
    for epoch in range(1, 9):
        metrics = json.loads((tmp_path / f"epoch{epoch}" / "metrics.json").read_text())
        assert set(metrics["dev"]) == {"aa", "bb", "cc"}
        assert {"loss", "accuracy", "n"} <= set(metrics["dev"]["aa"])
    assert history[-1]["dev"]["aa"]["accuracy"] > 0.6, "the toy task is learnable"
    # reload from the path alone: same tokenization, same predictions
    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "epoch8")
    retok = AutoTokenizer.from_pretrained(tmp_path / "epoch8")
    frame = toy_task()
    again = encode(frame, retok, HP.max_length)
    assert again.features["input_ids"] == data.features["input_ids"]
    loss_a, pred_a = predict(model, data, 16)
    loss_b, pred_b = predict(reloaded, again, 16)
    assert np.array_equal(pred_a, pred_b)
    np.testing.assert_allclose(loss_a, loss_b, rtol=1e-5, atol=1e-6)


def test_bfloat16_autocast_training_learns_like_float32(setup):
    """The toy task under bfloat16 autocast, the whole loop in one block as the workflow's scripts run it."""
    _, tokenizer, data = setup
    accuracy = {}
    for precision in ("float32", "bfloat16"):
        model = _model(tokenizer)
        with autocast(precision, "cpu", model):
            history = train(model, tokenizer, data, data, dataclasses.replace(HP, epochs=8), None)
        accuracy[precision] = np.mean([history[-1]["dev"][lang]["accuracy"] for lang in ("aa", "bb", "cc")])
    assert accuracy["float32"] > 0.6 and accuracy["bfloat16"] > 0.6, accuracy


def test_sft_batches_are_single_language_and_balanced(setup):
    _, _, data = setup
    plan = language_batches(data, 8, np.random.default_rng(0))
    counts = {}
    for lang, rows in plan:
        assert set(data.lang[rows]) == {lang}
        counts[lang] = counts.get(lang, 0) + 1
    assert len(set(counts.values())) == 1
    assert [lang for lang, _ in plan] != sorted(lang for lang, _ in plan), "languages are interleaved"


def test_sft_tops_up_smaller_languages(setup):
    _, tokenizer, _ = setup
    frame = toy_task()
    frame = frame[~((frame["lang"] == "cc") & (frame.index % 2 == 0))]
    data = encode(frame, tokenizer, 16)
    plan = language_batches(data, 8, np.random.default_rng(0))
    sizes = {}
    for lang, rows in plan:
        sizes[lang] = sizes.get(lang, 0) + len(rows)
    assert sizes == {"aa": 24, "bb": 24, "cc": 24}


def _masks():
    base = torch.ones(2, 4)
    base[0, 0] = 0  # masked for every language
    masks = {lang: base.clone() for lang in ("aa", "bb", "cc")}
    masks["aa"][1, 1] = 0
    return masks


@pytest.mark.parametrize("strict", [True, False])
def test_head_masked_for_every_language(setup, tmp_path, strict):
    _, tokenizer, data = setup
    model = _model(tokenizer)
    layout = head_layout(model)
    d = layout.head_size
    before = layout.layers[0].query.weight[:d].detach().clone()
    with HeadSubnetworks(model, _masks()) as subnetworks:
        history = train(model, tokenizer, data, data, HP, tmp_path, subnetworks=subnetworks, strict=strict)
    after = layout.layers[0].query.weight[:d]
    assert torch.equal(before, after) == strict, "strict freezes; paper mode decays masked weights"
    assert "dev_subnetwork" in history[-1] and history[-1]["sparse"] == ("strict" if strict else "paper")


def test_sft_without_a_mask_for_a_training_language_is_refused(setup, tmp_path):
    _, tokenizer, data = setup
    masks = _masks()
    del masks["bb"]
    model = _model(tokenizer)
    with HeadSubnetworks(model, masks) as subnetworks, \
            pytest.raises(LangspecError, match="no mask for training language\\(s\\) bb"):
        train(model, tokenizer, data, data, HP, tmp_path, subnetworks=subnetworks)
    assert not list(tmp_path.iterdir()), "nothing is written before the check"



@pytest.mark.parametrize("plan", ["mixed", "language"])
def test_length_grouping_keeps_every_example_once_and_pads_less(plan):
    from langspec.training.train import mixed_batches

    frame = toy_task(per_language=200)
    rng = np.random.default_rng(0)
    frame["text_a"] = [" ".join(t.split()[: int(n)]) for t, n in zip(frame["text_a"], rng.integers(1, 8, len(frame)))]
    data = encode(frame, train_tokenizer(frame["text_a"].tolist(), 200), 16)
    make = mixed_batches if plan == "mixed" else language_batches
    lengths = np.array([len(ids) for ids in data.features["input_ids"]])

    def padding(batches):
        return sum(lengths[rows].max() * len(rows) - lengths[rows].sum() for _, rows in batches)

    grouped = make(data, 8, np.random.default_rng(1), True)
    plain = make(data, 8, np.random.default_rng(1), False)
    assert sorted(np.concatenate([rows for _, rows in grouped]).tolist()) == list(range(len(data)))
    assert padding(grouped) < 0.5 * padding(plain)
