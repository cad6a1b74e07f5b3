"""How a language's subnetworks of different kinds overlap, each against the expectation of random placement.

- Ticket weights in neuron rows and columns: of the language's ticket weights in the feed-forward matrices, the
  share (%) that lie in its LAPE neurons' rows (input and gate projections) and columns (output projection);
  expected: the share of all feed-forward weight positions those rows and columns are (a ticket placed at random
  within the feed-forward matrices).
- Head-mask heads in neuron layers: of the heads the language's head mask keeps, the share (%) in the layers that
  hold at least one of its neurons; expected: the share of all heads in those layers.

Numpy only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: The overlap measures, in the order of a table's rows.
TICKET_IN_NEURONS = "ticket weights in neuron rows and columns"
HEADS_IN_NEURON_LAYERS = "head-mask heads in neuron layers"


def ticket_in_neurons(ticket: Mapping[str, np.ndarray], ffn: Sequence[Sequence[tuple[str, int]]],
                      neurons: np.ndarray) -> tuple[float, float]:
    """(share %, expected %) for one language: ``ticket`` weight name -> bool [out, in] (True = kept); ``ffn``
    per layer, (weight name, the axis along which index j is neuron j) of its feed-forward weights; ``neurons``
    [layers, neurons] bool, the language's. NaN when the ticket keeps no feed-forward weight."""
    neurons = np.asarray(neurons, dtype=bool)
    inside = total = inside_positions = positions = 0
    for layer, weights in enumerate(ffn):
        selected = neurons[layer]
        for name, axis in weights:
            kept = np.asarray(ticket[name], dtype=bool)
            per_neuron = kept.sum(axis=1 - axis)
            inside += int(per_neuron[selected].sum())
            total += int(per_neuron.sum())
            inside_positions += int(selected.sum()) * kept.shape[1 - axis]
            positions += kept.size
    if total == 0:
        return float("nan"), 100 * inside_positions / positions
    return 100 * inside / total, 100 * inside_positions / positions


def heads_in_neuron_layers(heads: np.ndarray, neurons: np.ndarray) -> tuple[float, float]:
    """(share %, expected %) for one language: ``heads`` [layers, heads] 0/1 (1 = kept), ``neurons`` [layers,
    neurons] bool. NaN when the mask keeps no head."""
    kept = np.asarray(heads) > 0
    occupied = np.asarray(neurons, dtype=bool).any(axis=1)
    expected = 100 * float(occupied.mean())
    if not kept.any():
        return float("nan"), expected
    return 100 * float(kept[occupied].sum() / kept.sum()), expected
