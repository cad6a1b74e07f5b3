"""TracIn top-k against brute force; masks on both sides; language shares by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from langspec.attribution.influence import Influence, read_influence, write_influence
from langspec.attribution.shares import compare, epoch_shares, matrix, shares
from langspec.attribution.sketch import Sketcher
from langspec.attribution.sketchfile import read_sketches, write_sketches
from langspec.attribution.tracin import tracin
from langspec.core.errors import LangspecError
from langspec.data.encode import Encoded
from langspec.heads.gates import HeadGates

from .conftest import random_batch, tiny_classifier

LANGS = ["de", "en"]
MASKS = {"de": torch.tensor([[1.0, 0, 1, 1], [0, 1, 1, 1]]), "en": torch.tensor([[1.0, 1, 0, 1], [1, 1, 1, 0]])}


def _encoded(n, seed):
    batch = random_batch(batch=n, length=9, seed=seed)
    ids = [row[m.bool()].tolist() for row, m in zip(batch["input_ids"], batch["attention_mask"])]
    return Encoded(np.array([f"s{seed}-{i}" for i in range(n)]), np.array([LANGS[i % 2] for i in range(n)]),
                   batch["labels"], {"input_ids": ids, "attention_mask": [[1] * len(x) for x in ids]}, pad_id=1)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Sketch files for 2 checkpoints x masks {full, de, en} x splits {train, test}."""
    root = tmp_path_factory.mktemp("sketches")
    train, test = _encoded(23, 1), _encoded(6, 2)
    paths = {}
    for epoch in (1, 2):
        model = tiny_classifier("bert", seed=epoch)
        for mask in ("full", "de", "en"):
            gates = HeadGates(model)
            if mask != "full":
                gates.set(MASKS[mask])
            for split, data in (("train", train), ("test", test)):
                path = root / f"{mask}-e{epoch}-{split}.h5"
                write_sketches(path, Sketcher(model, 16, ["*"], seed=0), data, 5,
                               {"checkpoint": f"ckpt/epoch{epoch}", "mask": mask})
                paths[mask, epoch, split] = path
            gates.remove()
    return paths


def _lists(paths, masks, split):
    return {m: [paths[m, e, split] for e in (1, 2)] for m in masks}


def _brute(paths, assignment, similarity="cosine", weights=(1.0, 1.0)):
    """[T, N] total and per-epoch scores computed densely."""
    test_lang = read_sketches(paths["full", 1, "test"]).lang
    totals, per_epoch = None, []
    for e, w in zip((1, 2), weights):
        rows = []
        for t, lang in enumerate(test_lang):
            mask = assignment[lang]
            q = read_sketches(paths[mask, e, "test"]).rows(t, t + 1)
            keys = read_sketches(paths[mask, e, "train"]).rows(0, 23)
            if similarity == "cosine":
                q, keys = F.normalize(q, dim=1), F.normalize(keys, dim=1)
            rows.append((q @ keys.T)[0])
        scores = torch.stack(rows)
        per_epoch.append(scores)
        totals = w * scores if totals is None else totals + w * scores
    return totals.numpy(), [s.numpy() for s in per_epoch]


@pytest.mark.parametrize("assignment", [{"de": "full", "en": "full"}, {"de": "de", "en": "en"}, {"de": "en", "en": "en"}])
@pytest.mark.parametrize("block_size", [1, 4, 100])
def test_topk_equals_brute_force(files, assignment, block_size):
    masks = set(assignment.values())
    result = tracin(_lists(files, masks, "test"), _lists(files, masks, "train"), assignment, k=5,
                    block_size=block_size, per_checkpoint=True)
    total, per_epoch = _brute(files, assignment)
    order = np.argsort(-total, axis=1, kind="stable")
    np.testing.assert_array_equal(result.pos_idx, order[:, :5])
    np.testing.assert_allclose(result.pos_score, np.take_along_axis(total, order[:, :5], 1), rtol=1e-5)
    assert (np.diff(result.pos_score, axis=1) <= 0).all(), "positive scores descend"
    low = np.argsort(total, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(result.neg_idx, low)
    assert (np.diff(result.neg_score, axis=1) >= 0).all(), "negative scores ascend"
    for e in range(2):
        np.testing.assert_array_equal(result.epoch["pos_idx"][e], np.argsort(-per_epoch[e], axis=1, kind="stable")[:, :5])
    test = read_sketches(files["full", 2, "test"])
    expected_correct = np.array([
        (read_sketches(files[assignment[lang], 2, "test"]).pred[t] == test.label[t]) for t, lang in enumerate(test.lang)
    ])
    np.testing.assert_array_equal(result.correct, expected_correct)


def test_dot_product_with_learning_rate_weights(files):
    assignment = {"de": "full", "en": "full"}
    result = tracin(_lists(files, {"full"}, "test"), _lists(files, {"full"}, "train"), assignment, k=3,
                    similarity="dot", weights=[2e-5, 1e-5])
    total, _ = _brute(files, assignment, similarity="dot", weights=(2e-5, 1e-5))
    np.testing.assert_array_equal(result.pos_idx, np.argsort(-total, axis=1, kind="stable")[:, :3])


def test_masked_condition_needs_the_same_mask_on_both_sides(files):
    test = {"de": [files["de", 1, "test"], files["de", 2, "test"]]}
    wrong_train = {"de": [files["full", 1, "train"], files["full", 2, "train"]]}
    with pytest.raises(LangspecError, match="differ in mask: 'de' vs 'full'"):
        tracin(test, wrong_train, {"de": "de", "en": "de"}, k=3)
    # a masked score differs from the unmasked one
    masked = tracin(_lists(files, {"de"}, "test"), _lists(files, {"de"}, "train"), {"de": "de", "en": "de"}, k=3)
    full = tracin(_lists(files, {"full"}, "test"), _lists(files, {"full"}, "train"), {"de": "full", "en": "full"}, k=3)
    assert not np.allclose(masked.pos_score, full.pos_score)


def test_sketches_from_different_checkpoints_are_refused(files):
    test = {"full": [files["full", 1, "test"], files["full", 2, "test"]]}
    train = {"full": [files["full", 2, "train"], files["full", 1, "train"]]}
    with pytest.raises(LangspecError, match="differ in checkpoint"):
        tracin(test, train, {"de": "full", "en": "full"}, k=3)


def test_influence_file_round_trip(files, tmp_path):
    result = tracin(_lists(files, {"full"}, "test"), _lists(files, {"full"}, "train"), {"de": "full", "en": "full"},
                    k=4, per_checkpoint=True)
    write_influence(tmp_path / "full.h5", result)
    back = read_influence(tmp_path / "full.h5")
    np.testing.assert_array_equal(back.pos_idx, result.pos_idx)
    np.testing.assert_array_equal(back.epoch["neg_idx"], result.epoch["neg_idx"])
    assert list(back.test_uid) == list(result.test_uid) and back.attrs["k"] == 4
    np.testing.assert_array_equal(back.correct, back.test_pred == back.test_label)


def _toy_influence(pos_idx, neg_idx, correct, test_lang):
    t, k = np.shape(pos_idx)
    pos_idx, neg_idx = np.array(pos_idx), np.array(neg_idx)
    return Influence(
        test_uid=np.array([f"t{i}" for i in range(t)]), test_lang=np.array(test_lang),
        test_label=np.zeros(t, dtype=int), test_pred=np.where(correct, 0, 1),
        train_uid=np.array(["a", "b", "c", "d"]), train_lang=np.array(["de", "de", "en", "en"]),
        correct=np.array(correct), pos_idx=pos_idx, pos_score=np.zeros((t, k)), neg_idx=neg_idx,
        neg_score=np.zeros((t, k)), epoch_correct=np.array([correct]),
        epoch={"pos_idx": pos_idx[None], "neg_idx": neg_idx[None]},
    )


def test_shares_by_hand():
    toy = _toy_influence(
        pos_idx=[[0, 1], [0, 2], [2, 3]], neg_idx=[[2, 3], [3, 1], [0, 1]],
        correct=[True, True, False], test_lang=["de", "de", "en"],
    )
    table = shares(toy, toy.correct, LANGS)
    pos = matrix(table, "pos", "share_pct")
    assert pos.loc["de", "de"] == pytest.approx(75.0) and pos.loc["de", "en"] == pytest.approx(25.0)
    assert np.isnan(pos.loc["en", "en"]), "no correct English test example"
    neg = matrix(table, "neg", "share_pct")
    assert neg.loc["de", "en"] == pytest.approx(75.0)
    assert set(table.columns) == {"test_lang", "train_lang", "sign", "share_pct", "share_se", "n_test"}
    # two German test examples with 100% and 50% German: mean 75, standard error 25
    assert matrix(table, "pos", "share_se").loc["de", "de"] == pytest.approx(25.0)


def test_comparison_uses_examples_both_models_get_right():
    condition = _toy_influence([[0, 1], [2, 3], [2, 3]], [[2, 3]] * 3, [True, True, True], ["de", "de", "en"])
    baseline = _toy_influence([[2, 3], [0, 1], [0, 1]], [[2, 3]] * 3, [True, False, True], ["de", "de", "en"])
    table = compare(condition, baseline, LANGS)
    row = table[(table.sign == "pos") & (table.test_lang == "de") & (table.train_lang == "de")].iloc[0]
    # only test example 0 is correct in both: 100% German under the condition, 0% in the baseline
    assert (row.share_pct, row.baseline_pct, row.change_pct, row.n_test) == (100.0, 0.0, 100.0, 1)
    per_epoch = epoch_shares(condition, LANGS)
    assert set(per_epoch.epoch) == {1} and per_epoch.accuracy.notna().all()


def test_sharded_training_sketches_give_bit_identical_influence(tmp_path):
    """The same top-k, scores and order whether each checkpoint's training sketches are one file or shards."""
    from langspec.data.shards import shard_rows

    train, test = _encoded(40, 3), _encoded(6, 4)  # batches of 2: windows of 16, so 3 windows
    files = {"one": {"train": [], "test": []}, "three": {"train": [], "test": []}}
    for epoch in (1, 2):
        model = tiny_classifier("bert", seed=epoch)
        attrs = {"checkpoint": f"ckpt/epoch{epoch}", "mask": "full"}
        sketcher = Sketcher(model, 16, ["*"], seed=0)
        for layout in files:
            test_path = tmp_path / f"{layout}-e{epoch}-test.h5"
            write_sketches(test_path, sketcher, test, 2, {**attrs, "split": "test"})
            files[layout]["test"].append(test_path)
        write_sketches(tmp_path / f"one-e{epoch}-train.h5", sketcher, train, 2, {**attrs, "split": "train"})
        files["one"]["train"].append([tmp_path / f"one-e{epoch}-train.h5"])
        shards = []
        for shard in range(3):
            path = tmp_path / f"three-e{epoch}-train.shard{shard}.h5"
            write_sketches(path, sketcher, train, 2, {**attrs, "split": "train", "shard": shard, "shards": 3},
                           rows=shard_rows(len(train), 2, 3, shard))
            shards.append(path)
        files["three"]["train"].append(shards)
    results = {
        layout: tracin({"full": f["test"]}, {"full": f["train"]}, {"de": "full", "en": "full"}, k=7, block_size=9, per_checkpoint=True)
        for layout, f in files.items()
    }
    for name in ("pos_idx", "pos_score", "neg_idx", "neg_score", "correct"):
        assert np.array_equal(getattr(results["one"], name), getattr(results["three"], name)), name
    for name, values in results["one"].epoch.items():
        assert np.array_equal(values, results["three"].epoch[name]), name
