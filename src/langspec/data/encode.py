"""Tokenize contract frames once and cut them into padded batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch


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
        return Encoded(self.uid[rows], self.lang[rows], self.label[torch.from_numpy(rows)], features, self.pad_id)

    def batch(self, rows: Sequence[int] | np.ndarray, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """Pad the given rows to their longest example: tensors [B, T] plus ``labels`` [B].

        The batch is assembled on the host and moved in one copy per tensor; for a
        GPU from pinned memory, asynchronously.
        """
        rows = list(rows)
        device = torch.device(device)
        length = max(len(self.features["input_ids"][i]) for i in rows)
        out = {}
        for name, values in self.features.items():
            pad = self.pad_id if name == "input_ids" else 0
            padded = np.full((len(rows), length), pad, dtype=np.int64)
            for r, i in enumerate(rows):
                padded[r, : len(values[i])] = values[i]
            out[name] = torch.from_numpy(padded)
        out["labels"] = self.label[rows]
        if device.type == "cuda":
            return {name: tensor.pin_memory().to(device, non_blocking=True) for name, tensor in out.items()}
        return {name: tensor.to(device) for name, tensor in out.items()}


def encode(frame: pd.DataFrame, tokenizer, max_length: int) -> Encoded:
    """Tokenize a contract frame (uid, lang, text_a, text_b, label); pairs where text_b is set."""
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
    return Encoded(
        uid=frame["uid"].astype(str).to_numpy(),
        lang=frame["lang"].astype(str).to_numpy(),
        label=torch.tensor(frame["label"].to_numpy(dtype=np.int64)),
        features=features,
        pad_id=tokenizer.pad_token_id,
    )


def chunks(rows: np.ndarray, size: int) -> Iterator[np.ndarray]:
    """Consecutive slices of ``rows`` of at most ``size``."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def by_length(encoded: Encoded, rows: np.ndarray) -> np.ndarray:
    """``rows`` sorted by token count (stable), so inference batches pad little."""
    lengths = np.array([len(encoded.features["input_ids"][i]) for i in rows])
    return rows[np.argsort(lengths, kind="stable")]
