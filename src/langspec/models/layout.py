"""Where every model family keeps its layers, attention heads and feed-forward projections.

One table per family, used by both subnetwork kinds: head masks gate the heads
(:mod:`langspec.heads`), lottery tickets prune the heads' and feed-forward
projections (:mod:`langspec.tickets`). Adding a model family is one entry here.

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
