"""The model a benchmark times: a workflow checkpoint, or a randomly initialised one of a paper model's shape.

``--shape xlm-roberta-base`` builds XLM-R base's architecture (12 layers, 12
heads, hidden 768, 250002-token vocabulary; about 278M parameters) with random
weights and the checkpoint's classifier labels, and keeps the checkpoint's
tokenizer: its token ids are valid in the larger vocabulary, so batches have the
real text's lengths. Timings need the shape, not trained weights.
"""

from __future__ import annotations

import torch

from langspec.models.checkpoints import load_model

SHAPES = ("checkpoint", "xlm-roberta-base")


def classifier(path: str, shape: str, device: torch.device | str):
    """(model in eval mode on ``device``, tokenizer): the checkpoint at ``path``, or a random model of ``shape``."""
    model, tokenizer = load_model(path, device)
    if shape == "checkpoint":
        return model, tokenizer
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    torch.manual_seed(0)
    config = XLMRobertaConfig(  # xlm-roberta-base's config.json; the remaining defaults match it
        vocab_size=250002, max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5,
        num_labels=model.config.num_labels, id2label=model.config.id2label, label2id=model.config.label2id,
    )
    return XLMRobertaForSequenceClassification(config).to(device).eval(), tokenizer


def read_joined(path: str, join: int) -> "pd.DataFrame":  # noqa: F821
    """A split's rows (``langspec.data.schema.read_split``), every ``join`` consecutive texts of a language made one.

    Gettext messages are short (about 21 tokens); joining them gives inputs of the
    paper tasks' lengths from the same text. The joined row keeps its first row's
    uid, language and label.
    """
    from langspec.models.checkpoints import read_split

    frame = read_split(path)
    if join == 1:
        return frame
    groups = frame.groupby("lang", sort=False).cumcount() // join
    joined = frame.groupby([frame["lang"], groups], sort=False).agg(
        uid=("uid", "first"), text_a=("text_a", " ".join), label=("label", "first"))
    return joined.reset_index(level=0).reset_index(drop=True).assign(text_b=None)[list(frame.columns)]
