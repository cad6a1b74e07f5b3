"""Replicate aggregation: interval arithmetic, and calibration on synthetic shares (A/A and planted effects)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from langspec.attribution.influence import Influence
from langspec.attribution.shares import compare, epoch_shares
from langspec.core.seeds import replicate_seed
from langspec.stats.correlations import correlation
from langspec.stats.replicates import (
    NORMAL_METHOD,
    T_METHOD,
    aggregate_epochs,
    aggregate_shares,
    method_note,
    spread,
    summarize,
    wide,
)

LANGS = ["aa", "bb", "cc", "dd"]


def test_replicate_seeds_are_distinct_stable_and_independent_of_count():
    seeds = [replicate_seed(0, r) for r in range(5)]
    assert len(set(seeds)) == 5 and all(0 <= s < 2**31 for s in seeds)
    assert seeds[:3] == [replicate_seed(0, r) for r in range(3)]
    assert replicate_seed(1, 0) != replicate_seed(0, 0) and replicate_seed(0, 1) != replicate_seed(1, 0)


def test_t_interval_over_replicates():
    values = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, np.nan]])
    out = summarize(values, reference=0.0)
    half = stats.t.ppf(0.975, 2) * np.std([1, 2, 4], ddof=1) / np.sqrt(3)
    assert out["mean"][0] == pytest.approx(7 / 3)
    assert out["ci_low"][0] == pytest.approx(7 / 3 - half) and out["ci_high"][0] == pytest.approx(7 / 3 + half)
    assert out["n_replicates"].tolist() == [3, 2] and out["method"][0] == T_METHOD
    # two equal replicate values: zero spread, so the interval is the point and excludes 0
    assert out["ci_low"][1] == out["ci_high"][1] == 5.0 and out["robust"][1]
    assert not out["robust"][0], "an interval of (−0.4, 5.1) includes 0"


def test_single_replicate_uses_the_test_examples_only_and_says_so():
    out = summarize(np.array([[2.0]]), se=np.array([[0.5]]))
    assert out["ci_low"][0] == pytest.approx(2.0 - 1.96 * 0.5, abs=1e-3)
    assert out["method"][0] == NORMAL_METHOD
    assert not out["robust"][0] and np.isnan(out["p_value"][0]), "one replicate never marks a cell: no spread to test"
    assert np.isnan(out["sd"][0])
    assert method_note(1)["method"] == NORMAL_METHOD and method_note(3)["critical_value"] == pytest.approx(4.303, abs=1e-3)


def test_reference_decides_robustness():
    out = summarize(np.array([[24.0], [26.0], [25.0]]), reference=25.0)
    assert not out["robust"][0]
    out = summarize(np.array([[30.0], [31.0], [32.0]]), reference=25.0)
    assert out["robust"][0]


def test_correlation_interval_and_spread():
    out = correlation([0.5, 0.6, 0.55], [20, 20, 20])
    assert out["ci_low"] < out["r"] < out["ci_high"] and out["n_points"] == 60
    one = correlation([0.5], [20])
    assert one["ci_low"] < 0.5 < one["ci_high"] and one["n_replicates"] == 1
    assert np.isnan(correlation([np.nan], [5])["r"])
    assert spread([1.0, 3.0]) == (2.0, pytest.approx(np.sqrt(2)), 2)


# -- calibration on synthetic influence files -------------------------------------


def synthetic_influence(rng: np.random.Generator, probs: np.ndarray, n_test: int = 30, per_lang: int = 40, k: int = 20,
                        epochs: int = 2) -> Influence:
    """Each test example's top-k drawn from the training languages with ``probs`` [test lang, train lang, 2 signs]."""
    train_lang = np.repeat(LANGS, per_lang)
    test_lang = np.repeat(LANGS, n_test)
    idx = {}
    for s, sign in enumerate(("pos", "neg")):
        rows = []
        for lang in test_lang:
            chosen = rng.choice(len(LANGS), size=k, p=probs[LANGS.index(lang), :, s])
            rows.append(chosen * per_lang + rng.integers(0, per_lang, size=k))
        idx[sign] = np.array(rows)
    t = len(test_lang)
    scores = -np.sort(-rng.random((t, k)), axis=1)
    correct = rng.random(t) < 0.9
    return Influence(
        test_uid=np.array([f"t{i}" for i in range(t)]), test_lang=test_lang,
        test_label=np.zeros(t, dtype=int), test_pred=np.where(correct, 0, 1),
        train_uid=np.array([f"n{i}" for i in range(len(train_lang))]), train_lang=train_lang,
        correct=correct, pos_idx=idx["pos"], pos_score=scores, neg_idx=idx["neg"], neg_score=-scores,
        epoch_correct=rng.random((epochs, t)) < 0.9,
        epoch={"pos_idx": np.stack([idx["pos"]] * epochs), "neg_idx": np.stack([idx["neg"]] * epochs),
               "pos_score": np.stack([scores] * epochs), "neg_score": np.stack([-scores] * epochs)},
    )


def model_probs(rng: np.random.Generator, base: np.ndarray, spread_: float = 40.0) -> np.ndarray:
    """One replicate's language probabilities: the base perturbed by a model-level Dirichlet draw."""
    out = np.empty_like(base)
    for i in range(base.shape[0]):
        for s in range(base.shape[2]):
            out[i, :, s] = rng.dirichlet(base[i, :, s] * spread_)
    return out


def base_probs() -> np.ndarray:
    """In-language preference, as the real baseline shows: the diagonal twice as likely."""
    base = np.ones((len(LANGS), len(LANGS), 2))
    base[np.arange(len(LANGS)), np.arange(len(LANGS)), 0] = 2.0
    return base / base.sum(axis=1, keepdims=True)


def experiment(rng: np.random.Generator, replicates: int, shift: float = 0.0) -> pd.DataFrame:
    """Aggregated comparison of a condition against its baseline over independent replicates.

    Condition and baseline share each replicate's model; ``shift`` moves that much
    probability (positive sign) from every test language's other languages to
    training language aa in the condition only.
    """
    tables = []
    for _ in range(replicates):
        probs = model_probs(rng, base_probs())
        planted = probs.copy()
        if shift:
            planted[:, 1:, 0] *= 1 - shift
            planted[:, 0, 0] = 1 - planted[:, 1:, 0].sum(axis=1)
        tables.append(compare(synthetic_influence(rng, planted), synthetic_influence(rng, probs), LANGS))
    return aggregate_shares(tables)


def test_a_a_comparisons_flag_about_five_percent_of_cells():
    """Conditions that differ only by chance: the 95% intervals flag at most ~5-10% of cells."""
    rng = np.random.default_rng(7)
    flagged = [wide(experiment(rng, 3), "change_pct")["robust"].to_numpy() for _ in range(12)]
    rate = np.concatenate(flagged).mean()  # 12 experiments x 32 cells
    assert rate <= 0.10, f"A/A rate {rate:.3f}"
    assert rate >= 0.005, f"A/A rate {rate:.3f}: intervals are so wide that nothing could be flagged"


def test_a_planted_difference_is_flagged():
    rng = np.random.default_rng(8)
    table = wide(experiment(rng, 3, shift=0.3), "change_pct")
    planted = table[(table["sign"] == "pos") & (table["train_lang"] == "aa")]
    assert planted["robust"].all(), planted[["test_lang", "mean", "ci_low", "ci_high"]]
    assert (planted["mean"] > 10).all()
    untouched = table[table["sign"] == "neg"]
    assert untouched["robust"].mean() <= 0.25


def test_aggregated_shares_have_every_cell_and_measure():
    rng = np.random.default_rng(9)
    table = experiment(rng, 2)
    assert set(table["measure"]) == {"share_pct", "baseline_pct", "change_pct"}
    assert len(table) == 3 * 2 * len(LANGS) ** 2
    assert (table["n_replicates"] == 2).all()
    shares = wide(table, "share_pct")
    assert (shares["reference"] == 25.0).all()
    sums = shares.groupby(["test_lang", "sign"])["mean"].sum()
    assert np.allclose(sums, 100.0)
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()


def test_epoch_tables_aggregate():
    rng = np.random.default_rng(10)
    tables = [epoch_shares(synthetic_influence(rng, model_probs(rng, base_probs())), LANGS) for _ in range(3)]
    table = aggregate_epochs(tables)
    assert set(table["measure"]) == {"share_pct", "accuracy"}
    accuracy = wide(table, "accuracy")
    assert accuracy["mean"].between(0, 1).all() and not accuracy["robust"].any()
    assert set(table["epoch"]) == {1, 2}


def test_a_a_helper_on_synthetic_random_conditions():
    from langspec.stats.replicates import a_a

    rng = np.random.default_rng(11)
    first, second = [], []
    for _ in range(3):
        probs = model_probs(rng, base_probs())
        baseline = synthetic_influence(rng, probs)
        first.append(compare(synthetic_influence(rng, probs), baseline, LANGS))
        second.append(compare(synthetic_influence(rng, probs), baseline, LANGS))
    table, rate = a_a(first, second)
    assert len(table) == 32 and 0 <= rate <= 0.25
    assert table["robust_fdr"].sum() <= table["robust"].sum(), "the FDR rule flags a subset of the per-cell rule"
