"""compute.precision: bfloat16 autocast with float32 sketch projections, eager attention on the CPU, clear errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from langspec.attribution.sketch import Sketcher
from langspec.core.errors import LangspecError
from langspec.core.precision import autocast

from .conftest import random_batch, tiny_classifier


def test_bfloat16_switches_to_eager_attention_for_the_block_only():
    model = tiny_classifier("bert", attn="sdpa")
    with autocast("bfloat16", "cpu", model):
        assert model.config._attn_implementation == "eager"
        assert torch.is_autocast_cpu_enabled() if hasattr(torch, "is_autocast_cpu_enabled") else torch.is_autocast_enabled("cpu")
    assert model.config._attn_implementation == "sdpa"
    with autocast("float32", "cpu", model):
        assert model.config._attn_implementation == "sdpa"


def test_bfloat16_sketches_agree_with_float32_and_are_float32():
    model = tiny_classifier("bert", layers=2, hidden=32, heads=4)
    batch = random_batch(batch=6, length=9)
    sketches = {}
    for precision in ("float32", "bfloat16"):
        with Sketcher(model, 16, ["*"], seed=0) as sketcher, autocast(precision, "cpu", model):
            sketches[precision], losses, _ = sketcher(batch)
        assert sketches[precision].dtype == torch.float32 and losses.dtype == torch.float32
    assert F.cosine_similarity(sketches["float32"], sketches["bfloat16"]).min() > 0.98


def test_bfloat16_forward_passes_see_every_optimizer_step():
    """A training loop inside one autocast block must not run on the first step's cached bfloat16 weights."""
    layer = torch.nn.Linear(8, 8)
    x = torch.randn(2, 8)
    with autocast("bfloat16", "cpu"):
        before = layer(x)
        before.float().sum().backward()
        torch.optim.SGD(layer.parameters(), lr=1.0).step()  # in place, as every optimizer
        after = layer(x)
    assert not torch.allclose(before.float(), after.float())


@pytest.mark.parametrize(("precision", "message"), [
    ("half", "compute.precision is 'half'; choose one of float32, bfloat16, tf32"),
    ("tf32", "compute.precision 'tf32' needs a CUDA device"),
])
def test_bad_precision_is_one_line(precision, message):
    with pytest.raises(LangspecError, match=message), autocast(precision, "cpu"):
        pass
