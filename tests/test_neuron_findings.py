"""Language-specific neurons (issue 31, items 3, 4 and 6): the deactivation matrix, the tables behind the figures,
the statistics of the neuron claims and their verdicts, checked on hand-made numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from langspec.core.errors import LangspecError
from langspec.data.encode import encode
from langspec.figures.neurons import neurons_deactivation, neurons_layers
from langspec.models.tiny import build_tiny
from langspec.neurons.deactivation import deactivation_rows
from langspec.registry import by_id, figure_neurons
from langspec.stats.claims import Evidence, chosen, findings
from langspec.stats.neurons import changes, layer_table, outer_excess, outer_layers, own_over_others, own_over_random
from langspec.stats.source_data.neurons import deactivation_figure, layers_figure
from langspec.training.evaluate import evaluate

LANGS = ("en", "de", "fr")


def _masks(per_layer: dict[str, list[int]], width: int = 10) -> dict[str, np.ndarray]:
    """Language -> a mask with ``per_layer[lang][l]`` neurons in layer l (the first ones)."""
    out = {}
    for lang, counts in per_layer.items():
        mask = np.zeros((len(counts), width), dtype=bool)
        for layer, count in enumerate(counts):
            mask[layer, :count] = True
        out[lang] = mask
    return out


# -- layers -----------------------------------------------------------------------------------------------------------

def test_outer_layers_are_the_bottom_and_top_quarter_rounded_up():
    assert outer_layers(3).tolist() == [True, False, True]
    assert outer_layers(4).tolist() == [True, False, False, True]
    assert outer_layers(6).tolist() == [True, True, False, False, True, True]
    assert outer_layers(12).sum() == 6 and outer_layers(12)[:3].all() and outer_layers(12)[-3:].all()
    with pytest.raises(LangspecError, match="2 layers has no middle layer"):
        outer_layers(2)


def test_layer_table_counts_each_languages_neurons_per_layer():
    table = layer_table(1, _masks({"en": [3, 0, 1, 2], "de": [0, 4, 0, 0]}))
    assert list(table.columns) == ["rep", "lang", "layer", "neurons", "width", "layers"]
    assert table["neurons"].tolist() == [3, 0, 1, 2, 0, 4, 0, 0]
    assert set(table["rep"]) == {1} and set(table["width"]) == {10} and set(table["layers"]) == {4}


def test_outer_excess_against_a_uniform_profile():
    # four layers, outer = layers 0 and 3 (half of the layers); all languages pooled
    concentrated = layer_table(0, _masks({"en": [3, 0, 1, 2], "de": [1, 1, 0, 2]}))  # outer 8 of 10 -> 80 - 50 = +30
    uniform = layer_table(1, _masks({"en": [1, 1, 1, 1], "de": [2, 2, 2, 2]}))  # outer 6 of 12 -> 0
    middle = layer_table(2, _masks({"en": [0, 3, 1, 0], "de": [0, 0, 0, 0]}))  # outer 0 of 4 -> -50
    empty = layer_table(3, _masks({"en": [0, 0, 0, 0], "de": [0, 0, 0, 0]}))
    excess = outer_excess(pd.concat([concentrated, uniform, middle, empty]))
    assert excess.index.tolist() == ["0", "1", "2", "3"]
    np.testing.assert_allclose(excess.to_numpy()[:3], [30.0, 0.0, -50.0])
    assert math.isnan(excess.iloc[3])


# -- deactivation tables ----------------------------------------------------------------------------------------------

def _deactivation(rep: int, intact: dict[str, float], lape: dict[str, dict[str, float]],
                  random: dict[str, dict[str, float]], metric: str = "accuracy", n: int = 100) -> pd.DataFrame:
    """One replicate's deactivation rows: intact per test language, then per deactivated language its LAPE and
    random rows (one seed) per test language."""
    rows = [{"mask": "intact", "condition": "intact", "deactivated": "", "seed": None, "neurons": 0, "test_lang": t,
             "metric": v} for t, v in intact.items()]
    for condition, table in (("lape", lape), ("random", random)):
        for lang, scores in table.items():
            for t, v in scores.items():
                rows.append({"mask": lang if condition == "lape" else f"{lang}-random1", "condition": condition,
                             "deactivated": lang, "seed": None if condition == "lape" else 7, "neurons": 5,
                             "test_lang": t, "metric": v})
    frame = pd.DataFrame(rows)
    frame.insert(0, "rep", rep)
    return frame.assign(metric_name=metric, higher_is_better=metric != "perplexity", loss=1.0, n=n)


INTACT = {"en": 0.80, "de": 0.70, "fr": 0.60}
#: deactivating L's neurons costs L 20 points and the others 5; the random control costs L 2 points, others nothing
LAPE_ACC = {l: {t: INTACT[t] - (0.20 if t == l else 0.05) for t in LANGS} for l in LANGS}
RANDOM_ACC = {l: {t: INTACT[t] - (0.02 if t == l else 0.0) for t in LANGS} for l in LANGS}


def test_changes_are_points_against_the_intact_model_with_their_sampling_error():
    frame = changes(_deactivation(0, INTACT, LAPE_ACC, RANDOM_ACC))
    own = frame[(frame["condition"] == "lape") & (frame["deactivated"] == "en") & (frame["test_lang"] == "en")].iloc[0]
    assert own["change"] == pytest.approx(-20.0)
    # binomial se of 0.6 and 0.8 on 100 examples, in points, added in quadrature
    assert own["change_se"] == pytest.approx(100 * math.sqrt(0.6 * 0.4 / 100 + 0.8 * 0.2 / 100))
    assert len(frame) == 18 and "intact" not in set(frame["condition"])
    perplexity = changes(_deactivation(0, {"en": 10.0, "de": 20.0, "fr": 40.0},
                                       {"en": {"en": 12.0, "de": 20.0, "fr": 40.0}}, {}, metric="perplexity"))
    # perplexity 10 -> 12: 20% worse, positive is better
    assert perplexity.set_index("test_lang").loc["en", "change"] == pytest.approx(-20.0)
    assert perplexity.set_index("test_lang").loc["de", "change"] == pytest.approx(0.0)


def test_own_over_others_and_over_random_per_replicate():
    half = {l: {t: INTACT[t] - (0.10 if t == l else 0.05) for t in LANGS} for l in LANGS}  # own 10, others 5
    table = pd.concat([_deactivation(0, INTACT, LAPE_ACC, RANDOM_ACC), _deactivation(1, INTACT, half, RANDOM_ACC)])
    values, se = own_over_others(table)
    np.testing.assert_allclose(values, [15.0, 5.0])
    values, se_random = own_over_random(table)
    np.testing.assert_allclose(values, [18.0, 8.0])
    assert np.isfinite(se).all() and (se > 0).all() and np.isfinite(se_random).all()


def test_a_language_without_neurons_is_left_out_of_the_deactivation_claims():
    table = _deactivation(0, INTACT, LAPE_ACC, RANDOM_ACC)
    table.loc[table["deactivated"] == "fr", "neurons"] = 0
    table.loc[(table["deactivated"] == "fr") & (table["condition"] != "intact"), "metric"] = (
        table.loc[(table["deactivated"] == "fr") & (table["condition"] != "intact"), "test_lang"].map(INTACT))
    values, _ = own_over_others(table)
    np.testing.assert_allclose(values, [15.0])  # en and de only (fr's row would be 0)


def test_the_neuron_claims_get_verdicts_from_their_replicates():
    rng = np.random.default_rng(0)
    layers, deactivation = [], []
    for rep in range(4):
        layers.append(layer_table(rep, _masks({"en": [4 + rep, 1, 0, 5], "de": [3, 0, 1, 4]})))
        own = 0.15 + 0.02 * rng.standard_normal()
        lape = {l: {t: INTACT[t] - (own if t == l else 0.02) for t in LANGS} for l in LANGS}
        deactivation.append(_deactivation(rep, INTACT, lape, RANDOM_ACC, n=2000))
    evidence = Evidence(neurons={"layers": pd.concat(layers), "deactivation": pd.concat(deactivation)})
    ids = ["neurons-layers", "neurons-own-language", "neurons-own-random"]
    table = findings(evidence, chosen(ids)).set_index("id")
    assert list(table.index) == ids
    assert (table["verdict"] == "supported").all(), table[["mean", "ci_low", "ci_high", "verdict"]]
    assert (table["n_replicates"] == 4).all()
    # replicate 0: outer layers hold 4 + 5 + 3 + 4 = 16 of 18 neurons: 100 * 16/18 - 50
    assert float(table.loc["neurons-layers", "values"].split()[0]) == pytest.approx(100 * 16 / 18 - 50, rel=1e-6)
    assert table.loc["neurons-own-language", "mean"] == pytest.approx(100 * np.mean(
        [float(v) / 100 for v in table.loc["neurons-own-language", "values"].split()]))
    two_layers = Evidence(neurons={"layers": layer_table(0, _masks({"en": [1, 2]})), "deactivation": deactivation[0]})
    row = findings(two_layers, chosen(["neurons-layers"])).iloc[0]
    assert row["verdict"] == "not run" and "three or more layers" in row["note"]
    assert findings(Evidence(), chosen(paper="neurons"))["verdict"].eq("not run").all()


# -- source data and figures -------------------------------------------------------------------------------------------

def test_layers_source_data_is_the_mean_count_per_language_and_layer():
    table = pd.concat([layer_table(0, _masks({"en": [2, 0, 4], "de": [0, 1, 1]})),
                       layer_table(1, _masks({"en": [4, 0, 2], "de": [0, 3, 1]}))])
    frame = layers_figure({"toy": table})
    en = frame[frame["lang"] == "en"].set_index("layer")
    assert en["mean"].tolist() == [3.0, 0.0, 3.0] and en["rep0"].tolist() == [2.0, 0.0, 4.0]
    assert frame["outer"].tolist() == [True, False, True] * 2 and set(frame["n_replicates"]) == {2}
    neurons_layers(frame)  # draws


def test_deactivation_source_data_is_the_mean_change_with_fdr_marks():
    frame = deactivation_figure({"toy": pd.concat([_deactivation(r, INTACT, LAPE_ACC, RANDOM_ACC) for r in range(3)])})
    assert len(frame) == 18 and frame["condition"].tolist()[:9] == ["lape"] * 9
    cell = frame.set_index(["condition", "deactivated", "test_lang"])
    assert cell.loc[("lape", "de", "de"), "mean"] == pytest.approx(-20.0)
    assert cell.loc[("lape", "de", "en"), "mean"] == pytest.approx(-5.0)
    assert cell.loc[("random", "de", "en"), "mean"] == pytest.approx(0.0)
    assert cell["tested"].all() and {"robust", "p_value", "rep2"} <= set(frame.columns)
    neurons_deactivation(frame)  # draws


def test_the_figures_are_registered_under_figures_neurons():
    assert figure_neurons("layers").target == "figures/neurons/layers"
    assert by_id("neurons/deactivation").source_data == "figures/neurons/deactivation.data.csv"
    with pytest.raises(LangspecError, match="no neurons figure 'nope'"):
        figure_neurons("nope")


# -- the deactivation matrix on a model ---------------------------------------------------------------------------------

def test_deactivation_rows_score_every_language_intact_and_under_each_mask():
    texts = ["ab cd ef gh", "lorem ipsum dolor", "der hund schläft", "ba da ga"] * 4
    model, tokenizer = build_tiny({"family": "bert", "hidden_size": 16, "layers": 2, "heads": 4,
                                   "intermediate_size": 32, "vocab_size": 60}, texts, 3, 0, "classification")
    frame = pd.DataFrame({"uid": [f"u{i}" for i in range(8)], "lang": ["en"] * 4 + ["de"] * 4,
                          "text_a": texts[:8], "text_b": [None] * 8, "label": [0, 1, 2, 0, 1, 2, 0, 1]})
    data = encode(frame, tokenizer, 16)
    everything = np.ones((2, 32), dtype=bool)
    masks = {"en": {"mask": everything, "kind": "lape", "lang": "en"},
             "en-random1": {"mask": np.zeros((2, 32), dtype=bool), "kind": "random", "lang": "en", "seed": 3}}
    rows = pd.DataFrame(deactivation_rows(model, data, masks, ["en", "de"], 4))
    assert rows["mask"].tolist() == ["intact", "intact", "en", "en", "en-random1", "en-random1"]
    assert rows["neurons"].tolist() == [0, 0, 64, 64, 0, 0] and set(rows["n"]) == {4}
    intact = evaluate(model.eval(), data, 4)
    assert rows["metric"].iloc[0] == pytest.approx(intact["en"]["accuracy"])
    # an empty mask changes nothing; zeroing every neuron changes the loss
    np.testing.assert_allclose(rows["loss"].iloc[4:].to_numpy(), rows["loss"].iloc[:2].to_numpy(), rtol=1e-6)
    assert not np.allclose(rows["loss"].iloc[2:4].to_numpy(), rows["loss"].iloc[:2].to_numpy())


# -- paired sampling errors of a deactivation ---------------------------------------------------------------------------

def test_the_paired_error_of_accuracy_is_that_of_the_per_example_differences():
    from langspec.neurons.deactivation import paired_se

    intact, masked, ones = np.array([1, 1, 0, 1.0]), np.array([0, 1, 0, 0.0]), np.ones(4)
    assert paired_se("classification", (intact, ones), (masked, ones)) == pytest.approx(
        100 * np.std(masked - intact, ddof=1) / 2)
    assert paired_se("classification", (intact, ones), (intact, ones)) == 0
    assert np.isnan(paired_se("classification", (intact[:1], ones[:1]), (masked[:1], ones[:1])))


def test_the_paired_error_of_perplexity_matches_a_bootstrap_and_is_zero_for_a_uniform_shift():
    from langspec.neurons.deactivation import paired_se

    rng = np.random.default_rng(0)
    tokens = rng.integers(3, 12, 200).astype(float)
    intact = tokens * rng.normal(4.0, 0.8, 200)
    assert paired_se("mlm", (intact, tokens), (intact + 0.3 * tokens, tokens)) == pytest.approx(0, abs=1e-9)
    masked = intact + tokens * rng.normal(0.2, 0.5, 200)
    formula = paired_se("mlm", (intact, tokens), (masked, tokens))

    def change(index):  # the change in % of the intact perplexity, positive when better
        d = (masked[index] - intact[index]).sum() / tokens[index].sum()
        return 100 * (1 - np.exp(d))

    boot = np.std([change(rng.integers(0, 200, 200)) for _ in range(4000)])
    assert formula == pytest.approx(boot, rel=0.1)
    # the conservative unpaired floor of the same scores is far wider
    ppl = np.exp(intact.sum() / tokens.sum())
    assert formula < 0.2 * 100 * np.log(ppl) / np.sqrt(200)


def test_changes_take_the_paired_error_where_the_table_has_one():
    table = _deactivation(0, INTACT, LAPE_ACC, RANDOM_ACC)
    conservative = changes(table)["change_se"].to_numpy()
    table["paired_se"] = np.where(table["condition"] == "intact", np.nan, 1.5)
    table.loc[table.index[-1], "paired_se"] = np.nan  # a row without one keeps the conservative error
    paired = changes(table)["change_se"].to_numpy()
    assert (paired[:-1] == 1.5).all() and paired[-1] == pytest.approx(conservative[-1])


def test_deactivation_rows_carry_a_paired_error_for_every_deactivated_row():
    texts = ["ab cd ef gh", "lorem ipsum dolor", "der hund schläft", "ba da ga"] * 4
    model, tokenizer = build_tiny({"family": "bert", "hidden_size": 16, "layers": 2, "heads": 4,
                                   "intermediate_size": 32, "vocab_size": 60}, texts, 3, 0, "mlm")
    frame = pd.DataFrame({"uid": [f"u{i}" for i in range(8)], "lang": ["en"] * 4 + ["de"] * 4,
                          "text_a": [t + " " + t for t in texts[:8]], "text_b": [None] * 8, "label": [0] * 8})
    data = encode(frame, tokenizer, 16, "mlm", 0)
    half = np.zeros((2, 32), dtype=bool)
    half[:, :16] = True
    rows = pd.DataFrame(deactivation_rows(model.eval(), data, {"en": {"mask": half, "kind": "lape", "lang": "en"}},
                                          ["en", "de"], 4))
    assert rows["metric_name"].eq("perplexity").all()
    assert rows["paired_se"].iloc[:2].isna().all() and np.isfinite(rows["paired_se"].iloc[2:]).all()
    assert (rows["paired_se"].iloc[2:] > 0).all()
    intact = evaluate(model, data, 4)
    assert rows["metric"].iloc[0] == pytest.approx(intact["en"]["perplexity"])
