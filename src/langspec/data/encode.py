"""Tokenize contract frames once and cut them into padded batches, for every task kind.

- classification: one label per example (``label``).
- token-classification: the words of ``text_a`` (split on spaces) are tokenized
  as words; each word's tag (``tags``) labels its first sub-word, the other
  sub-words and the special tokens are ignored (label -100). Words cut off by
  ``max_length`` are left out of training and scoring alike.
- text-to-text: a classification frame cast as text generation (paper 003's
  mT5): the input "{prefix} premise: {text_a} hypothesis: {text_b}" (a single
  text: "{prefix} sentence: {text_a}", T5's formats), the target the label's
  word followed by the end-of-sequence token (:class:`TextToText`).
- mlm: BERT's corruption (:mod:`langspec.data.masking`): training batches draw
  fresh masks from the trainer's generator; evaluation batches use masks fixed
  per example at encoding time (seeded by the example's uid), so the same model
  always gets the same perplexity.
- clm: causal language modelling, the mlm task's passages on a decoder: every
  token after the first is predicted from the tokens before it (labels are the
  input ids, padding ignored; the model shifts them), so there is nothing to
  draw and the perplexity is deterministic.

Padding follows the tokenizer's ``padding_side``: right (the default) or left,
as decoder tokenizers often pad. A left-padded batch carries ``position_ids``
counting from each example's first real token, so that models with absolute
positions (GPT-2) see the same positions under either padding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from langspec.core.errors import LangspecError
from langspec.data.masking import IGNORE, Masking, corrupt

KINDS = ("classification", "mlm", "token-classification", "text-to-text", "clm")


@dataclass(frozen=True)
class TextToText:
    """How a classification task is cast as text-to-text: the input's task prefix and each label's word."""

    prefix: str
    labels: tuple[str, ...]  #: label id -> the word the model generates for it

    def source(self, text_a: str, text_b: str | None) -> str:
        """The model's input text for one example (T5's formats: premise/hypothesis for pairs, sentence otherwise)."""
        if text_b is None:
            return f"{self.prefix} sentence: {text_a}"
        return f"{self.prefix} premise: {text_a} hypothesis: {text_b}"

    def sources(self, frame: pd.DataFrame) -> list[str]:
        """The input text of every row of a contract frame (text_a, text_b)."""
        text_b = frame["text_b"] if "text_b" in frame else pd.Series([None] * len(frame))
        return [self.source(a, None if pd.isna(b) else b) for a, b in zip(frame["text_a"], text_b)]

    def targets(self, tokenizer) -> tuple[tuple[int, ...], ...]:
        """Each label's target ids: its word's pieces, then end-of-sequence (no other special tokens).

        One-line error when two labels give the same ids (exact match could not tell them apart).
        """
        if tokenizer.eos_token_id is None:
            raise LangspecError(f"tokenizer {type(tokenizer).__name__} has no end-of-sequence token: it cannot serve text-to-text")
        out = tuple(tuple(tokenizer(word, add_special_tokens=False)["input_ids"]) + (tokenizer.eos_token_id,)
                    for word in self.labels)
        if len(set(out)) < len(out):
            raise LangspecError(f"the label words {list(self.labels)} do not tokenize to distinct targets")
        return out


def text_to_text_of(config) -> TextToText | None:
    """The prefix and label words a text-to-text model's config carries (``prefix``, ``id2label``, written by
    prepare_model); None for a config without a prefix (the other kinds)."""
    prefix = getattr(config, "prefix", None)
    if not prefix:
        return None
    return TextToText(prefix, tuple(config.id2label[i] for i in range(len(config.id2label))))


@dataclass(frozen=True)
class Encoded:
    """A tokenized split: one row per example, in the frame's order.

    ``features`` maps a tokenizer output name (input_ids, attention_mask, and
    token_type_ids where the tokenizer makes them) to one list of ints per example.
    """

    uid: np.ndarray  # [N] str
    lang: np.ndarray  # [N] str
    label: torch.Tensor  # [N] int64
    features: dict[str, list[list[int]]]
    pad_id: int
    kind: str = "classification"
    #: per-token labels [N][T_i] (token-classification: tags at first sub-words; mlm: the fixed evaluation
    #: masks' original ids), IGNORE elsewhere; None for classification
    targets: list[list[int]] | None = None
    #: mlm only: the corruption and the fixed evaluation inputs [N][T_i]
    masking: Masking | None = None
    masked_ids: list[list[int]] | None = None
    #: text-to-text only: each label's target ids (the word, then end-of-sequence); ``targets`` holds the gold one
    choices: tuple[tuple[int, ...], ...] | None = None
    #: where batches pad: "right" or "left" (the tokenizer's padding_side)
    padding_side: str = "right"

    def __len__(self) -> int:
        return len(self.uid)

    def indices(self, lang: str) -> np.ndarray:
        """Row indices of one language's examples."""
        return np.flatnonzero(self.lang == lang)

    @property
    def languages(self) -> list[str]:
        """Languages in order of first appearance."""
        return list(dict.fromkeys(self.lang.tolist()))

    def num_tokens(self, rows: Sequence[int] | np.ndarray) -> int:
        """Tokens (special tokens included) in the given rows."""
        ids = self.features["input_ids"]
        return int(sum(len(ids[i]) for i in rows))

    def subset(self, rows: Sequence[int] | np.ndarray) -> Encoded:
        """The given rows, in that order, as a split of their own."""
        rows = np.asarray(rows, dtype=np.int64)
        features = {name: [values[i] for i in rows] for name, values in self.features.items()}
        pick = (lambda values: None if values is None else [values[i] for i in rows])
        return Encoded(self.uid[rows], self.lang[rows], self.label[torch.from_numpy(rows)], features, self.pad_id,
                       self.kind, pick(self.targets), self.masking, pick(self.masked_ids), self.choices, self.padding_side)

    def batch(
        self, rows: Sequence[int] | np.ndarray, device: torch.device | str = "cpu", generator: torch.Generator | None = None
    ) -> dict[str, torch.Tensor]:
        """Pad the given rows to their longest example: tensors [B, T] plus ``labels`` ([B], or [B, T] per token;
        text-to-text: [B, L], the target ids padded with -100; clm: [B, T], the input ids, padding -100).
        Left padding (``padding_side``) adds ``position_ids`` [B, T].

        mlm: with ``generator`` (training) fresh masks are drawn from it; without
        it the fixed evaluation masks are used. The batch is assembled on the host
        and moved in one copy per tensor; for a GPU from pinned memory, asynchronously.
        """
        rows = list(rows)
        device = torch.device(device)

        left = self.padding_side == "left"

        def padded(values: list[list[int]], pad: int) -> torch.Tensor:
            length = max(len(values[i]) for i in rows)
            out = np.full((len(rows), length), pad, dtype=np.int64)
            for r, i in enumerate(rows):
                if left:
                    out[r, length - len(values[i]):] = values[i]
                else:
                    out[r, : len(values[i])] = values[i]
            return torch.from_numpy(out)

        out = {name: padded(values, self.pad_id if name == "input_ids" else 0) for name, values in self.features.items()}
        if left:
            out["position_ids"] = (out["attention_mask"].cumsum(1) - 1).clamp(min=0)
        if self.kind == "classification":
            out["labels"] = self.label[rows]
        elif self.kind in ("token-classification", "text-to-text", "clm"):
            out["labels"] = padded(self.targets, IGNORE)
        elif generator is not None:
            out["input_ids"], out["labels"] = corrupt(out["input_ids"], out["attention_mask"].bool(), self.masking, generator)
        else:
            out["input_ids"], out["labels"] = padded(self.masked_ids, self.pad_id), padded(self.targets, IGNORE)
        if device.type == "cuda":
            return {name: tensor.pin_memory().to(device, non_blocking=True) for name, tensor in out.items()}
        return {name: tensor.to(device) for name, tensor in out.items()}


def encode(frame: pd.DataFrame, tokenizer, max_length: int, kind: str = "classification", seed: int = 0,
           text_to_text: TextToText | None = None) -> Encoded:
    """Tokenize a contract frame (uid, lang, text_a, text_b, label; ``tags`` for token-classification).

    Classification pairs where text_b is set. ``seed`` fixes the mlm evaluation masks.
    ``text_to_text``: the prefix and label words of a text-to-text task (required for that kind).
    """
    if kind not in KINDS:
        raise LangspecError(f"unknown task kind {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "text-to-text":
        if text_to_text is None:
            raise LangspecError("a text-to-text split needs the task's prefix and label words")
        return _encode_text_to_text(frame, tokenizer, max_length, text_to_text)
    if kind == "token-classification":
        return _encode_words(frame, tokenizer, max_length)
    if kind == "mlm":
        return _encode_mlm(frame, tokenizer, max_length, seed)
    if kind == "clm":
        return _encode_clm(frame, tokenizer, max_length)
    text_b = frame["text_b"] if "text_b" in frame else pd.Series([None] * len(frame))
    pairs = text_b.notna().to_numpy()
    features: dict[str, list] = {}
    for mask in (pairs, ~pairs):
        rows = np.flatnonzero(mask)
        if len(rows) == 0:
            continue
        first = frame["text_a"].iloc[rows].tolist()
        second = text_b.iloc[rows].tolist() if mask is pairs else None
        encoded = tokenizer(first, second, truncation=True, max_length=max_length)
        for name in ("input_ids", "attention_mask", "token_type_ids"):
            if name in encoded:
                column = features.setdefault(name, [None] * len(frame))
                for r, values in zip(rows, encoded[name]):
                    column[r] = values
    return Encoded(**_columns(frame), features=features, pad_id=tokenizer.pad_token_id, padding_side=_side(tokenizer))


def _side(tokenizer) -> str:
    """The tokenizer's padding side ("right" where it names none)."""
    side = getattr(tokenizer, "padding_side", "right")
    if side not in ("left", "right"):
        raise LangspecError(f"tokenizer padding_side {side!r} is neither 'left' nor 'right'")
    return side


def _columns(frame: pd.DataFrame) -> dict:
    return {
        "uid": frame["uid"].astype(str).to_numpy(),
        "lang": frame["lang"].astype(str).to_numpy(),
        "label": torch.tensor(np.ascontiguousarray(frame["label"].to_numpy(dtype=np.int64))),
    }


def _encode_words(frame: pd.DataFrame, tokenizer, max_length: int) -> Encoded:
    """Token classification: each word's tag on its first sub-word (needs a fast tokenizer for ``word_ids``)."""
    if "tags" not in frame:
        raise LangspecError("a token-classification split needs a 'tags' column (one tag id per word)")
    words = [text.split(" ") for text in frame["text_a"]]
    encoded = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    targets = []
    for r, tags in enumerate(frame["tags"]):
        tags = list(tags)
        if len(tags) != len(words[r]):
            raise LangspecError(f"example {frame['uid'].iloc[r]}: {len(words[r])} words but {len(tags)} tags")
        labels, previous = [], None
        for word in encoded.word_ids(r):
            labels.append(IGNORE if word is None or word == previous else int(tags[word]))
            previous = word
        targets.append(labels)
    features = {name: list(encoded[name]) for name in ("input_ids", "attention_mask", "token_type_ids") if name in encoded}
    return Encoded(**_columns(frame), features=features, pad_id=tokenizer.pad_token_id, kind="token-classification",
                   targets=targets, padding_side=_side(tokenizer))


def _encode_text_to_text(frame: pd.DataFrame, tokenizer, max_length: int, how: TextToText) -> Encoded:
    """Text-to-text: the formatted inputs (truncated to ``max_length``) and each example's label word as the target."""
    encoded = tokenizer(how.sources(frame), truncation=True, max_length=max_length)
    features = {name: list(encoded[name]) for name in ("input_ids", "attention_mask") if name in encoded}
    choices = how.targets(tokenizer)
    labels = frame["label"].to_numpy(dtype=np.int64)
    if len(labels) and not 0 <= labels.min() <= labels.max() < len(choices):
        raise LangspecError(f"a label id is outside the {len(choices)} label words {list(how.labels)}")
    return Encoded(**_columns(frame), features=features, pad_id=tokenizer.pad_token_id, kind="text-to-text",
                   targets=[list(choices[label]) for label in labels], choices=choices)


def example_seed(seed: int, uid: str) -> int:
    """A 63-bit seed for one example's evaluation mask: the same for the same (seed, uid) anywhere."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{uid}".encode()).digest()[:8], "little") >> 1


def _encode_mlm(frame: pd.DataFrame, tokenizer, max_length: int, seed: int) -> Encoded:
    """Masked language modelling: the passages of ``text_a``, and each example's fixed evaluation mask."""
    if tokenizer.mask_token_id is None:
        raise LangspecError(f"tokenizer {type(tokenizer).__name__} has no mask token: it cannot serve masked language modelling")
    masking = Masking(tokenizer.mask_token_id, len(tokenizer), tuple(sorted(set(tokenizer.all_special_ids))))
    encoded = tokenizer(frame["text_a"].tolist(), truncation=True, max_length=max_length)
    features = {name: list(encoded[name]) for name in ("input_ids", "attention_mask", "token_type_ids") if name in encoded}
    masked_ids, targets = [], []
    for uid, ids in zip(frame["uid"].astype(str), features["input_ids"]):
        generator = torch.Generator().manual_seed(example_seed(seed, uid))
        inputs, labels = corrupt(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.bool), masking, generator)
        masked_ids.append(inputs[0].tolist())
        targets.append(labels[0].tolist())
    return Encoded(**_columns(frame), features=features, pad_id=tokenizer.pad_token_id, kind="mlm", targets=targets,
                   masking=masking, masked_ids=masked_ids, padding_side=_side(tokenizer))


def _encode_clm(frame: pd.DataFrame, tokenizer, max_length: int) -> Encoded:
    """Causal language modelling: the passages of ``text_a``; the targets are the input ids themselves."""
    encoded = tokenizer(frame["text_a"].tolist(), truncation=True, max_length=max_length)
    features = {name: list(encoded[name]) for name in ("input_ids", "attention_mask") if name in encoded}
    if "attention_mask" not in features:
        features["attention_mask"] = [[1] * len(ids) for ids in features["input_ids"]]
    return Encoded(**_columns(frame), features=features, pad_id=tokenizer.pad_token_id, kind="clm",
                   targets=[list(ids) for ids in features["input_ids"]], padding_side=_side(tokenizer))


def chunks(rows: np.ndarray, size: int) -> Iterator[np.ndarray]:
    """Consecutive slices of ``rows`` of at most ``size``."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def by_length(encoded: Encoded, rows: np.ndarray) -> np.ndarray:
    """``rows`` sorted by token count (stable), so inference batches pad little."""
    lengths = np.array([len(encoded.features["input_ids"][i]) for i in rows])
    return rows[np.argsort(lengths, kind="stable")]
