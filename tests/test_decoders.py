"""Decoder-only models (issue 30): layout, loading and shrinking, head gates, sparse updates and the task kinds.

Tiny random decoders of every supported family are built from their config classes
(:func:`langspec.models.tiny.build_tiny` with ``family``); nothing is downloaded.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from langspec.attribution.exact import exact_cosines
from langspec.attribution.sketch import Sketcher
from langspec.core.errors import LangspecError
from langspec.data.encode import encode
from langspec.heads.gates import HeadGates
from langspec.heads.masks import read_mask, save_mask
from langspec.heads.pruning import prune_language
from langspec.heads.sparse import frozen_heads, mask_gradients
from langspec.models.checkpoints import kind_of, load_model
from langspec.models.layout import DECODERS, head_layout, is_decoder, out_axis
from langspec.models.prepare import model_kind, prepare
from langspec.models.tiny import build_tiny
from langspec.models.vocab import keep_layers
from langspec.training.evaluate import evaluate, predict
from langspec.training.objective import training_loss

SHAPE = {"hidden_size": 16, "layers": 2, "heads": 4, "intermediate_size": 64, "vocab_size": 80}
GQA = ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text")
TEXTS = ["ab cd ef gh", "lorem ipsum dolor sit amet", "ba da ga", "kato sidas sur la tapiŝo", "der hund schläft"] * 6
FRAME = pd.DataFrame({
    "uid": [f"u{i}" for i in range(6)], "lang": ["en"] * 3 + ["de"] * 3,
    "text_a": ["ab cd ef gh ab", "lorem ipsum", "ba", "dolor sit amet ab cd", "ef", "ga da ba kato sidas"],
    "text_b": [None] * 6, "label": [0, 1, 2, 0, 1, 2],
})


def shape(family: str, kv_heads: int | None = None) -> dict:
    return {**SHAPE, "family": family, **({"kv_heads": kv_heads} if kv_heads else {})}


def tiny(family: str, kind: str = "classification", kv_heads: int | None = None, seed: int = 0):
    model, tokenizer = build_tiny(shape(family, kv_heads), TEXTS, 3, seed, kind)
    return model.eval(), tokenizer


def frame(kind: str) -> pd.DataFrame:
    if kind == "token-classification":
        return FRAME.assign(tags=[[i % 3 for i, _ in enumerate(t.split(" "))] for t in FRAME["text_a"]])
    return FRAME


# -- layout ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("family", DECODERS)
def test_every_decoder_family_has_a_head_layout_that_owns_its_projections(family):
    kv = 2 if family in GQA else None
    model, _ = tiny(family, kv_heads=kv)
    layout = head_layout(model)
    assert is_decoder(model) and layout.shape == (2, 4) and layout.head_size == 4
    assert layout.kv_heads == (kv or 4) and layout.grouped == (kv is not None)
    for heads in layout.layers:
        for part in heads.slices:  # every index of a head-owned axis belongs to a head, each head to as many
            assert len(part.owner) == part.parameter.shape[part.axis]
            counts = torch.bincount(part.owner)
            assert len(counts) == (layout.kv_heads if part.role == "kv" else 4) and (counts == counts[0]).all()
    if kv:
        assert [layout.kv_of(h) for h in range(4)] == [0, 0, 1, 1]


def test_unknown_family_is_one_line_naming_the_model_and_the_families(tmp_path):
    from transformers import OPTConfig, OPTForSequenceClassification

    OPTForSequenceClassification(OPTConfig(num_hidden_layers=1, num_attention_heads=2, hidden_size=8, ffn_dim=16,
                                           word_embed_proj_dim=8, vocab_size=20)).save_pretrained(tmp_path / "opt")
    with pytest.raises(LangspecError, match=r"model '.*opt' is of family 'opt'.*decoders llama.*qwen2.*gemma.*bloom.*gpt2") as error:
        prepare(str(tmp_path / "opt"), tmp_path / "out", ["a"], ["x", "y"], None, False, {}, 0)
    assert "\n" not in str(error.value) and not (tmp_path / "out").exists()


def test_model_kind_on_a_decoder():
    assert model_kind("mlm", "llama") == "clm" and model_kind("classification", "bloom") == "classification"
    assert model_kind("mlm", "bert") == "mlm"
    with pytest.raises(LangspecError, match="encoder-decoder"):
        model_kind("text-to-text", "qwen2")


@pytest.mark.parametrize("family", ["llama", "qwen2", "gemma2", "bloom", "gpt2"])
def test_keep_layers_of_a_decoder(family):
    model, _ = tiny(family)
    first = head_layout(model).layers[0].output
    keep_layers(model, 1)
    assert model.config.num_hidden_layers == 1 and head_layout(model).shape == (1, 4)
    assert head_layout(model).layers[0].output is first
    if hasattr(model.config, "layer_types") and model.config.layer_types is not None:
        assert len(model.config.layer_types) == 1
    with torch.no_grad():
        assert model(input_ids=torch.tensor([[0, 7, 9, 2]])).logits.shape == (1, 3)
    with pytest.raises(LangspecError, match=r"\b3\b.*\b1\b"):
        keep_layers(model, 3)


@pytest.mark.parametrize("family", ["llama", "bloom", "gpt2"])
def test_prepared_decoder_classifier_trims_cuts_and_reproduces_its_predictions(tmp_path, family):
    record = prepare("tiny", tmp_path / "m", TEXTS, ["a", "b", "c"], layers=1, trim_vocabulary=True,
                     tiny=shape(family), seed=0)
    assert record["kind"] == "classification" and record["family"] == family and record["layers_kept"] == 1
    assert json.loads((tmp_path / "m" / "prepare.json").read_text()) == record
    model, tokenizer = load_model(tmp_path / "m")
    assert model.config.pad_token_id == tokenizer.pad_token_id is not None
    data = encode(FRAME, tokenizer, 16)
    _, pred = predict(model, data, 4)
    again, _ = load_model(tmp_path / "m")
    assert np.array_equal(predict(again, data, 2)[1], pred)


@pytest.mark.parametrize("family", ["qwen2", "gemma3_text", "bloom", "gpt2"])
def test_causal_lm_keeps_its_output_embeddings_tied_through_trimming(tmp_path, family):
    record = prepare("tiny", tmp_path / "m", TEXTS, [], layers=None, trim_vocabulary=True, tiny=shape(family), seed=0,
                     kind="mlm")
    assert record["kind"] == "clm" and record["tokens_after"] < record["tokens_before"]
    model, tokenizer = load_model(tmp_path / "m")
    assert kind_of(model) == "clm"
    assert model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    assert model.get_output_embeddings().weight.shape[0] == len(tokenizer) == model.config.vocab_size


# -- head gates, importance, sparse updates -----------------------------------------------------------------------------

def _batch(tokenizer, kind="classification"):
    batch = encode(frame(kind), tokenizer, 16, kind).batch(np.arange(6))
    return batch


@pytest.mark.parametrize("family", DECODERS)
def test_open_gates_are_bit_identical_and_a_closed_gate_zeroes_that_heads_output(family):
    model, tokenizer = tiny(family, kv_heads=2 if family in GQA else None)
    batch = _batch(tokenizer)
    batch.pop("labels")
    layout = head_layout(model)
    mask = torch.ones(2, 4)
    mask[0, 1] = mask[1, 3] = 0
    with torch.no_grad():
        before = model(**batch).logits
        with HeadGates(model) as gates:
            assert torch.equal(model(**batch).logits, before)
            gates.set(mask)
            gated = model(**batch).logits
        zeroed = []
        for layer, head in ((0, 1), (1, 3)):  # the same as zeroing the head's columns of the output projection
            output = layout.layers[layer].output
            d = layout.head_size
            weight = output.weight
            columns = slice(head * d, (head + 1) * d)  # the head's input features: columns of nn.Linear, rows of Conv1D
            cut = (slice(None), columns) if out_axis(output) == 0 else (columns, slice(None))
            zeroed.append((weight, cut, weight[cut].clone()))
            weight[cut] = 0
        expected = model(**batch).logits
        for weight, cut, saved in zeroed:
            weight[cut] = saved
    assert not torch.allclose(gated, before)
    torch.testing.assert_close(gated, expected)


def test_a_mask_naming_key_value_heads_is_refused(tmp_path):
    model, _ = tiny("llama", kv_heads=2)
    with HeadGates(model) as gates, pytest.raises(LangspecError, match=r"key/value heads.*4 query heads share 2") as error:
        gates.set(torch.ones(2, 2))
    assert "\n" not in str(error.value)
    save_mask(tmp_path / "kv.json", np.ones((2, 2)), "en", "pruned")
    with pytest.raises(LangspecError, match="key/value heads"):
        read_mask(tmp_path / "kv.json", head_layout(model))


@pytest.mark.parametrize("family", ["llama", "bloom", "gpt2"])
def test_gate_gradient_is_michel_importance_on_a_decoder(family):
    model, tokenizer = tiny(family, kv_heads=2 if family == "llama" else None)
    batch = _batch(tokenizer)
    labels = batch.pop("labels")
    with HeadGates(model) as gates:
        gates.values.requires_grad_(True)
        with gates.recording() as recorded:
            F.cross_entropy(model(**batch).logits, labels, reduction="sum").backward()
        per_example = HeadGates.per_example(recorded)
        torch.testing.assert_close(per_example.sum(0), gates.values.grad)
        for row in (0, 4):  # one example alone gives its own row
            gates.values.grad = None
            single = {k: v[row:row + 1] for k, v in batch.items()}
            F.cross_entropy(model(**single).logits, labels[row:row + 1], reduction="sum").backward()
            torch.testing.assert_close(per_example[row], gates.values.grad, atol=1e-6, rtol=1e-4)


def test_grouped_query_sparse_update_keeps_a_shared_key_value_head_trainable_while_its_group_is_open():
    model, tokenizer = tiny("qwen2", kv_heads=2)  # query heads 0, 1 read kv head 0; 2, 3 read kv head 1
    layout = head_layout(model)
    mask = torch.tensor([[0.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])  # layer 0: kv head 1's group closed
    model.train()
    training_loss(model, _batch(tokenizer), "classification").backward()
    mask_gradients(layout, mask)
    attention = model.model.layers[0].self_attn
    d = layout.head_size
    assert (attention.q_proj.weight.grad[:d] == 0).all() and (attention.q_proj.weight.grad[d:2 * d] != 0).any()
    assert (attention.q_proj.weight.grad[2 * d:] == 0).all() and (attention.o_proj.weight.grad[:, :d] == 0).all()
    for projection in (attention.k_proj, attention.v_proj):
        assert (projection.weight.grad[:d] != 0).any(), "kv head 0 serves the open query head 1"
        assert (projection.weight.grad[d:] == 0).all() and (projection.bias.grad[d:] == 0).all()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    before = attention.k_proj.weight.detach().clone()
    with frozen_heads(layout, mask, optimizer):
        optimizer.step()
    assert torch.equal(attention.k_proj.weight[d:], before[d:]) and not torch.equal(attention.k_proj.weight[:d], before[:d])


@pytest.mark.parametrize("family", ["llama", "bloom"])
def test_michel_pruning_runs_on_a_decoder(family):
    model, tokenizer = tiny(family)
    data = encode(FRAME, tokenizer, 16)
    mask, trajectory = prune_language(model, data, "en", 4, 0.25, "remaining", 0.0001, True)
    assert mask.shape == (2, 4) and trajectory[0]["heads_kept"] == 8 and len(trajectory) >= 2


# -- task kinds: padding on either side ------------------------------------------------------------------------------

@pytest.mark.parametrize("family", DECODERS)
def test_classification_reads_the_last_real_token_under_left_and_right_padding(family):
    model, tokenizer = tiny(family)
    logits = {}
    for side in ("right", "left"):
        tokenizer.padding_side = side
        data = encode(FRAME, tokenizer, 16)
        assert data.padding_side == side
        batch = data.batch(np.arange(6))
        batch.pop("labels")
        lengths = batch["attention_mask"].sum(1)
        assert lengths.min() < lengths.max(), "the batch pads"
        with torch.no_grad():
            logits[side] = model(**batch).logits
    single = []
    with torch.no_grad():
        for row in range(6):
            batch = data.batch([row])
            batch.pop("labels")
            single.append(model(**batch).logits)
    torch.testing.assert_close(logits["right"], logits["left"])
    torch.testing.assert_close(logits["right"], torch.cat(single))


def test_left_padding_needs_position_ids_where_positions_are_absolute():
    model, tokenizer = tiny("gpt2")
    tokenizer.padding_side = "left"
    batch = encode(FRAME, tokenizer, 16).batch(np.arange(6))
    batch.pop("labels")
    with torch.no_grad():
        right = model(**{k: v for k, v in batch.items()}).logits
        without = model(**{k: v for k, v in batch.items() if k != "position_ids"}).logits
    assert not torch.allclose(right, without), "the check above would pass without position_ids"


@pytest.mark.parametrize("family", ["llama", "qwen2", "gemma3_text", "bloom", "gpt2"])
def test_causal_lm_perplexity_is_the_models_own_loss_and_the_same_under_either_padding(family):
    model, tokenizer = tiny(family, "clm")
    scores = {}
    for side in ("right", "left"):
        tokenizer.padding_side = side
        scores[side] = evaluate(model, encode(FRAME, tokenizer, 16, "clm"), 4)
    for lang in ("en", "de"):
        assert scores["left"][lang]["perplexity"] == pytest.approx(scores["right"][lang]["perplexity"], rel=1e-5)
        assert scores["right"][lang]["tokens"] == scores["left"][lang]["tokens"] > 0
    tokenizer.padding_side = "right"
    batch = encode(FRAME, tokenizer, 16, "clm").batch(np.arange(6))
    with torch.no_grad():
        torch.testing.assert_close(training_loss(model, batch, "clm"), model(**batch).loss)


@pytest.mark.parametrize("family", ["llama", "bloom"])
def test_token_classification_on_a_decoder_under_either_padding(family):
    model, tokenizer = tiny(family, "token-classification")
    scores = {}
    for side in ("right", "left"):
        tokenizer.padding_side = side
        scores[side] = evaluate(model, encode(frame("token-classification"), tokenizer, 16, "token-classification"), 4)
    assert scores["right"]["en"]["loss"] == pytest.approx(scores["left"]["en"]["loss"], rel=1e-5)
    assert {"f1", "precision", "recall"} <= set(scores["right"]["en"])


# -- TracIn: sketches and the exact check on a decoder's linear layers ---------------------------------------------

def _weight_gradient(module) -> torch.Tensor:
    """[out, in (+1 bias column)] gradient of a linear layer (a GPT-2 ``Conv1D`` stores its weight [in, out])."""
    grad = module.weight.grad if out_axis(module) == 0 else module.weight.grad.T
    return torch.cat([grad, module.bias.grad[:, None]], dim=1) if module.bias is not None else grad


@pytest.mark.parametrize("family", ["llama", "bloom", "gpt2"])
@pytest.mark.parametrize("side", ["right", "left"])
def test_sketches_of_a_padded_decoder_batch_equal_projected_exact_gradients(family, side):
    model, tokenizer = tiny(family, kv_heads=2 if family in GQA else None)  # float32: BLOOM's attention mask turns a
    tokenizer.padding_side = side  # left-padded row that attends to nothing into NaN in float64, never in float32
    data = encode(FRAME, tokenizer, 16)
    sketcher = Sketcher(model, dim=16, patterns=["*"], seed=3)
    projections = 7 if family in GQA else 4  # per block: q, k, v, o and the MLP's gate, up, down (fused qkv: one)
    assert len(sketcher.layers) == SHAPE["layers"] * projections + 1, "every block's linear layers and the score head"
    with sketcher:
        sketches, _, _ = sketcher(data.batch(np.arange(6)))
    for row in range(6):
        batch = data.batch([row])
        labels = batch.pop("labels")
        model.zero_grad()
        F.cross_entropy(model(**batch).logits, labels).backward()
        expected = torch.cat([(g1 @ _weight_gradient(module) @ g2.T).flatten()
                              for (g1, g2), (_, module) in zip(sketcher.projections, sketcher.layers)])
        assert (sketches[row] - expected).norm() / expected.norm() < 1e-4, row


@pytest.mark.parametrize("family", ["qwen2", "gpt2"])
def test_exact_tracin_cosines_on_a_decoder_match_autograd(family):
    model, tokenizer = tiny(family, kv_heads=2 if family in GQA else None)
    data = encode(FRAME, tokenizer, 16)
    cosines = exact_cosines(model, data, data, [0, 4], ["*"], batch_size=4)
    linears = [module for _, module in Sketcher(model, dim=4, patterns=["*"], seed=0).layers]
    gradients = []
    for row in range(6):
        batch = data.batch([row])
        labels = batch.pop("labels")
        model.zero_grad()
        F.cross_entropy(model(**batch).logits, labels, reduction="sum").backward()
        gradients.append(torch.cat([_weight_gradient(module).flatten() for module in linears]))
    gradients = F.normalize(torch.stack(gradients), dim=1)
    np.testing.assert_allclose(cosines, (gradients[[0, 4]] @ gradients.T).numpy(), rtol=1e-4, atol=1e-5)


# -- lottery tickets: IMP on a decoder -------------------------------------------------------------------------------

@pytest.mark.parametrize(("family", "kind"), [("llama", "clm"), ("bloom", "classification"), ("gpt2", "clm")])
def test_imp_on_a_decoder_prunes_attention_and_mlp_only_and_rewinds(tmp_path, family, kind):
    from langspec.tickets.imp import imp
    from langspec.tickets.maskfile import read_weight_mask, round_path
    from langspec.tickets.masks import count, prunable_weights
    from langspec.training.train import Hyperparameters

    model, tokenizer = tiny(family, kind, kv_heads=2 if family in GQA else None)
    init = {n: p.detach().clone() for n, p in model.named_parameters()}
    data = encode(FRAME, tokenizer, 16, kind)
    hp = Hyperparameters(learning_rate=5e-3, epochs=1, batch_size=4, eval_batch_size=8, max_length=16,
                         warmup_ratio=0.1, weight_decay=0.1, max_grad_norm=1.0, group_by_length=False, seed=0)
    trajectory = imp(model, tokenizer, data, data, hp, tmp_path, rate=0.25, max_sparsity=0.5, languages=["en", "de"])
    assert [e["round"] for e in trajectory] == [1, 2]
    mask = read_weight_mask(round_path(tmp_path, 2))["mask"]
    prunable = set(prunable_weights(model))
    assert set(mask) == prunable
    assert all(name.endswith(".weight") and any(part in name for part in ("attn", "attention", "mlp")) for name in mask)
    assert not any(key in name for name in mask for key in ("embed", "wte", "wpe", "word_embeddings", "norm", "ln_",
                                                             "lm_head", "score")), "embeddings, norms, heads never"
    kept, total = count(mask)
    assert total - kept == pytest.approx(0.5 * total, abs=len(mask)), "half of the prunable weights"
    for name, value in model.named_parameters():
        if name in prunable:
            assert torch.equal(value[mask[name]], init[name][mask[name]]), name
            assert torch.count_nonzero(value[~mask[name]]) == 0, name
    if kind == "clm":
        assert model.get_output_embeddings().weight is model.get_input_embeddings().weight, "the LM head stays tied"
        assert torch.equal(model.get_input_embeddings().weight, init[next(n for n in init if "emb" in n or "wte" in n)])
    assert all(np.isfinite(e["metric"]) for e in trajectory)
