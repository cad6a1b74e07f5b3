"""Where every model family keeps its layers, attention heads and feed-forward projections.

One table per family, used by both subnetwork kinds: head masks gate the heads
(:mod:`langspec.heads`), lottery tickets prune the heads' and feed-forward
projections (:mod:`langspec.tickets`). Adding a model family is one entry here.

Encoder-decoder models (T5, mT5: text-to-text) have no head masks; they have
blocks in two stacks, ``encoder.block`` and ``decoder.block``, whose attention
(self-attention; in the decoder also cross-attention) and feed-forward
projections lottery tickets prune (:func:`encoder_decoder_projections`).

A head h of a layer owns rows ``h*d:(h+1)*d`` of the query, key and value
projections (weights and biases) and columns ``h*d:(h+1)*d`` of the attention
output projection, with ``d`` the head size. The output projection's bias is
shared by all heads of the layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from langspec.core.errors import LangspecError

# model_type -> (path of the layer list under the base model, then the q, k, v, o
# projections under one layer)
_LAYOUTS: dict[str, tuple[str, tuple[str, str, str, str]]] = {
    family: (
        "encoder.layer",
        ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"),
    )
    for family in ("bert", "roberta", "xlm-roberta", "camembert", "electra")
}
_LAYOUTS["distilbert"] = (
    "transformer.layer",
    ("attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin"),
)
# model_type -> the feed-forward projections (in, out) under one layer
_FFN = {family: ("intermediate.dense", "output.dense") for family in ("bert", "roberta", "xlm-roberta", "camembert", "electra")}
_FFN["distilbert"] = ("ffn.lin1", "ffn.lin2")


@dataclass(frozen=True)
class LayerHeads:
    """The projections of one layer's attention heads."""

    query: nn.Linear
    key: nn.Linear
    value: nn.Linear
    output: nn.Linear


@dataclass(frozen=True)
class HeadLayout:
    """All heads of a model: ``layers[l]`` holds layer l's projections."""

    layers: tuple[LayerHeads, ...]
    num_heads: int
    head_size: int

    @property
    def shape(self) -> tuple[int, int]:
        """(layers, heads per layer)."""
        return (len(self.layers), self.num_heads)


def get_module(module: nn.Module, dotted: str) -> nn.Module:
    """The submodule at a dotted path ("encoder.layer", "attention.self.query")."""
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


def head_layout(model: nn.Module) -> HeadLayout:
    """Locate every head's projections in a transformers encoder (or a model wrapping one)."""
    config = model.config
    model_type = config.model_type
    if model_type not in _LAYOUTS:
        raise LangspecError(
            f"head masks support model types {', '.join(sorted(_LAYOUTS))}; "
            f"model '{getattr(config, 'name_or_path', '?')}' is '{model_type}'"
        )
    layers_path, (q, k, v, o) = _LAYOUTS[model_type]
    base = getattr(model, "base_model", model)
    num_heads = getattr(config, "num_attention_heads", None) or config.n_heads
    layers = tuple(
        LayerHeads(get_module(layer, q), get_module(layer, k), get_module(layer, v), get_module(layer, o))
        for layer in get_module(base, layers_path)
    )
    head_size = layers[0].output.in_features // num_heads
    return HeadLayout(layers=layers, num_heads=num_heads, head_size=head_size)


def encoder_layers(model: nn.Module) -> nn.ModuleList:
    """The model's list of encoder layers (under its base model)."""
    head_layout(model)  # checks the model family with a one-line error
    base = getattr(model, "base_model", model)
    return get_module(base, _LAYOUTS[model.config.model_type][0])


def ffn_projections(model: nn.Module, layer: nn.Module) -> tuple[nn.Linear, nn.Linear]:
    """The feed-forward (in, out) projections of one encoder layer of ``model``."""
    ffn_in, ffn_out = _FFN[model.config.model_type]
    return get_module(layer, ffn_in), get_module(layer, ffn_out)


#: model types of encoder-decoder (text-to-text) models: T5 and mT5
ENCODER_DECODER = ("t5", "mt5")
_T5_ATTENTION = ("SelfAttention", "EncDecAttention")  # the decoder's cross-attention is EncDecAttention
_T5_FFN = ("wi", "wi_0", "wi_1", "wo")  # T5 v1.0: wi; T5 v1.1 and mT5 (gated GELU): wi_0 and wi_1


def is_encoder_decoder(model: nn.Module) -> bool:
    """Whether ``model`` is a T5-family encoder-decoder (text-to-text) model."""
    return getattr(model.config, "model_type", None) in ENCODER_DECODER


def encoder_decoder_projections(model: nn.Module) -> dict[str, nn.Linear]:
    """Module path -> nn.Linear of every attention and feed-forward projection of a T5-family model.

    Per block, in the encoder then the decoder: self-attention q, k, v, o; in
    the decoder, cross-attention q, k, v, o; then the feed-forward wi (or wi_0,
    wi_1) and wo. Embeddings, relative position biases, LayerNorms and the LM
    head are not among them.
    """
    if not is_encoder_decoder(model):
        raise LangspecError(
            f"encoder-decoder projections need model types {', '.join(ENCODER_DECODER)}; "
            f"model '{getattr(model.config, 'name_or_path', '?')}' is '{model.config.model_type}'"
        )
    names = {id(module): name for name, module in model.named_modules()}
    out: dict[str, nn.Linear] = {}
    for stack in ("encoder", "decoder"):
        for block in get_module(model, stack).block:
            for sublayer in block.layer:
                for attention in _T5_ATTENTION:
                    module = getattr(sublayer, attention, None)
                    if module is not None:
                        out.update({names[id(getattr(module, p))]: getattr(module, p) for p in ("q", "k", "v", "o")})
                ffn = getattr(sublayer, "DenseReluDense", None)
                if ffn is not None:
                    out.update({names[id(getattr(ffn, p))]: getattr(ffn, p) for p in _T5_FFN if hasattr(ffn, p)})
    return out
