"""Numeric precision of the model passes: float32, bfloat16 autocast, or TF32 matmuls on CUDA.

``bfloat16`` runs the forward passes under ``torch.autocast`` (weights, optimizer
state and gradients of the weights stay float32; matmuls and their activation
gradients run in bfloat16), without autocast's weight cache: with it, a
training loop inside one block kept every forward pass on the first step's
bfloat16 weights (the optimizer updates the float32 weights in place, which
does not invalidate the cache), and the embedded default stayed at chance; ``tf32`` keeps float32 tensors but lets CUDA matmuls
use TensorFloat-32. Gradient sketches always project in float32
(:mod:`langspec.attribution.sketch`). On a CPU, bfloat16 runs attention in transformers'
eager implementation: PyTorch's fused CPU attention backward in bfloat16 took
45% of a sketch pass, and eager attention made the pass 1.8x faster. On CUDA,
bfloat16 keeps PyTorch's fused attention but not its cuDNN backend: cuDNN
builds a plan for every new sequence length, and with the length-grouped
batches of a 30-step benchmark that made bfloat16 training 5-20x slower than float32 on an
H200; without it bfloat16 ran at 1.1-1.7x float32's time (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from langspec.core.errors import LangspecError

PRECISIONS = ("float32", "bfloat16", "tf32")
log = logging.getLogger(__name__)


def cpu_has_native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 matmuls natively (AVX512-BF16 or AMX); Linux only."""
    try:
        flags = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolved(chosen: str, gpus: int) -> str:
    """``compute.precision`` or ``compute.train_precision`` with ``auto`` resolved on this machine.

    auto on GPUs (``gpus`` > 0): tf32 (on an H200 it beat bfloat16 at the
    workflow's batch sizes, benchmarks/RESULTS.md); on CPUs: bfloat16 where the
    CPU computes it natively (AVX512-BF16 / AMX), else float32 (docs/precision.md).
    """
    if chosen != "auto":
        return chosen
    if gpus > 0:
        return "tf32"
    return "bfloat16" if cpu_has_native_bfloat16() else "float32"


@contextlib.contextmanager
def autocast(precision: str, device: "torch.device | str", model: "torch.nn.Module | None" = None) -> Iterator[None]:  # noqa: F821
    """Run the block in ``precision`` on ``device`` (one-line error for an unknown or unsupported choice).

    With ``model`` (a transformers model), bfloat16 on a CPU also switches it to
    eager attention for the block.
    """
    import torch

    device = torch.device(device)
    if precision not in PRECISIONS:
        raise LangspecError(f"compute.precision is '{precision}'; choose one of {', '.join(PRECISIONS)}")
    if precision == "float32":
        yield
        return
    if precision == "tf32":
        if device.type != "cuda":
            raise LangspecError("compute.precision 'tf32' needs a CUDA device; use float32 or bfloat16 on a CPU")
        previous = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        try:
            yield
        finally:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = previous
        return
    if device.type == "cpu" and not cpu_has_native_bfloat16():
        log.warning("compute.precision is bfloat16 but this CPU has no native bfloat16: expect it to be slower than float32")
    previous = getattr(getattr(model, "config", None), "_attn_implementation", None)
    if device.type == "cpu" and previous not in (None, "eager"):
        model.set_attn_implementation("eager")
    attention = contextlib.nullcontext()
    if device.type == "cuda":
        from torch.nn.attention import SDPBackend, sdpa_kernel

        attention = sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])
    try:
        # No weight cache: autocast keeps the bfloat16 copy of each weight for the whole
        # block, and an optimizer's in-place step does not invalidate it, so a training
        # loop inside one block would run every forward pass on the first step's weights.
        with torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False), attention:
            yield
    finally:
        if device.type == "cpu" and previous not in (None, "eager"):
            model.set_attn_implementation(previous)
