"""Checkpoint directories: ``models/{task}/{regime}/epoch{e}/`` and the data they score."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from .errors import LangspecError


def epoch_path(regime_dir: str | os.PathLike, epoch: int) -> Path:
    """The directory of one epoch's checkpoint; a one-line error if it is missing."""
    path = Path(regime_dir) / f"epoch{epoch}"
    if not (path / "config.json").exists():
        raise LangspecError(f"checkpoint {path} does not exist")
    return path


def load_classifier(path: str | os.PathLike, device: torch.device | str = "cpu"):
    """(model in eval mode on ``device``, tokenizer) from a save_pretrained directory."""
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSequenceClassification.from_pretrained(path)
    except (OSError, ValueError) as error:
        raise LangspecError(f"cannot load a classifier from {path} ({error.__class__.__name__})") from None
    return model.to(device).eval(), tokenizer


def learning_rates(regime_dir: str | os.PathLike, epochs: int) -> list[float]:
    """The learning rate at each epoch's checkpoint (from its metrics.json)."""
    return [json.loads((epoch_path(regime_dir, e) / "metrics.json").read_text())["learning_rate"] for e in range(1, epochs + 1)]


def read_split(path: str | os.PathLike) -> pd.DataFrame:
    """A data split in the contract's columns."""
    frame = pd.read_parquet(path)
    missing = {"uid", "lang", "text_a", "text_b", "label"} - set(frame.columns)
    if missing:
        raise LangspecError(f"data file {path} lacks column(s) {', '.join(sorted(missing))}")
    return frame
