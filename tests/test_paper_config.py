"""config/paper.yaml: valid, every figure drawable, and its hub tasks built from fixtures in the hub schemas."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import yaml

from .workspace import REPO, copy_repo, snakemake

HUB = {"xnli": "tests/fixtures/hub/xnli", "xnli-lth": "tests/fixtures/hub/xnli", "pawsx": "tests/fixtures/hub/pawsx",
       "marc": "tests/fixtures/hub/marc", "mlm-lth": "tests/fixtures/hub/wikipedia", "ner-lth": "tests/fixtures/hub/wikiann",
       "xnli-mt5": "tests/fixtures/hub/xnli"}
FIXTURE_LANGUAGES = ["en", "de", "fr", "es", "ru"]  # what the fixtures of paper 003's tasks have
PAPER_003 = {"mlm-lth": ["ar", "de", "en", "es", "fa", "fr", "hi", "ru", "sw", "ur", "zh"],
             "ner-lth": ["ar", "de", "en", "es", "fa", "fr", "ru", "ur", "zh"],
             "xnli-lth": ["ar", "de", "en", "es", "fr", "hi", "ru", "sw", "ur", "zh"],
             "xnli-mt5": ["ar", "de", "en", "es", "fr", "hi", "ru", "sw", "ur", "zh"]}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A copy of the repository with the paper config pointed at the fixtures, small and tiny."""
    workdir = copy_repo(tmp_path_factory.mktemp("paper"))
    config = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    for name, languages in PAPER_003.items():
        assert config["tasks"][name]["languages"] == languages, f"{name}: paper 003's languages"
        assert config["tasks"][name]["size"]["train"] == 20000, "paper 003: 20,000 training examples per language"
    assert config["lth"]["tasks"] == ["mlm-lth", "ner-lth", "xnli-lth", "xnli-mt5"]
    mt5 = config["tasks"]["xnli-mt5"]
    assert (mt5["model"]["name"], mt5["text_to_text"], mt5["finetune"]["learning_rate"]) == ("google/mt5-base", "xnli", 2e-4)
    assert config["lth"]["alternatives"]["languages"] == ["en", "fr", "de", "ar"], "appendix D's languages"
    assert config["lth"]["similarity"]["sentences"] > 768, "more XNLI sentences than mBERT has hidden units"
    for name, task in config["tasks"].items():
        task["hub_id"] = HUB[name]
        task["size"] = {"train": 6, "dev": 4, "test": 4}
        task.pop("model", None)
    for name in PAPER_003:
        config["tasks"][name]["languages"] = FIXTURE_LANGUAGES
    mlm = config["tasks"]["mlm-lth"]
    mlm["words_per_example"] = 8  # the fixture has five short articles per language:
    mlm["wikipedia"] = {"dev_fraction": 0.25, "test_fraction": 0.25}  # with this task seed replicate 0 gives
    mlm["seed"], mlm["size"] = 11, {"train": 4, "dev": 2, "test": 2}  # each split an article in every language
    config["lth"]["cross_task"] = {"languages": ["en", "fr"]}
    config["lth"]["multilingual"] = ["en", "fr"]
    config["lth"]["alternatives"]["languages"] = ["en", "fr"]
    config["model"] = {"name": "tiny"}
    config["sketch"]["batch_size"] = 1  # windows of 8 examples: the fixtures' 30 training examples make 4 windows
    config["influence"]["k"] = 5  # at most the 6 x 5 training examples of the fixtures
    config["examples"] = {"k": 5}
    config["compute"] = {"device": "cpu", "gpus": 0}
    config["neurons"] = {**config.get("neurons", {}), "min_tokens": 64}  # 4-6 fixture examples hold fewer than 1000
    (workdir / "paper-fixtures.yaml").write_text(yaml.safe_dump(config))
    return workdir


def test_paper_config_draws_every_figure_with_one_sketch_job_per_regime(workdir):
    result = snakemake(workdir, "-n", "all", "--configfile", "paper-fixtures.yaml", timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for n in range(2, 20):
        assert f"results/figures/fig{n}.pdf" in result.stdout, n
    # sketch.jobs: regime: one job sketches the full model, every language's mask and its random shuffles
    blocks = [block.split("\n\n", 1)[0] for block in result.stdout.split("rule sketch_full_xnli:")[1:]]
    assert len(blocks) == 3, "one job per replicate"
    for block in blocks:
        outputs = re.search(r"output: (.*)", block).group(1).split(", ")
        rep = re.fullmatch(r"results/sketches/xnli/(rep\d)/full/full", outputs[0]).group(1)
        assert len(outputs) == 1 + 5 + 5 * 3 and f"results/sketches/xnli/{rep}/full/ru-random3" in outputs, outputs
    assert "rule sketch_sft_random_pawsx:" in result.stdout
    figures = [block.split("\n[", 1)[0] for block in re.split(r"\nlocalrule fig\d+:|\nrule fig\d+:", result.stdout)[1:]]
    assert len(figures) == 18, "figures 2-19, one job each"
    for name in PAPER_003:
        assert not any(name in block for block in figures), "paper 003's tasks are not in paper 000's figures"
    # `all` holds the neurons: LAPE on every encoder task, the comparison of kinds on each lottery-ticket task
    assert "rule neurons_kinds:" in result.stdout and "results/neurons/xnli-lth/kinds_removal.csv" in result.stdout


def test_sharded_sketches_are_one_job_per_mask_checkpoint_and_shard(workdir):
    config = yaml.safe_load((workdir / "paper-fixtures.yaml").read_text())
    config["sketch"].update(shards=2, jobs="mask")
    (workdir / "sharded.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "-n", "all", "--configfile", "sharded.yaml", timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    # one sketch job per (mask, checkpoint) with the test split and shard 0, one per further shard
    for shard in range(2):
        assert "results/sketches/xnli/rep0/full/full/epoch4/train.shard{}.h5".format(shard) in result.stdout, shard
    assert "results/sketches/pawsx/rep2/sft/de/epoch5/test.h5" in result.stdout


def test_paper_config_draws_paper_003(workdir):
    result = snakemake(workdir, "-n", "lth", "--configfile", "paper-fixtures.yaml", timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for name in PAPER_003:
        assert f"results/lth/{name}/rep0/de/round9.npz" in result.stdout, "rounds to 90% sparsity"
    for name in ("mlm-lth", "ner-lth", "xnli-lth"):
        assert f"results/lth/{name}/rep0/cross/" in result.stdout, "figure 9: every encoder task is a target"
    # section 5's mT5: IMP, transfer (figure 5, table 6) and overlap (figure 8); no multilingual ticket, no
    # cross-task transfer with mBERT's tasks, retrieval, similarity or appendix D
    assert "results/lth/xnli-mt5/rep0/transfer/round5/rand.json" in result.stdout
    assert "results/lth/xnli-mt5/overlap.csv" in result.stdout
    for absent in ("xnli-mt5/rep0/multi/", "xnli-mt5/rep0/cross/", "cross/xnli-mt5/", "xnli-mt5/retrieval.csv",
                   "xnli-mt5/similarity.csv", "xnli-mt5/rep0/en/fisher.npz"):
        assert absent not in result.stdout, absent
    for target in ("table2", "table3", "table4", "table5", "table6"):
        assert f"results/tables/lth/{target}.csv" in result.stdout
    for target in ("fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9"):
        assert f"results/figures/lth/{target}.pdf" in result.stdout
    assert "results/lth/xnli-lth/retrieval.csv" in result.stdout, "XNLI is parallel"
    assert "results/lth/mlm-lth/retrieval.csv" not in result.stdout, "Wikipedia is not: no retrieval"
    assert "results/lth/ner-lth/rep0/cross/mlm-lth/zh.json" not in result.stdout, "lth.cross_task.languages"
    assert "results/figures/lth/fig10.pdf" in result.stdout and "results/lth/xnli-lth/similarity.csv" in result.stdout
    assert "results/lth/mlm-lth/similarity.csv" not in result.stdout, "figure 10 needs translations"
    assert "results/tables/lth/alternatives.csv" in result.stdout
    for name in ("xnli-lth", "ner-lth"):  # appendix D: XNLI and NER, as the paper
        assert f"results/lth/{name}/rep0/fr/fisher.npz" in result.stdout and f"results/lth/{name}/rep2/en/difference.npz" in result.stdout
    assert "results/lth/mlm-lth/rep0/fr/fisher.npz" not in result.stdout


@pytest.mark.slow  # runs the data jobs of nine tasks and builds an mT5: half a minute, the fast tier's longest test
def test_paper_tasks_load_from_fixtures_in_the_hub_schemas(workdir):
    targets = [f"results/data/{name}/rep0/train.parquet" for name in HUB] + ["results/models/xnli-mt5/rep0/init"]
    result = snakemake(workdir, "--cores", "2", *targets, "--configfile", "paper-fixtures.yaml", timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    mt5 = json.loads((workdir / "results/models/xnli-mt5/rep0/init/config.json").read_text())
    assert mt5["architectures"] == ["MT5ForConditionalGeneration"] and mt5["prefix"] == "xnli"
    assert list(mt5["id2label"].values()) == ["entailment", "neutral", "contradiction"], "the label words generated"
    languages = {"xnli": {"en", "de", "fr", "es", "ru"}, "pawsx": {"en", "de", "fr", "es", "ko"}, "marc": {"en", "de", "fr", "es", "zh"}}
    mlm = pd.read_parquet(workdir / "results/data/mlm-lth/rep0/train.parquet")
    assert set(mlm["lang"]) == set(FIXTURE_LANGUAGES) and (mlm["label"] == 0).all()
    assert mlm["text_a"].str.split().str.len().max() <= 12, "passages of words_per_example words"
    ner = pd.read_parquet(workdir / "results/data/ner-lth/rep0/train.parquet")
    assert (ner["text_a"].str.split(" ").str.len() == ner["tags"].map(len)).all()
    assert {t for tags in ner["tags"] for t in tags} <= set(range(7))
    three = pd.read_parquet(workdir / "results/data/xnli-lth/rep0/train.parquet")
    assert set(three["label"]) == {0, 1, 2}, "xnli3 keeps XNLI's three labels, as paper 003"
    for name, langs in languages.items():
        frame = pd.read_parquet(workdir / f"results/data/{name}/rep0/train.parquet")
        assert set(frame["lang"]) == langs and frame.groupby("lang").size().eq(6).all()
        assert set(frame["label"]) == {0, 1}, "binary, as in the paper"
        assert frame["text_b"].notna().all() == (name != "marc")
