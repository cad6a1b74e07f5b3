"""One subnetwork interface for head masks and weight masks in train() and predict()."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from langspec.data.encode import encode
from langspec.heads.gates import HeadGates
from langspec.heads.subnetworks import HeadSubnetworks
from langspec.models.tiny import train_tokenizer
from langspec.tickets.masks import WeightSubnetworks, full_mask, random_mask
from langspec.training.evaluate import predict
from langspec.training.train import train

from .conftest import toy_task
from .test_train import HP, _masks, _model


@pytest.fixture(scope="module")
def setup():
    frame = toy_task()
    tokenizer = train_tokenizer(frame["text_a"].tolist(), 200)
    return tokenizer, encode(frame, tokenizer, HP.max_length)


@pytest.mark.parametrize("strict", [True, False])
def test_head_subnetworks_train_and_detach(setup, strict):
    tokenizer, data = setup
    two = _model(tokenizer)
    with HeadSubnetworks(two, _masks()) as subnetworks:
        history_two = train(two, tokenizer, data, data, HP, None, subnetworks=subnetworks, strict=strict)
    assert history_two[-1]["subnetwork"] == "heads" and "dev_subnetwork" in history_two[-1]
    assert not any(module._forward_pre_hooks for module in two.modules()), "the gates are removed"


def test_numpy_head_masks_as_read_from_mask_files_work_exactly_as_tensors(setup):
    tokenizer, data = setup
    one, two = _model(tokenizer), _model(tokenizer)
    arrays = {lang: mask.numpy() for lang, mask in _masks().items()}  # langspec.heads.masks.read_mask gives float32 arrays
    with HeadSubnetworks(one, _masks()) as by_tensor:
        history_one = train(one, tokenizer, data, data, HP, None, subnetworks=by_tensor)
    with HeadSubnetworks(two, arrays) as by_array:
        history_two = train(two, tokenizer, data, data, HP, None, subnetworks=by_array)
    assert all(torch.equal(a, b) for a, b in zip(one.state_dict().values(), two.state_dict().values()))
    assert history_one[-1]["dev_subnetwork"] == history_two[-1]["dev_subnetwork"]
    gates = HeadGates(one)
    by_tensors = predict(one, data, 16, subnetworks=HeadSubnetworks(one, _masks(), gates=gates))
    by_arrays = predict(one, data, 16, subnetworks=HeadSubnetworks(one, arrays, gates=gates))
    assert all(np.array_equal(a, b) for a, b in zip(by_tensors, by_arrays))
    gates.set(arrays["aa"])
    assert torch.equal(gates.values.detach().cpu(), _masks()["aa"])
    gates.remove()


def test_predict_under_head_or_weight_subnetworks(setup):
    tokenizer, data = setup
    model = _model(tokenizer)
    masks = _masks()
    gates = HeadGates(model)
    by_interface = predict(model, data, 16, subnetworks=HeadSubnetworks(model, masks, gates=gates))
    assert bool((gates.values == 1).all()), "predict leaves the whole model"
    gates.set(masks["aa"])
    aa = data.indices("aa")
    by_gates = predict(model, data, 16, rows=aa)
    np.testing.assert_array_equal(by_gates[0], by_interface[0][aa])
    gates.reset()
    gates.remove()
    whole = predict(model, data, 16)
    weights = {"aa": random_mask(full_mask(model), 0, 0.5)}
    with WeightSubnetworks(model, weights) as subnetworks:
        loss, _ = predict(model, data, 16, subnetworks=subnetworks)
    aa = data.indices("aa")
    others = np.setdiff1d(np.arange(len(data)), aa)
    assert not np.allclose(loss[aa], whole[0][aa]), "aa is scored under its ticket"
    np.testing.assert_allclose(loss[others], whole[0][others], rtol=1e-5, atol=1e-6)  # languages without a subnetwork use the whole model
