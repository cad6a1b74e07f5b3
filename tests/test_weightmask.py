"""Weight masks: which weights are prunable, the masked forward, baking, random masks and the npz files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from langspec.core.errors import LangspecError
from langspec.tickets.maskfile import read_trajectory, read_weight_mask, save_weight_mask, write_trajectory
from langspec.tickets.masks import (
    WeightSubnetworks,
    bake,
    check_fits,
    count,
    full_mask,
    magnitude_prune,
    prunable_shapes,
    prunable_weights,
    random_mask,
    sparsity,
)
from langspec.tickets.overlap import layer_of

from .conftest import random_batch, tiny_classifier

SIX = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
       "intermediate.dense", "output.dense")


def _logits(model, batch):
    return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits


@pytest.mark.parametrize("family, expected", [
    ("bert", [f"bert.encoder.layer.{i}.{m}.weight" for i in range(2) for m in SIX] + ["bert.pooler.dense.weight"]),
    ("xlm-roberta", [f"roberta.encoder.layer.{i}.{m}.weight" for i in range(2) for m in SIX]),
    ("distilbert", [f"distilbert.transformer.layer.{i}.{m}.weight" for i in range(2)
                    for m in ("attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin", "ffn.lin1", "ffn.lin2")]),
])
def test_prunable_weights_are_the_encoder_projections_and_pooler_only(family, expected):
    model = tiny_classifier(family)
    assert list(prunable_weights(model)) == expected
    assert all(prunable_weights(model)[n].ndim == 2 for n in expected)
    never = [n for n in dict(model.named_parameters()) if n not in expected]
    assert any("embeddings" in n for n in never) and any("LayerNorm" in n or "layer_norm" in n for n in never)
    assert any(n.endswith(".bias") for n in never) and any(n.startswith(("classifier", "pre_classifier")) for n in never)
    assert [layer_of(n) for n in expected] == [str(i) for i in range(2) for _ in range(6)] + (["pooler"] if family == "bert" else [])


def test_magnitude_pruning_is_global_and_takes_the_smallest_kept_weights():
    weights = {"a": torch.tensor([[0.5, -0.1], [0.3, 2.0]]), "b": torch.tensor([[-0.05, 0.4, 0.2]])}
    mask = {"a": torch.ones(2, 2, dtype=torch.bool), "b": torch.tensor([[True, True, False]])}
    pruned = magnitude_prune(weights, mask, 2)  # kept magnitudes: .5 .1 .3 2 .05 .4 -> drop .05 and .1
    assert pruned["a"].tolist() == [[True, False], [True, True]]
    assert pruned["b"].tolist() == [[False, True, False]], "an already pruned weight stays pruned and is not counted"
    assert mask["a"].all(), "the input mask is not modified"
    with pytest.raises(LangspecError, match="cannot prune 9 weights: 6 are kept"):
        magnitude_prune(weights, mask, 9)


def test_masked_forward_keeps_the_weights_and_swaps_masks_per_batch():
    model = tiny_classifier("bert", hidden=20)
    batch = random_batch()
    plain = _logits(model, batch)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    half = random_mask(full_mask(model), 1, 0.5)
    other = random_mask(full_mask(model), 2, 0.5)
    with WeightSubnetworks(model, {"aa": half, "bb": other}) as subnetworks:
        assert torch.equal(_logits(model, batch), plain), "no subnetwork in use: bit-identical to the plain model"
        subnetworks.use("aa")
        masked_aa = _logits(model, batch)
        subnetworks.use("bb")
        masked_bb = _logits(model, batch)
        subnetworks.use(None)
        assert torch.equal(_logits(model, batch), plain)
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters()), "W itself is never changed"
    assert not torch.allclose(masked_aa, masked_bb)
    with WeightSubnetworks(model, {"all": full_mask(model)}) as subnetworks:
        subnetworks.use("all")
        assert torch.equal(_logits(model, batch), plain), "a full mask is bit-identical to the plain model"
    # the masked forward equals the baked model, and the hooks are gone after remove()
    bake(model, half)
    np.testing.assert_allclose(_logits(model, batch).detach(), masked_aa.detach(), rtol=1e-6, atol=1e-7)
    assert all("forward" not in linear.__dict__ for linear in model.modules())


def test_gradient_of_a_masked_weight_is_zero_where_pruned():
    model = tiny_classifier("bert", hidden=20)
    mask = random_mask(full_mask(model), 0, 0.5)
    batch = random_batch()
    with WeightSubnetworks(model, {"aa": mask}) as subnetworks:
        subnetworks.use("aa")
        torch.nn.functional.cross_entropy(_logits(model, batch), batch["labels"]).backward()
    for name, weight in prunable_weights(model).items():
        assert torch.count_nonzero(weight.grad[~mask[name]]) == 0, name
        assert torch.count_nonzero(weight.grad[mask[name]]) > 0, name


def test_random_masks_of_the_same_sparsity_globally_or_per_matrix():
    model = tiny_classifier("bert", hidden=20)
    like = full_mask(model)
    one, again, two = (random_mask(like, s, 0.5) for s in (1, 1, 2))
    assert count(one) == (3400, 6800) and sparsity(one) == 0.5
    assert all(torch.equal(one[n], again[n]) for n in one) and not all(torch.equal(one[n], two[n]) for n in one)
    assert count(random_mask(like, 0, 1234)) == (6800 - 1234, 6800), "an int prunes exactly that many"
    ticket = magnitude_prune(prunable_weights(model), like, 2345)
    same = random_mask(ticket, 7)
    assert count(same) == count(ticket), "by default: as many pruned weights as the ticket, over all matrices"
    assert any(int(same[n].sum()) != int(ticket[n].sum()) for n in ticket), "global: each matrix's count varies"
    per_matrix = random_mask(ticket, 3, scope="matrix")
    assert all(int(per_matrix[n].sum()) == int(ticket[n].sum()) for n in ticket)
    assert not all(torch.equal(per_matrix[n], ticket[n]) for n in ticket)
    with pytest.raises(LangspecError, match="scope 'layer'"):
        random_mask(like, 0, 0.5, scope="layer")


def test_weight_mask_file_round_trip_is_bit_packed(tmp_path):
    model = tiny_classifier("bert", hidden=20)
    mask = random_mask(full_mask(model), 0, 0.3)
    path = tmp_path / "lth" / "t" / "rep0" / "de" / "round3.npz"
    save_weight_mask(path, mask, round=3, metric=0.81, metric_name="accuracy")
    with np.load(path, allow_pickle=False) as npz:
        name = "bert.encoder.layer.0.attention.self.query.weight"
        assert npz[name].dtype == np.uint8 and npz[name].shape == (400 // 8,), "one bit per weight"
        meta = json.loads(str(npz["__meta__"]))
    assert meta["shapes"][name] == [20, 20] and meta["attrs"]["round"] == 3
    shapes = prunable_shapes(model)
    body = read_weight_mask(path, shapes)
    assert body["round"] == 3 and body["metric"] == 0.81 and body["sparsity"] == pytest.approx(0.3, abs=1e-4)
    assert set(body["mask"]) == set(mask) and all(torch.equal(body["mask"][n], mask[n]) for n in mask)
    check_fits(body["mask"], model)
    arrays = read_weight_mask(path, shapes, device=None)["mask"]  # for analysis: numpy, no torch
    assert all(isinstance(arrays[n], np.ndarray) and arrays[n].dtype == bool and np.array_equal(arrays[n], mask[n].numpy()) for n in mask)
    assert [p.name for p in path.parent.iterdir()] == ["round3.npz"], "no temporary file is left behind"
    write_trajectory(path.parent, [{"round": 1, "sparsity": 0.1, "metric": 0.9}])
    assert read_trajectory(path.parent)[0]["metric"] == 0.9


def test_weight_mask_files_that_do_not_fit_are_named(tmp_path):
    model = tiny_classifier("bert", hidden=20)
    shapes = prunable_shapes(model)
    with pytest.raises(LangspecError, match=r"weight mask file .*nope.npz does not exist"):
        read_weight_mask(tmp_path / "nope.npz", shapes)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(LangspecError, match=r"junk.npz is not a valid weight mask"):
        read_weight_mask(tmp_path / "junk.npz")
    small = full_mask(tiny_classifier("bert", hidden=16))
    save_weight_mask(tmp_path / "small.npz", small)
    with pytest.raises(LangspecError, match=r"small.npz gives bert.encoder.layer.0.attention.self.query.weight the shape \(16, 16\) but the model's is \(20, 20\)"):
        read_weight_mask(tmp_path / "small.npz", shapes)
    deeper = full_mask(tiny_classifier("bert", layers=3, hidden=20))
    save_weight_mask(tmp_path / "deeper.npz", deeper)
    with pytest.raises(LangspecError, match=r"deeper.npz masks bert.encoder.layer.2.attention.self.query.weight, which is not a prunable weight of the model"):
        read_weight_mask(tmp_path / "deeper.npz", shapes)
    with pytest.raises(LangspecError, match=r"has no mask for the model's weight bert.encoder.layer.2"):
        check_fits(full_mask(model), tiny_classifier("bert", layers=3, hidden=20), "weight mask of 'de'")
    np.savez(tmp_path / "foreign.npz", x=np.zeros(3))
    with pytest.raises(LangspecError, match=r"foreign.npz is not a valid weight mask"):
        read_weight_mask(tmp_path / "foreign.npz")
