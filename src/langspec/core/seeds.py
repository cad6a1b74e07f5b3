"""Seeds of independent replicates, derived from a stage's seed and the replicate index."""

from __future__ import annotations

import numpy as np


def replicate_seed(seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` (0-based) of a stage seeded with ``seed``.

    Derived with numpy's ``SeedSequence([seed, replicate])``, so replicates draw
    statistically independent streams, the same (seed, replicate) gives the same
    seed anywhere, and adding replicates never changes the existing ones. The
    result is a non-negative integer below 2**31.
    """
    if seed < 0 or replicate < 0:
        raise ValueError(f"seed {seed} and replicate {replicate} must be non-negative")
    return int(np.random.SeedSequence([seed, replicate]).generate_state(1)[0] >> 1)
