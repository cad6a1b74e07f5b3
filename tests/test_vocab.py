"""Vocabulary trimming keeps the tokenization of the given texts; layer cutting keeps the first K layers."""

from __future__ import annotations

import itertools

import pytest
import torch
from tokenizers import Tokenizer, pre_tokenizers, processors
from tokenizers.models import BPE, Unigram, WordPiece
from transformers import AutoTokenizer, BertConfig, BertForMaskedLM, BertModel, PreTrainedTokenizerFast

from langspec.core.errors import LangspecError
from langspec.models.tiny import build_tiny
from langspec.models.vocab import keep_layers, trim_vocabulary

SHAPE = {"hidden_size": 16, "layers": 2, "heads": 2, "intermediate_size": 32, "vocab_size": 300}
TEXTS = [
    "The cat sat on the mat.",
    "Der Hund schläft im Garten.",
    "Le chat dort sur le canapé.",
    "El perro duerme en el jardín.",
    "Кошка спит на диване.",
    "고양이가 소파에서 잔다.",
    "猫在沙发上睡觉。",
] * 3
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]


def _wrap(backend: Tokenizer) -> PreTrainedTokenizerFast:
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )


def _tokens(tokenizer, texts):
    return [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(texts)["input_ids"]]


def _bert(vocab_size: int, seed: int = 0, cls=BertModel):
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        pad_token_id=1,
    )
    return cls(config).eval()


def test_trim_keeps_tokenization_embeddings_and_reloads(tmp_path):
    model, tokenizer = build_tiny(SHAPE, TEXTS, num_labels=2, seed=0)
    model.eval()
    subset = [*TEXTS[:4], ("Der Hund schläft.", "Le chat dort."), ("猫在睡觉。", None)]
    before_tokens = _tokens(tokenizer, [t if isinstance(t, str) else t[0] for t in subset])
    batch = tokenizer(TEXTS[:4], padding=True, return_tensors="pt")
    with torch.no_grad():
        before_logits = model(**batch).logits
    old_embeddings = model.get_input_embeddings().weight.detach().clone()

    model, trimmed, report = trim_vocabulary(model, tokenizer, subset)

    assert report["tokens_before"] == len(tokenizer) and report["tokens_after"] == len(trimmed) < len(tokenizer)
    assert report["embedding_params_after"] == len(trimmed) * SHAPE["hidden_size"] < report["embedding_params_before"]
    assert model.config.vocab_size == len(trimmed) and model.config.pad_token_id == trimmed.pad_token_id
    assert _tokens(trimmed, [t if isinstance(t, str) else t[0] for t in subset]) == before_tokens
    pair = trimmed("Der Hund schläft.", "Le chat dort.")["input_ids"]
    assert trimmed.convert_ids_to_tokens(pair) == tokenizer.convert_ids_to_tokens(
        tokenizer("Der Hund schläft.", "Le chat dort.")["input_ids"]
    )
    # the kept rows are the old rows of the same tokens
    for token, new_id in trimmed.get_vocab().items():
        assert torch.equal(
            model.get_input_embeddings().weight[new_id], old_embeddings[tokenizer.convert_tokens_to_ids(token)]
        )
    batch = trimmed(TEXTS[:4], padding=True, return_tensors="pt")
    with torch.no_grad():
        assert torch.allclose(model(**batch).logits, before_logits, atol=1e-6)

    trimmed.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert len(reloaded) == len(trimmed)
    assert reloaded(TEXTS[:4])["input_ids"] == trimmed(TEXTS[:4])["input_ids"]


def test_unigram_trim_keeps_the_unknown_score():
    # "abcd": "▁a" + "bcd" (-24) beats "▁abc" + "d" (-25). Were the unused lowest piece "d" dropped, the
    # unknown score (lowest score - 10) would rise from -34 to -22 and "▁abc" + <unk> (-23) would win.
    vocab = [(s, 0.0) for s in SPECIALS] + [("▁a", -12.0), ("bcd", -12.0), ("▁abc", -1.0), ("d", -24.0), ("x", -3.0)]
    backend = Tokenizer(Unigram(vocab, unk_id=3, byte_fallback=False))
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer = _wrap(backend)
    texts = ["abcd", "abc"]
    before = _tokens(tokenizer, texts)
    assert before[0] == ["<s>", "▁a", "bcd", "</s>"]
    _, trimmed, report = trim_vocabulary(_bert(len(vocab)), tokenizer, texts)
    assert _tokens(trimmed, texts) == before
    assert "x" not in trimmed.get_vocab() and report["tokens_after"] == len(vocab) - 1


def test_wordpiece_trim_keeps_tokenization(tmp_path):
    words = ["the", "cat", "##s", "c", "##at", "##a", "dog", "d", "##og", "##o", "##g", "a", "x", "##y"]
    vocab = {token: i for i, token in enumerate(SPECIALS + words)}
    backend = Tokenizer(WordPiece(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = _wrap(backend)
    texts = ["the cats", "a dog", "xyz catty"]
    before = _tokens(tokenizer, texts)
    assert before == [
        ["<s>", "the", "cat", "##s", "</s>"],
        ["<s>", "a", "dog", "</s>"],
        ["<s>", "<unk>", "<unk>", "</s>"],
    ]
    _, trimmed, report = trim_vocabulary(_bert(len(vocab)), tokenizer, texts)
    assert _tokens(trimmed, texts) == before
    assert report["tokens_after"] == 4 + 5 and "x" not in trimmed.get_vocab()
    trimmed.save_pretrained(tmp_path)
    assert _tokens(AutoTokenizer.from_pretrained(tmp_path), texts) == before


def test_tied_output_embedding_is_sliced_with_the_input(tmp_path):
    vocab = [(s, 0.0) for s in SPECIALS] + [(f"▁{c}", -1.0 - i) for i, c in enumerate("abcdefgh")]
    backend = Tokenizer(Unigram(vocab, unk_id=3, byte_fallback=False))
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer = _wrap(backend)
    model = _bert(len(vocab), cls=BertForMaskedLM)
    with torch.no_grad():
        model.cls.predictions.bias.normal_()
        logits = model(**tokenizer(["a c e"], return_tensors="pt")).logits
    model, trimmed, _ = trim_vocabulary(model, tokenizer, ["a c e"])
    kept = [tokenizer.convert_tokens_to_ids(t) for t in trimmed.convert_ids_to_tokens(list(range(len(trimmed))))]
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    with torch.no_grad():
        assert torch.allclose(model(**trimmed(["a c e"], return_tensors="pt")).logits, logits[..., kept], atol=1e-6)
    model.save_pretrained(tmp_path)
    reloaded = BertForMaskedLM.from_pretrained(tmp_path)
    assert reloaded.cls.predictions.decoder.weight.shape[0] == len(trimmed) == reloaded.config.vocab_size


def test_other_tokenizer_models_are_refused():
    backend = Tokenizer(BPE({"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4}, [], unk_token="<unk>"))
    with pytest.raises(LangspecError, match=r"model\.trim_vocabulary: false"):
        trim_vocabulary(_bert(5), _wrap(backend), ["a"])


def test_keep_layers():
    model = _bert(10)
    first = model.encoder.layer[0]
    keep_layers(model, 1)
    assert len(model.encoder.layer) == 1 and model.encoder.layer[0] is first and model.config.num_hidden_layers == 1
    with torch.no_grad():
        assert model(input_ids=torch.tensor([[0, 5, 2]])).last_hidden_state.shape == (1, 3, 16)
    with pytest.raises(LangspecError, match=r"\b3\b.*\b1\b"):
        keep_layers(model, 3)


def test_trim_converted_e5(e5_dir):
    tokenizer = AutoTokenizer.from_pretrained(e5_dir)
    model = BertModel.from_pretrained(e5_dir, add_pooling_layer=False).eval()
    texts = list(itertools.pairwise(TEXTS[:8]))
    batch = tokenizer([a for a, _ in texts], [b for _, b in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    model, trimmed, report = trim_vocabulary(model, tokenizer, texts)
    assert report["embedding_params_before"] == 250037 * 384 and report["tokens_after"] < 200
    batch_after = trimmed([a for a, _ in texts], [b for _, b in texts], padding=True, return_tensors="pt")
    assert trimmed.batch_decode(batch_after["input_ids"]) == tokenizer.batch_decode(batch["input_ids"])
    with torch.no_grad():
        assert torch.equal(model(**batch_after).last_hidden_state, hidden)
