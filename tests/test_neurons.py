"""Language-specific neurons (issue 31, items 1 and 2): activation counts, LAPE selection, neuron masks and their
files, and neuron subnetworks, on tiny random encoders and decoders built offline."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from langspec.core.errors import LangspecError
from langspec.data.encode import encode
from langspec.models.tiny import build_tiny
from langspec.neurons.activation import count_active
from langspec.neurons.ffn import ffn_layers
from langspec.neurons.lape import (
    ACTIVATION_BAR_RATIO,
    FILTER_RATE,
    MIN_TOKENS,
    TOP_RATE,
    entropy,
    probabilities,
    select,
)
from langspec.neurons.masks import random_control, read_neuron_mask, save_neuron_mask
from langspec.neurons.subnetworks import NeuronSubnetworks

SHAPE = {"hidden_size": 16, "layers": 2, "heads": 4, "intermediate_size": 64, "vocab_size": 80}
TEXTS = ["ab cd ef gh", "lorem ipsum dolor sit amet", "ba da ga", "kato sidas sur la tapiŝo", "der hund schläft"] * 6
FRAME = pd.DataFrame({
    "uid": [f"u{i}" for i in range(7)], "lang": ["en"] * 4 + ["de"] * 3,
    "text_a": ["ab cd ef gh ab lorem", "lorem ipsum", "ba", "dolor sit amet ab cd", "ef", "ga da ba kato sidas",
               "der hund"],
    "text_b": [None] * 7, "label": [0, 1, 2, 0, 1, 2, 0],
})
#: one family per MLP kind: encoder GELU, gated SiLU (Llama, Qwen2), gated GELU-tanh (Gemma), BLOOM, GPT-2 (Conv1D)
FAMILIES = ("bert", "llama", "qwen2", "gemma", "bloom", "gpt2")


def tiny(family: str, kind: str = "classification", seed: int = 0):
    model, tokenizer = build_tiny({**SHAPE, "family": family}, TEXTS, 3, seed, kind)
    return model.eval(), tokenizer


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# -- activation counts -------------------------------------------------------------------------------------------------

def _post_activation(family: str, layer: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What LAPE calls the neuron's activation, computed from the MLP's input ``x`` with the module's own weights."""
    if family == "bert":
        return layer.intermediate.intermediate_act_fn(layer.intermediate.dense(x))
    if family == "bloom":
        return layer.mlp.gelu_impl(layer.mlp.dense_h_to_4h(x))
    if family == "gpt2":
        return layer.mlp.act(layer.mlp.c_fc(x))
    return layer.mlp.act_fn(layer.mlp.gate_proj(x))  # gated: act(gate(x)), not its product with up(x)


def _mlp(family: str, layer: torch.nn.Module) -> torch.nn.Module:
    return layer.intermediate if family == "bert" else layer.mlp


@pytest.mark.parametrize("family", FAMILIES)
def test_counts_equal_a_manual_computation_one_unpadded_example_at_a_time(family):
    model, tokenizer = tiny(family)
    data = encode(FRAME, tokenizer, 32)
    got = count_active(model, data, "en", batch_size=3)  # batches of 3 pad the shorter examples

    layers = list(model.base_model.encoder.layer if family == "bert" else
                  (model.base_model.h if family in ("bloom", "gpt2") else model.base_model.layers))
    expected = np.zeros((len(layers), SHAPE["intermediate_size"]), dtype=np.int64)
    tokens = 0
    for row in data.indices("en"):
        inputs = {name: torch.tensor([values[row]]) for name, values in data.features.items()}
        seen: dict[int, torch.Tensor] = {}
        handles = [_mlp(family, layer).register_forward_pre_hook(
            lambda module, args, i=i: seen.__setitem__(i, args[0])) for i, layer in enumerate(layers)]
        with torch.no_grad():
            model(**inputs)
            for i, layer in enumerate(layers):
                expected[i] += (_post_activation(family, layer, seen[i])[0] > 0).sum(0).numpy()
        for handle in handles:
            handle.remove()
        tokens += len(data.features["input_ids"][row])

    assert got.lang == "en" and got.tokens == tokens == data.num_tokens(data.indices("en"))
    assert got.counts.shape == expected.shape and got.counts.dtype == np.int64
    np.testing.assert_array_equal(got.counts, expected)
    assert 0 < got.counts.sum() < got.counts.size * tokens  # neither nothing nor everything active


def test_a_masked_language_model_is_counted_on_its_text_not_its_evaluation_masks():
    model, tokenizer = tiny("bert", kind="mlm")
    masked = count_active(model, encode(FRAME, tokenizer, 32, kind="mlm"), "de", batch_size=2)
    plain = count_active(model, encode(FRAME, tokenizer, 32), "de", batch_size=2)
    np.testing.assert_array_equal(masked.counts, plain.counts)
    assert masked.tokens == plain.tokens


# -- entropy and selection ---------------------------------------------------------------------------------------------

LANGS = ["en", "de", "ru"]
#: [languages, layers, neurons]: 2 layers x 5 neurons, each neuron's probabilities per language
HAND = np.array([
    [[0.9, 0.5, 0.0, 0.6, 0.1], [0.0, 0.1, 0.3, 0.2, 0.7]],  # en
    [[0.0, 0.5, 0.0, 0.6, 0.1], [0.0, 0.0, 0.3, 0.1, 0.7]],   # de
    [[0.0, 0.5, 0.0, 0.0, 0.1], [0.8, 0.0, 0.3, 0.1, 0.6]],   # ru
])


def test_entropy_is_that_of_the_probabilities_normalised_over_languages():
    h = entropy(HAND)
    assert h.shape == (2, 5)
    assert h[0, 0] == 0 and h[1, 0] == 0  # one language only
    assert h[0, 2] == 0  # never active: 0 (the filter dismisses it)
    assert math.isclose(h[0, 1], math.log(3)) and math.isclose(h[0, 4], math.log(3))
    assert math.isclose(h[0, 3], math.log(2))
    assert math.isclose(h[1, 3], -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25)))


def test_selection_on_a_hand_made_array():
    # the 30 probabilities sorted: 10 zeros, 0.1 x6, 0.2, 0.3 x3, 0.5 x3, 0.6 x3, 0.7 x2, 0.8, 0.9
    selection = select(HAND, LANGS, top_rate=0.3, filter_rate=0.5, activation_bar_ratio=0.7)
    # filter: the round(30 * 0.5) = 15th smallest, 0.1; a neuron must exceed it in some language: (0,2) never
    # active, (0,4) at 0.1 everywhere and (1,1) at 0.1 in en only are dismissed, though (0,2) and (1,1) have entropy 0
    assert selection.filter_value == 0.1
    # round(10 * 0.3) = 3 neurons of lowest entropy among the rest: (0,0) and (1,0) at 0, then (0,3) at ln 2
    expected = np.zeros((2, 5), dtype=bool)
    expected[0, 0] = expected[1, 0] = expected[0, 3] = True
    np.testing.assert_array_equal(selection.selected, expected)
    # bar: the round(30 * 0.7) = 21st smallest, 0.5; (0,3) exceeds it in en and de, so it is both languages'
    assert selection.activation_bar == 0.5
    assert {lang: np.argwhere(mask).tolist() for lang, mask in selection.masks.items()} == {
        "en": [[0, 0], [0, 3]], "de": [[0, 3]], "ru": [[1, 0]]}
    # a bar above 0.6 (the 24th smallest) leaves (0,3) to no language
    high = select(HAND, LANGS, top_rate=0.3, filter_rate=0.5, activation_bar_ratio=0.8)
    assert high.activation_bar == 0.6 and not high.masks["de"].any() and high.masks["en"].sum() == 1


def _reference_rule(p: np.ndarray, top_rate: float, filter_rate: float, bar_ratio: float) -> list[set]:
    """identify.py's rule, written out in torch on [layers, neurons, languages] (kthvalue and topk as it uses them)."""
    probs = torch.from_numpy(p).permute(1, 2, 0)
    normed = probs / probs.sum(-1, keepdim=True)
    normed[torch.isnan(normed)] = 0
    h = -torch.sum(normed * torch.where(normed > 0, normed.log(), 0), -1)
    flat = probs.flatten()
    h[(probs > flat.kthvalue(round(len(flat) * filter_rate)).values).sum(-1) == 0] = torch.inf
    index = h.flatten().topk(round(h.numel() * top_rate), largest=False).indices
    rows, cols = index // h.size(1), index % h.size(1)
    bar = flat.kthvalue(round(len(flat) * bar_ratio)).values
    chosen = probs[rows, cols].T > bar  # [languages, selected]
    return [{(int(r), int(c)) for r, c, on in zip(rows, cols, chosen[i]) if on} for i in range(p.shape[0])]


def test_selection_matches_the_reference_rule_with_the_papers_defaults():
    assert (TOP_RATE, FILTER_RATE, ACTIVATION_BAR_RATIO) == (0.01, 0.95, 0.95)
    rng = np.random.default_rng(0)
    p = rng.beta(2, 5, size=(4, 6, 400))  # no ties
    p[1, 2, :30] = 0.97  # a few language-1 neurons
    p[[0, 2, 3], 2, :30] = 0.01
    selection = select(p, ["a", "b", "c", "d"])
    assert selection.selected.sum() == round(6 * 400 * 0.01)
    got = [{tuple(x) for x in np.argwhere(selection.masks[lang]).tolist()} for lang in "abcd"]
    assert got == _reference_rule(p, 0.01, 0.95, 0.95)
    assert got[1] >= {(2, j) for j in range(24)}


# -- the planted test: neurons that fire on one language's vocabulary only ---------------------------------------------

ALPHABETS = {"en": "abcdefgh", "de": "ijklmnop", "ru": "абвгдежз"}
PLANTED = {"en": [(0, 3), (0, 100), (1, 7), (1, 300)], "de": [(0, 50), (0, 400), (1, 200)],
           "ru": [(0, 9), (1, 63), (1, 500)]}


def _planted_texts() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for lang, letters in ALPHABETS.items():
        for i in range(24):
            words = ["".join(rng.choice(list(letters), size=rng.integers(2, 6))) for _ in range(30)]
            rows.append({"uid": f"{lang}{i}", "lang": lang, "text_a": " ".join(words), "text_b": None, "label": 0})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("family", ["bert", "llama"])
def test_lape_recovers_planted_language_neurons_with_the_default_thresholds(family):
    """Dimensions 0-2 of the word embeddings flag the tokens of en, de and ru (+1 on a language's own tokens), and
    dimension 3 is 1 for every token: a planted neuron of language i reads 4 x (flag i) - 2 x (dimension 3), positive
    on that language's tokens only, through the input projection (the gate of Llama). The other weights stay random.
    LAPE, at the paper's defaults, must find exactly the planted neurons: 1% of 2 x 512 is 10, as many as planted."""
    frame = _planted_texts()
    hidden = 32
    model, tokenizer = build_tiny({"hidden_size": hidden, "layers": 2, "heads": 4, "intermediate_size": 512,
                                   "vocab_size": 300, "family": family}, frame["text_a"].tolist(), 2, 0)
    model.eval()
    data = encode(frame, tokenizer, 256)
    ids = {lang: {t for r in data.indices(lang) for t in data.features["input_ids"][r]} for lang in ALPHABETS}
    with torch.no_grad():
        embeddings = model.get_input_embeddings().weight
        embeddings.normal_(0, 1, generator=torch.Generator().manual_seed(1))
        embeddings[:, :4] = 0
        embeddings[:, 3] = 1
        for i, lang in enumerate(ALPHABETS):
            own = ids[lang] - set().union(*(ids[other] for other in ALPHABETS if other != lang))
            embeddings[sorted(own), i] = 1
        layers = ffn_layers(model)
        for i, lang in enumerate(ALPHABETS):
            for layer, neuron in PLANTED[lang]:
                projection = layers[layer].inputs[0]
                projection.weight[neuron] = 0
                projection.weight[neuron, i], projection.weight[neuron, 3] = 4.0, -2.0
                if projection.bias is not None:
                    projection.bias[neuron] = 0

    counts = [count_active(model, data, lang, batch_size=16) for lang in ALPHABETS]
    p = probabilities([c.counts for c in counts], [c.tokens for c in counts], list(ALPHABETS))
    selection = select(p, list(ALPHABETS))
    for lang in ALPHABETS:
        expected = np.zeros((2, 512), dtype=bool)
        expected[tuple(np.array(PLANTED[lang]).T)] = True
        np.testing.assert_array_equal(selection.masks[lang], expected, err_msg=lang)


# -- masks and their files ---------------------------------------------------------------------------------------------

def _mask(seed: int = 0, shape: tuple[int, int] = (3, 40)) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < 0.1


def test_a_mask_file_round_trips_with_its_attributes(tmp_path):
    mask = _mask()
    path = tmp_path / "masks" / "de.json"
    save_neuron_mask(path, mask, "de", "lape", seed=None, replicate=1, top_rate=0.01)
    body = read_neuron_mask(path, shape=(3, 40))
    np.testing.assert_array_equal(body["mask"], mask)
    assert body["mask"].dtype == bool
    assert body["lang"] == "de" and body["kind"] == "lape" and body["replicate"] == 1 and body["top_rate"] == 0.01
    assert body["per_layer"] == mask.sum(1).tolist() and body["total"] == int(mask.sum())
    assert [p.name for p in path.parent.iterdir()] == ["de.json"]  # written atomically: no temporary left


def test_a_damaged_mask_file_fails_in_one_line_naming_it(tmp_path):
    path = tmp_path / "de.json"
    save_neuron_mask(path, _mask(), "de", "lape")
    body = json.loads(path.read_text())
    body["neurons"][0] = sorted(set(body["neurons"][0]) ^ {0})  # one neuron added or dropped
    path.write_text(json.dumps(body))
    with pytest.raises(LangspecError, match="corrupted") as error:
        read_neuron_mask(path)
    assert str(path) in one_line(error)

    path.write_text(path.read_text()[:50])  # truncated
    with pytest.raises(LangspecError, match="not a valid neuron mask") as error:
        read_neuron_mask(path)
    assert str(path) in one_line(error)

    body["neurons"][0] = [1000]  # outside the layer
    path.write_text(json.dumps(body))
    with pytest.raises(LangspecError, match="outside") as error:
        read_neuron_mask(path)
    assert str(path) in one_line(error)

    save_neuron_mask(path, _mask(), "de", "lape")
    with pytest.raises(LangspecError, match="3 x 40 but the model has 2 layers x 40") as error:
        read_neuron_mask(path, shape=(2, 40))
    assert str(path) in one_line(error)

    with pytest.raises(LangspecError, match="does not exist") as error:
        read_neuron_mask(tmp_path / "missing.json")
    assert "missing.json" in one_line(error)


def test_the_random_control_has_the_same_count_per_layer_and_is_seeded():
    mask = _mask(shape=(4, 200))
    mask[2] = False
    control = random_control(mask, seed=7)
    assert control.dtype == bool and control.shape == mask.shape
    np.testing.assert_array_equal(control.sum(1), mask.sum(1))
    assert not (control == mask).all()
    np.testing.assert_array_equal(control, random_control(mask, seed=7))
    assert not (control == random_control(mask, seed=8)).all()


# -- neuron subnetworks ------------------------------------------------------------------------------------------------

def _batch(tokenizer) -> dict[str, torch.Tensor]:
    batch = encode(FRAME, tokenizer, 32).batch(np.arange(len(FRAME)))
    batch.pop("labels")
    return batch


def _language_masks(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {lang: rng.random((SHAPE["layers"], SHAPE["intermediate_size"])) < 0.2 for lang in ("en", "de")}


@pytest.mark.parametrize("family", FAMILIES)
def test_use_zeroes_exactly_the_languages_neurons_and_remove_restores_the_model(family):
    model, tokenizer = tiny(family)
    batch = _batch(tokenizer)
    with torch.no_grad():
        before = model(**batch).logits
    layers = ffn_layers(model)
    seen: dict[tuple[str, int], torch.Tensor] = {}

    def recorder(stage: str):
        return [layer.output.register_forward_pre_hook(lambda module, args, i=i: seen.__setitem__((stage, i), args[0]))
                for i, layer in enumerate(layers)]

    handles = recorder("in")  # runs before the subnetworks' hooks
    masks = _language_masks()
    subnetworks = NeuronSubnetworks(model, masks)
    handles += recorder("out")  # after them: what the output projection receives
    assert subnetworks.kind == "neurons" and subnetworks.languages == ["en", "de"] and not subnetworks.shared

    subnetworks.use("de")
    with torch.no_grad():
        masked = model(**batch).logits
    for i in range(len(layers)):
        received, given = seen[("out", i)], seen[("in", i)]
        assert (received[..., masks["de"][i]] == 0).all()
        torch.testing.assert_close(received[..., ~masks["de"][i]], given[..., ~masks["de"][i]], rtol=0, atol=0)
        assert (given[..., masks["de"][i]] != 0).any()  # they were not zero to begin with
    assert not torch.equal(masked, before)

    subnetworks.use(None)
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, before)
    subnetworks.use("en")
    subnetworks.remove()
    for handle in handles:
        handle.remove()
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, before)
    assert all(not layer.output._forward_pre_hooks for layer in layers)


@pytest.mark.parametrize("family", ["llama", "gpt2"])
@pytest.mark.parametrize("masked_forward", [True, False])
def test_a_step_under_a_neuron_mask_leaves_the_deactivated_neurons_parameters_and_state_unchanged(family,
                                                                                                  masked_forward):
    """Under the mask the forward gives the deactivated neurons' parameters no gradient; the strict step guard alone
    (a batch run on the whole model, gradients not masked) keeps them and their AdamW state as before the step."""
    model, tokenizer = tiny(family)
    batch = _batch(tokenizer)
    labels = torch.tensor(FRAME["label"].to_numpy())
    masks = _language_masks(seed=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    layers = ffn_layers(model)
    with NeuronSubnetworks(model, masks) as subnetworks:
        for _ in range(2):  # the first step creates AdamW's state, the second moves it
            start = {name: p.detach().clone() for name, p in model.named_parameters()}
            subnetworks.use("de" if masked_forward else None)
            model.train()
            torch.nn.functional.cross_entropy(model(**batch).logits, labels).backward()
            for layer, mask in zip(layers, masks["de"]):
                for parameter, axis in layer.owned():
                    grad = parameter.grad.index_select(axis, torch.from_numpy(np.flatnonzero(mask)))
                    assert (grad == 0).all() if masked_forward else (grad != 0).any()
            if masked_forward:
                subnetworks.mask_gradients("de")
            with subnetworks.step_guard("de", optimizer, strict=True):
                optimizer.step()
            optimizer.zero_grad()
            for layer, mask in zip(layers, masks["de"]):
                for parameter, axis in layer.owned():
                    off = torch.from_numpy(np.flatnonzero(mask))
                    on = torch.from_numpy(np.flatnonzero(~mask))
                    name = next(n for n, p in model.named_parameters() if p is parameter)
                    assert torch.equal(parameter.index_select(axis, off), start[name].index_select(axis, off)), name
                    assert not torch.equal(parameter.index_select(axis, on), start[name].index_select(axis, on)), name
                    for value in optimizer.state[parameter].values():
                        if torch.is_tensor(value) and value.shape == parameter.shape:
                            assert (value.index_select(axis, off) == 0).all(), name


# -- bad input ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["top_rate", "filter_rate", "activation_bar_ratio"])
@pytest.mark.parametrize("value", [0.0, 1.0, 1.5, -0.1, float("nan")])
def test_a_threshold_outside_0_1_is_one_line_naming_it(name, value):
    with pytest.raises(LangspecError, match=f"threshold {name} is {value}, outside \\(0, 1\\)") as error:
        select(HAND, LANGS, **{name: value})
    one_line(error)


def test_a_top_rate_that_selects_no_neuron_is_one_line():
    with pytest.raises(LangspecError, match="top_rate 0.01 of 10 neurons selects none") as error:
        select(HAND, LANGS)
    one_line(error)


def test_one_language_is_no_lape():
    with pytest.raises(LangspecError, match="two or more distinct languages"):
        select(HAND[:1], ["en"])
    with pytest.raises(LangspecError, match="two or more distinct languages"):
        select(HAND[:2], ["en", "en"])


def test_a_language_with_too_few_tokens_is_one_line_naming_it_and_the_minimum():
    counts = np.zeros((3, 2, 4), dtype=np.int64)
    with pytest.raises(LangspecError, match=f"language 'de' has 999 tokens; LAPE needs at least {MIN_TOKENS}") as error:
        probabilities(counts, [5000, 999, 1000], LANGS)
    assert "standard error of at most 0.016" in one_line(error)
    p = probabilities(counts + 10, [5000, 1000, 1000], LANGS)
    assert p.shape == (3, 2, 4) and p[1, 0, 0] == 0.01
    with pytest.raises(LangspecError, match="outside \\[0.0, 1.0\\]"):
        probabilities(counts + 2000, [5000, 1000, 1000], LANGS)  # more active tokens than tokens


def test_a_model_without_a_feed_forward_neuron_layout_is_one_line_naming_it():
    model, _ = build_tiny(SHAPE, TEXTS, 3, 0, "text-to-text")  # mT5: an encoder-decoder
    model.config.name_or_path = "tiny-mt5"
    expected = "model 'tiny-mt5' is of family 'mt5', which has no feed-forward neuron layout"
    with pytest.raises(LangspecError, match=expected) as error:
        NeuronSubnetworks(model, {})
    one_line(error)


def test_a_language_without_examples_and_a_misshapen_mask_are_one_line():
    model, tokenizer = tiny("llama")
    with pytest.raises(LangspecError, match="language 'ru' has no examples") as error:
        count_active(model, encode(FRAME, tokenizer, 32), "ru", batch_size=4)
    one_line(error)
    expected = "neuron mask of 'de' .* shape \\(2, 32\\); the model needs 2 layers x 64"
    with pytest.raises(LangspecError, match=expected) as error:
        NeuronSubnetworks(model, {"de": np.zeros((2, 32), dtype=bool)})
    one_line(error)
    with NeuronSubnetworks(model, _language_masks()) as subnetworks:
        with pytest.raises(LangspecError, match="no neuron mask for language 'ru'"):
            subnetworks.use("ru")
    with pytest.raises(LangspecError, match="neuron mask kind 'pruned'"):
        save_neuron_mask("unused.json", np.zeros((2, 3), dtype=bool), "de", "pruned")
