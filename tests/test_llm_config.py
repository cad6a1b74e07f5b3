"""config/llm.yaml (issue 30): both papers on hub decoders, planned offline, its tasks built from fixtures in the hub
datasets' schemas with tiny random decoders of the same families."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
import yaml

from .workspace import REPO, copy_repo, snakemake

HUB = {"xnli": "tests/fixtures/hub/xnli", "xnli3": "tests/fixtures/hub/xnli", "wikipedia": "tests/fixtures/hub/wikipedia",
       "wikiann": "tests/fixtures/hub/wikiann"}
#: hub model -> the tiny decoder of its family that stands in for it offline
FAMILIES = {"Qwen/Qwen2.5-0.5B": {"family": "qwen2", "kv_heads": 2}, "bigscience/bloom-560m": {"family": "bloom",
            "intermediate_size": 128}, "meta-llama/Llama-3.2-1B": {"family": "llama", "kv_heads": 2}}
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="llm")]  # workflow runs: minutes


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return copy_repo(tmp_path_factory.mktemp("llm"))


@pytest.fixture(scope="module")
def fixtures(workdir):
    """config/llm.yaml pointed at the hub fixtures, each task's model a tiny decoder of the hub model's family."""
    config = yaml.safe_load((REPO / "config" / "llm.yaml").read_text())
    for task in config["tasks"].values():
        task["hub_id"] = HUB[task["source"]]
        task["model"] = {"name": "tiny", "tiny": {"hidden_size": 32, "heads": 4, **FAMILIES[task["model"]["name"]]}}
        task["size"] = {"train": 6, "dev": 4, "test": 4}
        if task["source"] == "wikipedia":
            task.update(words_per_example=8, seed=11, size={"train": 4, "dev": 2, "test": 2},
                        wikipedia={"dev_fraction": 0.25, "test_fraction": 0.25})
    config["model"] = {"name": "tiny"}
    config["compute"] = {"device": "cpu", "gpus": 0}
    config["influence"]["k"] = 5  # at most the 6 x 5 training examples of the fixtures
    config["sketch"]["batch_size"] = 1
    config["examples"] = {"k": 5}
    config["neurons"] = {**config.get("neurons", {}), "min_tokens": 64}  # 6 fixture examples hold fewer than 1000
    (workdir / "llm-fixtures.yaml").write_text(yaml.safe_dump(config))
    return "llm-fixtures.yaml"


def test_every_task_runs_on_a_decoder_of_a_supported_family():
    from langspec.models.layout import DECODERS

    config = yaml.safe_load((REPO / "config" / "llm.yaml").read_text())
    models = {task["model"]["name"] for task in config["tasks"].values()}
    assert models == set(FAMILIES), "each hub model has a tiny stand-in of its family in this test"
    assert {spec["family"] for spec in FAMILIES.values()} <= set(DECODERS)
    assert set(config["lth"]["tasks"]) <= set(config["tasks"]) and set(config["figures"]["tasks"]) <= set(config["tasks"])


def test_llm_config_plans_both_papers_offline(workdir):
    result = snakemake(workdir, "-n", "all", "lth", "findings", "--configfile", "config/llm.yaml", timeout=600, env=OFFLINE)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for task in ("xnli-qwen2", "xnli-bloom", "xnli-llama"):
        assert f"results/models/{task}/rep2/full" in result.stdout and f"results/findings/{task}.csv" in result.stdout
    assert "results/figures/fig4.pdf" in result.stdout
    for task in ("clm-qwen2", "clm-bloom", "ner-qwen2", "xnli3-qwen2", "xnli3-bloom"):
        assert f"results/lth/{task}/rep0/de/round9.npz" in result.stdout, "rounds to 90% sparsity"
        assert f"results/findings/lth/{task}.csv" in result.stdout
    assert "results/figures/lth/fig4.pdf" in result.stdout


def test_llm_tasks_build_from_hub_fixtures_on_tiny_decoders(workdir, fixtures):
    targets = [f"results/models/{task}/rep0/init" for task in ("xnli-llama", "clm-bloom", "ner-qwen2", "xnli3-qwen2")]
    result = snakemake(workdir, "--cores", "2", *targets, "--configfile", fixtures, timeout=600, env=OFFLINE)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    architectures = {task: json.loads((workdir / f"results/models/{task}/rep0/init/config.json").read_text())
                     for task in ("xnli-llama", "clm-bloom", "ner-qwen2", "xnli3-qwen2")}
    assert architectures["xnli-llama"]["architectures"] == ["LlamaForSequenceClassification"]
    assert architectures["xnli-llama"]["num_key_value_heads"] == 2, "grouped-query attention"
    assert architectures["clm-bloom"]["architectures"] == ["BloomForCausalLM"], "paper 003's MLM task, causal"
    assert architectures["ner-qwen2"]["architectures"] == ["Qwen2ForTokenClassification"]
    assert len(architectures["xnli3-qwen2"]["id2label"]) == 3
    clm = pd.read_parquet(workdir / "results/data/clm-bloom/rep0/train.parquet")
    assert set(clm["lang"]) == {"en", "de", "fr", "es", "ru"}
