"""Analyses of lottery tickets: Jaccard overlap, transfer arithmetic, winning criterion, retrieval, head fractions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from langspec.core.errors import LangspecError
from langspec.data.encode import Encoded
from langspec.tickets.heads import head_agreement, head_fractions
from langspec.tickets.masks import full_mask, prunable_weights, random_mask
from langspec.tickets.overlap import average_overlap, expected_jaccard, jaccard, layer_jaccard, pairwise_jaccard
from langspec.tickets.retrieval import (
    layer_embeddings,
    layer_poolings,
    parallel_pairs,
    retrieval_accuracy,
    retrieval_by_layer,
    scores,
)
from langspec.tickets.transfer import (
    highest_winning_sparsity,
    is_winning,
    relative_transfer_drop,
    transfer_matrix,
    transfer_table,
    winning_table,
)

from .conftest import random_batch, tiny_classifier

Q = "bert.encoder.layer.0.attention.self.query.weight"
FFN = "bert.encoder.layer.0.intermediate.dense.weight"
Q1 = "bert.encoder.layer.1.attention.self.query.weight"
POOL = "bert.pooler.dense.weight"


def _t(rows):
    return torch.tensor(rows, dtype=torch.bool)


def test_jaccard_on_constructed_masks_equals_the_hand_computed_value():
    a = {Q: _t([[1, 1], [0, 0]]), FFN: _t([[1, 0, 1]]), Q1: _t([[1, 1], [1, 1]]), POOL: _t([[0, 1]])}
    b = {Q: _t([[1, 0], [1, 0]]), FFN: _t([[1, 0, 0]]), Q1: _t([[0, 0], [0, 1]]), POOL: _t([[0, 0]])}
    # layer 0 pools both matrices: ∩ = 1 (Q) + 1 (FFN) = 2, ∪ = 3 (Q) + 2 (FFN) = 5
    assert layer_jaccard(a, b) == {"0": 2 / 5, "1": 1 / 4, "pooler": 0.0}
    assert jaccard(a, b) == pytest.approx((2 + 1 + 0) / (5 + 4 + 1))
    frame = pairwise_jaccard({"de": a, "fr": b, "en": a})
    assert len(frame) == 3 * 4 and set(frame["layer"]) == {"0", "1", "pooler", "all"}
    assert frame.query("a == 'de' and b == 'en' and layer == 'all'")["jaccard"].item() == 1.0
    assert average_overlap({"de": a, "fr": b, "en": a}) == pytest.approx((0.3 + 1.0 + 0.3) / 3)
    with pytest.raises(LangspecError, match="different weights"):
        jaccard(a, {Q: a[Q]})
    arrays = [{name: mask.numpy() for name, mask in m.items()} for m in (a, b)]  # as read from files for the tables
    assert layer_jaccard(*arrays) == layer_jaccard(a, b) and jaccard(*arrays) == jaccard(a, b)


def test_jaccard_of_independent_half_masks_is_one_third():
    assert expected_jaccard(0.5) == pytest.approx(1 / 3) and expected_jaccard(0.0) == 1.0
    assert expected_jaccard(0.9) == pytest.approx(0.1 / 1.9)
    model = tiny_classifier("bert", hidden=64, heads=4, layers=2)
    one, two = (random_mask(full_mask(model), s, 0.5) for s in (0, 1))
    per_layer = layer_jaccard(one, two)
    assert all(abs(v - 1 / 3) < 0.01 for v in per_layer.values()), per_layer  # ~25k to ~50k weights per layer
    assert jaccard(one, two) == pytest.approx(1 / 3, abs=0.005)


def _results():
    """a(s, t) over two seeds: own tickets on the diagonal, a random row."""
    values = {
        ("de", "de"): (0.80, 0.82), ("de", "fr"): (0.70, 0.72), ("de", "en"): (0.88, 0.90),
        ("fr", "de"): (0.78, 0.80), ("fr", "fr"): (0.74, 0.78), ("fr", "en"): (0.84, 0.86),
        ("en", "de"): (0.76, 0.76), ("en", "fr"): (0.76, 0.76), ("en", "en"): (0.90, 0.90),
        ("rand", "de"): (0.60, 0.62), ("rand", "fr"): (0.50, 0.50), ("rand", "en"): (0.70, 0.70),
    }
    return pd.DataFrame([{"source": s, "target": t, "seed": i, "metric": v}
                         for (s, t), pair in values.items() for i, v in enumerate(pair)])


def test_transfer_matrix_success_and_relative_drop_by_hand():
    frame = _results()
    matrix = transfer_matrix(frame)
    assert list(matrix.index) == ["de", "fr", "en", "rand"] and list(matrix.columns) == ["de", "fr", "en"]
    assert matrix.loc["de", "fr"] == pytest.approx(0.71 - 0.76)
    assert matrix.loc["rand", "de"] == pytest.approx(0.61 - 0.81)
    assert matrix.loc["en", "en"] == 0
    table = transfer_table(frame).set_index(["source", "target"])
    sd_fr = np.std([0.74, 0.78], ddof=1)  # 0.0283
    assert table.loc[("de", "fr"), "own_sd"] == pytest.approx(sd_fr)
    assert not table.loc[("de", "fr"), "successful"], "0.05 below fr's own ticket, more than its sd"
    assert table.loc[("en", "fr"), "successful"], "0.76 is 0 below 0.76"
    assert not table.loc[("fr", "de"), "successful"], "0.79 is 0.02 below 0.81, more than its sd 0.014"
    drop = relative_transfer_drop(frame)
    assert drop["de"] == pytest.approx(((0.71 - 0.76) / 0.76 + (0.89 - 0.90) / 0.90) / 2)
    assert drop["en"] == pytest.approx(((0.76 - 0.81) / 0.81 + (0.76 - 0.76) / 0.76) / 2)
    assert "rand" not in drop.index
    with pytest.raises(LangspecError, match="lack the own ticket \\(source = target\\) of fr"):
        transfer_table(frame[~((frame.source == "fr") & (frame.target == "fr"))])


def test_successful_transfer_is_within_one_sd_of_the_targets_own_ticket():
    frame = pd.DataFrame([
        {"source": "de", "target": "de", "metric": m} for m in (0.80, 0.84)  # mean 0.82, sd 0.0283
    ] + [{"source": "fr", "target": "de", "metric": m} for m in (0.79, 0.80)]  # mean 0.795: 0.025 below
      + [{"source": "en", "target": "de", "metric": m} for m in (0.78, 0.79)]  # 0.035 below
      + [{"source": "fr", "target": "fr", "metric": 0.7}])
    table = transfer_table(frame).set_index(["source", "target"])
    assert table.loc[("fr", "de"), "successful"] and not table.loc[("en", "de"), "successful"]
    assert table.loc[("fr", "fr"), "own_sd"] == 0.0, "one replicate: sd taken as 0"


def test_winning_ticket_criterion_and_highest_winning_sparsity():
    assert is_winning([0.80, 0.84], [0.80, 0.80])  # 0.02 below, sd 0.028
    assert not is_winning([0.80, 0.84], [0.78, 0.78])  # 0.04 below
    assert is_winning([0.8], [0.81]) and not is_winning([0.8], [0.79]), "one seed: sd 0, at least as good"
    full = pd.DataFrame({"lang": ["de", "de", "fr", "fr"], "metric": [0.80, 0.84, 0.70, 0.70]})
    tickets = pd.DataFrame([
        {"lang": "de", "sparsity": s, "metric": m}
        for s, ms in ((0.1, (0.82, 0.82)), (0.2, (0.81, 0.80)), (0.3, (0.70, 0.72)), (0.4, (0.80, 0.81)))
        for m in ms
    ] + [{"lang": "fr", "sparsity": 0.1, "metric": 0.60}])
    table = winning_table(full, tickets)
    assert table.set_index(["lang", "sparsity"])["winning"].to_dict() == {
        ("de", 0.1): True, ("de", 0.2): True, ("de", 0.3): False, ("de", 0.4): True, ("fr", 0.1): False}
    best = highest_winning_sparsity(table)
    assert best["de"] == 0.4 and np.isnan(best["fr"])


def test_margin_retrieval_discounts_a_hub_that_cosine_retrieves():
    """Sources e_i; translations 0.35 e_i + noise; target 0 is a hub at cosine 1/sqrt(6) = 0.41 from every source."""
    n = 6
    eye = np.eye(2 * n)
    source = eye[:n]
    target = np.stack([0.35 * eye[i] + np.sqrt(1 - 0.35 ** 2) * eye[n + i] for i in range(n)])
    target[0] = source.sum(0) / np.sqrt(n)
    cosine = retrieval_accuracy(source, target, "cosine")
    margin = retrieval_accuracy(source, target, "margin", k=4)
    assert cosine == {"method": "cosine", "n": 6, "top1": pytest.approx(1 / 6), "top5": 1.0}, "the hub wins every other query"
    assert margin == {"method": "margin-ratio-k4", "n": 6, "top1": 1.0, "top5": 1.0}


def test_margin_score_by_hand():
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[1.0, 1.0], [0.0, 1.0]])
    cos = np.array([[1 / np.sqrt(2), 0.0], [1 / np.sqrt(2), 1.0]])
    np.testing.assert_allclose(scores(x, y, "cosine"), cos)
    # k = 1: the nearest target of each source and the nearest source of each target
    near_x = np.array([1 / np.sqrt(2), 1.0]) / 2
    near_y = np.array([1 / np.sqrt(2), 1.0]) / 2
    np.testing.assert_allclose(scores(x, y, "margin", k=1), cos / (near_x[:, None] + near_y[None, :]))
    with pytest.raises(LangspecError, match="'dot'"):
        scores(x, y, "dot")


def test_sentence_embeddings_per_layer_under_a_ticket():
    model = tiny_classifier("bert", hidden=20)
    batch = random_batch(batch=6, length=7)
    ids = [row[m.bool()].tolist() for row, m in zip(batch["input_ids"], batch["attention_mask"])]
    uids = np.array([f"i{i // 2}-{'de' if i % 2 == 0 else 'fr'}" for i in range(6)])
    data = Encoded(uids, np.array(["de", "fr"] * 3), batch["labels"],
                   {"input_ids": ids, "attention_mask": [[1] * len(x) for x in ids]}, pad_id=1)
    src, tgt = parallel_pairs(data, "de", "fr")
    assert src.tolist() == [0, 2, 4] and tgt.tolist() == [1, 3, 5]
    plain = layer_embeddings(model, data, batch_size=4)
    assert plain.shape == (3, 6, 20)
    # row 1 alone (unpadded), mean over its tokens, matches the batched, padded, masked mean
    with torch.no_grad():
        hidden = model(input_ids=torch.tensor([ids[1]]), output_hidden_states=True).hidden_states
    np.testing.assert_allclose(plain[:, 1], torch.stack([h[0].mean(0) for h in hidden]).numpy(), rtol=1e-5, atol=1e-6)
    mask = random_mask(full_mask(model), 0, 0.5)
    ticket = layer_embeddings(model, data, batch_size=4, mask=mask)
    np.testing.assert_array_equal(ticket[0], plain[0])  # embeddings are never pruned
    assert not np.allclose(ticket[1], plain[1])
    assert np.array_equal(layer_embeddings(model, data, batch_size=4), plain), "the weights are left as they were"
    both = layer_poolings(model, data, batch_size=4, mask=mask)  # one forward pass for both poolings
    np.testing.assert_array_equal(both["mean"], ticket)
    np.testing.assert_array_equal(both["first"], layer_embeddings(model, data, batch_size=4, mask=mask, pooling="first"))
    np.testing.assert_allclose(layer_embeddings(model, data, 4, pooling="first")[:, 1],
                               torch.stack([h[0, 0] for h in hidden]).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(LangspecError, match="unknown pooling"):
        layer_poolings(model, data, 4, poolings=("cls",))
    table = retrieval_by_layer(ticket[:, src], ticket[:, tgt], "cosine")
    assert list(table.columns) == ["layer", "method", "n", "top1", "top5"] and len(table) == 3


def test_head_fractions_by_hand_and_their_agreement_with_a_head_mask():
    model = tiny_classifier("bert", hidden=16, heads=4)  # d = 4
    mask = {n: torch.ones_like(w, dtype=torch.bool) for n, w in prunable_weights(model).items()}
    layer0 = "bert.encoder.layer.0.attention."
    mask[layer0 + "self.query.weight"][0:4, :] = False  # head 0 loses its query rows: 64 of 256 weights
    mask[layer0 + "output.dense.weight"][:, 4:6] = False  # head 1 loses 2 of its 4 output columns: 32 of 256
    mask["bert.encoder.layer.1.attention.self.value.weight"][12:16, :8] = False  # head 3 of layer 1: 32 of 256
    fractions = head_fractions(mask, model)
    assert fractions.shape == (2, 4)
    np.testing.assert_allclose(fractions, [[0.75, 0.875, 1, 1], [1, 1, 1, 0.875]])
    head_mask = np.array([[0, 1, 1, 1], [1, 1, 1, 1]])
    assert head_agreement(fractions, head_mask) == pytest.approx(np.corrcoef(fractions.ravel(), head_mask.ravel())[0, 1])
    assert head_agreement(fractions, head_mask) > 0.5
    assert np.isnan(head_agreement(fractions, np.ones((2, 4))))
    with pytest.raises(LangspecError, match="differ in shape"):
        head_agreement(fractions, np.ones((3, 4)))


# -- cross-task transfer: masks over different parameter sets (figure 9) ---------------------------


def _tiny(kind: str):
    from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification

    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=32,
                        num_labels=3, max_position_embeddings=64)
    torch.manual_seed(0)
    return {"classification": BertForSequenceClassification, "mlm": BertForMaskedLM,
            "token-classification": BertForTokenClassification}[kind](config)


def test_cross_task_masks_keep_shared_weights_densify_the_targets_extra_and_drop_the_tickets_extra():
    from langspec.tickets.masks import adapt_mask, prunable_shapes, sparsity

    classifier, mlm, tagger = _tiny("classification"), _tiny("mlm"), _tiny("token-classification")
    assert POOL in prunable_shapes(classifier) and POOL not in prunable_shapes(mlm), "only the classifier has a pooler"
    assert prunable_shapes(mlm) == prunable_shapes(tagger)
    ticket = random_mask(full_mask(mlm), seed=0, sparsity=0.5)
    adapted, report = adapt_mask(ticket, prunable_shapes(classifier))
    assert set(adapted) == set(prunable_shapes(classifier)) and report["dense"] == [POOL] and report["dropped"] == []
    assert adapted[POOL].all(), "the classifier's pooler, which the MLM ticket lacks, stays dense"
    assert all(torch.equal(adapted[n], ticket[n]) for n in ticket), "shared weights keep the ticket's mask"
    assert report["sparsity"] == pytest.approx(sparsity(adapted)) and report["sparsity"] < 0.5
    back = random_mask(full_mask(classifier), seed=1, sparsity=0.5)
    adapted, report = adapt_mask(back, prunable_shapes(tagger))
    assert set(adapted) == set(prunable_shapes(tagger)) and report["dropped"] == [POOL] and report["dense"] == []
    assert all(torch.equal(adapted[n], back[n]) for n in adapted)
    with pytest.raises(LangspecError, match="has shape"):
        adapt_mask({Q: torch.ones(3, 3, dtype=torch.bool)}, prunable_shapes(tagger))
    with pytest.raises(LangspecError, match="shares no parameter"):
        adapt_mask({"other.weight": torch.ones(2, 2, dtype=torch.bool)}, prunable_shapes(tagger))


def test_cross_task_rows_pair_each_job_with_the_targets_own_ticket(tmp_path):
    import json

    from langspec.tickets.analysis import cross_task

    transfer = pd.DataFrame({"rep": [0, 0, 1], "sparsity": [0.5, 0.5, 0.5], "source": ["en", "en", "en"],
                             "target": ["en", "de", "en"], "metric": [0.8, 0.7, 0.82]})
    paths = []
    for rep, value in ((0, 0.75), (1, 0.79)):
        path = tmp_path / f"rep{rep}" / "cross" / "mlm" / "en.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"source_task": "mlm", "lang": "en", "sparsity": 0.5, "metric": value,
                                    "metric_name": "accuracy", "mask": {"dense": [POOL], "dropped": []}}))
        paths.append(str(path))
    rows = cross_task(paths, transfer)
    assert rows["own"].tolist() == [0.8, 0.82] and rows["metric"].tolist() == [0.75, 0.79]
    assert rows["dense_weights"].tolist() == [POOL, POOL]
    with pytest.raises(LangspecError, match="no own ticket of 'en' at sparsity 0.5 in replicate 2"):
        bad = tmp_path / "rep2" / "cross" / "mlm" / "en.json"
        bad.parent.mkdir(parents=True)
        bad.write_text(open(paths[0]).read())
        cross_task([str(bad)], transfer)
