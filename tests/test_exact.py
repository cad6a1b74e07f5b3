"""Exact TracIn from Gram matrices equals cosines of per-example gradients built by autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from langspec.attribution.exact import compare_rankings, exact_cosines, sample_rows
from langspec.data.encode import Encoded

from .conftest import random_batch, tiny_classifier


def _encoded(batch, langs):
    ids = [row[m.bool()].tolist() for row, m in zip(batch["input_ids"], batch["attention_mask"])]
    return Encoded(np.array([f"u{i}" for i in range(len(ids))]), np.array(langs), batch["labels"],
                   {"input_ids": ids, "attention_mask": [[1] * len(x) for x in ids]}, pad_id=1)


def _autograd_gradients(model, data):
    """[N, P] full per-example gradients of every nn.Linear (weights and biases), one backward each."""
    params = [p for m in model.modules() if isinstance(m, torch.nn.Linear) for p in m.parameters()]
    rows = []
    for i in range(len(data)):
        batch = data.batch([i])
        labels = batch.pop("labels")
        loss = F.cross_entropy(model(**batch).logits, labels, reduction="sum")
        rows.append(torch.cat([g.flatten() for g in torch.autograd.grad(loss, params)]))
    return torch.stack(rows)


def test_exact_cosines_match_autograd_per_example_gradients():
    model = tiny_classifier("bert", layers=2, heads=4, hidden=16)
    train = _encoded(random_batch(batch=9, length=8, seed=3), ["aa"] * 9)
    test = _encoded(random_batch(batch=5, length=7, seed=4), ["aa", "bb", "aa", "bb", "bb"])
    cosines = exact_cosines(model, train, test, [1, 3, 4], ["*"], batch_size=4)
    g_train, g_test = _autograd_gradients(model, train), _autograd_gradients(model, test)[[1, 3, 4]]
    expected = F.normalize(g_test, dim=1) @ F.normalize(g_train, dim=1).T
    np.testing.assert_allclose(cosines, expected.numpy(), rtol=1e-4, atol=1e-5)


def test_sample_rows_spread_over_languages():
    langs = np.array(["a"] * 10 + ["b"] * 10 + ["c"] * 2)
    rows = sample_rows(langs, 7, seed=0)
    counts = {lang: int((langs[rows] == lang).sum()) for lang in "abc"}
    assert len(rows) == 7 and counts["c"] == 2 and abs(counts["a"] - counts["b"]) <= 1
    assert np.array_equal(sample_rows(langs, 7, seed=0), rows) and len(sample_rows(langs, 50, 0)) == 22


def test_compare_rankings_overlap_and_shares():
    exact = np.array([[5.0, 4.0, 3.0, 2.0, 1.0, 0.0]])
    train_lang = np.array(["x", "x", "y", "y", "z", "z"])
    out = compare_rankings(exact, np.array([[0, 2]]), np.array([[5, 4]]), train_lang, ["x", "y", "z"])
    assert out["pos"]["overlap_mean"] == 0.5 and out["neg"]["overlap_mean"] == 1.0
    # exact positive top-2: x, x (100% x); sketched: x, y (50/50): the largest difference is 50 pp
    assert out["pos"]["max_share_difference_pp"] == pytest.approx(50.0)
    assert out["neg"]["max_share_difference_pp"] == 0.0
