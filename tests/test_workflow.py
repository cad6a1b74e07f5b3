"""The real workflow end to end on a tiny config: artifacts, pictures, and what reruns."""

from __future__ import annotations

import json
import re

import h5py
import pandas as pd
import pytest
import yaml
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from .pictures import count_cells, count_panels, is_blank
from .workspace import copy_repo, snakemake

pytestmark = pytest.mark.slow

CONFIG = "tests/config/tiny.yaml"
TASK = "gettext-topic"
LANGS = ["en", "de", "fr"]
LAYERS, HEADS = 2, 12
R = "results"

# figure -> (panels, heatmap cells or None), for one task and three languages
PICTURES = {
    2: (2, 2 * 9), 3: (2, 2 * 2 * 3), 4: (2, 2 * 9), 5: (1, None), 6: (2, 2 * 9), 7: (1, None),
    8: (2, 9), 9: (1, None), 10: (2, None), 11: (2, 2 * 9), 12: (1, LAYERS * HEADS), 13: (2, 2 * 9),
    16: (1, None), 17: (3, None), 18: (2, None), 19: (1, 9),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The repository copied and `snakemake all` run on the tiny config."""
    workdir = copy_repo(tmp_path_factory.mktemp("e2e"))
    result = snakemake(workdir, "all", "--cores", "2", "--configfile", CONFIG, timeout=1200)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return workdir


def _jobs(workdir, *args: str) -> dict[str, int]:
    """Rule -> number of jobs a dry run of `all` would execute."""
    result = snakemake(workdir, "-n", "all", "--cores", "2", *args, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    table = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\n\s*total", result.stdout, re.S)
    if "Nothing to be done" in result.stdout or table is None:
        return {}
    return {name: int(count) for name, count in (line.split() for line in table.group(1).strip().splitlines())}


def test_data_checkpoints_and_masks_follow_the_contract(run):
    for split in ("train", "dev", "test"):
        frame = pd.read_parquet(run / R / "data" / TASK / f"{split}.parquet")
        assert list(frame.columns) == ["uid", "lang", "text_a", "text_b", "label"]
        assert frame["uid"].is_unique and set(frame["lang"]) == set(LANGS)
    for regime in ("full", "sft", "sft-random"):
        for epoch in (1, 2):
            path = run / R / "models" / TASK / regime / f"epoch{epoch}"
            metrics = json.loads((path / "metrics.json").read_text())
            assert set(metrics["dev"]) == set(LANGS) and {"loss", "accuracy"} <= set(metrics["dev"]["de"])
            AutoTokenizer.from_pretrained(path)
            AutoModelForSequenceClassification.from_pretrained(path)
    for lang in LANGS:
        mask = json.loads((run / R / "masks" / TASK / f"{lang}.json").read_text())
        assert mask["kind"] == "pruned" and mask["lang"] == lang
        assert len(mask["mask"]) == LAYERS and all(len(row) == HEADS for row in mask["mask"])
        assert mask["trajectory"][0]["heads_kept"] == LAYERS * HEADS
    random = json.loads((run / R / "masks" / TASK / "de-random1.json").read_text())
    pruned = json.loads((run / R / "masks" / TASK / "de.json").read_text())
    assert random["kind"] == "random" and sum(map(sum, random["mask"])) == sum(map(sum, pruned["mask"]))


def test_sketches_influence_and_shares_follow_the_contract(run):
    with h5py.File(run / R / "sketches" / TASK / "sft" / "de" / "epoch2" / "train.h5") as h5:
        assert {"uid", "sketch", "loss", "pred", "label"} <= set(h5)
        assert h5["sketch"].shape == (24 * 3, 16 * (LAYERS * 6 + 2))
        assert h5.attrs["mask"] == "de" and h5.attrs["seed"] == 0 and h5.attrs["dim"] == 16
    with h5py.File(run / R / "influence" / TASK / "sft" / "own.h5") as h5:
        t = h5["test_uid"].shape[0]
        assert h5["pos_idx"].shape == (t, 10) and h5["neg_score"].shape == (t, 10) and h5["correct"].dtype == bool
        assert (h5["pos_score"][:, :-1] >= h5["pos_score"][:, 1:]).all()
    shares = pd.read_csv(run / R / "shares" / TASK / "sft" / "own.csv")
    assert {"test_lang", "train_lang", "sign", "share_pct", "n_test"} <= set(shares.columns)
    totals = shares.dropna().groupby(["test_lang", "sign"])["share_pct"].sum()
    assert ((totals - 100).abs() < 1e-6).all(), "shares of one test language add up to 100%"


def test_tables(run):
    for n in (1, 2):
        assert (run / R / "tables" / f"table{n}.md").read_text().startswith("|")
        assert len(pd.read_csv(run / R / "tables" / f"table{n}.csv")) > 0


@pytest.mark.parametrize("number", sorted(PICTURES))
def test_figure_pictures(run, number):
    png = run / R / "figures" / f"fig{number}.png"
    assert (run / R / "figures" / f"fig{number}.pdf").read_bytes().startswith(b"%PDF")
    assert not is_blank(png)
    panels, cells = PICTURES[number]
    assert count_panels(png) == panels
    if cells is not None:
        assert count_cells(png) == cells


def test_report_holds_every_figure_and_table(run):
    result = snakemake(run, "--report", "report.html", "--configfile", CONFIG, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    html = (run / "report.html").read_text(errors="replace")
    for number in PICTURES:
        assert f"fig{number}.pdf" in html, number
    assert "table1.csv" in html and "table2.csv" in html
    assert "Figure 4 (after SFT)" in html, "captions are in the report"


def test_nothing_reruns_and_key_order_does_not_matter(run):
    assert _jobs(run, "--configfile", CONFIG) == {}
    reordered = yaml.safe_load((run / CONFIG).read_text())
    (run / "reordered.yaml").write_text(yaml.safe_dump(reordered, sort_keys=True))
    assert _jobs(run, "--configfile", "reordered.yaml") == {}


@pytest.mark.parametrize(
    ("change", "reruns", "kept"),
    [
        ({"influence": {"k": 5}}, {"influence", "shares", "epoch_shares", "fig2"}, {"sketch", "finetune", "sft", "prune", "data"}),
        ({"sketch": {"dim": 4}}, {"sketch", "influence", "shares"}, {"finetune", "sft", "prune", "data", "prepare_model_task"}),
        ({"prune": {"threshold": 0.9}}, {"prune", "sft", "sketch", "table1"}, {"finetune", "data", "prepare_model_task"}),
    ],
)
def test_one_config_change_reruns_only_what_depends_on_it(run, change, reruns, kept):
    config = yaml.safe_load((run / CONFIG).read_text())
    for section, values in change.items():
        config.setdefault(section, {}).update(values)
    (run / "changed.yaml").write_text(yaml.safe_dump(config))
    jobs = _jobs(run, "--configfile", "changed.yaml")
    assert reruns <= set(jobs), jobs
    assert not kept & set(jobs), jobs
