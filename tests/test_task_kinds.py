"""Paper 003's task kinds: MLM masking and perplexity, first-sub-word tags and entity F1, the direction of "better"."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from langspec.core.errors import LangspecError
from langspec.data.encode import encode
from langspec.data.masking import IGNORE, Masking, corrupt
from langspec.models.tiny import build_tiny
from langspec.stats.tickets import relative_drops, ticket_curves, transfer_cells
from langspec.tickets.transfer import is_winning, relative_transfer_drop, winning_table
from langspec.training.evaluate import at_chance, evaluate
from langspec.training.metrics import METRICS, f1, pooled, span_counts, spans
from langspec.training.train import Hyperparameters, train

SHAPE = {"hidden_size": 16, "layers": 2, "heads": 2, "intermediate_size": 32, "vocab_size": 120}
TAGS = ["O", "B-LOC", "I-LOC", "B-LANG", "I-LANG", "B-CUR", "I-CUR"]


# -- masked language modelling ------------------------------------------------------------------


def test_masking_selects_fifteen_percent_and_splits_them_80_10_10():
    masking = Masking(mask_id=4, vocab_size=1000, special_ids=(0, 1, 2))
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 1000, (400, 250), generator=generator)
    attention = torch.ones_like(ids, dtype=torch.bool)
    attention[:, 200:] = False  # padding
    ids[:, 0], ids[:, 199] = 0, 2  # special tokens
    out, labels = corrupt(ids, attention, masking, torch.Generator().manual_seed(1))
    selected = labels != IGNORE
    candidates = attention.clone()
    candidates[:, 0] = candidates[:, 199] = False
    assert not selected[~candidates].any(), "padding and special tokens are never selected"
    assert (labels[selected] == ids[selected]).all(), "labels are the original ids"
    share = selected.sum().item() / candidates.sum().item()
    assert abs(share - 0.15) < 0.005, share
    masked = (out[selected] == 4).float().mean().item()
    kept = (out[selected] == ids[selected]).float().mean().item()
    replaced = 1 - masked - kept
    assert abs(masked - 0.8) < 0.01 and abs(kept - 0.1) < 0.01 and abs(replaced - 0.1) < 0.01, (masked, kept)
    assert (out[~selected] == ids[~selected]).all(), "unselected tokens are untouched"


@pytest.fixture(scope="module")
def passages():
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma".split()
    rng = np.random.default_rng(0)
    rows = [{"uid": f"p{i}-{lang}", "lang": lang, "text_a": " ".join(f"{lang}{w}" for w in rng.choice(words, 24)),
             "text_b": None, "label": 0} for i in range(24) for lang in ("aa", "bb")]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def mlm(passages):
    return build_tiny(SHAPE, passages["text_a"], 0, seed=0, kind="mlm")


def test_evaluation_masks_are_fixed_by_seed_and_example(mlm, passages):
    model, tokenizer = mlm
    first, again = encode(passages, tokenizer, 32, "mlm", seed=3), encode(passages, tokenizer, 32, "mlm", seed=3)
    other = encode(passages, tokenizer, 32, "mlm", seed=4)
    assert first.masked_ids == again.masked_ids and first.targets == again.targets
    assert first.masked_ids != other.masked_ids, "another seed draws other masks"
    reordered = encode(passages.iloc[::-1], tokenizer, 32, "mlm", seed=3)
    assert reordered.masked_ids[::-1] == first.masked_ids, "an example's mask does not depend on its position"
    one, two = evaluate(model, first, 8), evaluate(model, again, 5)
    assert one == two, "the same model gets the same perplexity every time"
    for lang, entry in one.items():
        assert math.isclose(entry["perplexity"], math.exp(entry["loss"])) and entry["tokens"] > 0
    assert one["aa"]["perplexity"] > 10, "an untrained model is far from the text"


def test_training_batches_draw_fresh_masks(mlm, passages):
    _, tokenizer = mlm
    data = encode(passages, tokenizer, 32, "mlm", seed=0)
    rows = np.arange(8)
    generator = torch.Generator().manual_seed(0)
    a, b = data.batch(rows, generator=generator), data.batch(rows, generator=generator)
    assert not torch.equal(a["labels"], b["labels"])
    fixed = data.batch(rows)
    assert torch.equal(fixed["labels"], data.batch(rows)["labels"])
    padding = fixed["attention_mask"] == 0
    assert (fixed["labels"][padding] == IGNORE).all(), "padding is never a target"


def test_mlm_training_lowers_perplexity_below_the_untrained_model(passages):
    model, tokenizer = build_tiny(SHAPE, passages["text_a"], 0, seed=0, kind="mlm")
    train_data = encode(passages, tokenizer, 32, "mlm", seed=0)
    dev = encode(passages.iloc[:16], tokenizer, 32, "mlm", seed=1)
    before = evaluate(model, dev, 8)["aa"]["perplexity"]
    hp = Hyperparameters(learning_rate=1e-2, epochs=12, batch_size=8, eval_batch_size=16, max_length=32, warmup_ratio=0.1,
                         weight_decay=0.01, max_grad_norm=1.0, group_by_length=False, seed=0)
    history = train(model, tokenizer, train_data, dev, hp, None)
    after = history[-1]["dev"]["aa"]["perplexity"]
    assert after < 0.5 * before, (before, after)
    assert at_chance(history[-1]["dev"], 0) == [], "perplexity has no chance level"


# -- token classification -------------------------------------------------------------------------


def test_tags_sit_on_the_first_sub_word_of_each_word():
    frame = pd.DataFrame({"uid": ["s1"], "lang": ["aa"], "text_a": ["in Netherlandsxyz today"], "text_b": [None],
                          "label": [0], "tags": [[0, 1, 0]]})
    _, tokenizer = build_tiny(SHAPE, ["in today", "Nether lands"], len(TAGS), seed=0, kind="token-classification")
    data = encode(frame, tokenizer, 32, "token-classification")
    ids, labels = data.features["input_ids"][0], data.targets[0]
    word_ids = tokenizer(["in", "Netherlandsxyz", "today"], is_split_into_words=True).word_ids()
    assert word_ids.count(1) > 2, "the long word is split into several pieces"
    expected = []
    for position, word in enumerate(word_ids):
        first = word is not None and (position == 0 or word_ids[position - 1] != word)
        expected.append([0, 1, 0][word] if first else IGNORE)
    assert labels == expected and len(ids) == len(labels)
    assert labels.count(1) == 1, "one label per word, on its first piece"


def test_spans_follow_conll_chunking():
    assert spans(["B-LOC", "I-LOC", "O", "B-CUR"]) == {("LOC", 0, 1), ("CUR", 3, 3)}
    assert spans(["I-LOC", "I-LOC", "O"]) == {("LOC", 0, 1)}, "an I- after O starts an entity (CoNLL)"
    assert spans(["B-LOC", "I-LANG"]) == {("LOC", 0, 0), ("LANG", 1, 1)}, "a type change starts a new entity"
    assert spans(["B-LOC", "B-LOC"]) == {("LOC", 0, 0), ("LOC", 1, 1)}


def test_f1_on_constructed_spans_matches_hand_computation():
    gold = [["B-LOC", "I-LOC", "O", "B-CUR"], ["O", "B-LANG", "O"]]
    pred = [["B-LOC", "I-LOC", "O", "O"], ["O", "B-LANG", "I-LANG"]]
    counts = span_counts(gold, pred)
    # gold: LOC(0-1), CUR(3), LANG(1); predicted: LOC(0-1), LANG(1-2); one span right
    assert counts == {"tp": 1, "predicted": 2, "gold": 3}
    scores = f1(counts)
    assert scores["precision"] == 0.5 and math.isclose(scores["recall"], 1 / 3)
    assert math.isclose(scores["f1"], 2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert f1({"tp": 0, "predicted": 0, "gold": 4})["f1"] == 0.0, "a tagger that predicts no entity scores 0"


def test_f1_agrees_with_seqeval():
    seqeval = pytest.importorskip("seqeval.metrics")
    rng = np.random.default_rng(0)
    gold, pred = [], []
    for _ in range(200):
        n = int(rng.integers(1, 12))
        gold.append([TAGS[i] for i in rng.integers(0, len(TAGS), n)])
        pred.append([TAGS[i] for i in rng.integers(0, len(TAGS), n)])
    ours = f1(span_counts(gold, pred))
    assert math.isclose(ours["f1"], seqeval.f1_score(gold, pred), rel_tol=1e-12)
    assert math.isclose(ours["precision"], seqeval.precision_score(gold, pred), rel_tol=1e-12)
    assert math.isclose(ours["recall"], seqeval.recall_score(gold, pred), rel_tol=1e-12)


def test_pooled_metrics_pool_counts_not_means():
    per = {"aa": {"n": 1, "accuracy": 1.0, "loss": math.log(2), "tokens": 1, "tp": 1, "predicted": 1, "gold": 1},
           "bb": {"n": 3, "accuracy": 0.0, "loss": math.log(8), "tokens": 3, "tp": 0, "predicted": 3, "gold": 1}}
    assert pooled(per, ["aa", "bb"], "accuracy") == 0.25
    assert math.isclose(pooled(per, ["aa", "bb"], "perplexity"), math.exp((math.log(2) + 3 * math.log(8)) / 4))
    assert math.isclose(pooled(per, ["aa", "bb"], "f1"), f1({"tp": 1, "predicted": 4, "gold": 2})["f1"])
    with pytest.raises(LangspecError, match="no examples of language"):
        pooled(per, ["cc"], "f1")


# -- the direction of "better" ------------------------------------------------------------------


def test_a_perplexity_ticket_wins_when_not_higher_than_the_full_model_by_more_than_its_sd():
    full = [10.0, 11.0, 12.0]  # sd 1
    assert is_winning(full, [11.5, 11.9, 12.2], higher_is_better=False)
    assert not is_winning(full, [12.5, 13.0, 13.5], higher_is_better=False)
    assert is_winning(full, [8.0, 8.0, 8.0], higher_is_better=False), "a lower perplexity always wins"
    assert not is_winning(full, [8.0, 8.0, 8.0], higher_is_better=True), "read as accuracy it would lose"


def test_the_relative_drop_is_negative_when_perplexity_rises():
    frame = pd.DataFrame({"source": ["a", "a", "b", "b"], "target": ["a", "b", "a", "b"],
                          "metric": [10.0, 15.0, 12.0, 10.0]})
    drops = relative_transfer_drop(frame, higher_is_better=False)
    assert math.isclose(drops["a"], -0.5) and math.isclose(drops["b"], -0.2)
    reversed_ = relative_transfer_drop(frame, higher_is_better=True)
    assert reversed_["a"] > 0, "read as accuracy, the same numbers would be a gain"


def _tickets(metric_name: str, full: list[float], ticket: list[float]) -> pd.DataFrame:
    rows = [{"rep": r, "lang": "aa", "sparsity": s, "metric": v, "metric_name": metric_name}
            for s, values in ((0.0, full), (0.5, ticket)) for r, v in enumerate(values)]
    return pd.DataFrame(rows)


def test_ticket_curves_mark_winners_in_the_metric_direction():
    curves = ticket_curves(_tickets("perplexity", [10, 11, 12], [9, 9.5, 10]), "t")
    assert curves.loc[curves["sparsity"] == 0.5, "winning"].item()
    assert curves["mean"].iloc[0] == 11, "perplexity is shown as it is, not in percent"
    curves = ticket_curves(_tickets("perplexity", [10, 11, 12], [14, 15, 16]), "t")
    assert not curves.loc[curves["sparsity"] == 0.5, "winning"].item()
    wins = winning_table(pd.DataFrame({"lang": ["aa"] * 3, "metric": [10, 11, 12]}),
                         pd.DataFrame({"lang": ["aa"] * 3, "sparsity": [0.5] * 3, "metric": [9.0, 9.5, 10.0]}),
                         higher_is_better=False)
    assert wins["winning"].all()


def test_transfer_cells_and_drops_are_oriented_for_perplexity():
    rows = []
    for rep, noise in enumerate((0.0, 0.1, -0.1)):
        for source, target, value in (("aa", "aa", 10), ("bb", "bb", 20), ("aa", "bb", 22), ("bb", "aa", 11)):
            rows.append({"rep": str(rep), "sparsity": 0.5, "source": source, "target": target, "metric": value + noise,
                         "metric_name": "perplexity"})
    part = pd.DataFrame(rows)
    cells = transfer_cells(part, "t")
    assert cells["mean"].loc["aa", "bb"] == pytest.approx(-2.0), "2 perplexity points worse: −2"
    drops = relative_drops(part, "t").groupby("source")["relative_pct"].mean()
    assert drops["aa"] == pytest.approx(-10.0, abs=0.6) and drops["bb"] < 0


def test_metrics_know_their_direction():
    assert METRICS["mlm"].gain(8.0, 10.0) == 2.0 and METRICS["classification"].gain(0.8, 0.9) == pytest.approx(-0.1)
    assert METRICS["mlm"].best([3.0, 2.0]) == 2.0 and METRICS["token-classification"].best([0.3, 0.5]) == 0.5


def test_the_mlm_head_on_masked_positions_only_gives_the_models_own_loss(mlm, passages):
    from langspec.training.objective import masked_lm, mlm_head, training_loss

    model, tokenizer = mlm
    model.eval()  # no dropout: two forward passes of a model in training mode differ (attention dropout draws anew)
    data = encode(passages, tokenizer, 32, "mlm", seed=0)
    batch = data.batch(np.arange(12), generator=torch.Generator().manual_seed(5))
    own = model(**batch).loss
    assert torch.allclose(training_loss(model, batch, "mlm"), own, atol=1e-6)
    logits, targets, rows = masked_lm(model, batch)
    assert logits.shape == (int((batch["labels"] != IGNORE).sum()), model.config.vocab_size)
    full = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
    selected = batch["labels"] != IGNORE
    assert torch.allclose(logits, full[selected], atol=1e-5) and torch.equal(targets, batch["labels"][selected])
    assert rows.tolist() == selected.nonzero()[:, 0].tolist()
    with pytest.raises(LangspecError, match="has no MLM head"):
        mlm_head(torch.nn.Linear(2, 2))
    model.train()


def test_perplexity_from_masked_positions_matches_the_full_logits(mlm, passages):
    model, tokenizer = mlm
    data = encode(passages, tokenizer, 32, "mlm", seed=2)
    scored = evaluate(model, data, 7)
    batch = data.batch(np.arange(len(data)))
    labels = batch.pop("labels")
    logits = model(**batch).logits
    losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels, ignore_index=IGNORE, reduction="none")
    for lang in ("aa", "bb"):
        rows = torch.from_numpy(data.indices(lang))
        expected = losses[rows].sum() / (labels[rows] != IGNORE).sum()
        assert scored[lang]["loss"] == pytest.approx(expected.item(), rel=1e-5)
        assert scored[lang]["tokens"] == int((labels[rows] != IGNORE).sum())
