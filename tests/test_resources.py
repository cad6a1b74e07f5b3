"""Cluster sizes: each GPU job's runtime follows compute.cost and the config's sizes, its memory the model it loads;
without costs the profile decides."""

from __future__ import annotations

import math
import os
import re

import pytest
import yaml

from .workspace import copy_repo, snakemake

GPU_RULES = {"finetune", "sft", "prune", "sketch", "lth_imp_first", "lth_imp_rest", "lth_imp_rest_multilingual", "lth_transfer",
             "lth_cross_task", "lth_alternative", "neurons_count", "neurons_deactivate", "neurons_kinds"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return copy_repo(tmp_path_factory.mktemp("repo"))


def _planned(workdir, *args) -> list[tuple[str, str, dict[str, str]]]:
    """(rule, first output, resources) of every job of a dry run."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": "/nonexistent/hub-cache"}
    done = snakemake(workdir, "-n", "--cores", "1", *args, timeout=300, env=env)
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    jobs = []
    for block in done.stdout.split("\nrule ")[1:]:
        name = block.split(":", 1)[0].strip()
        output = re.search(r"output: ([^,\n]+)", block)
        resources = re.search(r"resources: (.*)", block)
        pairs = dict(item.split("=", 1) for item in resources.group(1).split(", ")) if resources else {}
        jobs.append((name, output.group(1) if output else "", pairs))
    return jobs


def test_the_paper_config_sizes_every_gpu_job_from_its_costs(workdir):
    jobs = _planned(workdir, "all", "lth", "--configfile", "config/paper.yaml")
    config = yaml.safe_load((workdir / "config" / "paper.yaml").read_text())
    cost = config["compute"]["cost"]
    sized = {name for name, _, resources in jobs if "runtime" in resources}
    regime_rules = {name for name in sized if name.startswith("sketch_")}
    assert sized - regime_rules == GPU_RULES and "sketch_full_xnli" in regime_rules
    assert all("runtime" in resources for name, _, resources in jobs if name in GPU_RULES | regime_rules)
    # the xnli regime job of the full model sketches 21 masks (full, 5 languages, 3 random shuffles each),
    # each at 4 checkpoints x (train + test of 5 languages) examples; one start-up; margin 3
    xnli = config["tasks"]["xnli"]
    seconds = 21 * 4 * 5 * (xnli["size"]["train"] + xnli["size"]["test"]) * cost["sketch"] / 1000
    expected = max(10, math.ceil((cost["startup_s"] + seconds) * cost["margin"] / 60))
    sketch = {int(r["runtime"]) for name, out, r in jobs if name == "sketch_full_xnli"}
    assert sketch == {expected} and expected > 60
    # an IMP run of paper 003: 9 rounds and the ticket, 3 epochs of 20,000 examples each (costed as training), with
    # dev after each epoch: once in the dense first round, twice (whole model and ticket) under a mask; in two jobs,
    # rounds 1-5 (to the overlap sparsity, 50%) and rounds 6-9 with the ticket
    lth = config["tasks"]["xnli-lth"]
    for rule, trainings, passes in (("lth_imp_first", 5, 1 + 2 * 4), ("lth_imp_rest", 5, 2 * 5)):
        trained = trainings * 3 * lth["size"]["train"] * cost["train"]
        evaluated = passes * 3 * lth["size"]["dev"] * cost["evaluate"]
        expected = math.ceil((cost["startup_s"] + (trained + evaluated) / 1000) * cost["margin"] / 60)
        imp = {int(r["runtime"]) for name, out, r in jobs if name == rule and "/xnli-lth/" in out and "/multi/" not in out}
        assert imp == {expected} and expected > 30, rule


def test_without_costs_jobs_take_the_profiles_default(workdir):
    jobs = _planned(workdir, "results/figures/fig4.pdf")
    assert {name for name, _, _ in jobs} >= {"finetune", "sft", "prune", "sketch"}
    assert not [name for name, _, resources in jobs if "runtime" in resources or "mem_mb" in resources]


def _mem(host_mb: float, copies: float, model_mb: float) -> int:
    """resources.smk's mem_mb: (host_mb + copies x model MB) x 1.25, up to the next 100 MB."""
    return 100 * math.ceil((host_mb + copies * model_mb) * 1.25 / 100)


def test_gpu_jobs_ask_for_host_memory_by_the_size_of_the_model_they_load(workdir):
    planned = _planned(workdir, "all", "lth", "--configfile", "config/paper.yaml")
    gpu = [(name, resources) for name, _, resources in planned if "runtime" in resources]  # the GPU rules, as above
    assert gpu and {int(r["mem_mb"]) for _, r in gpu} == {_mem(650, 0, 0)}, "before any model exists: the base alone"
    init = workdir / "results" / "models" / "xnli-lth" / "rep0" / "init"  # paper 003's mBERT, 100 MB of weights
    init.mkdir(parents=True)
    with open(init / "model.safetensors", "wb") as weights:  # a sparse file: no disk used
        weights.truncate(100 * 2**20)
    (init / "config.json").write_text("{}")
    try:
        jobs = _planned(workdir, "results/lth/xnli-lth/rep0/en/trajectory.json", "--configfile", "config/paper.yaml")
    finally:
        for path in init.iterdir():
            path.unlink()
    imp = [r for name, out, r in jobs if name.startswith("lth_imp")]
    assert [int(r["mem_mb"]) for r in imp] == [_mem(650, 5.2, 100)] * 2, "a training job holds about 5 copies of its model"
