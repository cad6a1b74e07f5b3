"""Heads, weights and neurons side by side (issue 31, item 5): specificity, matched removals, overlaps, the
specificity index and its claims, the figure's source data, on hand-made numbers and tiny random models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from langspec.core.errors import LangspecError
from langspec.data.encode import encode
from langspec.figures.neurons import neurons_kinds
from langspec.heads.subnetworks import HeadSubnetworks
from langspec.kinds.compare import compare
from langspec.kinds.matching import head_count, top_units, top_weights
from langspec.kinds.overlap import HEADS_IN_NEURON_LAYERS, TICKET_IN_NEURONS, heads_in_neuron_layers, ticket_in_neurons
from langspec.kinds.removal import Removal, ffn_weights, head_params, layer_weights, neuron_params, removal_rows
from langspec.kinds.specificity import layer_profile, specificity, survival, weight_specificity
from langspec.models.tiny import build_tiny
from langspec.neurons.subnetworks import NeuronSubnetworks
from langspec.registry import by_id
from langspec.stats.claims import Evidence, chosen, findings
from langspec.stats.kinds import index_difference, index_table, overlap_excess, specificity_index
from langspec.stats.source_data.neurons import kinds_figure
from langspec.tickets.masks import prunable_shapes
from langspec.training.evaluate import evaluate

LANGS = ("en", "de", "ru")
SHAPE = {"hidden_size": 16, "layers": 3, "heads": 4, "intermediate_size": 32, "vocab_size": 80}
TEXTS = ["ab cd ef gh", "lorem ipsum dolor sit amet", "ba da ga", "kato sidas sur la tapiŝo", "der hund schläft"] * 6
FRAME = pd.DataFrame({
    "uid": [f"u{i}" for i in range(9)], "lang": ["en"] * 3 + ["de"] * 3 + ["ru"] * 3,
    "text_a": ["ab cd ef gh ab lorem", "lorem ipsum", "ba", "dolor sit amet ab cd", "ef", "ga da ba kato sidas",
               "der hund", "kato", "sur la"],
    "text_b": [None] * 9, "label": [0, 1, 2, 0, 1, 2, 0, 1, 2],
})


def tiny(family: str = "bert"):
    model, tokenizer = build_tiny({**SHAPE, "family": family}, TEXTS, 3, 0, "classification")
    return model.eval(), encode(FRAME, tokenizer, 32)


# -- specificity and layer profiles -----------------------------------------------------------------------------------

def test_specificity_is_own_membership_minus_the_others_mean():
    got = specificity({"en": np.array([1, 1, 0, 0.5]), "de": np.array([1, 0, 0, 0]), "ru": np.array([1, 0, 1, 0])})
    np.testing.assert_allclose(got["en"], [0, 1, -0.5, 0.5])
    np.testing.assert_allclose(got["ru"], [0, -0.5, 1, -0.25])
    with pytest.raises(LangspecError, match="two or more languages"):
        specificity({"en": np.ones(3)})


def test_a_weights_membership_is_the_share_of_rounds_that_keep_it():
    rounds = [{"w": np.array([[1, 1, 1]], bool)}, {"w": np.array([[1, 1, 0]], bool)}, {"w": np.array([[1, 0, 0]], bool)},
              {"w": np.array([[0, 0, 0]], bool)}]
    np.testing.assert_allclose(survival(rounds)["w"], [[0.75, 0.5, 0.25]])
    got = weight_specificity({"en": survival(rounds), "de": {"w": np.array([[0.75, 0.0, 0.25]])}})
    np.testing.assert_allclose(got["en"]["w"], [[0, 0.5, 0]])


def test_a_layer_profile_sums_to_100_and_is_nan_without_specific_units():
    np.testing.assert_allclose(layer_profile(np.array([1.0, 0.0, 3.0])), [25, 0, 75])
    assert np.isnan(layer_profile(np.zeros(3))).all()


# -- matching -----------------------------------------------------------------------------------------------------------

def test_top_units_take_the_highest_scores_and_break_ties_with_the_seed():
    score = np.array([[0.5, 1.0, 1.0], [1.0, -1.0, 0.0]])
    assert top_units(score, 1, 0).sum() == 1 and top_units(score, 1, 0)[np.where(score == 1.0)].sum() == 1
    assert top_units(score, 3, 0)[score == 1.0].all()
    assert top_units(score, 4, 7)[0, 0] and not top_units(score, 5, 7)[1, 1]
    draws = {tuple(top_units(score, 1, seed).ravel()) for seed in range(20)}
    assert len(draws) == 3  # the three tied units each win some draw
    np.testing.assert_array_equal(top_units(score, 2, [3, 1]), top_units(score, 2, [3, 1]))
    split = top_weights({"a": np.array([[0.0, 2.0]]), "b": np.array([[1.0], [3.0]])}, 2, 0)
    assert split["a"].tolist() == [[False, True]] and split["b"].tolist() == [[False], [True]]


def test_heads_match_the_budget_as_closely_as_whole_heads_can():
    assert head_count(100, 1000) == 1 and head_count(1600, 1000) == 2 and head_count(2400, 1000) == 2


def test_parameters_of_one_head_and_one_neuron():
    model, _ = tiny()
    hidden, heads, width = SHAPE["hidden_size"], SHAPE["heads"], SHAPE["hidden_size"] // SHAPE["heads"]
    assert head_params(model) == 4 * hidden * width + 3 * width  # q, k, v rows and biases; output columns
    assert neuron_params(model) == 2 * hidden + 1  # input row and bias, output column
    assert [len(names) for names in layer_weights(model)] == [6] * SHAPE["layers"]  # q, k, v, o, in, out
    assert [[axis for _, axis in layer] for layer in ffn_weights(model)] == [[0, 1]] * SHAPE["layers"]
    llama, _ = tiny("llama")
    assert neuron_params(llama) == 3 * hidden  # gate and up rows, down column (no biases)
    assert len(ffn_weights(llama)[0]) == 3


# -- overlaps --------------------------------------------------------------------------------------------------------

def test_a_ticket_on_the_neurons_rows_and_columns_fills_them_and_a_uniform_one_meets_the_expectation():
    model, _ = tiny()
    ffn = ffn_weights(model)
    shapes = prunable_shapes(model)
    neurons = np.zeros((SHAPE["layers"], SHAPE["intermediate_size"]), bool)
    neurons[0, :4] = True  # 4 of 32 neurons of layer 0: 4/96 of all feed-forward positions
    on = {name: np.zeros(tuple(shape), bool) for name, shape in shapes.items()}
    on[ffn[0][0][0]][:4, :] = True
    share, expected = ticket_in_neurons(on, ffn, neurons)
    assert share == 100 and expected == pytest.approx(100 * 4 / 96)
    everywhere = {name: np.ones(tuple(shape), bool) for name, shape in shapes.items()}
    share, expected = ticket_in_neurons(everywhere, ffn, neurons)
    assert share == pytest.approx(expected)
    assert np.isnan(ticket_in_neurons({n: np.zeros(tuple(s), bool) for n, s in shapes.items()}, ffn, neurons)[0])


def test_heads_in_the_neurons_layers_against_the_share_of_those_layers():
    heads = np.array([[1, 1], [0, 1], [0, 0]])
    neurons = np.array([[True, False], [False, False], [False, True]])
    assert heads_in_neuron_layers(heads, neurons) == (pytest.approx(200 / 3), pytest.approx(200 / 3))
    assert heads_in_neuron_layers(np.array([[1, 1], [0, 0], [0, 0]]), neurons)[0] == 100
    assert np.isnan(heads_in_neuron_layers(np.zeros((3, 2)), neurons)[0])


# -- removals on a model ---------------------------------------------------------------------------------------------------

def test_each_kinds_removal_scores_as_its_subnetworks_and_a_hand_zeroed_model_do():
    model, data = tiny()
    heads = np.zeros((3, 4), bool)
    heads[1, 2] = True
    neurons = np.zeros((3, 32), bool)
    neurons[2, :5] = True
    name = layer_weights(model)[0][4]
    weights = {name: np.zeros(prunable_shapes(model)[name], bool)}
    weights[name][:3, :7] = True
    removals = [Removal("heads", "en", heads, 1, 1, 1), Removal("weights", "en", weights, 21, 21, 21),
                Removal("neurons", "en", neurons, 5, 5, 5)]
    rows = pd.DataFrame(removal_rows(model, data, removals, ["en", "de"], 4))
    assert rows["kind"].tolist() == ["intact"] * 2 + ["heads"] * 2 + ["weights"] * 2 + ["neurons"] * 2
    loss = rows.set_index(["kind", "test_lang"])["loss"]
    intact = evaluate(model, data, 4)
    assert loss["intact", "de"] == pytest.approx(intact["de"]["loss"])
    gated = HeadSubnetworks(model, {"de": 1.0 - heads.astype(np.float32)})
    assert loss["heads", "de"] == pytest.approx(evaluate(model, data, 4, None, gated)["de"]["loss"], rel=1e-6)
    gated.remove()
    zeroed = NeuronSubnetworks(model, {"de": neurons})
    assert loss["neurons", "de"] == pytest.approx(evaluate(model, data, 4, None, zeroed)["de"]["loss"], rel=1e-6)
    zeroed.remove()
    parameter = dict(model.named_parameters())[name]
    saved = parameter.detach().clone()
    with torch.no_grad():
        parameter[:3, :7] = 0
    assert loss["weights", "de"] == pytest.approx(evaluate(model, data, 4)["de"]["loss"], rel=1e-6)
    with torch.no_grad():
        parameter.copy_(saved)
    assert evaluate(model, data, 4)["de"]["loss"] == pytest.approx(intact["de"]["loss"])  # nothing left behind
    assert len({round(v, 7) for v in loss.to_numpy()}) > 2  # the removals change the loss


def _inputs(seed: int = 0, rounds: int = 3):
    model, data = tiny()
    rng = np.random.default_rng(seed)
    neurons = {lang: rng.random((3, 32)) < 0.1 for lang in LANGS}
    heads = {lang: (rng.random((3, 4)) < 0.7).astype(np.float32) for lang in LANGS}
    shapes = prunable_shapes(model)
    tickets = {lang: [{n: rng.random(tuple(s)) < 0.9 - 0.2 * k for n, s in shapes.items()} for k in range(rounds)]
               for lang in LANGS}
    return model, data, neurons, heads, tickets


@pytest.mark.parametrize("family", ["bert", "llama"])
def test_compare_removes_each_kind_at_the_neurons_parameter_budget(family):
    model, data, neurons, heads, _ = _inputs()
    if family != "bert":
        model, data = tiny(family)
    shapes = prunable_shapes(model)
    rng = np.random.default_rng(1)
    tickets = {lang: [{n: rng.random(tuple(s)) < 0.8 for n, s in shapes.items()}] for lang in LANGS}
    profile, overlap, removal = (pd.DataFrame(rows) for rows in compare(model, data, neurons, heads, tickets, 4, 0))
    removal = removal[removal["kind"] != "intact"].drop_duplicates(["kind", "removed"]).set_index(["removed", "kind"])
    for lang in LANGS:
        budget = int(neurons[lang].sum()) * neuron_params(model)
        assert removal.loc[(lang, "neurons"), "params"] == budget
        assert removal.loc[(lang, "weights"), "params"] == budget == removal.loc[(lang, "weights"), "units"]
        assert removal.loc[(lang, "heads"), "units"] == head_count(budget, head_params(model))
    sums = profile.groupby(["kind", "lang"])["share_pct"].sum()
    np.testing.assert_allclose(sums[np.isfinite(sums)], 100)
    assert set(overlap["overlap"]) == {TICKET_IN_NEURONS, HEADS_IN_NEURON_LAYERS} and len(overlap) == 6


def test_compare_removes_the_most_specific_units_first():
    model, data, neurons, heads, tickets = _inputs()
    heads = {lang: np.ones((3, 4), np.float32) for lang in LANGS}
    heads["en"][:] = 0
    heads["en"][2, 3] = 1  # en keeps only head (2, 3), which de and ru prune:
    heads["de"][2, 3] = 0  # its specificity for en is 1, every other head's -1
    heads["ru"][2, 3] = 0
    _, _, removal = compare(model, data, neurons, heads, tickets, 4, 0)
    first = next(r for r in removal if r["kind"] == "heads" and r["removed"] == "en")
    assert first["units"] == 1 and first["specific"] == 1
    gated = HeadSubnetworks(model, {"en": np.where(np.arange(12).reshape(3, 4) == 11, 0.0, 1.0)})
    assert first["loss"] == pytest.approx(evaluate(model, data, 4, None, gated)["en"]["loss"], rel=1e-6)
    gated.remove()


def test_compare_needs_every_kind_for_every_language():
    model, data, neurons, heads, tickets = _inputs()
    with pytest.raises(LangspecError, match="head masks for de, en but neurons for de, en, ru") as error:
        compare(model, data, neurons, {k: heads[k] for k in ("en", "de")}, tickets, 4, 0)
    assert "\n" not in str(error.value)


# -- the index, the claims and the figure -----------------------------------------------------------------------------

def _removal(rep: int, rises: dict[str, dict[str, dict[str, float]]]) -> pd.DataFrame:
    """A removal table: intact loss 1.0 everywhere, and kind -> removed -> test language -> loss rise."""
    rows = [{"kind": "intact", "removed": "intact", "test_lang": t, "loss": 1.0} for t in LANGS]
    for kind, per in rises.items():
        for removed, rise in per.items():
            rows += [{"kind": kind, "removed": removed, "test_lang": t, "loss": 1.0 + rise[t]} for t in LANGS]
    frame = pd.DataFrame(rows).assign(rep=rep, units=2, specific=1, params=10, metric_name="accuracy",
                                      higher_is_better=True, metric=0.5, n=100)
    return frame


def _planted(rep: int, strength: dict[str, float], noise: float = 0.0) -> pd.DataFrame:
    """Each kind's removal of L raises L's loss by ``strength[kind]`` (+ noise) and every other language's by 0.1."""
    rng = np.random.default_rng(rep)
    return _removal(rep, {kind: {lang: {t: (s + noise * rng.standard_normal() if t == lang else 0.1) for t in LANGS}
                                 for lang in LANGS} for kind, s in strength.items()})


def test_the_specificity_index_is_own_rise_minus_the_others_mean_rise():
    table = _removal(0, {"heads": {"en": {"en": 0.5, "de": 0.1, "ru": 0.3}, "de": {"en": 0.0, "de": 0.0, "ru": 0.2}}})
    index = index_table(table).set_index("lang")["index"]
    assert index["en"] == pytest.approx(0.3) and index["de"] == pytest.approx(-0.1)
    np.testing.assert_allclose(specificity_index(table, "heads"), [0.1])
    both = pd.concat([_planted(0, {"heads": 0.2, "neurons": 0.6}), _planted(1, {"heads": 0.3, "neurons": 0.5})])
    np.testing.assert_allclose(index_difference(both, "neurons", "heads"), [0.4, 0.2])
    with pytest.raises(LangspecError, match="no subnetwork kind 'atoms'"):
        specificity_index(both, "atoms")


def _overlap(rep: int, excess: float) -> pd.DataFrame:
    return pd.DataFrame([{"rep": rep, "lang": lang, "overlap": measure, "share_pct": 10.0 + excess,
                          "expected_pct": 10.0} for lang in LANGS for measure in (TICKET_IN_NEURONS,
                                                                                   HEADS_IN_NEURON_LAYERS)])


def _profile(rep: int) -> pd.DataFrame:
    return pd.DataFrame([{"rep": rep, "kind": kind, "lang": lang, "layer": layer, "share_pct": share, "layers": 3}
                         for kind in ("heads", "weights", "neurons") for lang in LANGS
                         for layer, share in enumerate([50.0, 20.0, 30.0])])


def test_a_planted_ordering_of_kinds_gets_its_verdicts():
    """Neurons planted most specific, weights next, heads not at all: the claims say exactly that."""
    strength = {"heads": 0.1, "weights": 0.4, "neurons": 0.8}
    removal = pd.concat([_planted(rep, strength, noise=0.02) for rep in range(5)])
    overlap = pd.concat([_overlap(rep, 3.0 + 0.1 * rep) for rep in range(5)])
    table = findings(Evidence(neurons={"kinds_removal": removal, "kinds_overlap": overlap}),
                     chosen([c.id for c in chosen(paper="neurons") if c.id.startswith("kinds-")])).set_index("id")
    assert table.loc["kinds-neurons-specific", "verdict"] == "supported"
    assert table.loc["kinds-weights-specific", "verdict"] == "supported"
    assert table.loc["kinds-heads-specific", "verdict"] != "supported"  # own rise 0.1 = the others' 0.1
    for pair in ("kinds-neurons-over-heads", "kinds-neurons-over-weights", "kinds-weights-over-heads"):
        assert table.loc[pair, "verdict"] == "supported", table.loc[pair]
    assert table.loc["kinds-neurons-over-heads", "mean"] == pytest.approx(0.7, abs=0.03)
    assert table.loc["kinds-ticket-in-neurons", "verdict"] == "supported"
    assert table.loc["kinds-ticket-in-neurons", "mean"] == pytest.approx(3.2)
    np.testing.assert_allclose(overlap_excess(overlap, TICKET_IN_NEURONS), [3.0, 3.1, 3.2, 3.3, 3.4])
    reversed_ = pd.concat([_planted(rep, {"heads": 0.8, "weights": 0.4, "neurons": 0.1}, 0.02) for rep in range(5)])
    row = findings(Evidence(neurons={"kinds_removal": reversed_}), chosen(["kinds-neurons-over-heads"])).iloc[0]
    assert row["verdict"] == "contradicted"


def test_the_kinds_figure_draws_its_three_panels_from_the_source_data():
    removal = pd.concat([_planted(rep, {"heads": 0.1, "weights": 0.4, "neurons": 0.8}, 0.02) for rep in range(3)])
    frame = kinds_figure({"toy": pd.concat([_profile(r) for r in range(3)])},
                         {"toy": pd.concat([_overlap(r, 2.0 + r) for r in range(3)])}, {"toy": removal})
    assert set(frame["panel"]) == {"profile", "overlap", "index"}
    index = frame[frame["panel"] == "index"].set_index("kind")
    assert list(index.index) == ["heads", "weights", "neurons"]
    assert index.loc["neurons", "mean"] == pytest.approx(0.7, abs=0.05) and set(index["n_replicates"]) == {3}
    overlap = frame[frame["panel"] == "overlap"].set_index("overlap")
    assert overlap.loc[TICKET_IN_NEURONS, "mean"] == pytest.approx(130.0)  # 13% where 10% is expected
    assert overlap.loc[TICKET_IN_NEURONS, "expected"] == pytest.approx(10.0)
    profile = frame[frame["panel"] == "profile"]
    assert profile.groupby("kind")["mean"].sum().tolist() == pytest.approx([100.0] * 3)
    assert by_id("neurons/kinds").target == "figures/neurons/kinds"
    figure = neurons_kinds(frame)
    assert len(figure.axes) == 3


def test_a_small_index_is_printed_with_its_significant_digits_not_as_zero():
    from langspec.stats.claims import markdown

    removal = pd.concat([_planted(rep, {"heads": 0.1, "weights": 0.1, "neurons": 0.103}, noise=0.001)
                         for rep in range(4)])
    table = findings(Evidence(neurons={"kinds_removal": removal}), chosen(["kinds-neurons-specific"]))
    text = markdown(table, "toy")
    assert "+0.00 [" not in text
    assert f"{table['mean'].iloc[0]:+.4f}"[:5] in text  # +0.003: the planted 0.003 nats, to its digits
