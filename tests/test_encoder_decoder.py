"""Lottery tickets in an encoder-decoder (paper 003 section 5, mT5): text-to-text classification, two pruning pools,
rewinding everything, per-block overlap and figure 5's claim, on a tiny random mT5."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import BertConfig

from langspec.core.errors import LangspecError
from langspec.data.encode import TextToText, encode, text_to_text_of
from langspec.data.masking import IGNORE
from langspec.data.tasks import task_kind, text_to_text_prefix
from langspec.models.checkpoints import kind_of, load_model
from langspec.models.prepare import prepare
from langspec.models.tiny import build_tiny
from langspec.models.vocab import keep_layers
from langspec.stats.claims import CLAIMS, Evidence, NotRun
from langspec.stats.tickets import layer_order
from langspec.tickets.imp import imp, prune_round, train_ticket
from langspec.tickets.maskfile import read_weight_mask
from langspec.tickets.masks import (
    WeightSubnetworks,
    bake,
    count,
    encoder_snapshot,
    full_mask,
    pools,
    prunable_weights,
    random_mask,
    rewind,
    sparsity,
)
from langspec.tickets.overlap import layer_jaccard, layer_of
from langspec.training.evaluate import evaluate, generated_labels, predict
from langspec.training.train import Hyperparameters

from .conftest import toy_task

SHAPE = {"hidden_size": 32, "layers": 2, "heads": 4, "intermediate_size": 64, "vocab_size": 300}
HOW = TextToText("topic", ("disk", "net", "user"))


def _toy(per_language: int = 48) -> pd.DataFrame:
    return toy_task(per_language=per_language)


@pytest.fixture(scope="module")
def t5():
    """(tiny random mT5, its tokenizer, train split, dev split) of the toy topic task as text-to-text."""
    frame = _toy()
    texts = HOW.sources(frame) + [HOW.labels[i] for i in frame["label"]]
    model, tokenizer = build_tiny(SHAPE, texts, 3, 0, "text-to-text")
    model.config.prefix, model.config.id2label = HOW.prefix, dict(enumerate(HOW.labels))
    data = encode(frame, tokenizer, 32, "text-to-text", 0, HOW)
    item = np.array([int(u.split("-")[0][1:]) for u in data.uid])
    return model, tokenizer, data.subset(np.flatnonzero(item < 36)), data.subset(np.flatnonzero(item >= 36))


def _hp(**over) -> Hyperparameters:
    base = dict(learning_rate=2e-3, epochs=5, batch_size=8, eval_batch_size=16, max_length=32, warmup_ratio=0.1,
                weight_decay=0.01, max_grad_norm=1.0, group_by_length=True, seed=0)
    return Hyperparameters(**(base | over))


def _fresh(t5):
    _, tokenizer, train, dev = t5
    frame = _toy()
    texts = HOW.sources(frame) + [HOW.labels[i] for i in frame["label"]]
    fresh, _ = build_tiny(SHAPE, texts, 3, 0, "text-to-text")
    fresh.config.prefix, fresh.config.id2label = HOW.prefix, dict(enumerate(HOW.labels))
    return fresh, tokenizer, train, dev


# -- which weights are prunable, and the two pools ---------------------------------------------------


def test_prunable_weights_are_the_attention_and_feed_forward_matrices_of_both_stacks(t5):
    model = t5[0]
    names = list(prunable_weights(model))
    encoder = [n for n in names if n.startswith("encoder.")]
    decoder = [n for n in names if n.startswith("decoder.")]
    assert len(encoder) == 2 * 7 and len(decoder) == 2 * 11 and len(names) == 36
    assert "encoder.block.0.layer.0.SelfAttention.q.weight" in encoder
    assert "encoder.block.1.layer.1.DenseReluDense.wi_1.weight" in encoder
    assert "decoder.block.0.layer.1.EncDecAttention.v.weight" in decoder, "cross-attention is pruned"
    assert "decoder.block.1.layer.2.DenseReluDense.wo.weight" in decoder
    untouched = ("shared", "lm_head", "relative_attention_bias", "layer_norm", "embed_tokens")
    assert not [n for n in names if any(word in n for word in untouched)]
    assert {pool: len(members) for pool, members in pools(names).items()} == {"encoder": 14, "decoder": 22}


def test_encoder_only_models_are_one_pool(tiny):
    assert list(pools(prunable_weights(tiny()))) == ["all"]


def test_each_round_prunes_both_pools_at_the_rate_even_when_a_global_ranking_would_prune_one(t5):
    model = t5[0]
    weights = {n: w.detach().clone() for n, w in prunable_weights(model).items()}
    for name in weights:
        if name.startswith("decoder."):
            weights[name] *= 100  # one global ranking would prune only the encoder
    mask = full_mask(model)
    for k in (1, 2):
        mask = prune_round(weights, mask, 0.25, k)
        for pool, members in pools(mask).items():
            kept, total = count({n: mask[n] for n in members})
            assert total - kept == round(k * 0.25 * total), (pool, k)
    assert list(mask) == list(prunable_weights(model)), "the mask keeps the model's weight order"


def test_random_masks_are_drawn_per_pool_and_unchanged_for_one_pool(t5, tiny):
    mask = random_mask(full_mask(t5[0]), seed=3, sparsity=0.5)
    for members in pools(mask).values():
        assert sparsity({n: mask[n] for n in members}) == pytest.approx(0.5, abs=1e-3)
    model = tiny()
    like = full_mask(model)
    total = sum(m.numel() for m in like.values())
    keep = torch.ones(total, dtype=torch.bool)
    keep[torch.randperm(total, generator=torch.Generator().manual_seed(3))[: round(0.3 * total)]] = False
    expected = torch.cat([m.flatten() for m in random_mask(like, seed=3, sparsity=0.3).values()])
    assert torch.equal(expected, keep), "an encoder-only model's random mask is the one global draw it always was"
    with pytest.raises(LangspecError, match="one-pool"):
        random_mask(full_mask(t5[0]), seed=3, sparsity=10)


def test_rewinding_restores_every_parameter_including_the_lm_head_and_position_biases(t5):
    model, tokenizer, train, dev = _fresh(t5)
    theta0 = encoder_snapshot(model)
    assert set(theta0) == {n for n, _ in model.named_parameters()}, "everything of a T5 is pre-trained: all of it rewinds"
    assert any("relative_attention_bias" in n for n in theta0) and any("layer_norm" in n for n in theta0)
    mask = random_mask(full_mask(model), seed=1, sparsity=0.5)
    train_ticket(model, tokenizer, mask, train, dev, _hp(epochs=1))
    weights = prunable_weights(model)
    assert all(torch.all(weights[n][~mask[n]] == 0) for n in mask), "pruned weights stay zero in both stacks"
    assert any(not torch.equal(p.detach(), theta0[n]) for n, p in model.named_parameters())
    rewind(model, theta0, mask)
    for name, p in model.named_parameters():
        expected = theta0[name] * mask[name] if name in mask else theta0[name]
        assert torch.equal(p.detach(), expected), name


# -- overlap per block ------------------------------------------------------------------------------


def test_layers_of_an_encoder_decoder_are_its_blocks_and_pool_all_their_matrices(t5):
    assert layer_of("encoder.block.3.layer.1.DenseReluDense.wi_0.weight") == "encoder.3"
    assert layer_of("decoder.block.11.layer.1.EncDecAttention.q.weight") == "decoder.11"
    assert layer_of("bert.encoder.layer.2.attention.self.query.weight") == "2"
    a = full_mask(t5[0])
    b = {n: m.clone() for n, m in a.items()}
    q, wo = "decoder.block.0.layer.0.SelfAttention.q.weight", "decoder.block.0.layer.2.DenseReluDense.wo.weight"
    b[q][:] = False  # one matrix of decoder block 0 disjoint from a, the block's others identical
    a[wo][:, : a[wo].shape[1] // 2] = False
    block = [n for n in a if n.startswith("decoder.block.0.")]
    inter = sum(int((a[n] & b[n]).sum()) for n in block)
    union = sum(int((a[n] | b[n]).sum()) for n in block)
    values = layer_jaccard(a, b)
    assert values["decoder.0"] == pytest.approx(inter / union)
    assert values["decoder.0"] != pytest.approx(0.5), "not the last matrix's own Jaccard (the reference code's value)"
    assert values["encoder.0"] == 1.0
    assert layer_order(["decoder.10", "all", "encoder.2", "decoder.2", "encoder.10"]) == [
        "encoder.2", "encoder.10", "decoder.2", "decoder.10"]


# -- text-to-text inputs, targets and generation -------------------------------------------------------


def test_inputs_take_t5s_formats_and_targets_are_the_label_word_then_end_of_sequence(t5):
    tokenizer = t5[1]
    assert HOW.source("a b", "c") == "topic premise: a b hypothesis: c"
    assert HOW.source("a b", None) == "topic sentence: a b"
    targets = HOW.targets(tokenizer)
    assert all(t[-1] == tokenizer.eos_token_id and tokenizer.bos_token_id not in t for t in targets)
    assert len(set(targets)) == 3
    with pytest.raises(LangspecError, match="distinct"):
        TextToText("topic", ("disk", "disk")).targets(tokenizer)


def test_text_to_text_batches_pad_targets_with_ignore_to_the_longest_target(t5):
    train = t5[2]
    batch = train.batch(np.arange(6))
    longest = max(len(train.targets[i]) for i in range(6))
    assert batch["labels"].shape == (6, longest)
    for r in range(6):
        labels = batch["labels"][r]
        assert labels[labels != IGNORE].tolist() == list(train.choices[int(train.label[r])])


def test_a_generation_counts_only_as_an_exact_match_up_to_end_of_sequence():
    choices = ((7, 2), (8, 9, 2), (8, 2))
    generated = torch.tensor([[8, 9, 2, 1], [8, 2, 5, 5], [8, 9, 9, 9], [7, 3, 2, 1], [8, 2, 1, 1]])
    assert generated_labels(generated, choices).tolist() == [1, 2, -1, -1, 2]


def test_the_tiny_mt5_learns_and_scores_the_same_under_a_ticket_as_baked(t5):
    model, tokenizer, train, dev = _fresh(t5)
    before = evaluate(model, dev, 16)
    assert all(0 <= m["accuracy"] <= 1 for m in before.values())
    train_ticket(model, tokenizer, full_mask(model), train, dev, _hp())
    after = evaluate(model, dev, 16)
    pooled = np.mean([m["accuracy"] for m in after.values()])
    assert pooled > 0.55, f"dev accuracy {pooled:.2f}: the tiny mT5 should learn the toy topics (chance 0.33)"
    mask = random_mask(full_mask(model), seed=2, sparsity=0.05)
    with WeightSubnetworks.single(model, mask) as subnetworks:
        loss, pred = predict(model, dev, 16, subnetworks=subnetworks)
    bake(model, mask)
    baked_loss, baked_pred = predict(model, dev, 16)
    assert (pred >= 0).mean() > 0.5, "the masked model still generates label words"
    assert np.array_equal(pred, baked_pred), "generation runs under the ticket's forward as on the baked model"
    np.testing.assert_allclose(loss, baked_loss, rtol=1e-4, atol=1e-6)


def test_imp_on_an_encoder_decoder_writes_masks_at_the_rate_in_each_pool(t5, tmp_path):
    model, tokenizer, train, dev = _fresh(t5)
    trajectory = imp(model, tokenizer, train.subset(train.indices("aa")), dev.subset(dev.indices("aa")), _hp(epochs=2),
                     tmp_path, rate=0.25, max_sparsity=0.5)
    assert [round(e["sparsity"], 6) for e in trajectory] == [0.25, 0.5]
    assert trajectory[0]["metric_name"] == "accuracy" and trajectory[0]["higher_is_better"]
    mask = read_weight_mask(tmp_path / "round2.npz", {n: w.shape for n, w in prunable_weights(model).items()})["mask"]
    for members in pools(mask).values():
        assert sparsity({n: mask[n] for n in members}) == pytest.approx(0.5, abs=1e-3)


# -- preparing the model, the config and the claims ------------------------------------------------


def test_prepare_keeps_the_prefix_and_label_words_and_load_model_reads_them(tmp_path):
    frame = _toy(12)
    texts = HOW.sources(frame) + [HOW.labels[i] for i in frame["label"]]
    record = prepare("tiny", tmp_path / "init", texts, list(HOW.labels), None, True, SHAPE, 0, "text-to-text", "topic")
    assert record["kind"] == "text-to-text"
    model, tokenizer = load_model(tmp_path / "init")
    assert kind_of(model) == "text-to-text" and text_to_text_of(model.config) == HOW
    assert text_to_text_of(BertConfig()) is None, "an encoder's config has no prefix"
    with pytest.raises(LangspecError, match="prefix"):
        prepare("tiny", tmp_path / "bad", texts, list(HOW.labels), None, False, SHAPE, 0, "classification", "topic")
    with pytest.raises(LangspecError, match="prefix"):
        prepare("tiny", tmp_path / "bad", texts, list(HOW.labels), None, False, SHAPE, 0, "text-to-text")


def test_keep_layers_cuts_both_stacks_of_an_encoder_decoder(t5):
    model, *_ = _fresh(t5)
    keep_layers(model, 1)
    assert len(model.encoder.block) == len(model.decoder.block) == 1 and model.config.num_layers == 1
    assert model.config.num_decoder_layers == 1
    with pytest.raises(LangspecError, match="blocks"):
        keep_layers(model, 3)


def test_text_to_text_is_a_classification_source_cast_by_the_task_key():
    assert task_kind({"source": "xnli3", "text_to_text": "xnli"}) == "text-to-text"
    assert text_to_text_prefix({"source": "xnli3", "text_to_text": "xnli"}) == "xnli"
    assert task_kind({"source": "xnli3"}) == "classification"
    assert text_to_text_prefix({"source": "xnli3"}) is None
    with pytest.raises(LangspecError, match="text_to_text.*wikiann"):
        task_kind({"source": "wikiann", "text_to_text": "ner"})


def test_figure_5s_claim_runs_on_text_to_text_tasks_and_figure_4s_on_the_others():
    rows = [{"rep": r, "sparsity": 0.5, "source": s, "target": t, "metric": 0.8 - 0.01 * (s != t) + 0.001 * r,
             "metric_name": "accuracy", "higher_is_better": True}
            for r in range(3) for s in ("en", "de") for t in ("en", "de")]
    claims = {c.id: c for c in CLAIMS}
    for flag, runs, skipped in ((True, "003-fig5-transfer", "003-fig4-transfer"),
                                (False, "003-fig4-transfer", "003-fig5-transfer")):
        evidence = Evidence(lth={"transfer": pd.DataFrame(rows)}, settings={"sparsity": 0.5, "text_to_text": flag})
        assert np.allclose(claims[runs].compute(evidence), -1.0), "a(s, t) − a(t, t) = −1 point per replicate"
        with pytest.raises(NotRun):
            claims[skipped].compute(evidence)


def test_figure_8_runs_over_the_encoders_blocks_then_the_decoders_and_figure_5_and_table_6_draw():
    from langspec.figures.tickets import lth_fig5, lth_fig8
    from langspec.stats.source_data import tickets as source
    from langspec.tables.tickets import table6

    layers = ["encoder.0", "encoder.1", "decoder.0", "decoder.1", "all"]
    overlap = pd.DataFrame([{"rep": r, "kind": "pair", "a": "en", "b": "de", "layer": layer, "jaccard": 0.6 + 0.01 * i + 0.001 * r,
                             "sparsity": 0.5} for r in range(2) for i, layer in enumerate(layers)])
    fig = lth_fig8(source.fig8({"topic-t5": overlap}))
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["E1", "E2", "D1", "D2"]
    transfer = pd.DataFrame([{"rep": r, "sparsity": 0.5, "source": s, "target": t, "metric": 0.6 + 0.01 * (s == t) + 0.001 * r,
                              "metric_name": "accuracy", "higher_is_better": True}
                             for r in range(2) for s in ("en", "de", "rand") for t in ("en", "de")])
    assert "encoder-decoder" in lth_fig5(source.fig5({"topic-t5": transfer}))._suptitle.get_text()
    dense = pd.DataFrame([{"rep": r, "sparsity": 0.0, "source": "full", "target": t, "metric": 0.7, "metric_name": "accuracy",
                           "higher_is_better": True} for r in range(2) for t in ("en", "de")])
    table = table6(source.table6({"topic-t5": pd.concat([dense, transfer])}, 0.5))
    assert table.loc[table["model"] == "rand", "en"].iloc[0] == pytest.approx(60.05)
