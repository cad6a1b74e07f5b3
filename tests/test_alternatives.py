"""Paper 003's appendix D: difference (LT-SFT) and Fisher (FISH) masks, their collection, table and claim."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from langspec.core.errors import LangspecError
from langspec.tickets.alternatives import difference_scores, fisher_scores, snapshot, top_mask
from langspec.tickets.analysis import alternatives as collect
from langspec.tickets.maskfile import save_weight_mask
from langspec.tickets.masks import count, prunable_weights, sparsity
from langspec.tickets.overlap import jaccard
from langspec.training.train import Hyperparameters, train

from .conftest import toy_bert

HP = Hyperparameters(learning_rate=5e-3, epochs=1, batch_size=8, eval_batch_size=16, max_length=16,
                     warmup_ratio=0.1, weight_decay=0.1, max_grad_norm=1.0, group_by_length=False, seed=0)


def test_top_mask_keeps_the_largest_scores_globally():
    scores = {"a": torch.tensor([[0.1, 5.0], [3.0, 0.2]]), "b": torch.tensor([4.0, 0.0, 1.0, 2.0])}
    mask = top_mask(scores, 0.5)
    assert mask["a"].tolist() == [[False, True], [True, False]] and mask["b"].tolist() == [True, False, False, True]
    assert sparsity(mask) == 0.5 and sparsity(top_mask(scores, 0.0)) == 0.0
    with pytest.raises(LangspecError, match="non-negative"):
        top_mask({"a": torch.tensor([-1.0])}, 0.5)
    with pytest.raises(LangspecError, match=r"in \[0, 1\)"):
        top_mask(scores, 1.0)


def test_difference_scores_are_how_far_each_weight_moved(toy_setup):
    tokenizer, data = toy_setup
    model = toy_bert(tokenizer)
    theta0 = snapshot(model)
    train(model, tokenizer, data.subset(data.indices("aa")), data, HP, None, strict=True)
    scores = difference_scores(model, theta0)
    for name, weight in prunable_weights(model).items():
        torch.testing.assert_close(scores[name], (weight.detach() - theta0[name]).abs())
    mask = top_mask(scores, 0.5)
    moved = torch.cat([scores[n][mask[n]] for n in mask]).min()
    still = torch.cat([scores[n][~mask[n]] for n in mask]).max()
    assert moved >= still, "every kept weight moved at least as far as every pruned one"
    assert count(mask)[0] * 2 == count(mask)[1]


def test_fisher_scores_are_the_mean_squared_per_example_gradient(toy_setup):
    tokenizer, data = toy_setup
    model = toy_bert(tokenizer, seed=1)
    part = data.subset(data.indices("bb")[:6])
    scores = fisher_scores(model, part, examples=100, seed=0)
    assert all(w.grad is None for w in prunable_weights(model).values()), "gradients are cleared"
    expected = {name: torch.zeros_like(w) for name, w in prunable_weights(model).items()}
    for row in range(len(part)):  # by hand: one example's loss, its gradient squared
        model.zero_grad()
        batch = part.batch([row])
        model(**batch).loss.backward()
        for name, w in prunable_weights(model).items():
            expected[name] += w.grad ** 2 / len(part)
    for name in expected:
        torch.testing.assert_close(scores[name], expected[name], rtol=1e-5, atol=1e-12)
    fewer = fisher_scores(model, part, examples=3, seed=0)
    assert not all(torch.equal(fewer[n], scores[n]) for n in scores), "three of the six examples"
    assert all(torch.equal(a, b) for a, b in zip(fewer.values(), fisher_scores(model, part, 3, 0).values()))
    with pytest.raises(LangspecError, match="at least one example"):
        fisher_scores(model, part, examples=0, seed=0)


def test_collect_reads_the_metrics_and_the_overlap_with_the_ticket(tmp_path, toy_setup):
    tokenizer, _ = toy_setup
    model = toy_bert(tokenizer)
    rng = torch.Generator().manual_seed(0)
    scores = {n: torch.rand(w.shape, generator=rng) for n, w in prunable_weights(model).items()}
    ticket, mask = top_mask(scores, 0.5), top_mask({n: s.flip(-1) for n, s in scores.items()}, 0.5)
    save_weight_mask(tmp_path / "ticket.npz", ticket)
    save_weight_mask(tmp_path / "fisher.npz", mask, method="fisher", nominal_sparsity=0.5, metric=0.61,
                     best_metric=0.64, metric_name="accuracy", dense_metric=None)
    save_weight_mask(tmp_path / "difference.npz", ticket, method="difference", nominal_sparsity=0.5, metric=0.7,
                     best_metric=0.7, metric_name="accuracy", dense_metric=0.75)
    table = collect([{"en/fisher": str(tmp_path / "fisher.npz"), "en/difference": str(tmp_path / "difference.npz")}],
                    [{"en": str(tmp_path / "ticket.npz")}])
    rows = table.set_index("method")
    assert rows.loc["fisher", "jaccard"] == pytest.approx(jaccard(mask, ticket)) and rows.loc["difference", "jaccard"] == 1.0
    assert rows.loc["difference", "dense_metric"] == 0.75 and np.isnan(rows.loc["fisher", "dense_metric"])
    assert list(table["rep"]) == [0, 0] and set(table["sparsity"]) == {0.5}


def _frames(drop: float = 0.06, reps: int = 3, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tickets at 0 and 0.5 (the ticket 1 point below full), masks ``drop`` below full, per replicate and language."""
    rng = np.random.default_rng(seed)
    tickets, masks = [], []
    for rep in range(reps):
        for lang in ("en", "de"):
            full = 0.7 + rng.normal(0, 0.01)
            tickets += [{"rep": rep, "lang": lang, "sparsity": 0.0, "metric": full, "metric_name": "accuracy"},
                        {"rep": rep, "lang": lang, "sparsity": 0.5, "metric": full - 0.01, "metric_name": "accuracy"}]
            for method in ("difference", "fisher"):
                masks.append({"rep": rep, "lang": lang, "method": method, "sparsity": 0.5,
                              "metric": full - drop + rng.normal(0, 0.002), "metric_name": "accuracy",
                              "jaccard": 0.4 + rng.normal(0, 0.01)})
    return pd.DataFrame(masks), pd.DataFrame(tickets)


def test_the_table_pairs_each_mask_with_its_replicates_full_model_and_ticket(tmp_path):
    from langspec.stats.source_data import tickets as source
    from langspec.tables import tickets as lthtables

    masks, tickets = _frames()
    frame = source.alternatives_table({"xnli": masks}, {"xnli": tickets})
    assert len(frame) == 4 * 6 and {f"rep{r}" for r in range(3)} <= set(frame.columns), "a row per quantity, each replicate's"
    table = lthtables.alternatives(frame)
    assert list(table.columns[:5]) == ["task", "metric", "lang", "method", "sparsity"]
    assert len(table) == 4 and (table["sparsity"] == 50).all() and (table["replicates"] == 3).all()
    assert table["vs full"].to_numpy() == pytest.approx([-6.0] * 4, abs=0.3)
    assert table["vs ticket"].to_numpy() == pytest.approx([-5.0] * 4, abs=0.3)
    assert (table["vs full ci_high"] < 0).all(), "a paired drop of 6 points with little spread excludes 0"
    assert table["overlap"].to_numpy() == pytest.approx([40.0] * 4, abs=1.5)
    from langspec.registry import TABLES_003
    from langspec.stats.source_data.tickets import from_spec
    from langspec.tables.tickets import write_table

    masks.to_csv(tmp_path / "alt.csv", index=False)
    tickets.to_csv(tmp_path / "tickets.csv", index=False)
    entry = TABLES_003["alternatives"]
    spec = {"alternatives": {"xnli": tmp_path / "alt.csv"}, "tickets": {"xnli": tmp_path / "tickets.csv"}}
    write_table("alternatives", from_spec(entry.resolve_source(), entry.roles, spec), tmp_path / "alternatives")
    text = (tmp_path / "alternatives.md").read_text()
    assert "difference" in text and "−6" in text.replace("-", "−") and "appendix D" in text
    with pytest.raises(LangspecError, match="lacks language 'de' of replicate 2"):
        source.alternatives_table({"xnli": masks}, {"xnli": tickets[~((tickets["lang"] == "de") & (tickets["rep"] == 2))]})


@pytest.mark.parametrize(("drop", "verdict"), [(0.08, "supported"), (0.0, "absent")])
def test_the_claim_pools_methods_and_languages_per_replicate(drop, verdict):
    from langspec.stats.claims import Evidence, chosen

    claim = chosen(["003-appD-not-tickets"])[0]
    masks, tickets = _frames(drop=drop)
    values = claim.compute(Evidence(lth={"alternatives": masks, "tickets": tickets}))
    assert len(values) == 3 and np.mean(values) == pytest.approx(-100 * drop, abs=0.5)
    from langspec.stats.findings import assess

    assert assess(values, claim.expect, claim.smallest)["verdict"] == verdict
