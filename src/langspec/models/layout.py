"""Where every model family keeps its layers, attention heads and feed-forward projections.

One table per family, used by every subnetwork kind: head masks gate the heads
(:mod:`langspec.heads`), lottery tickets prune the heads' and feed-forward
projections (:mod:`langspec.tickets`). Adding a model family is one entry here.

Three model kinds:

- encoders (BERT, XLM-R, DistilBERT, ...): layers under ``encoder.layer``;
- decoders (Llama, Mistral, Qwen2, Qwen3, Gemma, Gemma 2, Gemma 3, BLOOM, GPT-2;
  :data:`DECODERS`): causal language models whose layers sit under ``layers``
  (Llama-style) or ``h`` (BLOOM, GPT-2);
- encoder-decoders (T5, mT5: text-to-text) have no head masks; they have
  blocks in two stacks, ``encoder.block`` and ``decoder.block``, whose attention
  (self-attention; in the decoder also cross-attention) and feed-forward
  projections lottery tickets prune (:func:`encoder_decoder_projections`).

A head h of a layer owns rows ``h*d:(h+1)*d`` of the query, key and value
projections (weights and biases) and columns ``h*d:(h+1)*d`` of the attention
output projection, with ``d`` the head size; the output projection's bias is
shared by all heads of the layer. Three decoder layouts differ:

- grouped-query attention (Llama 3, Qwen2, Gemma, Mistral): ``H`` query heads
  share ``K < H`` key/value heads, query head h reading key/value head
  ``h // (H / K)``. A head is a *query* head: its query rows and output columns
  are its own, its key/value head is shared with the other query heads of its
  group and belongs to no single head (:attr:`HeadSlice.role` ``"kv"``).
- BLOOM fuses q, k and v in one ``query_key_value`` projection laid out per
  head: head h owns rows ``h*3d:(h+1)*3d`` (its query, key and value in turn).
- GPT-2 fuses them in ``c_attn``, a ``Conv1D`` (weights stored [in, out],
  transposed against nn.Linear) whose output columns are ``[q | k | v]``.

:class:`HeadLayout` says all of this through :attr:`LayerHeads.slices`, so
that the head kinds (gates, sparse updates, kept fractions of tickets) never
look at a family.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from langspec.core.errors import LangspecError

_ENCODERS = ("bert", "roberta", "xlm-roberta", "camembert", "electra")
# model_type -> (path of the layer list under the base model, then the q, k, v, o
# projections under one layer; a fused qkv projection is named three times)
_LAYOUTS: dict[str, tuple[str, tuple[str, str, str, str]]] = {
    family: (
        "encoder.layer",
        ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"),
    )
    for family in _ENCODERS
}
_LAYOUTS["distilbert"] = (
    "transformer.layer",
    ("attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin"),
)
# model_type -> the feed-forward projections under one layer (in, out; gated MLPs: gate, up, down)
_FFN: dict[str, tuple[str, ...]] = {family: ("intermediate.dense", "output.dense") for family in _ENCODERS}
_FFN["distilbert"] = ("ffn.lin1", "ffn.lin2")

#: decoder families (transformers model types): causal language models
_LLAMA_STYLE = ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text")  # gemma3_text: Gemma 3's text model
DECODERS: tuple[str, ...] = (*_LLAMA_STYLE, "bloom", "gpt2")
for _family in _LLAMA_STYLE:
    _LAYOUTS[_family] = ("layers", ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"))
    _FFN[_family] = ("mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")
_LAYOUTS["bloom"] = ("h", ("self_attention.query_key_value",) * 3 + ("self_attention.dense",))
_FFN["bloom"] = ("mlp.dense_h_to_4h", "mlp.dense_4h_to_h")
_LAYOUTS["gpt2"] = ("h", ("attn.c_attn",) * 3 + ("attn.c_proj",))
_FFN["gpt2"] = ("mlp.c_fc", "mlp.c_proj")
#: how q, k and v share one projection: per head [q k v] (BLOOM), or [q | k | v] column blocks (GPT-2)
_FUSED = {"bloom": "per-head", "gpt2": "blocks"}

#: model types of encoder-decoder (text-to-text) models: T5 and mT5
ENCODER_DECODER = ("t5", "mt5")
#: every family some subnetwork kind supports (head masks and lottery tickets: all but the encoder-decoders'
#: head masks)
FAMILIES: tuple[str, ...] = (*_LAYOUTS, *ENCODER_DECODER)


def supported() -> str:
    """The supported families for a one-line error: encoders, decoders and encoder-decoders by name."""
    encoders = [f for f in _LAYOUTS if f not in DECODERS]
    return (f"encoders {', '.join(encoders)}; decoders {', '.join(DECODERS)}; "
            f"encoder-decoders {', '.join(ENCODER_DECODER)}")


def check_family(model_type: str | None, name: str) -> None:
    """One line naming the model and the supported families when ``model_type`` has no layout here."""
    if model_type not in FAMILIES:
        raise LangspecError(f"model '{name}' is of family '{model_type}', which langspec has no layout for; "
                            f"supported: {supported()}")


def is_decoder(model_or_config) -> bool:
    """Whether a model (or its config) is a decoder-only causal language model of a supported family."""
    config = getattr(model_or_config, "config", model_or_config)
    return getattr(config, "model_type", None) in DECODERS


def features(module: nn.Module) -> tuple[int, int]:
    """(in, out) features of an nn.Linear or a transformers ``Conv1D`` (weight [in, out])."""
    if isinstance(module, nn.Linear):
        return module.in_features, module.out_features
    if hasattr(module, "nx") and hasattr(module, "nf"):
        return module.nx, module.nf
    raise LangspecError(f"{type(module).__name__} is neither nn.Linear nor Conv1D")


def is_linear(module: nn.Module) -> bool:
    """nn.Linear, or a transformers ``Conv1D`` (GPT-2's linear layers, weights transposed)."""
    return isinstance(module, nn.Linear) or type(module).__name__ == "Conv1D"


def out_axis(module: nn.Module) -> int:
    """The axis of the module's weight along which its output features lie (0 for nn.Linear, 1 for Conv1D)."""
    return 0 if isinstance(module, nn.Linear) else 1


@dataclass(frozen=True)
class HeadSlice:
    """The part of one parameter that a layer's heads own, index by index along ``axis``.

    ``owner[i]`` is the head that index i of the parameter along ``axis``
    belongs to: a query head (``role`` "query": its query rows and output
    columns; in a model without grouped-query attention its key and value rows
    too) or a key/value head shared by a group of query heads (``role`` "kv").
    """

    parameter: nn.Parameter
    axis: int
    owner: torch.Tensor  #: [parameter.shape[axis]] long
    role: str  #: "query" or "kv"

    def broadcast(self, values: torch.Tensor) -> torch.Tensor:
        """Per-owner ``values`` [heads] spread over the parameter's shape (broadcastable)."""
        spread = values[self.owner.to(values.device)]
        if self.parameter.dim() == 1:
            return spread
        return spread[:, None] if self.axis == 0 else spread[None, :]


@dataclass(frozen=True)
class LayerHeads:
    """The projections of one layer's attention heads (a fused projection is query, key and value at once)."""

    query: nn.Module
    key: nn.Module
    value: nn.Module
    output: nn.Module
    slices: tuple[HeadSlice, ...] = ()


@dataclass(frozen=True)
class HeadLayout:
    """All heads of a model: ``layers[l]`` holds layer l's projections.

    ``num_heads`` query heads per layer, ``kv_heads`` key/value heads (fewer
    under grouped-query attention), each ``head_size`` wide. A head mask is
    [layers, num_heads]: it gates query heads, never a shared key/value head.
    """

    layers: tuple[LayerHeads, ...]
    num_heads: int
    head_size: int
    kv_heads: int | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(layers, heads per layer)."""
        return (len(self.layers), self.num_heads)

    @property
    def grouped(self) -> bool:
        """Whether key/value heads are shared by groups of query heads (grouped-query attention)."""
        return self.kv_heads is not None and self.kv_heads != self.num_heads

    def kv_of(self, head: int) -> int:
        """The key/value head that query head ``head`` reads."""
        return head // (self.num_heads // (self.kv_heads or self.num_heads))

    def kv_open(self, mask_row: torch.Tensor) -> torch.Tensor:
        """[kv heads] 1 where some query head of the group is enabled in ``mask_row`` [heads], else 0."""
        kv = self.kv_heads or self.num_heads
        return mask_row.reshape(kv, self.num_heads // kv).amax(1)

    def check_mask_shape(self, shape: tuple[int, ...], source: str) -> None:
        """One line when a mask of ``shape`` does not fit [layers, query heads]; a mask over key/value heads is
        named as such (a head mask gates query heads, never a shared key/value head)."""
        shape = tuple(shape)
        if shape == self.shape:
            return
        if self.grouped and shape == (len(self.layers), self.kv_heads):
            raise LangspecError(
                f"{source} is {shape[0]} x {shape[1]}: it names key/value heads, but the model has grouped-query "
                f"attention ({self.num_heads} query heads share {self.kv_heads} key/value heads) and a head mask gates "
                f"query heads ({self.shape[0]} x {self.shape[1]}), never a shared key/value head"
            )
        raise LangspecError(
            f"{source} of shape {shape} does not fit the model's {self.shape[0]} layers x {self.shape[1]} heads"
        )


def get_module(module: nn.Module, dotted: str) -> nn.Module:
    """The submodule at a dotted path ("encoder.layer", "attention.self.query")."""
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


def _family(model: nn.Module, what: str) -> str:
    config = model.config
    model_type = config.model_type
    if model_type not in _LAYOUTS:
        raise LangspecError(
            f"{what} support model types {', '.join(_LAYOUTS)}; "
            f"model '{getattr(config, 'name_or_path', '?') or '?'}' is '{model_type}'"
        )
    return model_type


def _base(model: nn.Module) -> nn.Module:
    return getattr(model, "base_model", model)


def _slices(family: str, q: nn.Module, k: nn.Module, v: nn.Module, o: nn.Module, heads: int, kv: int,
            d: int) -> tuple[HeadSlice, ...]:
    """Each head-owned part of one layer's projections (see the module docstring)."""
    def owner(count: int, repeat: int = 1) -> torch.Tensor:
        return torch.arange(count).repeat_interleave(d).repeat(repeat)

    fused = _FUSED.get(family)
    out: list[HeadSlice] = []
    if fused == "per-head":  # BLOOM: rows [h*3d, (h+1)*3d) are head h's q, k and v
        rows = torch.arange(heads).repeat_interleave(3 * d)
        out += [HeadSlice(q.weight, 0, rows, "query"), HeadSlice(q.bias, 0, rows, "query")]
    elif fused == "blocks":  # GPT-2 Conv1D [in, 3·H·d]: columns [q | k | v], each head-major
        columns = owner(heads, 3)
        out += [HeadSlice(q.weight, 1, columns, "query"), HeadSlice(q.bias, 0, columns, "query")]
    else:
        role = "kv" if kv != heads else "query"
        for linear, count, kind in ((q, heads, "query"), (k, kv, role), (v, kv, role)):
            out.append(HeadSlice(linear.weight, 0, owner(count), kind))
            if linear.bias is not None:
                out.append(HeadSlice(linear.bias, 0, owner(count), kind))
    out.append(HeadSlice(o.weight, 1 - out_axis(o), owner(heads), "query"))  # the output's input features
    return tuple(out)


def head_layout(model: nn.Module) -> HeadLayout:
    """Locate every head's projections in a transformers encoder or decoder (or a model wrapping one)."""
    family = _family(model, "head masks")
    config = model.config
    layers_path, (q, k, v, o) = _LAYOUTS[family]
    num_heads = getattr(config, "num_attention_heads", None) or config.n_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or num_heads
    if num_heads % kv_heads:
        raise LangspecError(f"model '{config.name_or_path}' has {num_heads} query heads, not a multiple of its {kv_heads} "
                            "key/value heads")
    modules = [(get_module(layer, q), get_module(layer, k), get_module(layer, v), get_module(layer, o))
               for layer in get_module(_base(model), layers_path)]
    head_size = features(modules[0][3])[0] // num_heads
    layers = tuple(
        LayerHeads(*projections, slices=_slices(family, *projections, num_heads, kv_heads, head_size))
        for projections in modules
    )
    return HeadLayout(layers=layers, num_heads=num_heads, head_size=head_size, kv_heads=kv_heads)


def layers_path(model: nn.Module) -> str:
    """The dotted path of the model's layer list under its base model ("encoder.layer", "layers", "h")."""
    return _LAYOUTS[_family(model, "layer lists")][0]


def encoder_layers(model: nn.Module) -> nn.ModuleList:
    """The model's list of transformer layers (under its base model): an encoder's, or a decoder's blocks."""
    family = _family(model, "head masks")
    return get_module(_base(model), _LAYOUTS[family][0])


def ffn_projections(model: nn.Module, layer: nn.Module) -> tuple[nn.Module, ...]:
    """The feed-forward projections of one layer of ``model``: (in, out), or (gate, up, down) of a gated MLP."""
    return tuple(get_module(layer, path) for path in _FFN[model.config.model_type])


def attention_projections(model: nn.Module, layer_heads: LayerHeads) -> tuple[nn.Module, ...]:
    """The distinct attention projections of one layer: q, k, v, o (a fused qkv projection once)."""
    return tuple(dict.fromkeys((layer_heads.query, layer_heads.key, layer_heads.value, layer_heads.output)))


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
