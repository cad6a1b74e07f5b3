"""Subnetworks chosen other than by IMP (paper 003, appendix D): difference masks and Fisher masks.

Paper 003 tried two other ways to choose a 50% subnetwork and found that they
lose 5–8% against the full model, so they do not qualify as tickets:

- **difference** (LT-SFT, Ansell et al. 2022): fine-tune the whole model on the
  language, score every prunable weight by how far it moved, |θ_ft − θ0|, keep
  the weights that moved most;
- **fisher** (FISH, Sung et al. 2021): score every prunable weight by the
  empirical Fisher information of the pre-trained model on the language's
  training data, (1/N) Σ_i (∂ℓ_i/∂w)², the squared gradient of each example's
  true-label loss (the task's training loss: cross-entropy of the label, the
  masked tokens or the tags), over N = min(``examples``, the split's size)
  examples (paper 003 and FISH: 1,024), one example per backward pass, in
  eval mode (no dropout); keep the highest.

Either way one global top-k over the prunable weights of the whole encoder
(the same weights IMP prunes, :func:`~langspec.tickets.masks.prunable_weights`)
makes the mask, and the kept weights are trained from θ0 exactly as a ticket
(:func:`~langspec.tickets.imp.train_ticket`; pruned weights are zero). LT-SFT
and FISH themselves fine-tune the chosen weights and *freeze* the rest at their
pre-trained values; paper 003 prunes the rest, as here, so that the masks are
subnetworks comparable with the tickets (same file format, overlap, transfer).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from tqdm.auto import tqdm

from langspec.core.errors import LangspecError
from langspec.data.encode import Encoded
from langspec.tickets.masks import WeightMask, magnitude_prune, prunable_weights
from langspec.training.objective import training_loss

#: The alternative mask kinds, by name.
METHODS = ("difference", "fisher")


def top_mask(scores: Mapping[str, torch.Tensor], sparsity: float) -> WeightMask:
    """Keep the weights with the largest scores, globally over all matrices: a mask of ``sparsity`` (fraction pruned).

    ``scores``: name -> non-negative scores shaped like the weight. Ties go to
    the earlier weight (:func:`~langspec.tickets.masks.magnitude_prune`'s order).
    """
    if not 0 <= sparsity < 1:
        raise LangspecError(f"a mask's sparsity must be in [0, 1), got {sparsity}")
    if any(bool((s < 0).any()) for s in scores.values()):
        raise LangspecError("mask scores must be non-negative")
    keep_all = {name: torch.ones_like(s, dtype=torch.bool) for name, s in scores.items()}
    total = sum(s.numel() for s in scores.values())
    return magnitude_prune(scores, keep_all, int(round(sparsity * total)))


def snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A float32 CPU copy of the prunable weights (θ0 before fine-tuning)."""
    return {name: w.detach().to("cpu", torch.float32, copy=True) for name, w in prunable_weights(model).items()}


def difference_scores(model: torch.nn.Module, theta0: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """|θ − θ0| of every prunable weight (CPU float32), ``model`` fine-tuned, ``theta0`` from :func:`snapshot`."""
    weights = prunable_weights(model)
    if set(weights) != set(theta0):
        raise LangspecError("θ0 and the model differ in their prunable weights")
    return {name: (w.detach().to("cpu", torch.float32) - theta0[name]).abs() for name, w in weights.items()}


def fisher_scores(model: torch.nn.Module, data: Encoded, examples: int, seed: int) -> dict[str, torch.Tensor]:
    """Empirical Fisher (1/N) Σ_i (∂ℓ_i/∂w)² of every prunable weight (CPU float32), over N examples of ``data``.

    N = min(``examples``, len(data)), drawn without replacement with numpy's
    ``default_rng(seed)`` (all of them, in order, when the split is no larger);
    an MLM example's masked positions are drawn from a generator seeded the same
    way. ℓ_i is the task's training loss of example i alone. The model is left
    in eval mode with its gradients cleared.
    """
    if examples < 1:
        raise LangspecError(f"the Fisher information needs at least one example, got {examples}")
    rows = np.arange(len(data))
    if len(rows) > examples:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=examples, replace=False))
    weights = prunable_weights(model)
    device = next(model.parameters()).device
    total = {name: torch.zeros_like(w, dtype=torch.float32) for name, w in weights.items()}
    generator = torch.Generator().manual_seed(seed)
    model.eval()
    used = 0
    for row in tqdm(rows, desc="fisher", unit="example"):
        model.zero_grad(set_to_none=True)
        loss = training_loss(model, data.batch([row], device, generator), data.kind)
        if not torch.isfinite(loss):  # an MLM example with no selected position has no loss
            continue
        loss.backward()
        for name, w in weights.items():
            total[name] += w.grad.detach().float() ** 2
        used += 1
    model.zero_grad(set_to_none=True)
    if used == 0:
        raise LangspecError("no example gave a finite loss for the Fisher information")
    return {name: (t / used).cpu() for name, t in total.items()}
