"""Lottery-ticket weight masks (paper 003): which weights are prunable, and masks over them.

Prunable are the weight matrices of every encoder layer's query, key, value,
attention-output, intermediate and output projections, and the pooler's dense
weight where the model has one (BERT; XLM-R and DistilBERT classifiers have no
pooler): the parameters BERT-Tickets and paper 003's code prune. Embeddings,
biases, LayerNorms and the classification head are never pruned.

In a decoder (Llama, Qwen2, Gemma, BLOOM, GPT-2: :data:`~langspec.models.layout.DECODERS`)
they are each block's attention projections (q, k, v, o; BLOOM's and GPT-2's
fused qkv) and MLP projections (gate, up, down; BLOOM's and GPT-2's in and
out); embeddings, norms, biases, the LM head (tied to the input embeddings or
not) and the classification head are never pruned.

In an encoder-decoder (T5, mT5; paper 003 section 5) they are the encoder's
self-attention q, k, v, o and feed-forward wi_0, wi_1, wo, and the decoder's
self-attention, cross-attention and feed-forward matrices
(:func:`~langspec.models.layout.encoder_decoder_projections`); embeddings,
relative position biases, LayerNorms and the LM head are never pruned. The
encoder and the decoder are two *pools* (:func:`pools`): each is pruned at
the rate of the whole by its own global magnitude ranking, as paper 003's
code does, so both keep the same fraction of their weights; an encoder-only
model is one pool.

A weight mask is a dict ``parameter name -> bool tensor`` of that parameter's
shape, True where the weight is kept. Sparsity is the pruned fraction of all
prunable weights together (0.5 = half of them are zero).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from langspec.core.errors import LangspecError
from langspec.models.layout import (
    attention_projections,
    encoder_decoder_projections,
    encoder_layers,
    ffn_projections,
    head_layout,
    is_encoder_decoder,
    out_axis,
)
from langspec.tickets.maskfile import check_shapes
from langspec.training.subnetworks import Subnetworks

WeightMask = dict[str, torch.Tensor]


def prunable_linears(model: nn.Module) -> dict[str, nn.Module]:
    """Parameter name of each prunable weight -> its nn.Linear, in layer order (q, k, v, o, in, out; pooler last).

    Decoders: per block q, k, v, o (BLOOM's and GPT-2's fused qkv once) and the MLP's (gate, up, down) or (in,
    out); GPT-2's are ``Conv1D`` modules (weight [in, out]). Encoder-decoder models: the encoder's blocks, then the
    decoder's (see the module docstring).
    """
    if is_encoder_decoder(model):
        return {f"{name}.weight": linear for name, linear in encoder_decoder_projections(model).items()}
    layout = head_layout(model)  # checks the model family with a one-line error
    names = {id(module): name for name, module in model.named_modules()}
    base = getattr(model, "base_model", model)
    out: dict[str, nn.Linear] = {}
    for heads, layer in zip(layout.layers, encoder_layers(model)):
        for linear in (*attention_projections(model, heads), *ffn_projections(model, layer)):
            out[f"{names[id(linear)]}.weight"] = linear
    pooler = getattr(base, "pooler", None)
    if pooler is not None and isinstance(getattr(pooler, "dense", None), nn.Linear):
        out[f"{names[id(pooler.dense)]}.weight"] = pooler.dense
    return out


def prunable_weights(model: nn.Module) -> dict[str, nn.Parameter]:
    """Parameter name -> prunable weight matrix [out, in] (see the module docstring)."""
    return {name: linear.weight for name, linear in prunable_linears(model).items()}


def prunable_shapes(model: nn.Module) -> dict[str, torch.Size]:
    """Parameter name -> shape of each prunable weight: what a weight-mask file must match."""
    return {name: weight.shape for name, weight in prunable_weights(model).items()}


def pool_of(name: str) -> str:
    """The pruning pool of a prunable weight: ``"encoder"`` or ``"decoder"`` in a T5-family model
    (names ``encoder.block.…``, ``decoder.block.…``), ``"all"`` in an encoder-only model."""
    stack = name.split(".", 1)[0]
    return stack if stack in ("encoder", "decoder") and name.startswith(f"{stack}.block.") else "all"


def pools(names: Iterable[str]) -> dict[str, list[str]]:
    """Pool -> its weights' names in the given order (:func:`pool_of`); one pool ``"all"`` for an encoder-only model."""
    out: dict[str, list[str]] = {}
    for name in names:
        out.setdefault(pool_of(name), []).append(name)
    return out


def full_mask(model: nn.Module) -> WeightMask:
    """Keep every prunable weight (sparsity 0), on the model's device."""
    return {name: torch.ones_like(weight, dtype=torch.bool) for name, weight in prunable_weights(model).items()}


def count(mask: Mapping[str, torch.Tensor]) -> tuple[int, int]:
    """(kept, total) weights of a mask."""
    kept = sum(int(m.sum()) for m in mask.values())
    return kept, sum(m.numel() for m in mask.values())


def sparsity(mask: Mapping[str, torch.Tensor]) -> float:
    """Pruned fraction of all the mask's weights together."""
    kept, total = count(mask)
    return (total - kept) / total


def check_fits(mask: Mapping[str, torch.Tensor], model: nn.Module, source: str = "weight mask") -> None:
    """One-line error when the mask's names or shapes differ from the model's prunable weights."""
    check_shapes(mask, prunable_shapes(model), source)


def adapt_mask(mask: Mapping[str, torch.Tensor], shapes: Mapping[str, torch.Size | tuple]) -> tuple[WeightMask, dict]:
    """A ticket of one model carried over to another model's prunable weights (cross-task transfer, figure 9).

    ``shapes``: the target model's :func:`prunable_shapes`. Models of different
    tasks share the encoder but not every prunable weight: a sequence
    classifier has a pooler, a masked-language or token-classification model
    has none. The rule: a weight both have keeps the ticket's mask (the shapes
    must agree); a weight only the target has stays dense (nothing was learnt
    about it; the target's pooler when the ticket comes from an MLM or NER
    model); a weight only the ticket has is dropped (the source's pooler).
    Returns the mask over exactly the target's weights and a report: ``kept``,
    ``dense`` and ``dropped`` parameter names, and the sparsity over the
    target's prunable weights (``sparsity``). A shape mismatch raises a one-line error.
    """
    out: WeightMask = {}
    dense, kept = [], []
    for name, shape in shapes.items():
        if name in mask:
            if tuple(mask[name].shape) != tuple(shape):
                raise LangspecError(f"weight mask '{name}' has shape {tuple(mask[name].shape)}, the model's weight {tuple(shape)}")
            out[name] = mask[name].to(torch.bool)
            kept.append(name)
        else:
            out[name] = torch.ones(tuple(shape), dtype=torch.bool, device=next(iter(mask.values())).device if mask else None)
            dense.append(name)
    if not kept:
        raise LangspecError("the weight mask shares no parameter with the model: not a ticket of the same encoder")
    dropped = [name for name in mask if name not in shapes]
    return out, {"kept": kept, "dense": dense, "dropped": dropped, "sparsity": sparsity(out)}


def magnitude_prune(weights: Mapping[str, torch.Tensor], mask: Mapping[str, torch.Tensor], prune: int) -> WeightMask:
    """Prune the ``prune`` kept weights of smallest |w|, globally over all matrices together.

    ``weights`` and ``mask`` share names and shapes; already pruned weights are
    never chosen again. Ties go to the earlier weight in (name order, row-major)
    order, so the result is deterministic. Returns a new mask.
    """
    names = list(mask)
    kept = sum(int(mask[n].sum()) for n in names)
    if not 0 <= prune <= kept:
        raise LangspecError(f"cannot prune {prune} weights: {kept} are kept")
    scores = torch.cat([
        torch.where(mask[n], weights[n].detach().abs().float(), torch.full_like(weights[n], torch.inf, dtype=torch.float32)).flatten()
        for n in names
    ])
    flat = torch.cat([mask[n].flatten() for n in names]).clone()
    flat[torch.argsort(scores, stable=True)[:prune]] = False
    out, start = {}, 0
    for n in names:
        size = mask[n].numel()
        out[n] = flat[start : start + size].view(mask[n].shape)
        start += size
    return out


def random_mask(like: Mapping[str, torch.Tensor], seed: int, sparsity: float | int | None = None,
                scope: str = "global") -> WeightMask:
    """A random mask with the shapes of ``like`` (a mask, or the weights themselves).

    "The same sparsity" as a ticket means, by default, the same number of
    pruned weights over all matrices together, placed uniformly at random among
    all prunable weights (``scope="global"``), as BERT-Tickets' and paper 003's
    random pruning (``prune.RandomUnstructured`` over all prunable weights at
    once): each matrix's sparsity then varies around the global one. In an
    encoder-decoder each pool (:func:`pools`) is drawn on its own with its own
    count, as its tickets are pruned. ``scope="matrix"`` keeps instead each
    matrix's own number of pruned weights
    from ``like``, a stricter baseline that keeps the ticket's distribution
    over matrices and layers. ``sparsity``: None (prune as many as the mask
    ``like`` does), a fraction in [0, 1], or an int (that exact number; global
    scope of a one-pool model only). Drawn on the CPU with ``torch.Generator(seed)``: the same seed
    gives the same mask anywhere.
    """
    names = list(like)
    generator = torch.Generator().manual_seed(seed)
    if scope == "matrix":
        if sparsity is not None:
            raise LangspecError("a per-matrix random mask copies each matrix's pruned count from the mask; give no sparsity")
        out = {}
        for n in names:
            pruned = int((~like[n].bool()).sum())
            keep = torch.ones(like[n].numel(), dtype=torch.bool)
            keep[torch.randperm(like[n].numel(), generator=generator)[:pruned]] = False
            out[n] = keep.view(like[n].shape).to(like[n].device)
        return out
    if scope != "global":
        raise LangspecError(f"random mask scope '{scope}' is not 'global' or 'matrix'")
    groups = pools(names)
    if isinstance(sparsity, int) and not isinstance(sparsity, bool) and len(groups) > 1:
        raise LangspecError("a random mask of an exact number of pruned weights needs a one-pool (encoder-only) model")
    out = {}
    for members in groups.values():
        total = sum(like[n].numel() for n in members)
        if sparsity is None:
            prune = total - count({n: like[n] for n in members})[0]
        elif isinstance(sparsity, int) and not isinstance(sparsity, bool):
            prune = sparsity
        else:
            prune = round(float(sparsity) * total)
        if not 0 <= prune <= total:
            raise LangspecError(f"cannot prune {prune} of {total} weights")
        keep = torch.ones(total, dtype=torch.bool)
        keep[torch.randperm(total, generator=generator)[:prune]] = False
        start = 0
        for n in members:
            size = like[n].numel()
            out[n] = keep[start : start + size].view(like[n].shape).to(like[n].device)
            start += size
    return {n: out[n] for n in names}


@torch.no_grad()
def bake(model: nn.Module, mask: Mapping[str, torch.Tensor]) -> None:
    """Zero the pruned weights in place, so that the plain model (and its ``save_pretrained``) is the ticket."""
    check_fits(mask, model)
    for name, weight in prunable_weights(model).items():
        weight.mul_(mask[name].to(weight.device, weight.dtype))


@torch.no_grad()
def rewind(model: nn.Module, theta0: Mapping[str, torch.Tensor], mask: Mapping[str, torch.Tensor]) -> None:
    """Reset every parameter named in ``theta0`` to its value there, then zero the pruned weights.

    ``theta0`` is a snapshot of the encoder's pre-trained parameters
    (:func:`encoder_snapshot`); parameters not in it (the classification head)
    keep their current values. Kept weights become bit-for-bit their θ0 values.
    """
    parameters = dict(model.named_parameters())
    for name, value in theta0.items():
        parameters[name].copy_(value)
    bake(model, mask)


def encoder_snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of every pre-trained parameter: θ0 for rewinding.

    Encoder-only models: the base model (embeddings, encoder, pooler); the task
    head (parameters outside ``model.base_model``) is left out. Encoder-decoder
    (text-to-text) models: every parameter (shared embeddings, encoder,
    decoder, relative position biases, LayerNorms, LM head), since all of
    them are pre-trained and the model has no new head. A decoder's causal
    language model likewise: every parameter, its LM head included (tied to the
    input embeddings or not); a decoder's classifier: its base model, the new
    score head left out.
    """
    if is_encoder_decoder(model) or type(model).__name__.endswith(("ForCausalLM", "LMHeadModel")):
        return {name: p.detach().to("cpu", copy=True) for name, p in model.named_parameters()}
    prefix = getattr(model, "base_model_prefix", "")
    if not prefix or getattr(model, prefix, None) is None:
        raise LangspecError(f"model {type(model).__name__} has no base model to rewind")
    return {name: p.detach().to("cpu", copy=True) for name, p in model.named_parameters() if name.startswith(f"{prefix}.")}


def _masked_linear(module: nn.Module, owner: WeightSubnetworks, name: str, x: torch.Tensor) -> torch.Tensor:
    mask = owner.current.get(name) if owner.current is not None else None
    weight = module.weight if mask is None else module.weight * mask
    if out_axis(module) == 0:
        return F.linear(x, weight, module.bias)
    out = torch.addmm(module.bias, x.reshape(-1, x.shape[-1]), weight)  # Conv1D (GPT-2): weight [in, out]
    return out.view(*x.shape[:-1], weight.shape[1])


class WeightSubnetworks(Subnetworks):
    """Weight masks in the forward pass: each prunable nn.Linear computes with ``W ⊙ M``.

    ``W`` itself is untouched (so masks can be swapped per batch, as SFT on
    lottery-ticket weights needs), the state dict and parameter names are
    unchanged, and every other hook (gates, sketches) still sees the module. The
    gradient that reaches ``W`` is ``G ⊙ M``, zero at pruned weights. With no
    mask in use the modules compute exactly as plain nn.Linear.

    ``masks``: language -> weight mask; :meth:`single` for one mask used by
    every language, :meth:`ticket` for a ticket to train (pruned weights zeroed
    in the model, ``baked``: the forward is left unpatched, the gradient masked).
    Create it after moving the model to its device; :meth:`remove` detaches it.
    """

    kind = "weights"

    def __init__(self, model: nn.Module, masks: Mapping[str, Mapping[str, torch.Tensor]], shared: bool = False,
                 baked: bool = False) -> None:
        self.linears = prunable_linears(model)
        device = next(model.parameters()).device
        for lang, mask in masks.items():
            check_fits(mask, model, f"weight mask of '{lang}'")
        self.masks = {lang: {n: m.to(device=device, dtype=torch.bool) for n, m in mask.items()} for lang, mask in masks.items()}
        self.shared = shared
        self.baked = baked  # a ticket: pruned weights are zero in the model itself, the forward needs no mask
        self.current: dict[str, torch.Tensor] | None = None
        if not baked:
            for name, linear in self.linears.items():
                linear.forward = partial(_masked_linear, linear, self, name)

    @classmethod
    def single(cls, model: nn.Module, mask: Mapping[str, torch.Tensor]) -> WeightSubnetworks:
        """One mask for every language (``use(lang)`` applies it whatever ``lang``; ``use(None)`` the whole model).

        The weights are untouched: e.g. a ticket of the pre-trained model, θ0 ⊙ m, as a feature extractor.
        """
        return cls(model, {"*": mask}, shared=True)

    @classmethod
    def ticket(cls, model: nn.Module, mask: Mapping[str, torch.Tensor]) -> WeightSubnetworks:
        """A lottery ticket to train: the pruned weights are zeroed now (:func:`bake`) and stay exactly zero.

        The plain model is the ticket (and so is its ``save_pretrained``), so the
        forward runs the modules unmasked: ``W ⊙ M = W`` already. Training
        masks the gradient (``G ⊙ M``, the masked forward's gradient, before
        clipping), so a pruned weight's AdamW moments stay zero and its update,
        ``lr · (0 / (√0 + ε) + λ · 0)``, is exactly zero: the step guard has
        nothing to restore. The same training as the masked forward with a
        strict guard, without a product and a copy of every weight matrix per step.
        """
        bake(model, mask)
        return cls(model, {"*": mask}, shared=True, baked=True)

    @property
    def languages(self) -> list[str]:
        return [] if self.shared else list(self.masks)

    def _mask(self, lang: str | None) -> dict[str, torch.Tensor] | None:
        if lang is None:
            return None
        return self.masks["*"] if self.shared else self.masks[lang]

    def use(self, lang: str | None) -> None:
        self.current = self._mask(lang)

    def mask_gradients(self, lang: str | None) -> None:
        mask = self._mask(lang)
        if mask is None:
            return
        for name, linear in self.linears.items():
            if linear.weight.grad is not None:
                linear.weight.grad.mul_(mask[name])

    @contextlib.contextmanager
    def frozen(self, lang: str | None, optimizer: torch.optim.Optimizer) -> Iterator[None]:
        mask = self._mask(lang)
        if mask is None:
            yield
            return
        if self.baked:  # zero weight, zero gradient, zero moments: AdamW leaves them zero (:meth:`ticket`)
            yield
            return
        saved = []
        for name, linear in self.linears.items():
            weight = linear.weight
            state = {k: v.clone() for k, v in optimizer.state.get(weight, {}).items() if torch.is_tensor(v) and v.shape == weight.shape}
            saved.append((weight, mask[name], weight.detach().clone(), state))
        yield
        with torch.no_grad():
            for weight, keep, before, state in saved:
                weight.copy_(torch.where(keep, weight, before))
                current = optimizer.state.get(weight, {})
                for key, value in state.items():
                    current[key].copy_(torch.where(keep, current[key], value))

    def remove(self) -> None:
        self.current = None
        for linear in self.linears.values():
            linear.__dict__.pop("forward", None)
