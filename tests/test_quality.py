"""The quality rule: which trainings learned, redrawing the ones that did not, and the replicates counted downstream."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import binom

from langspec.core.errors import LangspecError
from langspec.data.encode import encode
from langspec.models.tiny import train_tokenizer
from langspec.stats import quality as stats_quality
from langspec.training.quality import (
    QualityRule,
    attempt_seed,
    chance_bar,
    chance_level,
    judge,
    train_learned,
    until_learned,
)
from langspec.training.train import Hyperparameters

from .conftest import toy_bert, toy_task

RULE = QualityRule()


def accuracy(value: float, n: int = 100) -> dict:
    return {"loss": 1.0, "accuracy": value, "n": n}


@pytest.mark.parametrize("n, chance", [(24, 1 / 3), (100, 1 / 3), (500, 1 / 3), (300, 0.5), (60, 0.25)])
def test_the_chance_bar_is_the_smallest_count_a_model_at_chance_reaches_with_probability_below_alpha(n, chance):
    k = chance_bar(n, chance, 0.01)
    assert binom.sf(k - 1, n, chance) < 0.01 <= binom.sf(k - 2, n, chance)


def test_classification_learned_at_chance_and_nan():
    dev = {"en": accuracy(0.80), "de": accuracy(0.70)}
    assert judge(dev, "classification", ["en", "de"], RULE, chance=1 / 3)["learned"]
    at_chance = {"en": accuracy(0.36), "de": accuracy(0.33)}  # pooled 0.345 on 200: a model at chance gets there
    verdict = judge(at_chance, "classification", ["en", "de"], RULE, chance=1 / 3)
    assert not verdict["learned"] and "0.345" in verdict["reason"]
    assert not judge({"en": accuracy(math.nan)}, "classification", ["en"], RULE, chance=1 / 3)["learned"]
    # the bar is the binomial one: on 500 examples 0.384 passes, 0.382 does not (replicate 4's SFT reached 0.38)
    assert judge({"en": accuracy(0.384, 500)}, "classification", ["en"], RULE, chance=1 / 3)["learned"]
    assert not judge({"en": accuracy(0.382, 500)}, "classification", ["en"], RULE, chance=1 / 3)["learned"]


def test_classification_chance_is_the_majority_label():
    assert chance_level(np.array([0, 1, 2] * 10), 3) == pytest.approx(1 / 3)
    assert chance_level(np.array([0] * 8 + [1, 2]), 3) == pytest.approx(0.8)
    assert not judge({"en": accuracy(0.78)}, "classification", ["en"], RULE, chance=0.8)["learned"]


def ner(tp: int, predicted: int, gold: int) -> dict:
    f1 = 2 * tp / (predicted + gold) if predicted + gold else 0.0
    return {"loss": 1.0, "n": 24, "tp": tp, "predicted": predicted, "gold": gold, "f1": f1}


def test_token_classification_must_beat_the_all_o_tagger():
    assert judge({"en": ner(5, 10, 20)}, "token-classification", ["en"], RULE)["learned"]
    assert not judge({"en": ner(0, 0, 20)}, "token-classification", ["en"], RULE)["learned"]  # all O: F1 0
    assert not judge({"en": ner(0, 12, 20)}, "token-classification", ["en"], RULE)["learned"]


def mlm(perplexity: float) -> dict:
    return {"loss": math.log(perplexity), "n": 24, "tokens": 100, "perplexity": perplexity}


def test_language_modelling_must_beat_the_model_before_fine_tuning():
    assert judge({"en": mlm(40.0)}, "mlm", ["en"], RULE, before=80.0)["learned"]
    assert not judge({"en": mlm(90.0)}, "mlm", ["en"], RULE, before=80.0)["learned"]
    assert not judge({"en": mlm(math.nan)}, "mlm", ["en"], RULE, before=80.0)["learned"]
    with pytest.raises(LangspecError, match="perplexity before fine-tuning"):
        judge({"en": mlm(40.0)}, "mlm", ["en"], RULE)


@pytest.mark.parametrize("field, value, key", [("on_failure", "retry", "quality.on_failure"),
                                               ("attempts", 0, "quality.attempts"), ("alpha", 1.5, "quality.alpha")])
def test_bad_rule_names_the_key(field, value, key):
    with pytest.raises(LangspecError, match=key):
        QualityRule(**{field: value})


def test_attempt_zero_keeps_the_seed_and_later_attempts_draw_new_ones():
    assert attempt_seed(17, 0) == 17
    seeds = {attempt_seed(17, a) for a in range(5)}
    assert len(seeds) == 5 and attempt_seed(17, 2) == attempt_seed(17, 2)


class Scripted:
    """A fake training: changes the model's weights, fails on the attempts listed, records the seeds it got."""

    def __init__(self, model, failing):
        self.model, self.failing, self.seeds, self.starts = model, failing, [], []

    def __call__(self, seed):
        self.starts.append(self.model.bert.embeddings.word_embeddings.weight.detach().clone())
        self.seeds.append(seed)
        with torch.no_grad():
            self.model.bert.embeddings.word_embeddings.weight.add_(1.0)
        learned = len(self.seeds) - 1 not in self.failing
        return {"quality": {"learned": learned, "metric": "accuracy", "value": 0.9 if learned else 0.3, "bar": 0.4,
                            "reason": "scripted"}}


def test_a_failed_training_is_redrawn_from_the_same_start_with_a_new_seed_and_head():
    model = toy_bert(train_tokenizer(toy_task()["text_a"].tolist(), 200))
    head = model.classifier.weight.detach().clone()
    script = Scripted(model, failing={0})
    _, record = until_learned(model, script, RULE, 5, new_head=True)
    assert record["learned"] and record["redrawn"] == 1 and record["used"] == 1
    assert [a["learned"] for a in record["attempts"]] == [False, True]
    assert script.seeds == [5, attempt_seed(5, 1)]
    assert torch.equal(script.starts[0], script.starts[1]), "the redrawn attempt starts where the first did"
    assert not torch.equal(model.classifier.weight, head), "and with a new head"


def test_every_attempt_failing_is_recorded_and_exclude_trains_once():
    model = toy_bert(train_tokenizer(toy_task()["text_a"].tolist(), 200))
    _, record = until_learned(model, Scripted(model, failing={0, 1, 2}), RULE, 5, new_head=True)
    assert not record["learned"] and len(record["attempts"]) == 3
    script = Scripted(model, failing={0})
    _, record = until_learned(model, script, QualityRule(on_failure="exclude"), 5, new_head=True)
    assert not record["learned"] and len(script.seeds) == 1


HP = Hyperparameters(learning_rate=5e-3, epochs=8, batch_size=8, eval_batch_size=16, max_length=16, warmup_ratio=0.1,
                     weight_decay=0.01, max_grad_norm=1.0, group_by_length=False, seed=0)


def test_a_model_with_a_broken_head_is_redrawn_and_learns(tmp_path):
    frame = toy_task()
    tokenizer = train_tokenizer(frame["text_a"].tolist(), 200)
    data = encode(frame, tokenizer, HP.max_length)
    model = toy_bert(tokenizer)
    with torch.no_grad():
        model.classifier.weight.fill_(float("nan"))  # a head that cannot learn: every logit NaN
    history, record = train_learned(model, tokenizer, data, data, HP, tmp_path, RULE)
    assert [a["learned"] for a in record["attempts"]] == [False, True]
    assert record["attempts"][0]["value"] <= 0.5 and record["value"] > 0.6
    saved = json.loads((tmp_path / "epoch8" / "metrics.json").read_text())
    assert saved["hyperparameters"]["seed"] == attempt_seed(0, 1), "the kept checkpoints are the redrawn attempt's"
    assert history[-1]["hyperparameters"]["seed"] == attempt_seed(0, 1)


def test_a_model_that_learns_is_trained_once_with_its_own_seed(tmp_path):
    frame = toy_task()
    tokenizer = train_tokenizer(frame["text_a"].tolist(), 200)
    data = encode(frame, tokenizer, HP.max_length)
    _, record = train_learned(toy_bert(tokenizer), tokenizer, data, data, HP, None, RULE)
    assert record["learned"] and record["redrawn"] == 0 and record["attempts"][0]["seed"] == 0


def write(path, learned, attempts=1, value=0.8):
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"attempt": a, "seed": a, "learned": a == attempts - 1 and learned, "metric": "accuracy",
             "value": value, "bar": 0.4, "reason": f"dev accuracy {value}"} for a in range(attempts)]
    path.write_text(json.dumps({"learned": learned, "used": attempts - 1, "redrawn": attempts - 1, "metric": "accuracy",
                                "value": value, "reason": rows[-1]["reason"], "attempts": rows}))
    return str(path)


def records(tmp_path, fails=(), redraws=()):
    return {r: {regime: write(tmp_path / f"models/t/rep{r}/{regime}/quality.json",
                              learned=(r, regime) not in fails, attempts=2 if (r, regime) in redraws else 1,
                              value=0.3 if (r, regime) in fails else 0.8)
                for regime in ("full", "sft")} for r in range(3)}


def test_the_quality_table_names_used_excluded_and_redrawn_replicates(tmp_path):
    table = stats_quality.quality_table(records(tmp_path, fails={(1, "sft")}, redraws={(2, "full")}))
    assert stats_quality.used(table) == [0, 2]
    assert list(stats_quality.excluded(table)) == [1] and "sft" in stats_quality.excluded(table)[1]
    assert stats_quality.redrawn(table) == {2: "full redrawn 1×"}
    assert stats_quality.require(table, "t") == [0, 2]
    page = stats_quality.markdown(table)
    assert "2 of 3 replicates learned" in page and "Excluded replicate 1: sft" in page and "Redrawn in replicate 2" in page
    frame = stats_quality.with_replicates(pd.DataFrame({"id": ["c"]}), table)
    assert frame.loc[0, "replicates_used"] == "0 2" and frame.loc[0, "replicates_excluded"].startswith("1: sft")


def test_a_study_below_two_learned_replicates_fails_in_one_line(tmp_path):
    table = stats_quality.quality_table(records(tmp_path, fails={(0, "full"), (1, "full")}))
    with pytest.raises(LangspecError, match=r"task 't': only 1 of 3 replicates learned") as error:
        stats_quality.require(table, "t")
    assert "\n" not in str(error.value) and "rep0" in str(error.value) and "rep1" in str(error.value)


def test_a_missing_record_names_the_file(tmp_path):
    with pytest.raises(LangspecError, match="quality.json does not exist"):
        stats_quality.read_record(tmp_path / "quality.json")


def test_excluded_replicates_leave_every_list_of_a_spec():
    spec = {"shares": {"full/own": ["r/shares/t/rep0/full/own.csv", "r/shares/t/rep1/full/own.csv"]},
            "masks": [{"en": "r/masks/t/rep0/en.json"}, {"en": "r/masks/t/rep1/en.json"}],
            "other": ["r/shares/u/rep1/full/own.csv"], "lth": {"tickets": "r/lth/t/tickets.csv"}}
    kept = stats_quality.keep_in(spec, {"t": [1]})
    assert kept["shares"]["full/own"] == ["r/shares/t/rep1/full/own.csv"]
    assert kept["masks"] == [{"en": "r/masks/t/rep1/en.json"}]
    assert kept["other"] == spec["other"] and kept["lth"] == spec["lth"], "other tasks and aggregates stay"
    rows = pd.DataFrame({"rep": ["0", "1", "2", "0-2", "0-1"], "x": range(5)})
    assert stats_quality.keep_rows(rows, [0, 2])["rep"].tolist() == ["0", "2", "0-2"]


def test_legends_say_how_many_of_the_configured_replicates_learned():
    from langspec.figures.marks import configured, replicates

    assert replicates([3, 3]) == "3 replicates"
    with configured(4):
        assert replicates([3, 3]) == "3 of 4 replicates learned"
        assert replicates([4]) == "4 replicates"


def test_a_ticket_whose_first_round_cannot_learn_stops_there_is_redrawn_whole_and_its_last_round_recorded(toy_setup, tmp_path):
    from langspec.tickets.imp import lottery_learned
    from langspec.tickets.maskfile import read_trajectory

    tokenizer, data = toy_setup
    model = toy_bert(tokenizer)
    with torch.no_grad():  # the first class everywhere, and training cannot move a bias this far: at chance
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([1e4, 0.0, 0.0]))
    hp = dataclasses.replace(HP, epochs=6)
    trajectory, record = lottery_learned(model, tokenizer, data, data, hp, tmp_path, 0.1, 2, ["aa", "bb", "cc"], RULE)
    assert [a["learned"] for a in record["attempts"]] == [False, True], record["attempts"]
    assert record["attempts"][0]["reason"].startswith("round 1: dev accuracy")
    assert {"learned", "value", "bar"} <= set(record["attempts"][1]["last_round"]), "the last round is judged and kept"
    assert record["attempts"][0]["last_round"] is None, "the failed attempt stopped after its first round"
    assert read_trajectory(tmp_path) == json.loads(json.dumps(trajectory)), "the redrawn attempt's rounds are on disk"
    assert trajectory[-1]["final"] and len(trajectory) == 3


def test_a_ticket_kept_though_its_first_round_failed_goes_through_every_round(toy_setup, tmp_path):
    """Under ``exclude`` (no attempt follows) the failed ticket is kept and marked: all its rounds and its final
    training are made, and its last round judged."""
    from langspec.tickets.imp import lottery_learned

    tokenizer, data = toy_setup
    model = toy_bert(tokenizer)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([1e4, 0.0, 0.0]))
    rule = QualityRule(on_failure="exclude")
    trajectory, record = lottery_learned(model, tokenizer, data, data, dataclasses.replace(HP, epochs=2), tmp_path, 0.1, 2,
                                         ["aa", "bb", "cc"], rule)
    assert not record["learned"] and len(record["attempts"]) == 1
    assert [e["round"] for e in trajectory] == [1, 2, 3] and trajectory[-1]["final"]
    assert record["attempts"][0]["last_round"]["learned"] is False
