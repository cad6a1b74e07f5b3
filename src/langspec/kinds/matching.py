"""Removing each kind's most language-specific units at a matched number of parameters.

The budget of a language is the number of parameters its LAPE neurons own (each neuron's rows of the input (and
gate) projections and their biases, its column of the output projection: :meth:`~langspec.neurons.ffn.FFNLayer.owned`).
Weights match it exactly: the budget's count of the language's most specific weights. Heads come in blocks of
one head's query, key, value and output slices: the number of heads whose parameters come closest to the budget,
at least one. Units of equal specificity are ordered at random with a seed, so the same seed picks the same units.
Numpy only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def top_units(score: np.ndarray, count: int, seed: int | Sequence[int]) -> np.ndarray:
    """Bool array shaped as ``score``: the ``count`` units of highest score, ties in a random order drawn with
    ``numpy.random.default_rng(seed)``."""
    flat = np.asarray(score, dtype=np.float64).ravel()
    count = int(min(max(count, 0), flat.size))
    tiebreak = np.random.default_rng(seed).random(flat.size)
    chosen = np.lexsort((tiebreak, -flat))[:count]
    out = np.zeros(flat.size, dtype=bool)
    out[chosen] = True
    return out.reshape(np.shape(score))


def head_count(budget: int, head_params: int) -> int:
    """Heads whose parameters come closest to ``budget`` (at least one)."""
    return max(1, int(round(budget / head_params)))


def top_weights(score: Mapping[str, np.ndarray], count: int, seed: int | Sequence[int]) -> dict[str, np.ndarray]:
    """Weight name -> bool [out, in]: the ``count`` weights of highest score over all the named matrices (ties at
    random with ``seed``, as :func:`top_units`)."""
    names = list(score)
    flat = np.concatenate([np.asarray(score[n]).ravel() for n in names])
    chosen = top_units(flat, count, seed)
    out, start = {}, 0
    for name in names:
        size = np.asarray(score[name]).size
        out[name] = chosen[start:start + size].reshape(np.shape(score[name]))
        start += size
    return out
