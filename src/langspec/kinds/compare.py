"""One replicate's comparison of the three kinds on one model: where each places a language's specificity per
layer, how they overlap, and what removing each one's most specific units at the neurons' parameter budget does.

Inputs per language: its LAPE neurons ([layers, neurons] bool), its head mask ([layers, heads] 0/1, 1 = kept) and
its ticket's IMP rounds up to the compared one (weight name -> bool, True = kept; round 1 first). Outputs three
lists of rows (:mod:`langspec.kinds.tables`: profile, overlap and removal rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from torch import nn

from langspec.core.errors import LangspecError
from langspec.data.encode import Encoded
from langspec.kinds.matching import head_count, top_units, top_weights
from langspec.kinds.overlap import HEADS_IN_NEURON_LAYERS, TICKET_IN_NEURONS, heads_in_neuron_layers, ticket_in_neurons
from langspec.kinds.removal import Removal, ffn_weights, head_params, layer_weights, neuron_params, removal_rows
from langspec.kinds.specificity import layer_profile, specificity, survival, weight_specificity
from langspec.kinds.tables import KINDS


def _check(neurons: Mapping, heads: Mapping, tickets: Mapping) -> list[str]:
    languages = list(neurons)
    for what, given in (("head masks", heads), ("tickets", tickets)):
        if sorted(given) != sorted(languages):
            raise LangspecError(f"the comparison of kinds has {what} for {', '.join(sorted(given))} but neurons for "
                                f"{', '.join(sorted(languages))}: every kind needs every language")
    return languages


def compare(model: nn.Module, data: Encoded, neurons: Mapping[str, np.ndarray], heads: Mapping[str, np.ndarray],
            tickets: Mapping[str, Sequence[Mapping[str, np.ndarray]]], batch_size: int,
            seed: int) -> tuple[list[dict], list[dict], list[dict]]:
    """(layer-profile rows, overlap rows, removal rows) of one replicate (module docstring); ``seed`` orders units
    of equal specificity. A language without a LAPE neuron has no budget: its removals are left out."""
    languages = _check(neurons, heads, tickets)
    per_layer = layer_weights(model)
    names = {name for layer in per_layer for name in layer}
    ffn = ffn_weights(model)
    sizes = {"heads": head_params(model), "neurons": neuron_params(model)}
    scores = {
        "heads": specificity({lang: np.asarray(heads[lang], dtype=np.float32) for lang in languages}),
        "neurons": specificity({lang: np.asarray(neurons[lang], dtype=np.float32) for lang in languages}),
        "weights": weight_specificity({lang: {n: m for n, m in survival(tickets[lang]).items() if n in names}
                                       for lang in languages}),
    }
    profile, overlap, removals = [], [], []
    for index, lang in enumerate(languages):
        masses = {kind: np.clip(scores[kind][lang], 0, None).sum(axis=1) * sizes[kind] for kind in ("heads", "neurons")}
        masses["weights"] = np.array([sum(float(np.clip(scores["weights"][lang][n], 0, None).sum()) for n in layer)
                                      for layer in per_layer])
        for kind in KINDS:
            for layer, share in enumerate(layer_profile(masses[kind])):
                profile.append({"kind": kind, "lang": lang, "layer": layer, "share_pct": share,
                                "layers": len(per_layer)})
        share, expected = ticket_in_neurons(tickets[lang][-1], ffn, neurons[lang])
        overlap.append({"lang": lang, "overlap": TICKET_IN_NEURONS, "share_pct": share, "expected_pct": expected})
        share, expected = heads_in_neuron_layers(heads[lang], neurons[lang])
        overlap.append({"lang": lang, "overlap": HEADS_IN_NEURON_LAYERS, "share_pct": share, "expected_pct": expected})
        count = int(np.asarray(neurons[lang]).sum())
        if count == 0:
            continue
        budget = count * sizes["neurons"]
        k = head_count(budget, sizes["heads"])
        chosen_heads = top_units(scores["heads"][lang], k, [seed, index, 0])
        chosen_weights = top_weights(scores["weights"][lang], budget, [seed, index, 1])
        removals += [
            Removal("heads", lang, chosen_heads, k, k * sizes["heads"],
                    int((scores["heads"][lang][chosen_heads] > 0).sum())),
            Removal("weights", lang, chosen_weights, budget, budget,
                    int(sum((scores["weights"][lang][n][m] > 0).sum() for n, m in chosen_weights.items()))),
            Removal("neurons", lang, np.asarray(neurons[lang], dtype=bool), count, budget,
                    int((scores["neurons"][lang][np.asarray(neurons[lang], dtype=bool)] > 0).sum())),
        ]
    return profile, overlap, removal_rows(model, data, removals, languages, batch_size)
