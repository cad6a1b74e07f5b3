"""Gradient sketches equal projected exact per-example gradients; files refuse mismatches."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from langspec.attribution.sketch import Sketcher
from langspec.attribution.sketchfile import check_counterparts, read_sketches, write_sketches
from langspec.core.errors import LangspecError
from langspec.data.encode import Encoded
from langspec.data.shards import WINDOW_BATCHES, shard_rows
from langspec.heads.gates import HeadGates

from .conftest import random_batch, tiny_classifier


def _unpadded(batch, row):
    keep = batch["attention_mask"][row].bool()
    return {"input_ids": batch["input_ids"][row:row + 1, keep], "attention_mask": batch["attention_mask"][row:row + 1, keep]}


def exact_gradients(model, batch, layers):
    """Per-example [W | b] gradients of each layer, one example at a time, unpadded: list over examples of lists over layers."""
    out = []
    for row in range(len(batch["labels"])):
        model.zero_grad()
        logits = model(**_unpadded(batch, row)).logits
        F.cross_entropy(logits, batch["labels"][row:row + 1]).backward()
        grads = []
        for _, linear in layers:
            g = linear.weight.grad
            if linear.bias is not None:
                g = torch.cat([g, linear.bias.grad[:, None]], dim=1)
            grads.append(g.clone())
        out.append(grads)
    return out


def projected(sketcher, grads):
    """Kronecker projection G1 G G2ᵀ of exact gradients, flattened and concatenated: [D]."""
    return torch.cat([(g1 @ g @ g2.T).flatten() for (g1, g2), g in zip(sketcher.projections, grads)])


@pytest.mark.parametrize("family", ["bert", "xlm-roberta"])
@pytest.mark.parametrize("masked", [False, True])
def test_sketches_equal_projected_exact_gradients_float64(family, masked):
    model = tiny_classifier(family, layers=2, heads=4).double()
    batch = random_batch(batch=5, length=9)
    gates = HeadGates(model)
    if masked:
        gates.set(torch.tensor([[1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]))
    sketcher = Sketcher(model, dim=16, patterns=["*"], seed=3)
    with sketcher:
        sketches, losses, _ = sketcher(batch)
    assert sketches.shape == (5, len(sketcher.layers) * 16)
    assert len(sketcher.layers) == 2 * 6 + 2, "q, k, v, o, ffn in, ffn out per layer + pooler + classifier"
    exact = exact_gradients(model, batch, sketcher.layers)
    for row in range(5):
        expected = projected(sketcher, exact[row])
        error = (sketches[row] - expected).norm() / expected.norm()
        assert error < 1e-6, (row, float(error))
    gates.remove()


def test_layer_patterns_and_seeds_select_the_projection():
    model = tiny_classifier("bert").double()
    attention = Sketcher(model, dim=4, patterns=["*.attention.*"], seed=0)
    assert attention.names == [f"bert.encoder.layer.{i}.attention.{p}" for i in range(2)
                               for p in ("self.query", "self.key", "self.value", "output.dense")]
    same = Sketcher(model, dim=4, patterns=["*.attention.*"], seed=0)
    other = Sketcher(model, dim=4, patterns=["*.attention.*"], seed=1)
    assert torch.equal(attention.projections[3][0], same.projections[3][0])
    assert not torch.equal(attention.projections[3][0], other.projections[3][0])
    with pytest.raises(LangspecError, match="not a square"):
        Sketcher(model, dim=8, patterns=["*"], seed=0)
    with pytest.raises(LangspecError, match=r"\['decoder\*'\] match no linear layer"):
        Sketcher(model, dim=4, patterns=["decoder*"], seed=0)


def test_cosine_rankings_approach_exact_rankings_as_d_grows():
    """Top-k sets (what the language shares count) and scores converge to the exact ones."""
    model = tiny_classifier("bert", layers=2, heads=4, hidden=16).double()
    train = random_batch(batch=40, length=8, seed=11)
    test = random_batch(batch=6, length=8, seed=12)
    layers = Sketcher(model, dim=4, patterns=["*"], seed=0).layers

    def flat(batch):
        return torch.stack([torch.cat([g.flatten() for g in grads]) for grads in exact_gradients(model, batch, layers)])

    def cosines(a, b):
        return (F.normalize(a, dim=1) @ F.normalize(b, dim=1).T).numpy()

    exact = cosines(flat(test), flat(train))
    k = 5
    overlap, correlation = {}, {}
    for dim in (4, 64, 1024):
        tops, corrs = [], []
        for seed in range(5):
            with Sketcher(model, dim=dim, patterns=["*"], seed=seed) as sketcher:
                approx = cosines(sketcher(test)[0], sketcher(train)[0])
            for i in range(len(exact)):
                tops.append(len(set(np.argsort(-exact[i])[:k]) & set(np.argsort(-approx[i])[:k])) / k)
                corrs.append(np.corrcoef(exact[i], approx[i])[0, 1])
        overlap[dim], correlation[dim] = np.mean(tops), np.mean(corrs)
    assert overlap[4] < overlap[64] < overlap[1024], overlap
    assert correlation[4] < correlation[64] < correlation[1024], correlation
    assert overlap[1024] >= 0.75 and correlation[1024] > 0.99, (overlap, correlation)


def _encoded(batch):
    ids = [row[m.bool()].tolist() for row, m in zip(batch["input_ids"], batch["attention_mask"])]
    n = len(ids)
    return Encoded(np.array([f"u{i}" for i in range(n)]), np.array(["de", "en"] * (n // 2) + ["de"] * (n % 2)),
                   batch["labels"], {"input_ids": ids, "attention_mask": [[1] * len(x) for x in ids]}, pad_id=1)


def test_sketch_file_contract_and_mismatch_refusal(tmp_path):
    model = tiny_classifier("bert")
    data = _encoded(random_batch(batch=7, length=9))
    attrs = {"checkpoint": "models/t/full/epoch1", "mask": "full"}
    write_sketches(tmp_path / "a.h5", Sketcher(model, 16, ["*"], seed=0), data, 3, attrs)
    write_sketches(tmp_path / "b.h5", Sketcher(model, 16, ["*"], seed=1), data, 3, attrs)
    write_sketches(tmp_path / "c.h5", Sketcher(model, 16, ["*"], seed=0), data, 2, {**attrs, "checkpoint": "models/t/full/epoch2"})
    a, b, c = (read_sketches(tmp_path / f"{x}.h5") for x in "abc")
    assert len(a) == 7 and a.rows(0, 7).shape == (7, 14 * 16) and a.width == 14 * 16
    assert list(a.uid) == [f"u{i}" for i in range(7)]
    assert np.array_equal(a.label, data.label.numpy())
    # the same rows regardless of batching and length sorting
    with Sketcher(model, 16, ["*"], seed=0) as sketcher:
        direct, losses, _ = sketcher(data.batch(np.arange(7)))
    np.testing.assert_allclose(a.rows(0, 7).numpy(), direct.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(a.loss, losses.numpy(), rtol=1e-5)
    check_counterparts(a, read_sketches(tmp_path / "a.h5"))
    with pytest.raises(LangspecError, match="differ in seed: 0 vs 1"):
        check_counterparts(a, b)
    with pytest.raises(LangspecError, match="differ in checkpoint"):
        check_counterparts(a, c)


def test_interrupted_sketch_run_leaves_no_file(tmp_path, monkeypatch):
    model = tiny_classifier("bert")
    data = _encoded(random_batch(batch=8, length=9))
    calls = {"n": 0}
    original = Encoded.batch

    def failing(self, rows, device="cpu"):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, rows, device)

    monkeypatch.setattr(Encoded, "batch", failing)
    with pytest.raises(KeyboardInterrupt):
        write_sketches(tmp_path / "train.h5", Sketcher(model, 16, ["*"], seed=0), data, 2, {"checkpoint": "x", "mask": "full"})
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(LangspecError, match="train.h5 cannot be read"):
        read_sketches(tmp_path / "train.h5")


def test_shards_are_bit_identical_to_one_file(tmp_path):
    model = tiny_classifier("bert")
    data = _encoded(random_batch(batch=40, length=9))
    attrs = {"checkpoint": "c", "mask": "full", "split": "train"}
    sketcher = Sketcher(model, 16, ["*"], seed=0)
    write_sketches(tmp_path / "train.h5", sketcher, data, 2, attrs)  # windows of 2 x WINDOW_BATCHES rows
    whole = read_sketches(tmp_path / "train.h5")
    for shards in (2, 3):
        paths = []
        for shard in range(shards):
            rows = shard_rows(len(data), 2, shards, shard)
            assert len(rows) % (2 * WINDOW_BATCHES) == 0 or shard == shards - 1
            paths.append(tmp_path / f"train.{shards}.shard{shard}.h5")
            write_sketches(paths[-1], sketcher, data, 2, {**attrs, "shard": shard, "shards": shards}, rows=rows)
        joined = read_sketches(paths)
        assert np.array_equal(joined.uid, whole.uid) and np.array_equal(joined.loss, whole.loss)
        for start, stop in ((0, 40), (3, 37), (15, 17)):
            assert torch.equal(joined.rows(start, stop), whole.rows(start, stop)), (shards, start, stop)
        with pytest.raises(LangspecError, match="shard"):
            read_sketches(paths[::-1])
    with pytest.raises(LangspecError, match="sketch.shards is 5 but the training split has 40 examples, 3 window"):
        shard_rows(40, 2, 5, 0)


def test_corrupted_or_non_finite_sketch_files_are_refused(tmp_path):
    model = tiny_classifier("bert")
    data = _encoded(random_batch(batch=8, length=9))
    path = tmp_path / "train.h5"
    write_sketches(path, Sketcher(model, 16, ["*"], seed=0), data, 2, {"checkpoint": "x", "mask": "full"})
    with h5py.File(path, "r+") as file:  # overwrite values in place: the file still opens
        values = file["sketch"][:]
        values[3, :5] = np.nan
        file["sketch"][:] = values
    with pytest.raises(LangspecError, match=r"train.h5 is corrupted: its arrays do not match the checksum"):
        read_sketches(path)
    write_sketches(path, Sketcher(model, 16, ["*"], seed=0), data, 2, {"checkpoint": "x", "mask": "full"})
    raw = bytearray(path.read_bytes())
    rng = np.random.default_rng(0)
    middle = len(raw) // 2
    raw[middle:middle + 2000] = rng.integers(0, 256, 2000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(raw))
    with pytest.raises(LangspecError, match=r"train.h5 (is corrupted|cannot be read)"):
        read_sketches(path)
