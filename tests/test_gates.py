"""Head gates: exactness against the ungated model, masking and Michel et al.'s importance."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from langspec.core.errors import LangspecError
from langspec.heads.gates import HeadGates
from langspec.models.layout import head_layout

from .conftest import random_batch, tiny_classifier

FAMILIES = ["bert", "xlm-roberta", "distilbert"]


def _logits(model, batch):
    return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_open_gates_are_bit_identical(family, attn):
    model = tiny_classifier(family, attn=attn)
    batch = random_batch()
    with torch.no_grad():
        before = _logits(model, batch)
        with HeadGates(model):
            gated = _logits(model, batch)
        after = _logits(model, batch)
    assert torch.equal(before, gated)
    assert torch.equal(before, after)


@pytest.mark.parametrize("family", FAMILIES)
def test_open_gates_with_gradients_are_bit_identical(family):
    model = tiny_classifier(family)
    batch = random_batch()
    with torch.no_grad():
        before = _logits(model, batch)
    with HeadGates(model) as gates:
        gates.values.requires_grad_(True)
        gated = _logits(model, batch)
    assert torch.equal(before, gated.detach())


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_closed_gate_equals_zeroed_value_slice(family, attn):
    model = tiny_classifier(family, attn=attn, layers=3)
    batch = random_batch()
    closed = [(0, 1), (2, 3), (2, 0)]
    mask = torch.ones(3, 4)
    for layer, head in closed:
        mask[layer, head] = 0
    with torch.no_grad(), HeadGates(model) as gates:
        gates.set(mask)
        gated = _logits(model, batch)
    layout = head_layout(model)
    size = layout.head_size
    with torch.no_grad():
        for layer, head in closed:
            value = layout.layers[layer].value
            value.weight[head * size:(head + 1) * size] = 0
            value.bias[head * size:(head + 1) * size] = 0
        zeroed = _logits(model, batch)
    torch.testing.assert_close(gated, zeroed, rtol=0, atol=1e-6)
    assert not torch.allclose(gated, tiny_classifier(family, attn=attn, layers=3)(**{k: v for k, v in batch.items() if k != "labels"}).logits)


@pytest.mark.parametrize("family", FAMILIES)
def test_gate_gradient_is_michel_importance(family):
    """d loss / d gate[l, h] == sum over positions of <context_h, d loss / d context_h>."""
    model = tiny_classifier(family, layers=3).double()
    batch = random_batch()
    layout = head_layout(model)
    # by hand, on the ungated model: capture each output projection's input and its gradient
    contexts, grads, handles = {}, {}, []
    for index, heads in enumerate(layout.layers):
        def capture(module, args, index=index):
            context = args[0]
            context.register_hook(lambda g, index=index: grads.__setitem__(index, g))
            contexts[index] = context
        handles.append(heads.output.register_forward_pre_hook(capture))
    logits = _logits(model, batch)
    F.cross_entropy(logits, batch["labels"], reduction="sum").backward()
    for handle in handles:
        handle.remove()
    H, d = layout.num_heads, layout.head_size
    by_hand = torch.stack([
        (contexts[i].view(*contexts[i].shape[:-1], H, d) * grads[i].view(*grads[i].shape[:-1], H, d)).sum((0, 1, 3))
        for i in range(len(layout.layers))
    ])
    model.zero_grad()
    with HeadGates(model) as gates:
        gates.values = gates.values.double().requires_grad_(True)
        F.cross_entropy(_logits(model, batch), batch["labels"], reduction="sum").backward()
        torch.testing.assert_close(gates.values.grad, by_hand, rtol=1e-10, atol=1e-12)


def test_recorded_per_example_gradients_match_single_example_backward():
    model = tiny_classifier("bert", layers=2).double()
    batch = random_batch(batch=3)
    with HeadGates(model) as gates:
        with gates.recording() as recorded:
            F.cross_entropy(_logits(model, batch), batch["labels"], reduction="sum").backward()
            per_example = HeadGates.per_example(recorded)
        assert per_example.shape == (3, 2, 4)
        gates.values = gates.values.double().requires_grad_(True)
        for row in range(3):
            one = {k: v[row:row + 1] for k, v in batch.items()}
            gates.values.grad = None
            F.cross_entropy(_logits(model, one), one["labels"], reduction="sum").backward()
            torch.testing.assert_close(per_example[row], gates.values.grad, rtol=1e-9, atol=1e-12)


def test_mask_of_wrong_shape_is_refused():
    model = tiny_classifier("bert", layers=2, heads=4)
    with HeadGates(model) as gates, pytest.raises(LangspecError, match=r"shape \(3, 4\).*2 layers x 4 heads"):
        gates.set(torch.ones(3, 4))


def test_unsupported_architecture_is_named():
    from transformers import OPTConfig, OPTForSequenceClassification

    model = OPTForSequenceClassification(OPTConfig(num_hidden_layers=1, num_attention_heads=2, hidden_size=8, ffn_dim=16,
                                                   word_embed_proj_dim=8, vocab_size=20))
    with pytest.raises(LangspecError, match="llama.*bloom.*gpt2.*'opt'"):
        HeadGates(model)
