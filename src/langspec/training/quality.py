"""Did a training learn? The quality rule fixed before a run, and redrawing a training that failed it.

A replicate whose model stayed at chance measures nothing, yet it widens the
spread between replicates that decides every verdict. The rule reads only the
training's own dev metric (pooled over the languages it is judged on), never
a downstream result, so nothing is chosen after looking at the verdicts:

- classification and text-to-text: the pooled dev accuracy is above chance by
  a margin that a model at chance exceeds with probability below ``alpha``
  (default 1%): correct answers >= the smallest k with P(Binomial(n, c) >= k) < alpha,
  with c the accuracy of always answering the dev split's most frequent label
  (1 / labels for a balanced split);
- token classification: entity F1 above the all-O tagger's, which is 0;
- masked (or causal) language modelling: perplexity below the model's own
  perplexity before fine-tuning on the same dev masks.

A NaN metric fails. :func:`until_learned` repeats a failed training with the
next attempt's seed (:func:`attempt_seed`) up to ``attempts`` times
(``on_failure: redraw``), or keeps the one attempt and marks it failed
(``exclude``); either way every attempt is recorded (:func:`record`), and a
replicate whose training never learned is excluded downstream and named.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from scipy.stats import binom

from langspec.core.errors import LangspecError
from langspec.data.encode import Encoded
from langspec.training.evaluate import evaluate
from langspec.training.metrics import metric_of, pooled
from langspec.training.train import Hyperparameters, train

ON_FAILURE = ("redraw", "exclude")


@dataclass(frozen=True)
class QualityRule:
    """Config ``quality``: what happens to a training that did not learn, and the chance margin's level."""

    on_failure: str = "redraw"
    attempts: int = 3  #: most trainings per replicate under ``redraw`` (the first included)
    alpha: float = 0.01  #: probability that a model at chance passes the classification bar

    def __post_init__(self) -> None:
        if self.on_failure not in ON_FAILURE:
            raise LangspecError(f"quality.on_failure is '{self.on_failure}'; choose one of {', '.join(ON_FAILURE)}")
        if self.attempts < 1:
            raise LangspecError(f"quality.attempts is {self.attempts}; it must be at least 1")
        if not 0 < self.alpha < 1:
            raise LangspecError(f"quality.alpha is {self.alpha}; it must lie in (0, 1)")

    @property
    def tries(self) -> int:
        """Trainings at most: ``attempts`` when redrawing, else one."""
        return self.attempts if self.on_failure == "redraw" else 1


def attempt_seed(seed: int, attempt: int) -> int:
    """The training seed of ``attempt`` (0-based): attempt 0 keeps ``seed``, later ones derive from (seed, attempt)."""
    if attempt == 0:
        return seed
    return int(np.random.SeedSequence([seed, 7919, attempt]).generate_state(1)[0] >> 1)


def chance_bar(n: int, chance: float, alpha: float) -> int:
    """The fewest correct answers of ``n`` that a model at accuracy ``chance`` reaches with probability < ``alpha``."""
    if n <= 0:
        return 1
    k = int(binom.isf(alpha, n, chance)) + 1  # P(X > isf) <= alpha, so X >= isf + 1
    while k > 0 and binom.sf(k - 2, n, chance) < alpha:  # the smallest such k
        k -= 1
    return k


def chance_level(labels: np.ndarray, num_labels: int) -> float:
    """Accuracy of always answering the most frequent label of ``labels`` [N] (at least 1 / ``num_labels``)."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return 1.0 / num_labels
    return max(1.0 / num_labels, float(np.bincount(labels).max() / labels.size))


def judge(dev: Mapping[str, Mapping], kind: str, languages: Sequence[str], rule: QualityRule,
          chance: float | None = None, before: float | None = None) -> dict:
    """Whether a training learned, from its dev metrics (:func:`~langspec.training.evaluate.evaluate`'s dict).

    ``chance``: the chance accuracy (classification, text-to-text); ``before``:
    the perplexity before fine-tuning (language modelling). Returns ``learned``
    (bool), ``metric``, ``value`` (pooled over ``languages``), ``bar`` (the
    value it had to beat; accuracy as a fraction) and ``reason`` (one line).
    """
    metric = metric_of(kind)
    value = pooled(dev, languages, metric.name)
    if metric.name == "accuracy":
        if chance is None:
            raise LangspecError("the quality rule of a classification needs the chance accuracy")
        n = int(sum(dev[lang]["n"] for lang in languages))
        k = chance_bar(n, chance, rule.alpha)
        bar = k / n
        learned = math.isfinite(value) and round(value * n) >= k
        reason = f"dev accuracy {value:.3f} on {n} examples {'≥' if learned else '<'} {bar:.3f} " \
                 f"(chance {chance:.3f} exceeded with p < {rule.alpha:g})"
    elif metric.name == "f1":
        bar = 0.0
        learned = math.isfinite(value) and value > bar
        reason = f"dev entity F1 {value:.3f} {'>' if learned else '≤'} 0 (the all-O tagger)"
    else:
        if before is None or not math.isfinite(before):
            raise LangspecError("the quality rule of language modelling needs the perplexity before fine-tuning")
        bar = float(before)
        learned = math.isfinite(value) and value < bar
        reason = f"dev perplexity {value:.2f} {'<' if learned else '≥'} {bar:.2f} before fine-tuning"
    return {"learned": bool(learned), "metric": metric.name, "value": float(value), "bar": float(bar), "reason": reason}


def reinitialize_head(model: torch.nn.Module, seed: int) -> None:
    """Draw the task head (every module outside the base model) anew under ``seed``, as transformers initialises
    a new head: linear weights from N(0, initializer_range²) (0.02 where the config has none), biases zero,
    layer norms at one and zero.

    Used by a redrawn attempt of a classification or tagging training, whose head is new; language-model heads
    (pre-trained or tied) and encoder-decoders keep theirs. (A loaded model's ``_init_weights`` skips parameters
    it counts as loaded, so the head is drawn here.)
    """
    prefix = getattr(model, "base_model_prefix", "")
    std = float(getattr(model.config, "initializer_range", 0.02))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, head in model.named_children():
            if name == prefix:
                continue
            for module in head.modules():
                if isinstance(module, torch.nn.Linear):
                    drawn = torch.randn(module.weight.shape, generator=generator) * std
                    module.weight.copy_(drawn.to(module.weight.device, module.weight.dtype))
                    if module.bias is not None:
                        module.bias.zero_()
                elif isinstance(module, torch.nn.LayerNorm):
                    module.weight.fill_(1.0)
                    module.bias.zero_()


def until_learned(model: torch.nn.Module, train: Callable[[int], dict], rule: QualityRule, seed: int,
                  new_head: bool) -> tuple[dict, dict]:
    """Train, judge, and under ``redraw`` train again from the same start with the next attempt's seed until one learns.

    ``train(seed)`` trains ``model`` in place and returns a dict with at least
    ``quality`` (:func:`judge`'s verdict); ``new_head``: a redrawn attempt
    draws the task head anew (:func:`reinitialize_head`). Returns the last
    attempt's result and the record (:func:`record`).
    """
    start = copy.deepcopy(model.state_dict())
    attempts = []
    for attempt in range(rule.tries):
        attempt_s = attempt_seed(seed, attempt)
        if attempt:
            model.load_state_dict(start)
            if new_head:
                reinitialize_head(model, attempt_s)
        result = train(attempt_s)
        attempts.append({"attempt": attempt, "seed": attempt_s, **result["quality"]})
        if result["quality"]["learned"]:
            break
    return result, record(attempts, rule)


def record(attempts: list[dict], rule: QualityRule) -> dict:
    """What a model directory's ``quality.json`` holds: ``learned`` (its last attempt did), ``attempts`` (each
    attempt's seed, metric, value, bar and reason), ``used`` (the attempt whose model was kept), ``redrawn``
    (attempts before it failed) and the ``rule``."""
    last = attempts[-1]
    return {"learned": bool(last["learned"]), "used": last["attempt"], "redrawn": len(attempts) - 1,
            "metric": last["metric"], "value": last["value"], "reason": last["reason"], "attempts": attempts,
            "rule": asdict(rule)}


def references(model: torch.nn.Module, dev_data: Encoded, batch_size: int,
               evaluation: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext) -> dict:
    """What :func:`judge` compares with, measured before training: ``chance`` (classification, text-to-text: the
    majority-label accuracy of the dev split) or ``before`` (language modelling: the pooled dev perplexity of
    ``model`` as it is, one evaluation pass)."""
    metric = metric_of(dev_data.kind)
    if metric.name == "accuracy":
        return {"chance": chance_level(dev_data.label.numpy(), len(model.config.id2label))}
    if metric.name == "perplexity":
        with evaluation():
            dev = evaluate(model, dev_data, batch_size)
        return {"before": pooled(dev, list(dev), "perplexity")}
    return {}


def train_learned(model: torch.nn.Module, tokenizer, train_data: Encoded, dev_data: Encoded, hp: Hyperparameters,
                  out_dir: Path | None, rule: QualityRule, languages: Sequence[str] | None = None,
                  evaluation: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
                  **options) -> tuple[list[dict], dict]:
    """:func:`~langspec.training.train.train` under the quality rule: judged on the last epoch's dev metric (under
    the subnetworks where ``options`` give them) over ``languages`` (default: the dev split's), redrawn or kept
    as ``rule`` says (:func:`until_learned`). Checkpoints of a redrawn attempt replace the failed one's. Returns
    the kept attempt's history and the quality record."""
    languages = list(languages or dev_data.languages)
    reference = references(model, dev_data, hp.eval_batch_size, evaluation)

    def attempt(seed: int) -> dict:
        history = train(model, tokenizer, train_data, dev_data, replace(hp, seed=seed), out_dir, evaluation=evaluation,
                        **options)
        last = history[-1].get("dev_subnetwork") or history[-1]["dev"]
        return {"history": history, "quality": judge(last, dev_data.kind, languages, rule, **reference)}

    result, kept = until_learned(model, attempt, rule, hp.seed, new_head=has_new_head(dev_data.kind))
    return result["history"], kept


def has_new_head(kind: str) -> bool:
    """Whether a task kind's head is new (drawn at preparation), so that a redrawn attempt draws it anew too."""
    return kind in ("classification", "token-classification")
