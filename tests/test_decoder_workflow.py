"""Both papers end to end on decoder-only models (issue 30): tests/config/decoders.yaml runs paper 000's chain
(fine-tune, prune, SFT, sketches, influence, shares, figure 4, findings) and paper 003's tickets (IMP, transfer,
overlap, findings) and the language-specific neurons (LAPE: masks, deactivation, findings) on tiny random Llama (grouped-query attention), Qwen2 and BLOOM decoders, each its own task:
Llama on two replicates (findings with verdicts), Qwen2 and BLOOM on one each (the same chains; the test's cost)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from .workspace import copy_repo, snakemake

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="decoders")]

CONFIG = "tests/config/decoders.yaml"
TASKS = {"topic-llama": "LlamaForSequenceClassification", "topic-qwen2": "Qwen2ForSequenceClassification",
         "topic-bloom": "BloomForSequenceClassification"}
LANGS = ["en", "de"]
REPS = {"topic-llama": (0, 1), "topic-qwen2": (0,), "topic-bloom": (0,)}
CLAIMS = {"000": ["000-fig2-own-diagonal", "000-fig4-sft"],
          "003": ["003-fig2-winning", "003-fig3-above-random", "003-fig4-transfer"]}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = copy_repo(tmp_path_factory.mktemp("decoders"))
    result = snakemake(workdir, "results/figures/fig4.pdf", "findings", "neurons", "--cores", "2", "--configfile", CONFIG,
                       timeout=2700)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return workdir


def test_the_config_names_three_decoder_families():
    config = yaml.safe_load(open(CONFIG))
    families = {name: task["model"]["tiny"]["family"] for name, task in config["tasks"].items()}
    assert families == {"topic-llama": "llama", "topic-qwen2": "qwen2", "topic-bloom": "bloom"}
    assert config["tasks"]["topic-llama"]["model"]["tiny"]["kv_heads"] < config["tasks"]["topic-llama"]["model"]["tiny"]["heads"]


@pytest.mark.parametrize("task", TASKS)
def test_each_decoder_learns_its_task(run, task):
    for rep in REPS[task]:
        init = json.loads((run / f"results/models/{task}/rep{rep}/init/config.json").read_text())
        assert init["architectures"] == [TASKS[task]]
        for regime in ("full", "sft"):
            quality = json.loads((run / f"results/models/{task}/rep{rep}/{regime}/quality.json").read_text())
            assert quality["learned"] and quality["value"] >= quality["attempts"][-1]["bar"] > 1 / 3, (task, rep, regime)
    for kind in ("sft", "tickets"):  # paper 000's trainings; each ticket's first and last round
        quality = pd.read_csv(run / f"results/quality/{task}/{kind}.csv")
        assert quality["learned"].all() and (quality["value"] > 0.45).all(), quality.to_string()


@pytest.mark.parametrize("task", TASKS)
def test_paper_000_chain_on_a_decoder(run, task):
    shares = pd.read_csv(run / f"results/shares/{task}/sft/own.csv")
    assert set(shares["test_lang"]) == set(LANGS) and np.isfinite(shares["mean"]).all()
    assert (shares["n_replicates"] == len(REPS[task])).all()
    masks = [np.asarray(json.loads((run / f"results/masks/{task}/rep{rep}/{lang}.json").read_text())["mask"])
             for rep in REPS[task] for lang in LANGS]
    assert all(mask.shape == (2, 4) and mask.sum() > 0 for mask in masks), "the query heads of two layers"
    assert any(mask.sum() < mask.size for mask in masks), "pruning to 95% of the dev metric removes heads"
    figure = pd.read_csv(run / "results/figures/fig4.data.csv")
    drawn = figure[figure["task"] == task]
    assert len(drawn) == 2 * len(LANGS) ** 2
    assert np.isfinite(drawn[[f"rep{rep}" for rep in REPS[task]]].to_numpy()).all()


@pytest.mark.parametrize("task", TASKS)
def test_paper_003_tickets_on_a_decoder(run, task):
    transfer = pd.read_csv(run / f"results/lth/{task}/transfer.csv")
    assert {"en", "de", "full"} <= set(transfer["source"]) and np.isfinite(transfer["metric"]).all()
    own = transfer[(transfer["source"] == transfer["target"]) & (transfer["sparsity"] > 0)]
    assert len(own) == len(REPS[task]) * len(LANGS) and own["metric"].mean() > 0.45, "the tickets trained on their own language learn"
    overlap = pd.read_csv(run / f"results/lth/{task}/overlap.csv")
    pairs = overlap[overlap["kind"] == "pair"]
    assert set(pairs["layer"].astype(str)) >= {"0", "1"} and pairs["jaccard"].between(0, 1).all()


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("paper", ["000", "003"])
def test_findings_on_a_decoder(run, task, paper):
    path = run / (f"results/findings/{task}.csv" if paper == "000" else f"results/findings/lth/{task}.csv")
    findings = pd.read_csv(path)
    assert sorted(findings["id"]) == sorted(CLAIMS[paper])
    assert findings["verdict"].notna().all() and (findings["n_replicates"] == len(REPS[task])).all()


@pytest.mark.parametrize("task", TASKS)
def test_language_specific_neurons_on_a_decoder(run, task):
    """LAPE on a gated (Llama, Qwen2) or plain (BLOOM) MLP: masks with their same-count controls, the layer table, the
    deactivation matrix against the intact model, and the neuron claims' findings."""
    from langspec.neurons.masks import read_neuron_mask
    from langspec.stats.neurons import changes

    config = yaml.safe_load(open(CONFIG))["tasks"][task]["model"]["tiny"]
    shape = (config["layers"], config["intermediate_size"])
    layers = pd.read_csv(run / f"results/neurons/{task}/layers.csv")
    for rep in REPS[task]:
        for lang in LANGS:
            mask = read_neuron_mask(run / f"results/neurons/{task}/rep{rep}/{lang}.json", shape)
            control = read_neuron_mask(run / f"results/neurons/{task}/rep{rep}/{lang}-random1.json", shape)
            assert mask["kind"] == "lape" and mask["tokens"] >= 1000
            assert control["mask"].sum(1).tolist() == mask["mask"].sum(1).tolist() == (
                layers[(layers["rep"] == rep) & (layers["lang"] == lang)].sort_values("layer")["neurons"].tolist())
        assert sum(read_neuron_mask(run / f"results/neurons/{task}/rep{rep}/{lang}.json")["total"] for lang in LANGS) > 0
    table = pd.read_csv(run / f"results/neurons/{task}/deactivation.csv")
    assert set(table["condition"]) == {"intact", "lape", "random"} and np.isfinite(table["metric"]).all()
    intact = table[table["condition"] == "intact"]
    assert intact.groupby("rep")["metric"].mean().gt(0.45).all(), "the intact decoder is the fine-tuned one, above chance"
    cells = changes(table)
    own = cells[(cells["condition"] == "lape") & (cells["deactivated"] == cells["test_lang"])]
    assert len(own) == len(LANGS) * len(REPS[task]) and np.isfinite(own["change"]).all()
    findings = pd.read_csv(run / f"results/findings/neurons/{task}.csv").set_index("id")
    assert findings.loc["neurons-layers", "verdict"] == "not run", "two layers have no middle layer"
    assert findings.loc[["neurons-own-language", "neurons-own-random"], "verdict"].notna().all()


def test_heads_weights_and_neurons_side_by_side_on_a_grouped_query_decoder(run):
    """neurons.compare on the Llama task: removals at the neurons' budget (a neuron owns its gate and up rows and its
    down column, 3 x 32; a grouped-query head its query rows and output columns, 2 x 8 x 32), their findings, and
    TracIn under each test language's own neurons."""
    from langspec.stats.kinds import index_table

    index = index_table(pd.read_csv(run / "results/neurons/topic-llama/kinds_removal.csv"))
    assert sorted(set(index["rep"])) == ["0", "1"] and set(index["kind"]) == {"heads", "weights", "neurons"}
    params = index.pivot_table(index=["rep", "lang"], columns="kind", values="params")
    units = index.pivot_table(index=["rep", "lang"], columns="kind", values="units")
    assert (params["neurons"] == 96 * units["neurons"]).all() and (params["weights"] == params["neurons"]).all()
    assert (params["heads"] == 512 * units["heads"]).all() and (units["heads"] >= 1).all()
    assert np.isfinite(index["index"]).all()
    findings = pd.read_csv(run / "results/findings/neurons/topic-llama.csv").set_index("id")
    assert findings.loc[["kinds-neurons-specific", "kinds-ticket-in-neurons"], "n_replicates"].eq(2).all()
    tracin = pd.read_csv(run / "results/figures/neurons/tracin.data.csv")
    assert set(tracin["task"]) == {"topic-llama"} and np.isfinite(tracin["mean"]).all()
