"""Each task kind's metric, which direction is better, and how languages pool.

- classification: accuracy (higher is better);
- text-to-text (a classification task on an encoder-decoder): accuracy, the
  generated label word matching the gold one exactly;
- mlm: perplexity, exp of the mean masked-token cross-entropy (lower is better);
- clm (the mlm task on a decoder): perplexity, exp of the mean next-token cross-entropy;
- token-classification: entity-level F1 over IOB2 spans (higher is better),
  computed as ``seqeval``'s default (CoNLL-style) mode does: a span starts at a
  ``B-X``, or at an ``I-X`` that does not continue a span of type X, and a
  predicted span counts when type, start and end all match a gold span.

Per-language metric dicts (``training.evaluate.evaluate``) carry what pooling
needs: ``n`` (examples), and ``tokens`` (mlm: masked tokens) or ``tp``,
``predicted`` and ``gold`` (token-classification: span counts), so that pooled
metrics over several languages are exact, not averages of averages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from langspec.core.errors import LangspecError


@dataclass(frozen=True)
class Metric:
    """A task kind's dev metric."""

    name: str  #: the key in per-language metric dicts: accuracy, perplexity, f1
    higher_is_better: bool
    label: str  #: for axes and tables

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b``."""
        return a > b if self.higher_is_better else a < b

    def gain(self, value: float, reference: float) -> float:
        """``value − reference`` oriented so that positive is better (for perplexity: ``reference − value``)."""
        return value - reference if self.higher_is_better else reference - value

    def best(self, values: Sequence[float]) -> float:
        return max(values) if self.higher_is_better else min(values)


METRICS: dict[str, Metric] = {
    "classification": Metric("accuracy", True, "accuracy"),
    "mlm": Metric("perplexity", False, "perplexity"),
    "clm": Metric("perplexity", False, "perplexity"),  # a decoder's next-token perplexity
    "token-classification": Metric("f1", True, "entity F1"),
    "text-to-text": Metric("accuracy", True, "accuracy"),  # exact match of the generated label word
}


def metric_of(kind: str) -> Metric:
    if kind not in METRICS:
        raise LangspecError(f"unknown task kind {kind!r}; choose one of {', '.join(METRICS)}")
    return METRICS[kind]


def by_name(name: str) -> Metric:
    """The metric called ``name`` (accuracy, perplexity, f1)."""
    for metric in METRICS.values():
        if metric.name == name:
            return metric
    raise LangspecError(f"unknown metric {name!r}; choose one of {', '.join(m.name for m in METRICS.values())}")


def spans(tags: Sequence[str]) -> set[tuple[str, int, int]]:
    """Entity spans (type, first, last word index) of an IOB2 tag sequence, CoNLL-style (see module docstring)."""
    out, start, kind = set(), None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, name = tag.partition("-")
        continues = prefix == "I" and kind == name
        if start is not None and not continues:
            out.add((kind, start, i - 1))
            start, kind = None, None
        if prefix == "B" or (prefix == "I" and not continues):
            start, kind = i, name
    return out


def span_counts(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict[str, int]:
    """``tp``, ``predicted`` and ``gold`` span counts over sentences (tag sequences of equal lengths)."""
    tp = n_pred = n_gold = 0
    for g, p in zip(gold, predicted, strict=True):
        if len(g) != len(p):
            raise LangspecError(f"a sentence has {len(g)} gold tags but {len(p)} predicted")
        gs, ps = spans(g), spans(p)
        tp, n_pred, n_gold = tp + len(gs & ps), n_pred + len(ps), n_gold + len(gs)
    return {"tp": tp, "predicted": n_pred, "gold": n_gold}


def f1(counts: Mapping[str, int]) -> dict[str, float]:
    """Precision, recall and F1 from span counts (0 where undefined, as seqeval)."""
    precision = counts["tp"] / counts["predicted"] if counts["predicted"] else 0.0
    recall = counts["tp"] / counts["gold"] if counts["gold"] else 0.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": score}


def pooled(metrics: Mapping[str, Mapping], languages: Sequence[str], name: str) -> float:
    """The metric ``name`` over all dev examples of ``languages`` together.

    accuracy: count-weighted; perplexity: exp of the token-weighted mean loss;
    f1: from the summed span counts.
    """
    missing = [lang for lang in languages if lang not in metrics]
    if missing:
        raise LangspecError(f"the dev split has no examples of language(s) {', '.join(missing)}")
    rows = [metrics[lang] for lang in languages]
    if name == "accuracy":
        return float(sum(m["accuracy"] * m["n"] for m in rows) / sum(m["n"] for m in rows))
    if name == "perplexity":
        tokens = sum(m["tokens"] for m in rows)
        return float(math.exp(sum(m["loss"] * m["tokens"] for m in rows) / tokens)) if tokens else math.nan
    if name == "f1":
        return f1({key: sum(m[key] for m in rows) for key in ("tp", "predicted", "gold")})["f1"]
    raise LangspecError(f"unknown metric {name!r}")
