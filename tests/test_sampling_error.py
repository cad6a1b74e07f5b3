"""Each replicate's own sampling error floors the spread of pooled dev metrics; leave-one-out stability of verdicts.

The case of issue 29: on the tiny config two replicates both scored exactly
17/24 − 15/24 on 24 dev examples (en → de, +8.3 points), so their sd was 0 and
the t-test's p was 0. With each replicate's binomial error as a floor under
the spread, that cell and that claim are no longer certain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from langspec.stats.claims import CLAIMS, Evidence, Measured, findings, markdown
from langspec.stats.findings import assess
from langspec.stats.multiplicity import fdr_keep
from langspec.stats.replicates import FLOOR_METHOD, T_METHOD, summarize
from langspec.stats.sampling import binomial_se, difference_se, f1_se, mean_se, metric_se, perplexity_se
from langspec.stats.tickets import ticket_curves, transfer_cells
from langspec.training.metrics import by_name

CLAIM = {c.id: c for c in CLAIMS}


# -- the standard errors on known values -----------------------------------------------------------


def test_binomial_se_on_known_values_and_never_zero():
    assert binomial_se(17 / 24, 24) == pytest.approx(np.sqrt(17 / 24 * 7 / 24 / 24))
    assert binomial_se(0.5, 100) == pytest.approx(0.05)
    # a perfect score on 24 examples is taken half an example from 1: √((47/48)(1/48)/24)
    assert binomial_se(1.0, 24) == pytest.approx(np.sqrt(47 / 48 / 48 / 24))
    assert np.isnan(binomial_se(0.5, 0))


def test_f1_se_from_span_counts_by_hand_and_by_simulation():
    # tp 80, predicted 90, gold 90: fp + fn = 20, se = 2 √(80 · 20 · 100) / 180² = 800 / 32400
    assert f1_se(80, 90, 90) == pytest.approx(800 / 32400)
    rng = np.random.default_rng(0)
    tp, fp, fn = rng.poisson(80, 40_000), rng.poisson(10, 40_000), rng.poisson(10, 40_000)
    simulated = (2 * tp / (2 * tp + fp + fn)).std()
    assert f1_se(80, 90, 90) == pytest.approx(simulated, rel=0.05), "the delta method matches Poisson counts"
    assert f1_se(0, 0, 5) > 0, "no true positive still has an error"


def test_perplexity_se_is_the_mean_losss_error_through_the_delta_method():
    assert perplexity_se(np.exp(2.0), 100) == pytest.approx(np.exp(2.0) * 2.0 / 10)


def test_metric_se_reads_the_rows_counts_and_is_nan_without_them():
    frame = pd.DataFrame({"metric": [0.5, 0.75], "n": [100, 48]})
    assert metric_se(frame, by_name("accuracy")) == pytest.approx([0.05, np.sqrt(0.75 * 0.25 / 48)])
    assert np.isnan(metric_se(frame.drop(columns="n"), by_name("accuracy"))).all()
    spans = pd.DataFrame({"metric": [0.889], "tp": [80], "predicted": [90], "gold": [90]})
    assert metric_se(spans, by_name("f1"))[0] == pytest.approx(800 / 32400)
    own = pd.DataFrame({"own": [0.5], "own_n": [100]})
    assert metric_se(own, by_name("accuracy"), "own", "own_")[0] == pytest.approx(0.05)


def test_mean_se_adds_the_errors_of_one_dev_set_and_not_of_independent_ones():
    assert mean_se([3.0, 4.0]) == pytest.approx(5.0 / 2), "independent: in quadrature"
    assert mean_se([3.0, 4.0], ["de", "de"]) == pytest.approx(7.0 / 2), "one dev set: added (a bound)"
    assert mean_se([3.0, 4.0, 12.0], ["de", "de", "fr"]) == pytest.approx(np.sqrt(7.0**2 + 12.0**2) / 3)
    assert np.isnan(mean_se([3.0, np.nan])) and np.isnan(mean_se([]))
    assert difference_se(3.0, 4.0) == pytest.approx(5.0)


# -- the floor -------------------------------------------------------------------------------------


def test_summarize_floors_the_spread_at_the_sampling_error_only_when_asked():
    values = np.array([[100 * (17 - 15) / 24]] * 2)
    se = np.full_like(values, 100 * difference_se(binomial_se(17 / 24, 24), binomial_se(15 / 24, 24)))
    plain = summarize(values, se)
    assert plain["robust"][0] and plain["p_value"][0] == 0.0 and plain["method"][0] == T_METHOD
    floored = summarize(values, se, floor=True)
    assert floored["sd"][0] == 0.0 and floored["sd_eff"][0] == pytest.approx(se[0, 0])
    assert not floored["robust"][0] and floored["p_value"][0] > 0.3 and floored["method"][0] == FLOOR_METHOD
    spread = np.array([[1.0], [9.0], [5.0]])
    wide = summarize(spread, np.full_like(spread, 0.1), floor=True)
    assert wide["sd_eff"][0] == pytest.approx(4.0), "a spread above the floor is left as it is"


def _transfer(replicates: int, n: int, value, own, rng: np.random.Generator | None = None) -> pd.DataFrame:
    """en and de tickets trained on both, ``value`` off the diagonal and ``own`` on it (fractions), on ``n`` dev examples."""
    rows = []
    for rep in range(replicates):
        noise = 0.0 if rng is None else rng.normal(0, 0.01)
        for source in ("en", "de"):
            for target in ("en", "de"):
                metric = own if source == target else value + noise
                rows.append({"rep": rep, "sparsity": 0.5, "source": source, "target": target,
                             "metric": round(metric, 6), "metric_name": "accuracy", "n": n})
    return pd.DataFrame(rows)


def test_identical_replicates_on_24_examples_are_not_robust_in_figure_4():
    """Issue 29: en → de at 17/24 against de's own 15/24 in both replicates."""
    transfer = _transfer(2, 24, 17 / 24, 15 / 24)
    before = transfer_cells(transfer.drop(columns="n"), "t")
    assert before["mean"].loc["en", "de"] == pytest.approx(8.333, abs=1e-3)
    assert before["p_value"].loc["en", "de"] == 0.0, "sd 0: the problem"
    cells = transfer_cells(transfer, "t")
    assert cells["mean"].loc["en", "de"] == pytest.approx(8.333, abs=1e-3) and cells["floored"]
    assert cells["p_value"].loc["en", "de"] > 0.3
    assert not fdr_keep([cells["p_value"]])[0].loc["en", "de"], "hatched: not robust"


def test_identical_replicates_on_24_examples_do_not_resolve_the_transfer_claim():
    claim = CLAIM["003-fig4-transfer"]
    evidence = Evidence(lth={"transfer": _transfer(2, 24, 17 / 24, 15 / 24)}, settings={"sparsity": 0.5})
    measured = claim.compute(evidence)
    assert isinstance(measured, Measured) and np.allclose(measured, 100 / 12)
    row = findings(evidence, [claim]).iloc[0]
    assert row["verdict"] == "not resolved" and row["sd"] == 0.0
    assert row["sd_sampling"] == pytest.approx(measured.se[0]) and row["method"] == FLOOR_METHOD
    unfloored = Evidence(lth={"transfer": _transfer(2, 24, 17 / 24, 15 / 24).drop(columns="n")}, settings={"sparsity": 0.5})
    assert findings(unfloored, [claim]).iloc[0]["verdict"] == "supported", "without the counts: as before"


def test_many_replicates_with_a_real_effect_stay_robust_and_supported():
    rng = np.random.default_rng(5)
    transfer = _transfer(8, 2000, 0.70, 0.65, rng)
    cells = transfer_cells(transfer, "t")
    assert cells["floored"] and cells["p_value"].loc["en", "de"] < 1e-4
    assert fdr_keep([cells["p_value"]])[0].loc["en", "de"]
    rows = []
    for rep in range(8):
        for target in ("en", "de"):
            rows += [{"rep": rep, "sparsity": 0.5, "source": "en", "target": target, "metric": 0.70 + rng.normal(0, 0.01),
                      "metric_name": "accuracy", "n": 2000},
                     {"rep": rep, "sparsity": 0.5, "source": "rand", "target": target, "metric": 0.60 + rng.normal(0, 0.01),
                      "metric_name": "accuracy", "n": 2000}]
    row = findings(Evidence(lth={"transfer": pd.DataFrame(rows)}, settings={"sparsity": 0.5}),
                   [CLAIM["003-fig4-random"]]).iloc[0]
    assert row["verdict"] == "supported" and row["mean"] == pytest.approx(10, abs=1) and np.isfinite(row["sd_sampling"])


def test_figure_2s_band_includes_the_sampling_error():
    tickets = pd.DataFrame([{"rep": rep, "lang": "en", "sparsity": level, "metric": value, "n": 24}
                            for rep in range(2) for level, value in ((0.0, 18 / 24), (0.5, 17 / 24))])
    curves = ticket_curves(tickets, "t")
    assert (curves["sd"] == 0).all() and (curves["method"] == FLOOR_METHOD).all()
    assert (curves["ci_high"] - curves["ci_low"] > 50).all(), "two replicates on 24 examples: a wide band"
    assert (ticket_curves(tickets.drop(columns="n"), "t")["ci_low"] == curves["mean"]).all(), "without counts: no band"


def test_the_test_accuracy_claim_of_paper_000_carries_the_binomial_error():
    def epochs(accuracy: float, n: int) -> pd.DataFrame:
        return pd.DataFrame({"epoch": [1, 1], "test_lang": ["aa", "bb"], "accuracy": [accuracy] * 2,
                             "accuracy_se": [np.sqrt(accuracy * (1 - accuracy) / n)] * 2})

    def evidence(n: int, replicates: int) -> Evidence:
        return Evidence(epochs={"sft-random/random1": [epochs(0.5, n)] * replicates,
                                "sft/own": [epochs(0.75, n)] * replicates}, settings={"sft_random_seed": 1})

    claim = CLAIM["000-table2-random-accuracy"]
    small = claim.compute(evidence(24, 2))
    assert np.allclose(small, -25.0)
    assert small.se[0] == pytest.approx(100 * np.sqrt((0.25 / 24 + 0.1875 / 24) / 2))
    assert findings(evidence(24, 2), [claim]).iloc[0]["verdict"] == "not resolved"
    assert findings(evidence(20_000, 2), [claim]).iloc[0]["verdict"] == "supported", "many test examples: certain"


# -- leave-one-out ---------------------------------------------------------------------------------


def test_a_verdict_one_replicate_carries_is_fragile_and_a_robust_one_has_no_flips():
    carried = [0.02, 0.05, 0.06, 0.07, 0.07, 0.23, 0.3]
    full = assess(carried, "increase", None)
    assert full["verdict"] == "supported" and full["loo_flips"] == 1
    assert assess(carried[:5] + carried[6:], "increase", None)["verdict"] == "not resolved", "without the 0.23 replicate"
    robust = assess([0.4, 0.6, 0.5, 0.3, 0.7, 0.45, 0.55], "increase", None)
    assert robust["verdict"] == "supported" and robust["loo_flips"] == 0
    assert np.isnan(assess([1.0, 2.0], "increase", None)["loo_flips"]), "R < 3: not computed"


def test_the_findings_table_counts_flips_and_the_markdown_marks_fragile_verdicts():
    def claim_of(values):
        return lambda _: np.array(values)

    base = CLAIM["000-fig8-similarity-positive"]
    claims = [
        type(base)(**{**base.__dict__, "id": "fragile", "compute": claim_of([0.02, 0.05, 0.06, 0.07, 0.07, 0.23, 0.3])}),
        type(base)(**{**base.__dict__, "id": "steady", "compute": claim_of([0.4, 0.6, 0.5, 0.3, 0.7, 0.45, 0.55])}),
    ]
    table = findings(Evidence(), claims).set_index("id")
    assert table.loc["fragile", "loo_flips"] == 1 and table.loc["steady", "loo_flips"] == 0
    assert np.isnan(table.loc["steady", "sd_sampling"]) and table.loc["steady", "method"] == T_METHOD
    text = markdown(table.reset_index(), "toy")
    assert "supported (fragile: 1 of 7 drops flip it)" in text and "| supported " in text
    assert "drops that flip it" in text and "is marked *fragile*" in text.split("|")[0], "the how-to-read paragraph"


def test_figures_4_and_6_say_their_tests_include_the_sampling_error():
    from langspec.figures.tickets import lth_fig4, lth_fig6
    from langspec.stats.source_data import tickets as source

    transfer = _transfer(3, 24, 17 / 24, 15 / 24, np.random.default_rng(1))
    for make, draw in ((source.fig4, lth_fig4), (source.fig6, lth_fig6)):
        fig = draw(make({"toy": transfer}))
        texts = [" ".join(t.get_text().split()) for legend in fig.legends for t in legend.get_texts()]  # unwrapped
        assert any("sd ≥ the replicates' sampling error" in t for t in texts), texts
        fig.clf()
    fig = lth_fig4(source.fig4({"toy": transfer.drop(columns="n")}))
    assert not any("sampling error" in t.get_text() for legend in fig.legends for t in legend.get_texts())
