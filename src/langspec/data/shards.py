"""Shards of a split for sketching: contiguous runs of whole length-sorting windows.

Sketch batches are formed by sorting examples by length within windows of
``batch_size * WINDOW_BATCHES`` consecutive rows. A shard is a run of whole
windows, so every example lands in the same batch whatever the number of
shards, and sharded sketches are bit-identical to unsharded ones.
"""

from __future__ import annotations

import numpy as np

from langspec.core.errors import LangspecError

#: Batches per length-sorting window; a window is also the unit of sharding.
WINDOW_BATCHES = 8


def windows(n: int, batch_size: int) -> list[np.ndarray]:
    """Rows 0..n-1 cut into consecutive windows of ``batch_size * WINDOW_BATCHES`` rows."""
    size = batch_size * WINDOW_BATCHES
    return [np.arange(start, min(start + size, n)) for start in range(0, n, size)]


def count_windows(n: int, batch_size: int) -> int:
    """How many windows ``n`` rows make (the most shards they can be cut into)."""
    return -(-n // (batch_size * WINDOW_BATCHES))


def shard_rows(n: int, batch_size: int, shards: int, shard: int, what: str = "the training split") -> np.ndarray:
    """Rows of shard ``shard`` of ``shards``: a contiguous run of whole windows (all rows for one shard)."""
    parts = windows(n, batch_size)
    if not 1 <= shards <= max(len(parts), 1):
        raise LangspecError(
            f"sketch.shards is {shards} but {what} has {n} examples, {len(parts)} window(s) of "
            f"{batch_size * WINDOW_BATCHES} (sketch.batch_size x {WINDOW_BATCHES}); use 1 to {len(parts)} shards"
        )
    if not 0 <= shard < shards:
        raise LangspecError(f"sketch shard {shard} is not one of 0..{shards - 1}")
    mine = np.array_split(np.arange(len(parts)), shards)[shard]
    return np.concatenate([parts[i] for i in mine]) if len(mine) else np.zeros(0, dtype=int)
