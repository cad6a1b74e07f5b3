"""The prepare_model stage: load (or build) the model with its task head, shrink it, save it.

Encoders, decoders and encoder-decoders (:mod:`langspec.models.layout`). On a
decoder the masked-language-modelling task becomes causal language modelling
(:func:`model_kind`: kind ``clm``, next-token perplexity on the same passages),
classification reads the last non-padding token, and a tokenizer without a
padding token pads with its end-of-sequence token (which it never appends).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from langspec.core.atomic import atomic_dir
from langspec.core.errors import LangspecError
from langspec.models import vocab
from langspec.models.checkpoints import AUTO_CLASSES, kind_of
from langspec.models.layout import DECODERS, check_family
from langspec.models.tiny import build_tiny

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

TINY = "tiny"


def _label2id(label_names: list[str]) -> dict[str, int]:
    return {label: i for i, label in enumerate(label_names)}


def model_kind(kind: str, family: str | None) -> str:
    """The kind of model a task of ``kind`` needs in a model of ``family`` (a transformers model type): masked
    language modelling on a decoder is causal language modelling (``clm``); text-to-text needs an encoder-decoder."""
    if family in DECODERS:
        if kind == "text-to-text":
            raise LangspecError(f"a text-to-text task needs an encoder-decoder (t5, mt5); {family} is a decoder")
        return "clm" if kind == "mlm" else kind
    return kind


def tiny_family(tiny: dict | None) -> str:
    """The family of a tiny model shape (default bert)."""
    return (tiny or {}).get("family") or "bert"


def _pad_decoder(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, name: str) -> None:
    """A decoder's padding token: its own, else its end-of-sequence token; written into the model's config (the
    classifier finds each example's last token as the rightmost one that is not padding). One line when the
    tokenizer appends that token to every text (the classifier would then read the token before it)."""
    if tokenizer.pad_token_id is None:
        if tokenizer.eos_token is None:
            raise LangspecError(f"model {name!r}: its tokenizer has neither a padding nor an end-of-sequence token")
        tokenizer.pad_token = tokenizer.eos_token
    ids = tokenizer("a b")["input_ids"]
    if ids and ids[-1] == tokenizer.pad_token_id:
        raise LangspecError(f"model {name!r}: its tokenizer ends every text with its padding token "
                            f"{tokenizer.pad_token!r}, so a classifier could not find the last real token")
    model.config.pad_token_id = tokenizer.pad_token_id


def _cannot_load(name: str, err: Exception) -> LangspecError:
    where = "local directory" if Path(name).is_dir() else "hub id (offline: is it in the Hugging Face cache?)"
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return LangspecError(f"cannot load model {name!r} as a {where}: {reason}")


def _load(name: str, label_names: list[str], seed: int, kind: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Tokenizer and the task kind's model (:data:`~langspec.models.checkpoints.AUTO_CLASSES`) from a hub id or a directory.

    A head the checkpoint lacks is initialised under ``torch.manual_seed(seed)``:
    the classification head (for BERT: pooler dense + tanh on the first token,
    then a linear layer; for XLM-R: the same on ``<s>``), the token classifier
    (a linear layer on every token), or an MLM head where the checkpoint has
    none (its transform and bias new, its decoder tied to the input embeddings;
    mBERT and XLM-R keep their pre-trained MLM head). A text-to-text model (T5,
    mT5) is loaded whole, LM head included: nothing is new; so is a decoder's
    causal language model (``kind`` mlm becomes clm, :func:`model_kind`), while
    a decoder's classifier gets a new score head on its last token. A family
    without a layout (:mod:`langspec.models.layout`) is one line naming it.
    """
    import transformers
    from transformers import AutoTokenizer

    if not Path(name).is_dir() and (name.startswith((".", "/")) or name.count("/") > 1):
        raise LangspecError(f"model directory not found: {name}")

    labels = {} if kind in ("mlm", "clm") else {
        "num_labels": len(label_names),
        "id2label": dict(enumerate(label_names)),
        "label2id": _label2id(label_names),
    }
    try:
        config = transformers.AutoConfig.from_pretrained(name)
    except (OSError, ValueError) as err:
        raise _cannot_load(name, err) from err
    check_family(config.model_type, name)
    kind = model_kind(kind, config.model_type)
    if kind in ("mlm", "clm"):
        labels = {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        torch.manual_seed(seed)
        model = getattr(transformers, AUTO_CLASSES[kind]).from_pretrained(name, **labels)
    except (OSError, ValueError) as err:
        raise _cannot_load(name, err) from err
    if config.model_type in DECODERS:
        _pad_decoder(model, tokenizer, name)
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
    if not label_names and kind not in ("mlm", "clm"):
        raise LangspecError("prepare_model needs at least one label name")
    if (kind == "text-to-text") != bool(prefix):
        raise LangspecError("a text-to-text model needs a task prefix, and only a text-to-text model takes one")
    items = list(texts)
    if name == TINY:
        kind = model_kind(kind, tiny_family(tiny))
        model, tokenizer = build_tiny(tiny, items, len(label_names), seed, kind)
        if kind not in ("mlm", "clm"):
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
        "kind": kind_of(model),
        "family": model.config.model_type,
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
