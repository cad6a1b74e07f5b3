"""Masked updates: gradient masking hits exactly the masked heads; strict mode freezes them."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from langspec.heads.gates import HeadGates
from langspec.heads.sparse import frozen_heads, mask_gradients
from langspec.models.layout import head_layout

from .conftest import random_batch, tiny_classifier

MASK = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0]])


def _backward(model, batch):
    model.zero_grad()
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    F.cross_entropy(out.logits, batch["labels"]).backward()


def _slices(layout, layer, head):
    """(parameter, index) of every slice owned by one head."""
    d = layout.head_size
    rows = slice(head * d, (head + 1) * d)
    heads = layout.layers[layer]
    out = []
    for linear in (heads.query, heads.key, heads.value):
        out += [(linear.weight, (rows, slice(None))), (linear.bias, (rows,))]
    out.append((heads.output.weight, (slice(None), rows)))
    return out


def test_mask_gradients_zeroes_exactly_the_masked_heads():
    model = tiny_classifier("bert", layers=2, heads=4)
    batch = random_batch()
    _backward(model, batch)  # unmasked forward: every head has a gradient
    before = {name: p.grad.clone() for name, p in model.named_parameters()}
    layout = head_layout(model)
    mask_gradients(layout, MASK)
    masked_cells = {}
    for layer in range(2):
        for head in range(4):
            for parameter, index in _slices(layout, layer, head):
                grad = parameter.grad[index]
                if MASK[layer, head] == 0:
                    assert torch.count_nonzero(grad) == 0
                else:
                    assert torch.count_nonzero(grad) > 0
                masked_cells.setdefault(id(parameter), torch.zeros_like(parameter, dtype=torch.bool))
                if MASK[layer, head] == 0:
                    masked_cells[id(parameter)][index] = True
    for name, p in model.named_parameters():
        untouched = ~masked_cells.get(id(p), torch.zeros_like(p, dtype=torch.bool))
        assert torch.equal(p.grad[untouched], before[name][untouched]), name


def _one_masked_step(strict: bool):
    """Build AdamW momentum with every head open, then take one step under MASK.

    Returns the layout, the parameters and optimizer state before the masked
    step, and the optimizer after it.
    """
    torch.manual_seed(0)
    model = tiny_classifier("bert", layers=2, heads=4).train()
    layout = head_layout(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    with HeadGates(model) as gates:
        for seed in range(2):
            _backward(model, random_batch(seed=seed))
            optimizer.step()
        params = {id(p): p.detach().clone() for p in model.parameters()}
        state = {id(p): {k: v.clone() for k, v in optimizer.state[p].items()} for p in model.parameters()}
        gates.set(MASK)
        _backward(model, random_batch(seed=2))
        mask_gradients(layout, MASK)
        if strict:
            with frozen_heads(layout, MASK, optimizer):
                optimizer.step()
        else:
            optimizer.step()
    return layout, params, state, optimizer


def test_strict_step_leaves_masked_heads_and_their_state_bit_identical():
    layout, params, state, optimizer = _one_masked_step(strict=True)
    for layer in range(2):
        for head in range(4):
            masked = bool(MASK[layer, head] == 0)
            for parameter, index in _slices(layout, layer, head):
                assert torch.equal(parameter[index], params[id(parameter)][index]) == masked, (layer, head)
                for name in ("exp_avg", "exp_avg_sq"):
                    now = optimizer.state[parameter][name][index]
                    assert torch.equal(now, state[id(parameter)][name][index]) == masked, (layer, head, name)


def test_paper_step_moves_masked_heads_through_momentum_and_decay():
    layout, params, _, _ = _one_masked_step(strict=False)
    for layer in range(2):
        for head in range(4):
            for parameter, index in _slices(layout, layer, head):
                assert not torch.equal(parameter[index], params[id(parameter)][index]), (layer, head)
