"""Where each layer's feed-forward neurons are, and what "active" means for each model kind.

A neuron is one intermediate feature of a layer's MLP: an output feature of the
input projection (of a gated MLP: of the gate and of the up projection) and an
input feature of the output (down) projection. The layers and projections come
from :mod:`langspec.models.layout` (``_FFN`` there): encoders and decoders;
encoder-decoders (T5, mT5) have no neuron layout.

"Active" (LAPE's definition, Tang et al. 2024, and their ``activation.py``):
the neuron's value after the non-linearity is above zero, per token.

- Encoders (BERT, XLM-R, e5: GELU; DistilBERT) and BLOOM, GPT-2 (GELU): the
  input of the output projection (``output.dense``, ``ffn.lin2``,
  ``dense_4h_to_h``, ``c_proj``), which is ``act(in(x))``, is > 0; read by a
  forward pre-hook on the output projection.
- Gated MLPs (Llama, Mistral, Qwen2, Qwen3: SiLU; Gemma, Gemma 2, Gemma 3:
  GELU-tanh), ``down(act(gate(x)) * up(x))``: ``act(gate(x)) > 0``, as the
  reference counts (not the product with ``up``, whose sign is not the
  activation's); read by a forward hook on the gate projection's output ``z``,
  counting ``z > 0``, which is the same set of tokens because SiLU and GELU
  (exact or tanh) are positive exactly where their input is.

Deactivating a neuron (:mod:`langspec.neurons.subnetworks`) zeroes its input of
the output projection: ``act(in(x))_j`` of a plain MLP, ``act(gate(x))_j *
up(x)_j`` of a gated one, the same as zeroing ``act(gate(x))_j`` (the
reference's ``ppl.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from langspec.core.errors import LangspecError
from langspec.models.layout import (
    ENCODER_DECODER,
    FAMILIES,
    encoder_layers,
    features,
    ffn_projections,
    out_axis,
)

#: families whose feed-forward neurons this package reads: every encoder and decoder of the layout
NEURON_FAMILIES: tuple[str, ...] = tuple(f for f in FAMILIES if f not in ENCODER_DECODER)


@dataclass(frozen=True)
class FFNLayer:
    """One layer's feed-forward neurons.

    ``inputs``: the projections whose output features are the neurons (``(in,)``,
    or ``(gate, up)`` of a gated MLP); ``output``: the projection whose input
    features they are; ``gated``: whether the MLP is gated (then ``inputs[0]`` is the gate).
    """

    inputs: tuple[nn.Module, ...]
    output: nn.Module
    gated: bool

    @property
    def neurons(self) -> int:
        """Number of neurons (the output projection's input features)."""
        return features(self.output)[0]

    def owned(self) -> list[tuple[nn.Parameter, int]]:
        """(parameter, axis) of every parameter slice that belongs to single neurons: index j along ``axis`` is
        neuron j's (the input projections' weight rows and biases, the output projection's weight columns; the
        output projection's bias is shared)."""
        out: list[tuple[nn.Parameter, int]] = []
        for module in self.inputs:
            out.append((module.weight, out_axis(module)))
            if module.bias is not None:
                out.append((module.bias, 0))
        out.append((self.output.weight, 1 - out_axis(self.output)))
        return out


def ffn_layers(model: nn.Module) -> list[FFNLayer]:
    """The feed-forward neurons of every layer of an encoder or decoder, in layer order.

    A model of another family (an encoder-decoder, or one langspec has no
    layout for) or with layers of different widths is a one-line
    :class:`~langspec.core.errors.LangspecError` naming it.
    """
    config = model.config
    model_type = getattr(config, "model_type", None)
    name = getattr(config, "name_or_path", "") or type(model).__name__
    if model_type not in NEURON_FAMILIES:
        raise LangspecError(f"model '{name}' is of family '{model_type}', which has no feed-forward neuron layout; "
                            f"language-specific neurons support {', '.join(NEURON_FAMILIES)}")
    layers = []
    for layer in encoder_layers(model):
        projections = ffn_projections(model, layer)
        layers.append(FFNLayer(inputs=projections[:-1], output=projections[-1], gated=len(projections) == 3))
    widths = sorted({layer.neurons for layer in layers})
    if len(widths) != 1:
        raise LangspecError(f"model '{name}' has feed-forward layers of different widths {widths}; neuron masks "
                            "need one width for every layer")
    return layers
