"""The prepare_model stage: load (or build) the encoder with its task head, shrink it, save it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from langspec.core.atomic import atomic_dir
from langspec.core.errors import LangspecError
from langspec.models import vocab
from langspec.models.checkpoints import AUTO_CLASSES
from langspec.models.tiny import build_tiny

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

TINY = "tiny"


def _label2id(label_names: list[str]) -> dict[str, int]:
    return {label: i for i, label in enumerate(label_names)}


def _load(name: str, label_names: list[str], seed: int, kind: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Tokenizer and the task kind's model (:data:`~langspec.models.checkpoints.AUTO_CLASSES`) from a hub id or a directory.

    A head the checkpoint lacks is initialised under ``torch.manual_seed(seed)``:
    the classification head (for BERT: pooler dense + tanh on the first token,
    then a linear layer; for XLM-R: the same on ``<s>``), the token classifier
    (a linear layer on every token), or an MLM head where the checkpoint has
    none (its transform and bias new, its decoder tied to the input embeddings;
    mBERT and XLM-R keep their pre-trained MLM head). A text-to-text model (T5,
    mT5) is loaded whole, LM head included: nothing is new.
    """
    import transformers
    from transformers import AutoTokenizer

    if not Path(name).is_dir() and (name.startswith((".", "/")) or name.count("/") > 1):
        raise LangspecError(f"model directory not found: {name}")

    labels = {} if kind == "mlm" else {
        "num_labels": len(label_names),
        "id2label": dict(enumerate(label_names)),
        "label2id": _label2id(label_names),
    }
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        torch.manual_seed(seed)
        model = getattr(transformers, AUTO_CLASSES[kind]).from_pretrained(name, **labels)
    except (OSError, ValueError) as err:
        where = "local directory" if Path(name).is_dir() else "hub id (offline: is it in the Hugging Face cache?)"
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise LangspecError(f"cannot load model {name!r} as a {where}: {reason}") from err
    return model, tokenizer


def _parameters(model: PreTrainedModel) -> int:
    return sum(p.numel() for p in model.parameters())


def prepare(
    name: str,
    out_dir: Path,
    texts: Iterable[str | tuple[str, str | None]],
    label_names: list[str],
    layers: int | None,
    trim_vocabulary: bool,
    tiny: dict,
    seed: int,
    kind: str = "classification",
    prefix: str | None = None,
) -> dict:
    """Write the starting checkpoint of fine-tuning into ``out_dir`` (atomically).

    ``name`` is a hub id, a local ``save_pretrained`` directory or ``"tiny"``
    (``build_tiny(tiny, texts, ...)``). ``texts`` (strings or ``(text_a,
    text_b or None)`` pairs: the task's data) train the tiny tokenizer and
    choose the tokens kept when ``trim_vocabulary``; ``layers`` keeps the first
    K transformer layers (None keeps all). ``prefix``: a text-to-text task's
    input prefix, kept in the config (``config.prefix``) with the label words
    (``id2label``); ``texts`` are then the formatted inputs and label words. ``out_dir`` receives the model and
    tokenizer (``save_pretrained``; they reload from the path alone) and
    ``prepare.json``, returned as a dict.
    """
    if kind not in AUTO_CLASSES:
        raise LangspecError(f"unknown task kind {kind!r}; choose one of {', '.join(AUTO_CLASSES)}")
    if not label_names and kind != "mlm":
        raise LangspecError("prepare_model needs at least one label name")
    if (kind == "text-to-text") != bool(prefix):
        raise LangspecError("a text-to-text model needs a task prefix, and only a text-to-text model takes one")
    items = list(texts)
    if name == TINY:
        model, tokenizer = build_tiny(tiny, items, len(label_names), seed, kind)
        if kind != "mlm":
            model.config.id2label = dict(enumerate(label_names))
            model.config.label2id = _label2id(label_names)
    else:
        model, tokenizer = _load(name, label_names, seed, kind)
    if prefix:
        model.config.prefix = prefix
    layers_before, params_before = model.config.num_hidden_layers, _parameters(model)
    if layers is not None:
        vocab.keep_layers(model, layers)
    report = {}
    if trim_vocabulary:
        model, tokenizer, report = vocab.trim_vocabulary(model, tokenizer, items)
    record = {
        "source": name,
        "kind": kind,
        "seed": seed,
        "labels": list(label_names),
        "layers_before": layers_before,
        "layers_kept": model.config.num_hidden_layers,
        "trim_vocabulary": trim_vocabulary,
        **report,
        "params_before": params_before,
        "params_after": _parameters(model),
    }
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "prepare.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record
