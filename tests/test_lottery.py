"""Lottery tickets: iterative magnitude pruning with rewinding, ticket training, weight-mask SFT through train()."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification

from langspec.core.errors import LangspecError
from langspec.tickets.imp import head_snapshot, imp, train_ticket, union_rows
from langspec.tickets.maskfile import read_trajectory, read_weight_mask, round_path
from langspec.tickets.masks import WeightSubnetworks, count, encoder_snapshot, full_mask, prunable_weights, random_mask
from langspec.tickets.schedule import lottery_rounds as rounds
from langspec.tickets.schedule import pruned_after
from langspec.training.evaluate import predict
from langspec.training.train import Hyperparameters, train

from .conftest import toy_bert

HP = Hyperparameters(learning_rate=5e-3, epochs=1, batch_size=8, eval_batch_size=16, max_length=16,
                     warmup_ratio=0.1, weight_decay=0.1, max_grad_norm=1.0, group_by_length=False, seed=0)
TOTAL = 6800  # prunable weights of the model below: 2 x (4 x 20x20 + 2 x 20x40) + pooler 20x20


def _clone(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def test_imp_prunes_ten_percent_of_the_original_weights_per_round_and_rewinds(toy_setup, tmp_path):
    tokenizer, data = toy_setup
    model = toy_bert(tokenizer)
    init = _clone(model)
    prunable = set(prunable_weights(model))
    aa = data.subset(data.indices("aa"))
    trajectory = imp(model, tokenizer, aa, data, HP, tmp_path, rate=0.1, max_sparsity=0.3)

    assert [e["round"] for e in trajectory] == [1, 2, 3] and read_trajectory(tmp_path) == trajectory
    masks = [read_weight_mask(round_path(tmp_path, k))["mask"] for k in (1, 2, 3)]
    assert [count(m)[1] for m in masks] == [TOTAL] * 3
    assert [TOTAL - count(m)[0] for m in masks] == [680, 1360, 2040], "exactly 10% of the original weights per round"
    assert set(masks[0]) == prunable, "only the encoder projections and the pooler are ever masked"
    for earlier, later in zip(masks, masks[1:]):
        assert all(torch.equal(later[n] & ~earlier[n], torch.zeros_like(later[n])) for n in later), "pruned stays pruned"
    assert [e["trained_sparsity"] for e in trajectory] == [0.0, 0.1, 0.2]
    assert [e["nominal_sparsity"] for e in trajectory] == [0.1, 0.2, 0.3]
    assert all(0 <= e["metric"] <= 1 and e["languages"] == ["aa"] for e in trajectory)
    assert read_weight_mask(round_path(tmp_path, 2))["metric"] == trajectory[1]["metric"]

    # after the last round the model is rewound: θ0 bit for bit where kept, zero where pruned, head as trained
    last = masks[-1]
    for name, value in model.named_parameters():
        if name in prunable:
            assert torch.equal(value[last[name]], init[name][last[name]]), name
            assert torch.count_nonzero(value[~last[name]]) == 0, name
        elif name.startswith("bert."):
            assert torch.equal(value, init[name]), f"{name} (embedding, bias or LayerNorm) is rewound, never pruned"
        else:
            assert not torch.equal(value, init[name]), f"{name}: the classification head keeps its training"


def test_magnitude_pruning_removes_the_smallest_trained_weights(toy_setup, tmp_path):
    tokenizer, data = toy_setup
    model = toy_bert(tokenizer)
    aa = data.subset(data.indices("aa"))
    torch.manual_seed(1)
    trained = toy_bert(tokenizer)
    train(trained, tokenizer, aa, data, HP, None)  # the same run as round 1 (same seed, data and init)
    imp(model, tokenizer, aa, data, HP, tmp_path, rate=0.1, max_sparsity=0.1)
    mask = read_weight_mask(round_path(tmp_path, 1))["mask"]
    weights = prunable_weights(trained)
    kept = torch.cat([weights[n].detach().abs()[mask[n]] for n in mask])
    dropped = torch.cat([weights[n].detach().abs()[~mask[n]] for n in mask])
    assert len(dropped) == 680 and dropped.max() <= kept.min()


def test_a_baked_ticket_trains_as_the_masked_forward_with_a_strict_guard(toy_setup):
    """The ticket leaves the forward unmasked (its pruned weights are zero) and masks only the gradient: the same
    weights, bit for bit, as training the zeroed model through W ⊙ M with the strict guard's restore."""
    tokenizer, data = toy_setup
    hp = dataclasses.replace(HP, epochs=2)
    mask = random_mask(full_mask(toy_bert(tokenizer)), 0, 0.6)
    trained = []
    for make in (WeightSubnetworks.ticket, lambda m, mask: WeightSubnetworks(m, {"*": mask}, shared=True)):
        model = toy_bert(tokenizer)
        with torch.no_grad():
            for name, weight in prunable_weights(model).items():
                weight.mul_(mask[name])
        with make(model, mask) as subnetworks:
            assert ("forward" in model.bert.encoder.layer[0].attention.self.query.__dict__) != subnetworks.baked
            history = train(model, tokenizer, data, data, hp, None, subnetworks=subnetworks, strict=True)
        assert history[-1]["dev_subnetwork"] == history[-1]["dev"], "a zeroed model scores as its subnetwork"
        trained.append(_clone(model))
    baked, masked = trained
    assert all(torch.equal(baked[n], masked[n]) for n in baked)
    assert all(torch.count_nonzero(baked[n][~mask[n]]) == 0 for n in mask)


def test_a_trained_ticket_keeps_pruned_weights_at_zero_and_saves_the_ticket(toy_setup, tmp_path):
    tokenizer, data = toy_setup
    model = toy_bert(tokenizer)
    head = head_snapshot(toy_bert(tokenizer, seed=5))
    mask = random_mask(full_mask(model), 0, 0.5)
    zeros_seen = []

    def check(module, args, output):  # the forward of every prunable layer sees exact zeros where pruned
        name = next(n for n, m in model.named_modules() if m is module) + ".weight"
        zeros_seen.append(bool((module.weight[~mask[name]] == 0).all()))

    handles = [model.get_submodule(n.rsplit(".", 1)[0]).register_forward_hook(check) for n in mask]
    result = train_ticket(model, tokenizer, mask, data.subset(data.indices("bb")), data, dataclasses.replace(HP, epochs=2),
                          tmp_path, languages=["bb"], head=head)
    for handle in handles:
        handle.remove()
    assert zeros_seen and all(zeros_seen)
    assert result["sparsity"] == 0.5 and len(result["epoch_metrics"]) == 2 and result["best_metric"] >= result["metric"]
    for name, weight in prunable_weights(model).items():
        assert torch.count_nonzero(weight[~mask[name]]) == 0, f"{name}: weight decay and momentum never revive a pruned weight"
        assert torch.count_nonzero(weight[mask[name]]) == int(mask[name].sum())
    assert "forward" not in model.bert.encoder.layer[0].attention.self.query.__dict__, "the hooks are removed"
    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "epoch2")
    for name, weight in prunable_weights(reloaded).items():
        assert torch.count_nonzero(weight[~mask[name]]) == 0
    loss_a, pred_a = predict(model, data, 16)
    loss_b, pred_b = predict(reloaded, data, 16)
    assert np.array_equal(pred_a, pred_b)
    np.testing.assert_allclose(loss_a, loss_b, rtol=1e-5, atol=1e-6)
    with pytest.raises(LangspecError, match="the given head has parameters"):
        train_ticket(toy_bert(tokenizer), tokenizer, mask, data, data, HP, head={"classifier.weight": torch.zeros(3, 20)})


@pytest.mark.parametrize("strict", [True, False])
def test_sft_on_per_language_weight_masks(toy_setup, tmp_path, strict):
    """Regime sft-lth: each batch trains its language's ticket; weights in no language's ticket move only in paper mode."""
    tokenizer, data = toy_setup
    model = toy_bert(tokenizer)
    before = _clone(model)
    masks = {lang: random_mask(full_mask(model), i, 0.5) for i, lang in enumerate(("aa", "bb", "cc"))}
    with WeightSubnetworks(model, masks) as subnetworks:
        history = train(model, tokenizer, data, data, HP, tmp_path, subnetworks=subnetworks, strict=strict)
        assert subnetworks.current is None, "train leaves the subnetworks at the whole model"
    assert history[-1]["sparse"] == ("strict" if strict else "paper") and history[-1]["subnetwork"] == "weights"
    assert "dev_subnetwork" in history[-1]
    for name, weight in prunable_weights(model).items():
        nowhere = ~(masks["aa"][name] | masks["bb"][name] | masks["cc"][name])
        assert nowhere.any()
        assert torch.equal(weight[nowhere], before[name][nowhere]) == strict, name
        assert not torch.equal(weight[~nowhere], before[name][~nowhere])
    del masks["bb"]
    with WeightSubnetworks(model, masks) as subnetworks, pytest.raises(LangspecError, match="no mask for training language\\(s\\) bb"):
        train(model, tokenizer, data, data, HP, None, subnetworks=subnetworks)


def test_rounds_and_cumulative_counts():
    assert rounds(0.1, 0.9) == 9 and rounds(0.1, 0.5) == 5
    with pytest.raises(LangspecError, match="not a multiple"):
        rounds(0.1, 0.55)
    with pytest.raises(LangspecError, match="lth.rate. is 1.5"):
        rounds(1.5, 0.5)
    assert [pruned_after(4352, 0.1, k) for k in (1, 2, 3)] == [435, 870, 1306], "rounding never accumulates"


def test_union_sample_is_balanced_deterministic_and_the_same_size():
    langs = np.array(["en"] * 50 + ["fr"] * 50 + ["zh"] * 50 + ["de"] * 50)
    rows = union_rows(langs, ["en", "fr", "zh"], 50, seed=3)
    assert len(rows) == 50 and len(set(rows)) == 50
    assert [int((langs[rows] == lang).sum()) for lang in ("en", "fr", "zh", "de")] == [17, 17, 16, 0]
    assert np.array_equal(rows, union_rows(langs, ["en", "fr", "zh"], 50, seed=3))
    assert not np.array_equal(rows, union_rows(langs, ["en", "fr", "zh"], 50, seed=4))
    with pytest.raises(LangspecError, match="needs 100 examples of 'en' but the split has 50"):
        union_rows(langs, ["en", "fr"], 200, seed=0)


def test_encoder_snapshot_leaves_out_the_head(toy_setup):
    tokenizer, _ = toy_setup
    model = toy_bert(tokenizer)
    theta0 = encoder_snapshot(model)
    assert all(n.startswith("bert.") for n in theta0) and set(head_snapshot(model)) == {"classifier.weight", "classifier.bias"}


def test_imp_split_after_its_first_rounds_is_the_same_run_as_one_job(toy_setup, tmp_path):
    """The workflow makes IMP's rounds up to the overlap sparsity in one job and the rest, with the ticket, in another
    (so that what needs only the first rounds need not wait for the rest): resumed from the files the first job
    wrote (masks, trajectory, quality record, trained head), the masks, metrics and records are those of one job."""
    from langspec.tickets.imp import imp_first, imp_rest, lottery_learned, read_first_rounds, save_first_rounds
    from langspec.training.quality import QualityRule

    tokenizer, data = toy_setup
    aa = data.subset(data.indices("aa"))
    hp, rule = dataclasses.replace(HP, epochs=2), QualityRule(on_failure="exclude")
    whole, whole_record = lottery_learned(toy_bert(tokenizer), tokenizer, aa, data, hp, tmp_path / "one", 0.1, 3, ["aa"], rule)

    split = tmp_path / "two"
    save_first_rounds(imp_first(toy_bert(tokenizer), tokenizer, aa, data, hp, split, 0.1, 2, ["aa"], rule), split)
    first = read_first_rounds(split)  # what the second job reads, in a fresh process with a fresh model
    assert [e["round"] for e in first.trajectory] == [1, 2] and not (split / "trajectory.json").exists()
    trajectory, record = imp_rest(toy_bert(tokenizer), tokenizer, aa, data, hp, split, 0.1, 3, ["aa"], first)

    def timeless(entries):
        return [{k: v for k, v in e.items() if k != "train_seconds"} for e in entries]

    assert [e["round"] for e in trajectory] == [1, 2, 3, 4] and trajectory[-1]["final"]
    assert timeless(read_trajectory(split)) == timeless(read_trajectory(tmp_path / "one"))
    for k in (1, 2, 3):
        one, two = (read_weight_mask(round_path(where, k))["mask"] for where in (tmp_path / "one", split))
        assert all(torch.equal(one[n], two[n]) for n in one), f"round {k}'s mask"
    assert record["attempts"][-1]["last_round"] == whole_record["attempts"][-1]["last_round"] is not None
    assert {k: v for k, v in record.items() if k != "attempts"} == {k: v for k, v in whole_record.items() if k != "attempts"}


def test_imp_resumed_from_broken_first_rounds_names_the_file(toy_setup, tmp_path):
    from langspec.tickets.imp import read_first_rounds

    tokenizer, data = toy_setup
    model = toy_bert(tokenizer)
    with pytest.raises(LangspecError, match="IMP resumes from both the rounds made so far and the last one's mask"):
        imp(model, tokenizer, data, data, HP, tmp_path, rate=0.1, max_sparsity=0.2, mask=full_mask(model))

    (tmp_path / "first").mkdir()
    (tmp_path / "first" / "quality.json").write_text('{"learned": true}')
    with pytest.raises(LangspecError, match=r"first/quality.json lacks 'attempts', 'reference' or 'rule'"):
        read_first_rounds(tmp_path)
    (tmp_path / "first" / "quality.json").write_text('{"attempts": [], "reference": {}, "rule": {}}')
    (tmp_path / "first" / "head.safetensors").write_text("not a tensor file")
    with pytest.raises(LangspecError, match=r"task head file .*head.safetensors is not a safetensors file"):
        read_first_rounds(tmp_path)
