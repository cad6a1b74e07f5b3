"""Claims and verdicts: the verdict logic, power, the FDR marks of a figure, and claims recovered from planted data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from langspec import figures
from langspec.attribution.shares import compare
from langspec.stats.claims import CLAIMS, Evidence, findings, markdown
from langspec.stats.findings import assess, detectable, replicates_needed, verdict
from langspec.stats.multiplicity import benjamini_hochberg, fdr_marks
from langspec.stats.replicates import aggregate_shares, wide
from langspec.stats.source_data import heads as source

from .test_replicates import LANGS, base_probs, experiment, model_probs, synthetic_influence


@pytest.mark.parametrize(("values", "expect", "smallest", "expected"), [
    ([2.0, 2.5, 3.0], "increase", 1.0, "supported"),
    ([-2.0, -2.5, -3.0], "increase", 1.0, "contradicted"),
    ([-0.1, 0.05, 0.1, 0.0, -0.05], "increase", 1.0, "absent"),
    ([-3.0, 0.5, 4.0], "increase", 1.0, "not resolved"),
    ([-3.0, 0.5, 4.0], "increase", None, "not resolved"),
    ([-2.0, -2.5, -3.0], "decrease", 1.0, "supported"),
    ([0.1, 0.2, 0.15], "no-increase", 1.0, "supported"),
    ([3.0, 3.2, 3.1], "no-increase", 1.0, "contradicted"),
    ([-0.5, -1.0, 0.2], "no-decrease", 5.0, "supported"),
    ([-9.0, -8.0, -8.5], "no-decrease", 5.0, "contradicted"),
    ([4.0], "increase", 1.0, "not resolved"),
])
def test_each_verdict_on_constructed_replicate_values(values, expect, smallest, expected):
    assert assess(values, expect, smallest)["verdict"] == expected


def test_verdict_needs_two_replicates_and_a_margin_for_margin_claims():
    assert verdict(1.0, 2.0, "increase", 1.0, 1) == "not resolved"
    with pytest.raises(Exception, match="margin"):
        verdict(0.0, 1.0, "no-increase", None, 3)


def test_minimal_detectable_effect_and_replicates_needed_agree():
    sd = 1.3
    assert detectable(sd, 3) > detectable(sd, 10) > detectable(sd, 30)
    for n in (3, 8, 20):
        assert replicates_needed(sd, detectable(sd, n)) == n
    # a textbook value: n = 10, sd = 1 -> (t(.975, 9) + t(.8, 9)) / sqrt(10) = (2.262 + 0.883) / 3.162
    assert detectable(1.0, 10) == pytest.approx((2.2622 + 0.8834) / np.sqrt(10), abs=1e-3)
    assert np.isnan(detectable(1.0, 1)) and np.isnan(replicates_needed(1.0, None))


def test_benjamini_hochberg_on_a_known_example():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan, 0.2])
    # sorted finite: 0.005, 0.01, 0.03, 0.04, 0.2 (m = 5): thresholds 0.01, 0.02, 0.03, 0.04, 0.05 -> the first four
    assert benjamini_hochberg(p).tolist() == [True, True, True, True, False, False]
    assert not benjamini_hochberg(np.array([0.2, 0.5, 0.9])).any()


def _marks(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell robust flags and the figure's FDR marks of one aggregated comparison (both signs)."""
    part = wide(table, "change_pct")
    p = part[["p_value"]].rename(columns={"p_value": 0})
    n = part[["n_replicates"]].rename(columns={"n_replicates": 0}).astype(float)
    return part["robust"].to_numpy(bool), fdr_marks([p], [n])[0][0].to_numpy(bool)


def test_fdr_marks_on_synthetic_null_figures_flag_about_nothing():
    """A/A on synthetic influence files: the per-cell rule flags ~5% of cells, the FDR rule about none."""
    rng = np.random.default_rng(17)
    per_cell, fdr = [], []
    for _ in range(12):
        cell, marked = _marks(experiment(rng, 3))
        per_cell.append(cell.sum())
        fdr.append(marked.sum())
    cells = 12 * 2 * len(LANGS) ** 2
    assert sum(per_cell) / cells >= 0.005, "the per-cell rule flags some null cells (the problem the FDR solves)"
    assert sum(fdr) / 12 <= 0.25, f"FDR marks per null figure: {sum(fdr) / 12:.2f}"
    assert sum(fdr) <= sum(per_cell)


def test_fdr_marks_keep_a_planted_difference():
    rng = np.random.default_rng(8)
    table = experiment(rng, 5, shift=0.3)
    _, marked = _marks(table)
    part = wide(table, "change_pct")
    planted = (part["sign"] == "pos") & (part["train_lang"] == "aa")
    assert marked[planted.to_numpy()].mean() >= 0.75
    assert marked[(part["sign"] == "neg").to_numpy()].mean() <= 0.1


def test_one_replicate_marks_nothing_and_the_legend_says_why(tmp_path):
    rng = np.random.default_rng(3)
    probs = model_probs(rng, base_probs())
    planted = probs.copy()
    planted[:, 1:, 0] *= 0.5
    planted[:, 0, 0] = 1 - planted[:, 1:, 0].sum(axis=1)
    table = aggregate_shares([compare(synthetic_influence(rng, planted), synthetic_influence(rng, probs), LANGS)])
    assert not table["robust"].any() and table["p_value"].isna().all()
    fig = figures.fig4(source.fig4({"toy": table}))
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any("1 replicate" in t and "none is robust" in t for t in texts), texts


def _planted_evidence(rng: np.random.Generator, replicates: int, shift: float) -> Evidence:
    """Per-replicate comparison tables in which the own subnetwork moves ``shift`` of the positive mass in-language."""
    own, sft, randoms = [], [], []
    for _ in range(replicates):
        probs = model_probs(rng, base_probs())
        baseline = synthetic_influence(rng, probs)
        moved = probs.copy()
        if shift:
            for i in range(len(LANGS)):
                others = [j for j in range(len(LANGS)) if j != i]
                moved[i, others, 0] *= 1 - shift
                moved[i, i, 0] = 1 - moved[i, others, 0].sum()
        own.append(compare(synthetic_influence(rng, moved), baseline, LANGS))
        sft.append(compare(synthetic_influence(rng, moved), baseline, LANGS))
        randoms.append(compare(synthetic_influence(rng, probs), baseline, LANGS))
    return Evidence(shares={"full/own": own, "sft/own": sft, "full/random1": randoms},
                    settings={"random_seeds": [1], "sft_random_seed": 1})


def test_a_planted_diagonal_effect_is_supported_and_a_null_is_not():
    rng = np.random.default_rng(21)
    planted = findings(_planted_evidence(rng, 6, shift=0.3)).set_index("id")
    assert planted.loc["000-fig2-own-diagonal", "verdict"] == "supported"
    assert planted.loc["000-fig2-own-diagonal", "mean"] > 5
    assert planted.loc["000-fig3-own-vs-random", "verdict"] == "supported"
    assert planted.loc["000-fig3-random", "verdict"] in ("supported", "not resolved")
    null = findings(_planted_evidence(rng, 6, shift=0.0)).set_index("id")
    assert null.loc["000-fig2-own-diagonal", "verdict"] in ("not resolved", "absent")
    assert null.loc["000-fig2-own-diagonal", "n_replicates"] == 6
    assert np.isfinite(null.loc["000-fig2-own-diagonal", "mde_80"])
    assert null.loc["003-fig2-winning", "verdict"] == "not run", "paper 003's claims need its tables"


def test_the_findings_table_names_every_claim_and_reads_as_markdown():
    table = findings(_planted_evidence(np.random.default_rng(2), 3, shift=0.2))
    assert list(table["id"]) == [c.id for c in CLAIMS] and table["id"].is_unique
    text = markdown(table, "toy")
    assert text.startswith("# Findings: task toy") and "000-fig2-own-diagonal" in text and "Not run here" in text
    assert {c.paper for c in CLAIMS} == {"000", "003", "neurons"} and all(c.expect and c.statistic for c in CLAIMS)
