"""Mask files, derived masks and mask conditions."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from langspec.attribution.conditions import mask_for, mask_languages, single_masks
from langspec.core.errors import LangspecError
from langspec.heads.masks import composed, cosine, read_mask, save_mask, shuffled


def _mask(seed=0, shape=(6, 12), keep=0.6):
    return (np.random.default_rng(seed).random(shape) < keep).astype(np.float32)


def test_mask_file_round_trip_follows_the_contract(tmp_path):
    mask = _mask()
    trajectory = [{"heads_kept": 72, "metric": 0.9, "ratio": 1.0, "kept": True}]
    save_mask(tmp_path / "de.json", mask, "de", "pruned", trajectory=trajectory)
    body = json.loads((tmp_path / "de.json").read_text())
    assert set(body) >= {"mask", "lang", "kind", "seed", "trajectory"}
    assert len(body["mask"]) == 6 and all(len(row) == 12 for row in body["mask"])
    assert body["heads_disabled"] == int((mask == 0).sum())
    read = read_mask(tmp_path / "de.json", (6, 12))["mask"]
    assert read.dtype == np.float32 and np.array_equal(read, mask)


def test_a_tensor_mask_is_saved_as_its_array_and_read_back_for_a_model(tmp_path):
    """prune saves the torch mask it computed; gates and subnetworks take the numpy mask read back."""
    save_mask(tmp_path / "tensor.json", torch.from_numpy(_mask()), "de", "pruned")
    save_mask(tmp_path / "array.json", _mask(), "de", "pruned")
    assert (tmp_path / "tensor.json").read_text() == (tmp_path / "array.json").read_text()
    assert torch.equal(torch.as_tensor(read_mask(tmp_path / "tensor.json")["mask"]), torch.from_numpy(_mask()))


def test_random_masks_keep_the_sparsity_and_differ_by_seed():
    mask = _mask()
    one, two = shuffled(mask, 1), shuffled(mask, 2)
    assert one.sum() == mask.sum() == two.sum()
    assert not np.array_equal(one, two)
    assert np.array_equal(one, shuffled(mask, 1)) and one.shape == mask.shape


def test_union_and_intersection():
    a, b = _mask(0), _mask(1)
    union, inter = composed(a, b, "union"), composed(a, b, "intersection")
    assert np.array_equal(union, ((a + b) > 0).astype(np.float32))
    assert np.array_equal(inter, a * b)
    assert cosine(a, a) == pytest.approx(1.0)
    assert cosine(a, b) == pytest.approx(float((a * b).sum() / np.sqrt(a.sum() * b.sum())))
    with pytest.raises(LangspecError, match="'xor'"):
        composed(a, b, "xor")


def test_mask_that_does_not_fit_the_model_is_named(tmp_path):
    save_mask(tmp_path / "fr.json", _mask(), "fr", "pruned")
    with pytest.raises(LangspecError, match=r"fr\.json is 6 x 12 but the model has 12 layers x 12 heads"):
        read_mask(tmp_path / "fr.json", (12, 12))


def test_broken_mask_files_are_named(tmp_path):
    (tmp_path / "bad.json").write_text('{"mask": [[0, 2]]}')
    with pytest.raises(LangspecError, match="bad.json must hold"):
        read_mask(tmp_path / "bad.json")
    (tmp_path / "worse.json").write_text("{")
    with pytest.raises(LangspecError, match="worse.json is not a valid mask"):
        read_mask(tmp_path / "worse.json")
    with pytest.raises(LangspecError, match="missing.json does not exist"):
        read_mask(tmp_path / "missing.json")


def test_conditions_map_each_test_language_to_one_mask():
    langs = ["en", "de"]
    assert single_masks("full", langs) == {"en": "full", "de": "full"}
    assert single_masks("own", langs) == {"en": "en", "de": "de"}
    assert single_masks("random2", langs) == {"en": "en-random2", "de": "de-random2"}
    assert single_masks("ko", langs) == {"en": "ko", "de": "ko"}
    assert single_masks("de-random3", langs) == {"en": "de-random3", "de": "de-random3"}
    assert single_masks("intersection-es-fr", langs) == {"en": "intersection-es-fr", "de": "intersection-es-fr"}
    assert mask_languages("intersection-es-fr") == ["es", "fr"]
    assert mask_languages("de-random2") == ["de"]
    assert mask_languages("full") == []
    with pytest.raises(LangspecError, match="'Own!'"):
        mask_for("Own!", "de")


def test_the_neurons_condition_scores_each_test_language_with_its_own_neurons_deactivated():
    from langspec.attribution.conditions import neuron_language

    assert single_masks("neurons", ["en", "de"]) == {"en": "neurons-en", "de": "neurons-de"}
    assert single_masks("neurons-ru", ["en", "de"]) == {"en": "neurons-ru", "de": "neurons-ru"}
    assert neuron_language("neurons-de") == "de" and neuron_language("de") is None
    assert mask_languages("neurons-de") == ["de"]
    with pytest.raises(LangspecError, match="regime 'sft-lth' scores under lottery tickets"):
        mask_for("neurons", "de", "sft-lth")
