"""Checkpoint directories: ``models/{task}/{regime}/epoch{e}/``, their models and their metrics."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from langspec.core.errors import LangspecError

if TYPE_CHECKING:
    import torch


def epoch_path(regime_dir: str | os.PathLike, epoch: int) -> Path:
    """The directory of one epoch's checkpoint; a one-line error if it is missing."""
    path = Path(regime_dir) / f"epoch{epoch}"
    if not (path / "config.json").exists():
        raise LangspecError(f"checkpoint {path} does not exist")
    return path


#: task kind -> the transformers auto class of its model
AUTO_CLASSES = {
    "classification": "AutoModelForSequenceClassification",
    "mlm": "AutoModelForMaskedLM",
    "token-classification": "AutoModelForTokenClassification",
    "text-to-text": "AutoModelForSeq2SeqLM",
    "clm": "AutoModelForCausalLM",  # a decoder's causal language model (the mlm task's passages)
}
#: architecture suffix -> task kind (a checkpoint's ``architectures`` entry, a model's class name)
_SUFFIXES = (("ForMaskedLM", "mlm"), ("ForTokenClassification", "token-classification"),
             ("ForSequenceClassification", "classification"), ("ForConditionalGeneration", "text-to-text"),
             ("ForCausalLM", "clm"), ("LMHeadModel", "clm"))  # GPT-2's causal LM: GPT2LMHeadModel


def kind_of(model) -> str:
    """The task kind a model serves, from its class (``...ForMaskedLM``: mlm, ``...ForConditionalGeneration``:
    text-to-text, and so on)."""
    name = type(model).__name__
    for suffix, kind in _SUFFIXES:
        if name.endswith(suffix):
            return kind
    raise LangspecError(f"model class {name} serves none of the task kinds {', '.join(AUTO_CLASSES)}")


def load_model(path: str | os.PathLike, device: torch.device | str = "cpu"):
    """(model in eval mode on ``device``, tokenizer) from a save_pretrained directory.

    The model class follows the checkpoint's ``architectures`` (a sequence
    classifier, a masked language model or a token classifier: see :func:`kind_of`).
    Any failure to load (missing or corrupted files, a garbage weights file) and
    non-finite weights are one line naming the directory. torch and transformers
    are imported here, so that reading data and metrics does not load them.
    """
    import torch
    import transformers

    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(path)
        config = transformers.AutoConfig.from_pretrained(path)
        architecture = (config.architectures or ["ForSequenceClassification"])[0]
        kind = next((k for suffix, k in _SUFFIXES if architecture.endswith(suffix)), "classification")
        model = getattr(transformers, AUTO_CLASSES[kind]).from_pretrained(path)
    except Exception as error:  # noqa: BLE001 - transformers and safetensors raise many kinds
        message = " ".join(str(error).split())[:200]
        raise LangspecError(f"cannot load a model from {path} ({error.__class__.__name__}: {message})") from None
    bad = [name for name, parameter in model.named_parameters() if not torch.isfinite(parameter).all()]
    if bad:
        raise LangspecError(f"checkpoint {path} has non-finite weights in {len(bad)} parameter(s), e.g. {bad[0]}")
    return model.to(device).eval(), tokenizer


def read_metrics(checkpoint: str | os.PathLike) -> dict:
    """A checkpoint's metrics.json, checked: finite losses and learning rate, accuracies and F1 in [0, 1]."""
    path = Path(checkpoint) / "metrics.json"
    try:
        metrics = json.loads(path.read_text())
        values = [metrics["learning_rate"], metrics["train_loss"]]
        for scores in (metrics["dev"], *([metrics["dev_subnetwork"]] if "dev_subnetwork" in metrics else [])):
            for lang, m in scores.items():
                values.append(m["loss"])
                for name in ("accuracy", "f1"):
                    if name in m and not 0 <= m[name] <= 1:
                        raise ValueError(f"{name} {m[name]} of language {lang} is outside [0, 1]")
    except FileNotFoundError:
        raise LangspecError(f"{path} does not exist") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise LangspecError(f"{path} is not a valid metrics file ({error.__class__.__name__}: {error})") from None
    if not all(math.isfinite(float(v)) for v in values):
        raise LangspecError(f"{path} holds a non-finite loss or learning rate")
    return metrics


def learning_rates(regime_dir: str | os.PathLike, epochs: int) -> list[float]:
    """The learning rate at each epoch's checkpoint (from its metrics.json)."""
    return [read_metrics(epoch_path(regime_dir, e))["learning_rate"] for e in range(1, epochs + 1)]
