"""How specific each unit of each kind is to a language, and where each kind places that specificity per layer.

A unit's *membership* in a language's subnetwork: for a head, 1 when the language's head mask keeps it, else 0;
for a neuron, 1 when it is one of the language's LAPE neurons; for a weight, the share of the IMP rounds up to the
compared ticket in which the language's ticket keeps it (1: kept to the end, 0: pruned in the first round). Its
*specificity* for a language is its membership there minus its mean membership in the other languages: 1 for a
unit only that language's subnetwork holds, 0 for one every language holds alike, negative for one the language
lacks and others hold. Numpy only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from langspec.core.errors import LangspecError


def specificity(membership: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Language -> membership array (any shape, values in [0, 1], the same shape for every language) to language ->
    specificity (same shape, float32 in [-1, 1]); two or more languages."""
    if len(membership) < 2:
        raise LangspecError(f"specificity compares two or more languages, not {len(membership)}")
    stacked = np.stack([np.asarray(m, dtype=np.float32) for m in membership.values()])
    total = stacked.sum(axis=0)
    others = len(membership) - 1
    return {lang: stacked[i] - (total - stacked[i]) / others for i, lang in enumerate(membership)}


def survival(rounds: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """A ticket's IMP rounds (round 1 first; each weight name -> bool [out, in], True = kept) to weight name -> the
    share of the rounds in which each weight is kept (float32 in [0, 1]): a weight's membership in the ticket."""
    if not rounds:
        raise LangspecError("a ticket's membership needs at least one IMP round")
    names = list(rounds[0])
    return {name: (sum(np.asarray(r[name], dtype=np.uint8) for r in rounds) / len(rounds)).astype(np.float32)
            for name in names}


def weight_specificity(membership: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, dict[str, np.ndarray]]:
    """Language -> weight name -> membership (:func:`survival`) to language -> weight name -> specificity."""
    languages = list(membership)
    names = list(membership[languages[0]])
    out: dict[str, dict[str, np.ndarray]] = {lang: {} for lang in languages}
    for name in names:
        for lang, value in specificity({lang: membership[lang][name] for lang in languages}).items():
            out[lang][name] = value
    return out


def layer_profile(mass: np.ndarray) -> np.ndarray:
    """Where a kind places a language's specificity: ``mass`` [layers] is each layer's positive specificity summed
    over its units and weighted by their parameters; returns the share (%) in each layer, summing to 100, or NaN
    everywhere when no unit is specific to the language."""
    mass = np.asarray(mass, dtype=np.float64)
    total = mass.sum()
    return 100 * mass / total if total > 0 else np.full(mass.shape, np.nan)
