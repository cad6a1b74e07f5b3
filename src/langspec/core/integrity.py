"""Checks of numeric artifacts where they are read: checksums, finiteness, ranges.

A file that was truncated, overwritten or corrupted after it was written must
fail the job that reads it, with one line naming the file and what is wrong,
instead of silently giving wrong numbers.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

import numpy as np

from langspec.core.errors import LangspecError


def digest(arrays: Iterable[np.ndarray]) -> str:
    """A BLAKE2b digest (hex) of the arrays' dtypes, shapes and bytes, in order."""
    hasher = hashlib.blake2b(digest_size=16)
    for array in arrays:
        array = np.ascontiguousarray(array)
        hasher.update(f"{array.dtype.str}{array.shape}".encode())
        if array.dtype.kind == "O":
            for item in array.ravel():
                hasher.update(str(item).encode() + b"\0")
        else:
            hasher.update(array.tobytes())
    return hasher.hexdigest()


def check_digest(path: str | os.PathLike, recorded: str | None, arrays: Iterable[np.ndarray]) -> None:
    """Fail unless ``recorded`` (the checksum stored in the file) matches the arrays read back.

    ``path`` is the file as the message names it (e.g. ``"sketch file results/…/train.h5"``).
    """
    if recorded is None:
        raise LangspecError(f"{path} has no checksum: it was not completely written by langspec (rerun the rule that makes it)")
    if isinstance(recorded, bytes):
        recorded = recorded.decode()
    if digest(arrays) != recorded:
        raise LangspecError(f"{path} is corrupted: its arrays do not match the checksum written with them (delete it and rerun)")


def check_finite(array: np.ndarray, what: str) -> None:
    """Fail when ``array`` holds NaN or infinity, naming ``what`` and how many values."""
    bad = ~np.isfinite(array)
    if bad.any():
        raise LangspecError(f"{what} holds {int(bad.sum())} non-finite value(s) (NaN or infinity)")


def check_range(array: np.ndarray, low: float, high: float, what: str) -> None:
    """Fail when ``array`` has values outside [low, high] (or non-finite ones)."""
    check_finite(array, what)
    if array.size and (array.min() < low or array.max() > high):
        raise LangspecError(f"{what} has values outside [{low}, {high}] (from {array.min():.4g} to {array.max():.4g})")
