"""Sketches under a lottery ticket approximate the exact masked per-example gradients G ⊙ M."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from langspec.attribution.sketch import Sketcher
from langspec.attribution.ticket_sketch import TicketSketcher
from langspec.tickets.masks import WeightSubnetworks, full_mask, magnitude_prune, prunable_weights, random_mask

from .conftest import random_batch, tiny_classifier
from .test_sketch import exact_gradients, projected


def _pairs(vectors: torch.Tensor) -> np.ndarray:
    """Cosines of every pair of rows (upper triangle)."""
    normed = F.normalize(vectors, dim=1)
    cos = (normed @ normed.T).numpy()
    return cos[np.triu_indices(len(cos), 1)]


def _agreement(reference: np.ndarray, approx: np.ndarray) -> dict:
    diff = np.abs(reference - approx)
    return {"corr": float(np.corrcoef(reference, approx)[0, 1]), "mean": float(diff.mean()), "max": float(diff.max())}


@pytest.mark.parametrize("kind, sparsity", [("magnitude", 0.5), ("random", 0.5), ("random", 0.9)])
def test_ticket_sketch_cosines_agree_with_exact_masked_gradients(kind, sparsity):
    model = tiny_classifier("bert", layers=2, heads=4, hidden=32).double()
    total = sum(w.numel() for w in prunable_weights(model).values())
    if kind == "magnitude":
        mask = magnitude_prune(prunable_weights(model), full_mask(model), round(sparsity * total))
    else:
        mask = random_mask(full_mask(model), 0, sparsity)
    batch = random_batch(batch=12, length=9, seed=4)
    with WeightSubnetworks.single(model, mask) as subnetworks:
        subnetworks.use("*")
        plain = Sketcher(model, dim=1024, patterns=["*"], seed=0)
        ticket = TicketSketcher(model, dim=1024, patterns=["*"], seed=0, mask=mask)
        with plain:
            sketch_g = plain(batch)[0]
        with ticket:
            sketch_t = ticket(batch)[0]
        exact = exact_gradients(model, batch, plain.layers)  # per example, one backward each: [G ⊙ M | bias]
    for grads, (_, linear) in zip(exact[0], plain.layers):
        name = next(n for n, m in model.named_modules() if m is linear) + ".weight"
        if name in mask:
            assert torch.count_nonzero(grads[:, : linear.in_features][~mask[name]]) == 0, "the exact gradient is G ⊙ M"
    assert ticket.densities[-1] == 1.0 and min(ticket.densities) < 1.0, "the classifier is never pruned"

    exact_cos = _pairs(torch.stack([torch.cat([g.flatten() for g in grads]) for grads in exact]))
    projected_cos = _pairs(torch.stack([projected(plain, grads) for grads in exact]))  # the ideal sketch of G ⊙ M
    plain_vs_projected = _agreement(projected_cos, _pairs(sketch_g))
    ticket_vs_projected = _agreement(projected_cos, _pairs(sketch_t))
    ticket_vs_exact = _agreement(exact_cos, _pairs(sketch_t))
    print(f"\n{kind} {sparsity}: same projection, G vs G⊙M {plain_vs_projected}; √q-scaled vs G⊙M {ticket_vs_projected}; "
          f"√q-scaled sketch vs exact unprojected G⊙M {ticket_vs_exact}")
    assert plain_vs_projected["corr"] > 0.99 and plain_vs_projected["mean"] < 0.08
    assert ticket_vs_projected["corr"] > 0.999 and ticket_vs_projected["mean"] < 0.015
    assert ticket_vs_projected["mean"] < 0.5 * plain_vs_projected["mean"], "density scaling helps"
    assert ticket_vs_exact["corr"] > 0.95, "the random projection adds its own noise (d = 1024 for 32-wide layers)"


def test_ticket_sketcher_without_a_mask_is_the_plain_sketcher():
    model = tiny_classifier("bert").double()
    batch = random_batch()
    with Sketcher(model, 16, ["*"], seed=1) as plain:
        expected = plain(batch)[0]
    with TicketSketcher(model, 16, ["*"], seed=1) as ticket:
        assert torch.equal(ticket(batch)[0], expected)
