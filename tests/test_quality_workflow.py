"""The quality rule through the real workflow: a replicate made to fail is redrawn and named, or excluded."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from langspec.training.quality import attempt_seed

TASK = "planted-related"


def break_head(init):
    """A head that predicts the first class for every input: its bias far above the others, which training
    cannot move (at chance on three balanced classes); a redrawn head learns."""
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(init)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([1e4, 0.0, 0.0]))
    model.save_pretrained(init)


@pytest.mark.slow
@pytest.mark.xdist_group(name="planted")
def test_a_replicate_that_cannot_learn_is_redrawn_and_named_or_excluded(tmp_path):
    from .workspace import copy_repo, snakemake

    workdir = copy_repo(tmp_path)
    config = ("--configfile", "tests/config/redraw.yaml")
    inits = [f"results/models/{TASK}/rep{r}/init" for r in range(3)]
    result = snakemake(workdir, *inits, "--cores", "2", *config, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    break_head(workdir / inits[1])

    result = snakemake(workdir, "findings", "--cores", "2", *config, timeout=2700)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    models = workdir / "results" / "models" / TASK
    record = json.loads((models / "rep1" / "full" / "quality.json").read_text())
    assert [a["learned"] for a in record["attempts"]] == [False, True], record
    assert record["attempts"][0]["value"] <= 0.4 and record["value"] > 0.6, "at chance, then learned"
    assert record["attempts"][1]["seed"] == attempt_seed(record["attempts"][0]["seed"], 1)
    for r in (0, 2):
        assert json.loads((models / f"rep{r}" / "full" / "quality.json").read_text())["redrawn"] == 0
    found = pd.read_csv(workdir / "results" / "findings" / f"{TASK}.csv")
    assert found["replicates_used"].astype(str).tolist() == ["0 1 2"]
    assert found["replicates_redrawn"].tolist() == ["1: full redrawn 1×"]
    page = (workdir / "results" / "findings" / f"{TASK}.md").read_text()
    assert "3 of 3 replicates learned" in page and "Redrawn in replicate 1: full redrawn 1×" in page

    (workdir / "exclude.yaml").write_text("quality: {on_failure: exclude}\n")
    aggregate = f"results/shares/{TASK}/full/full.csv"
    result = snakemake(workdir, "findings", aggregate, "--cores", "2", *config, "exclude.yaml", timeout=2700)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    record = json.loads((models / "rep1" / "full" / "quality.json").read_text())
    assert len(record["attempts"]) == 1 and not record["learned"]
    found = pd.read_csv(workdir / "results" / "findings" / f"{TASK}.csv")
    assert found["replicates_used"].tolist() == ["0 2"] and found["n_replicates"].tolist() == [2]
    assert found["replicates_excluded"].str.startswith("1: full: dev accuracy").all()
    assert set(pd.read_csv(workdir / aggregate)["replicates"].astype(str)) == {"0 2"}
    page = (workdir / "results" / "findings" / f"{TASK}.md").read_text()
    assert "2 of 3 replicates learned" in page and "Excluded replicate 1: full" in page
