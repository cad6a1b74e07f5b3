"""Tiny random models for tests: a Unigram tokenizer trained on the task's texts and a small BERT for each task kind
(a small mT5 for text-to-text), or a small decoder (Llama, Mistral, Qwen2, Qwen3, Gemma, Gemma 2, BLOOM, GPT-2)
of the family ``shape["family"]`` names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import torch

from langspec.core.errors import LangspecError
from langspec.models.tokenizer import add_pair_template, xlmr_style

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

SHAPE_KEYS = ("hidden_size", "layers", "heads", "intermediate_size", "vocab_size")
#: optional keys of a tiny shape: the model family (default bert) and, for decoders with grouped-query attention,
#: the key/value heads (default: as many as query heads)
OPTIONAL_KEYS = ("family", "kv_heads")
#: tiny families: the encoder (bert) and the decoders
TINY_FAMILIES = ("bert", "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "bloom", "gpt2")
_GQA = ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text")
_DECODER_CLASSES = {"llama": "Llama", "mistral": "Mistral", "qwen2": "Qwen2", "qwen3": "Qwen3", "gemma": "Gemma",
                    "gemma2": "Gemma2", "gemma3_text": "Gemma3Text", "bloom": "Bloom", "gpt2": "GPT2"}
#: (family, kind) -> model class where it is not the family's prefix and the kind's suffix
_CLASSES = {("gpt2", "clm"): "GPT2LMHeadModel", ("gemma3_text", "clm"): "Gemma3ForCausalLM"}
_SUFFIX = {"classification": "ForSequenceClassification", "token-classification": "ForTokenClassification",
           "clm": "ForCausalLM"}
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")  # ids 0..4, XLM-R roles
MAX_POSITIONS = 512


def _strings(texts: Iterable[str | tuple[str, str | None]]) -> list[str]:
    out: list[str] = []
    for item in texts:
        out.extend([item] if isinstance(item, str) else [t for t in item if t is not None])
    return out


def train_tokenizer(texts: Iterable[str | tuple[str, str | None]], vocab_size: int) -> PreTrainedTokenizerFast:
    """An XLM-R-style fast tokenizer (NFKC, Metaspace, Unigram, ``<s> A </s></s> B </s>``) trained on ``texts``.

    The ``tokenizers`` Unigram trainer is not reproducible (its result depends
    on hash-map order), so the pieces come from its BPE trainer, which is: at
    most ``vocab_size`` pieces (fewer when the texts are too small to fill
    it), every character of the texts among them, special tokens at ids
    0..4. Each piece's score is the log of its relative frequency in the
    BPE segmentation of the texts (add-one smoothed), the maximum-likelihood
    unigram model of that segmentation. The same texts give the same tokenizer.
    """
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, trainers
    from tokenizers.models import BPE, Unigram

    strings = _strings(texts)
    if not strings:
        raise LangspecError("cannot train the tiny model's tokenizer: no texts")
    bos, pad, eos, unk, mask = SPECIAL_TOKENS
    backend = Tokenizer(BPE(unk_token=unk))
    backend.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    backend.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    backend.train_from_iterator(
        strings, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS), show_progress=False)
    )
    counts = np.bincount(
        np.concatenate(
            [np.asarray(e.ids, dtype=np.int64) for e in backend.encode_batch(strings, add_special_tokens=False)]
        ),
        minlength=backend.get_vocab_size(),
    )
    log_prob = np.log((counts + 1) / (counts.sum() + len(counts)))
    ids = backend.get_vocab()
    backend.model = Unigram(
        [
            (piece, 0.0 if piece in SPECIAL_TOKENS else float(log_prob[i]))
            for piece, i in sorted(ids.items(), key=lambda item: item[1])
        ],
        unk_id=ids[unk],
        byte_fallback=False,
    )
    add_pair_template(backend, bos, eos)
    return xlmr_style(backend, bos, eos, pad, unk, mask, MAX_POSITIONS)


def build_tiny(
    shape: dict, texts: Iterable[str | tuple[str, str | None]], num_labels: int, seed: int, kind: str = "classification"
) -> tuple[PreTrainedModel, PreTrainedTokenizerFast]:
    """A randomly initialised BERT for the task ``kind`` and its tokenizer.

    ``BertForSequenceClassification`` (classification), ``BertForMaskedLM``
    (mlm, output embeddings tied to the input embeddings; ``num_labels`` unused)
    or ``BertForTokenClassification``; for text-to-text an
    ``MT5ForConditionalGeneration`` (``layers`` blocks in the encoder and in the
    decoder, gated-GELU feed-forward as mT5; decoding starts at the pad token).

    ``shape`` has ``hidden_size``, ``layers``, ``heads``, ``intermediate_size``
    and ``vocab_size`` (the tokenizer's at most; the model's embedding matrix
    is [tokenizer vocabulary, hidden_size]); optionally ``family`` (default
    ``bert``; a decoder family gives a decoder, see :func:`_tiny_decoder`) and
    ``kv_heads`` (decoders with grouped-query attention). Weights are drawn under
    ``torch.manual_seed(seed)``; the same arguments give the same model.
    """
    import transformers

    missing = [key for key in SHAPE_KEYS if key not in shape]
    unknown = sorted(set(shape) - set(SHAPE_KEYS) - set(OPTIONAL_KEYS))
    if missing or unknown:
        raise LangspecError(f"model.tiny: missing keys {missing}, unknown keys {unknown} (expected {list(SHAPE_KEYS)}, "
                            f"optionally {list(OPTIONAL_KEYS)})")
    family = shape.get("family") or "bert"
    if family not in TINY_FAMILIES:
        raise LangspecError(f"model.tiny.family is '{family}'; choose one of {', '.join(TINY_FAMILIES)}")
    if shape["hidden_size"] % shape["heads"]:
        raise LangspecError(
            f"model.tiny: hidden_size {shape['hidden_size']} is not a multiple of heads {shape['heads']}"
        )
    if num_labels < 1 and kind not in ("mlm", "clm"):
        raise LangspecError(f"the tiny model needs at least one label, got {num_labels}")
    if family != "bert":
        return _tiny_decoder(family, shape, texts, num_labels, seed, kind)
    if shape.get("kv_heads") not in (None, shape["heads"]):
        raise LangspecError("model.tiny.kv_heads: only a decoder (llama, qwen2, gemma, ...) shares key/value heads")
    tokenizer = train_tokenizer(texts, shape["vocab_size"])
    if kind == "text-to-text":
        config = transformers.MT5Config(
            vocab_size=len(tokenizer),
            d_model=shape["hidden_size"],
            d_kv=shape["hidden_size"] // shape["heads"],
            d_ff=shape["intermediate_size"],
            num_layers=shape["layers"],
            num_heads=shape["heads"],
            feed_forward_proj="gated-gelu",
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            decoder_start_token_id=tokenizer.pad_token_id,
            num_labels=max(num_labels, 1),
        )
        torch.manual_seed(seed)
        return transformers.MT5ForConditionalGeneration(config), tokenizer
    config = transformers.BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=shape["hidden_size"],
        num_hidden_layers=shape["layers"],
        num_attention_heads=shape["heads"],
        intermediate_size=shape["intermediate_size"],
        max_position_embeddings=MAX_POSITIONS,
        type_vocab_size=2,
        hidden_act="gelu",
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        num_labels=max(num_labels, 1),
    )
    classes = {"classification": "BertForSequenceClassification", "mlm": "BertForMaskedLM",
               "token-classification": "BertForTokenClassification"}
    torch.manual_seed(seed)
    return getattr(transformers, classes[kind])(config), tokenizer


def _tiny_decoder(family: str, shape: dict, texts: Iterable[str | tuple[str, str | None]], num_labels: int, seed: int,
                  kind: str) -> tuple[PreTrainedModel, PreTrainedTokenizerFast]:
    """A random decoder of ``family`` for the task ``kind`` (classification on the last non-padding token, causal
    language modelling ``clm`` with the output embeddings tied to the input embeddings, or token classification),
    with the tiny tokenizer (``<s> A </s>``; its ``</s>`` is the last token a classifier reads).

    ``kv_heads`` (Llama-style families): key/value heads shared by groups of query heads (grouped-query
    attention); BLOOM's MLP is 4 x hidden_size wide by design, so ``intermediate_size`` must say so.
    """
    import transformers

    if kind in ("mlm", "text-to-text"):
        raise LangspecError(f"a tiny {family} decoder serves classification, token classification and causal language "
                            f"modelling (clm), not {kind}")
    heads, hidden = shape["heads"], shape["hidden_size"]
    kv_heads = shape.get("kv_heads") or heads
    if family not in _GQA and kv_heads != heads:
        raise LangspecError(f"model.tiny.kv_heads: {family} has no grouped-query attention (kv_heads must equal heads)")
    if heads % kv_heads:
        raise LangspecError(f"model.tiny: heads {heads} is not a multiple of kv_heads {kv_heads}")
    if family == "bloom" and shape["intermediate_size"] != 4 * hidden:
        raise LangspecError(f"model.tiny: BLOOM's MLP is 4 x hidden_size wide; set intermediate_size to {4 * hidden}")
    tokenizer = train_tokenizer(texts, shape["vocab_size"])
    common = {
        "vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id, "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id, "num_labels": max(num_labels, 1), "tie_word_embeddings": True,
    }
    if family == "bloom":
        config = transformers.BloomConfig(hidden_size=hidden, n_layer=shape["layers"], n_head=heads, **common)
    elif family == "gpt2":
        config = transformers.GPT2Config(n_embd=hidden, n_layer=shape["layers"], n_head=heads,
                                         n_inner=shape["intermediate_size"], n_positions=MAX_POSITIONS, **common)
    else:
        config = getattr(transformers, f"{_DECODER_CLASSES[family]}Config")(
            hidden_size=hidden, intermediate_size=shape["intermediate_size"], num_hidden_layers=shape["layers"],
            num_attention_heads=heads, num_key_value_heads=kv_heads, head_dim=hidden // heads,
            max_position_embeddings=MAX_POSITIONS, **common,
        )
    torch.manual_seed(seed)
    name = _CLASSES.get((family, kind)) or f"{_DECODER_CLASSES[family]}{_SUFFIX[kind]}"
    if not hasattr(transformers, name):
        raise LangspecError(f"transformers has no {name}: a tiny {family} decoder does not serve {kind}")
    return getattr(transformers, name)(config), tokenizer
