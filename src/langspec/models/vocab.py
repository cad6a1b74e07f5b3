"""Shrink an encoder: keep only the tokens some texts use, keep only the first K layers.

A multilingual vocabulary is mostly embedding matrix (multilingual-e5-small:
96M of 118M parameters); a task's data uses a small part of it. Trimming keeps
the used tokens and every special token, renumbers them in their old order,
slices the embedding rows (and a tied or untied output embedding), and
rebuilds the fast tokenizer with the reduced vocabulary, so that the trimmed
tokenizer tokenizes those texts to the same token sequences (new ids).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

import torch
from torch import nn
from tqdm import tqdm

from langspec.core.errors import LangspecError
from langspec.models.layout import get_module, is_decoder, layers_path

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

TextItem = str | tuple[str, str | None]
BATCH = 1000
_CONFIG_TOKEN_IDS = (
    "pad_token_id",
    "bos_token_id",
    "eos_token_id",
    "sep_token_id",
    "cls_token_id",
    "decoder_start_token_id",
)


def _as_pairs(texts: Iterable[TextItem]) -> list[tuple[str, str | None]]:
    return [(item, None) if isinstance(item, str) else (item[0], item[1]) for item in texts]


def used_token_ids(tokenizer: PreTrainedTokenizerFast, texts: Iterable[TextItem]) -> set[int]:
    """Ids of the tokens the tokenizer produces for ``texts`` (special tokens included, no truncation)."""
    pairs = _as_pairs(texts)
    used: set[int] = set()
    for start in tqdm(range(0, len(pairs), BATCH), desc="tokenize", unit="batch", disable=len(pairs) <= BATCH):
        chunk = pairs[start : start + BATCH]
        for group in ([p for p in chunk if p[1] is None], [p for p in chunk if p[1] is not None]):
            if not group:
                continue
            first = [a for a, _ in group]
            second = None if group[0][1] is None else [b for _, b in group]
            for ids in tokenizer(first, second, add_special_tokens=True, truncation=False)["input_ids"]:
                used.update(ids)
    return used


def _remap_ids(node, remap: dict[int, int]):
    """Renumber the token ids inside a serialised post-processor (Template, Roberta/Bert, Sequence)."""
    if isinstance(node, list):
        return [_remap_ids(item, remap) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("sep", "cls") and isinstance(value, list) and len(value) == 2:
            out[key] = [value[0], remap[value[1]]]
        elif key == "special_tokens" and isinstance(value, dict):
            out[key] = {name: {**spec, "ids": [remap[i] for i in spec["ids"]]} for name, spec in value.items()}
        else:
            out[key] = _remap_ids(value, remap)
    return out


def _kept_ids(state: dict, used: set[int], special: set[int]) -> list[int]:
    kept = used | special | {token["id"] for token in state["added_tokens"]}
    model = state["model"]
    if model["type"] == "Unigram":
        # the unknown-token score is (lowest piece score - 10): keep the lowest piece so it does not change
        kept.add(min(range(len(model["vocab"])), key=lambda i: model["vocab"][i][1]))
    return sorted(kept)


def _trimmed_state(state: dict, kept: list[int]) -> dict:
    """The serialised Unigram or WordPiece tokenizer ``state`` restricted to the ``kept`` ids (renumbered 0..len-1)."""
    remap = {old: new for new, old in enumerate(kept)}
    model = dict(state["model"])
    if model["type"] == "Unigram":
        model["vocab"] = [model["vocab"][i] for i in kept if i < len(model["vocab"])]
        if model.get("unk_id") is not None:
            model["unk_id"] = remap[model["unk_id"]]
    else:  # WordPiece
        token_of = {i: token for token, i in model["vocab"].items()}
        model["vocab"] = {token_of[i]: remap[i] for i in kept if i in token_of}
    trimmed = {**state, "model": model}
    trimmed["added_tokens"] = [{**token, "id": remap[token["id"]]} for token in state["added_tokens"]]
    trimmed["post_processor"] = _remap_ids(state.get("post_processor"), remap)
    if state.get("padding"):
        trimmed["padding"] = {**state["padding"], "pad_id": remap[state["padding"]["pad_id"]]}
    return trimmed


def _vocabulary_parameters(model: PreTrainedModel, rows: int) -> list[nn.Parameter]:
    """The distinct parameters indexed by token id: input and output embeddings, output bias, their tied partners."""
    candidates = [model.get_input_embeddings().weight]
    output = model.get_output_embeddings()
    if output is not None:
        candidates += [output.weight, getattr(output, "bias", None)]
    for name in {n for pair in (getattr(model, "_tied_weights_keys", None) or {}).items() for n in pair}:
        try:
            candidates.append(model.get_parameter(name))
        except AttributeError:
            continue
    unique = {id(p): p for p in candidates if p is not None and p.dim() >= 1 and p.shape[0] == rows}
    return list(unique.values())


def _slice_embeddings(model: PreTrainedModel, kept: list[int]) -> None:
    rows = model.get_input_embeddings().weight.shape[0]
    if kept[-1] >= rows:
        raise LangspecError(f"the tokenizer uses token id {kept[-1]} but the model has only {rows} embeddings")
    remap = {old: new for new, old in enumerate(kept)}
    index = torch.tensor(kept, dtype=torch.long)
    params = _vocabulary_parameters(model, rows)
    with torch.no_grad():
        for param in params:  # in place: tied references keep pointing at the same Parameter
            param.data = param.data.index_select(0, index.to(param.device)).clone()
    sliced = {id(p) for p in params}
    for module in model.modules():
        if isinstance(module, nn.Embedding) and id(module.weight) in sliced:
            module.num_embeddings = len(kept)
            if module.padding_idx is not None:
                module.padding_idx = remap.get(module.padding_idx)
        elif isinstance(module, nn.Linear) and id(module.weight) in sliced:
            module.out_features = len(kept)
    model.config.vocab_size = len(kept)
    for key in _CONFIG_TOKEN_IDS:
        old = getattr(model.config, key, None)
        if isinstance(old, int):
            setattr(model.config, key, remap.get(old))


def _rebuilt_tokenizer(tokenizer: PreTrainedTokenizerFast, state: dict) -> PreTrainedTokenizerFast:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(state)),
        **tokenizer.special_tokens_map,
        model_max_length=tokenizer.model_max_length,
        padding_side=tokenizer.padding_side,
        truncation_side=tokenizer.truncation_side,
        model_input_names=list(tokenizer.model_input_names),
    )


def trim_vocabulary(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, texts: Iterable[TextItem]
) -> tuple[PreTrainedModel, PreTrainedTokenizerFast, dict]:
    """Keep only the tokens ``texts`` use (plus all special and added tokens).

    ``texts`` holds strings or ``(text_a, text_b or None)`` pairs. Returns the
    model (modified in place: embedding rows [V, D] -> [V', D], config
    ``vocab_size`` and special token ids updated), a new fast tokenizer that
    saves and reloads as a tokenizer of its own, and a report with token and
    embedding parameter counts before and after.
    """
    if not getattr(tokenizer, "is_fast", False):
        raise LangspecError("vocabulary trimming needs a fast tokenizer; set model.trim_vocabulary: false")
    state = json.loads(tokenizer.backend_tokenizer.to_str())
    if state["model"]["type"] not in ("Unigram", "WordPiece"):
        kind = state["model"]["type"]
        raise LangspecError(
            f"cannot trim a {kind} vocabulary (only Unigram and WordPiece); set model.trim_vocabulary: false"
        )
    rows_before = model.get_input_embeddings().weight.shape[0]
    params_before = sum(p.numel() for p in _vocabulary_parameters(model, rows_before))
    tokens_before = len(tokenizer)
    kept = _kept_ids(state, used_token_ids(tokenizer, texts), set(tokenizer.all_special_ids))
    new_tokenizer = _rebuilt_tokenizer(tokenizer, _trimmed_state(state, kept))
    _slice_embeddings(model, kept)
    report = {
        "tokens_before": tokens_before,
        "tokens_after": len(new_tokenizer),
        "embedding_rows_before": rows_before,
        "embedding_rows_after": len(kept),
        "embedding_params_before": params_before,
        "embedding_params_after": sum(p.numel() for p in _vocabulary_parameters(model, len(kept))),
    }
    return model, new_tokenizer, report


def keep_layers(model: PreTrainedModel, k: int) -> PreTrainedModel:
    """Keep only the first ``k`` transformer layers of a BERT/XLM-R-family encoder or of a decoder (Llama, Qwen2,
    Gemma, BLOOM, GPT-2: its blocks, and the per-layer ``layer_types`` of its config where it has them), or the
    first ``k`` blocks of both stacks of a T5-family encoder-decoder (block 0 holds the relative position bias), in
    place; returns the model."""
    if is_decoder(model):
        path = layers_path(model)
        layers = get_module(model.base_model, path)
        if not 1 <= k <= len(layers):
            raise LangspecError(f"model.layers is {k} but the model has {len(layers)} layers (need 1..{len(layers)})")
        setattr(model.base_model, path, nn.ModuleList(list(layers)[:k]))
        model.config.num_hidden_layers = k
        if isinstance(getattr(model.config, "layer_types", None), list):
            model.config.layer_types = model.config.layer_types[:k]
        return model
    stacks = [getattr(model, name, None) for name in ("encoder", "decoder")]
    if all(isinstance(getattr(stack, "block", None), nn.ModuleList) for stack in stacks):
        if not 1 <= k <= min(len(stack.block) for stack in stacks):
            raise LangspecError(f"model.layers is {k} but the model has {len(stacks[0].block)} encoder and "
                                f"{len(stacks[1].block)} decoder blocks")
        for stack in stacks:
            stack.block = nn.ModuleList(list(stack.block)[:k])
        model.config.num_layers = model.config.num_decoder_layers = k
        return model
    encoder = getattr(model.base_model, "encoder", None)
    layers = getattr(encoder, "layer", None)
    if not isinstance(layers, nn.ModuleList):
        raise LangspecError(
            f"cannot cut layers of a {type(model).__name__}: no encoder.layer list (BERT/XLM-R family only)"
        )
    if not 1 <= k <= len(layers):
        raise LangspecError(f"model.layers is {k} but the model has {len(layers)} layers (need 1..{len(layers)})")
    encoder.layer = nn.ModuleList(list(layers)[:k])
    model.config.num_hidden_layers = k
    return model
