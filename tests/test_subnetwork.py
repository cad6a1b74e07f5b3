"""One subnetwork interface for head masks and weight masks in train() and predict()."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from langspec.encode import encode
from langspec.evaluate import predict
from langspec.gates import HeadGates
from langspec.models.tiny import train_tokenizer
from langspec.subnetwork import HeadSubnetworks
from langspec.train import train
from langspec.weightmask import WeightSubnetworks, full_mask, random_mask

from .conftest import toy_task
from .test_train import HP, _masks, _model


@pytest.fixture(scope="module")
def setup():
    frame = toy_task()
    tokenizer = train_tokenizer(frame["text_a"].tolist(), 200)
    return tokenizer, encode(frame, tokenizer, HP.max_length)


@pytest.mark.parametrize("strict", [True, False])
def test_head_subnetworks_train_exactly_as_the_masks_shorthand(setup, strict):
    tokenizer, data = setup
    one, two = _model(tokenizer), _model(tokenizer)
    history_one = train(one, tokenizer, data, data, HP, None, masks=_masks(), strict=strict)
    with HeadSubnetworks(two, _masks()) as subnetworks:
        history_two = train(two, tokenizer, data, data, HP, None, subnetworks=subnetworks, strict=strict)
    assert all(torch.equal(a, b) for a, b in zip(one.state_dict().values(), two.state_dict().values()))
    assert history_one[-1]["dev_subnetwork"] == history_two[-1]["dev_subnetwork"]
    assert history_two[-1]["subnetwork"] == "heads"
    assert not any(module._forward_pre_hooks for module in two.modules()), "the gates are removed"
    with pytest.raises(ValueError, match="not both"):
        train(one, tokenizer, data, data, HP, None, masks=_masks(), subnetworks=subnetworks)


def test_numpy_head_masks_as_read_from_mask_files_work_exactly_as_tensors(setup):
    tokenizer, data = setup
    one, two = _model(tokenizer), _model(tokenizer)
    arrays = {lang: mask.numpy() for lang, mask in _masks().items()}  # langspec.masks.read_mask gives float32 arrays
    history_one = train(one, tokenizer, data, data, HP, None, masks=_masks())
    history_two = train(two, tokenizer, data, data, HP, None, masks=arrays)
    assert all(torch.equal(a, b) for a, b in zip(one.state_dict().values(), two.state_dict().values()))
    assert history_one[-1]["dev_subnetwork"] == history_two[-1]["dev_subnetwork"]
    gates = HeadGates(one)
    by_tensors, by_arrays = predict(one, data, 16, gates=gates, masks=_masks()), predict(one, data, 16, gates=gates, masks=arrays)
    assert all(np.array_equal(a, b) for a, b in zip(by_tensors, by_arrays))
    gates.set(arrays["aa"])
    assert torch.equal(gates.values.detach().cpu(), _masks()["aa"])
    gates.remove()


def test_predict_under_head_or_weight_subnetworks(setup):
    tokenizer, data = setup
    model = _model(tokenizer)
    masks = _masks()
    gates = HeadGates(model)
    by_gates = predict(model, data, 16, gates=gates, masks=masks)
    by_interface = predict(model, data, 16, subnetworks=HeadSubnetworks(model, masks, gates=gates))
    assert all(np.array_equal(a, b) for a, b in zip(by_gates, by_interface))
    assert bool((gates.values == 1).all()), "predict leaves the whole model"
    gates.remove()
    whole = predict(model, data, 16)
    weights = {"aa": random_mask(full_mask(model), 0, 0.5)}
    with WeightSubnetworks(model, weights) as subnetworks:
        loss, _ = predict(model, data, 16, subnetworks=subnetworks)
    aa = data.indices("aa")
    others = np.setdiff1d(np.arange(len(data)), aa)
    assert not np.allclose(loss[aa], whole[0][aa]), "aa is scored under its ticket"
    np.testing.assert_allclose(loss[others], whole[0][others], rtol=1e-5, atol=1e-6)  # languages without a subnetwork use the whole model
