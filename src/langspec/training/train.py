"""Fine-tuning: the whole model (regime ``full``) or language subnetworks (SFT).

Full fine-tuning shuffles all languages together. Sparse fine-tuning (paper
000, section 4.2) draws language-specific batches in random order, each
language equally often; the batch language's subnetwork restricts the forward
pass and multiplies the gradients before the optimizer step. Subnetworks are
head masks or lottery-ticket weight masks behind one interface
(:mod:`langspec.training.subnetworks`); a single shared ticket (paper 003) trains on
mixed batches with its pruned weights held at zero. After every epoch a
self-contained checkpoint is saved: these are TracIn's checkpoints.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from langspec.core.atomic import atomic_dir, write_json
from langspec.data.encode import Encoded, by_length, chunks
from langspec.training.evaluate import at_chance, evaluate
from langspec.training.metrics import metric_of
from langspec.training.objective import training_loss
from langspec.training.subnetworks import Subnetworks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hyperparameters:
    """One task's fine-tuning settings (config ``tasks.<name>.finetune``)."""

    learning_rate: float
    epochs: int
    batch_size: int
    eval_batch_size: int
    max_length: int
    warmup_ratio: float
    weight_decay: float
    max_grad_norm: float
    group_by_length: bool
    seed: int


GROUP = 50  # batches per length-sorted group (as transformers' group_by_length)


def _cut(data: Encoded, order: np.ndarray, batch_size: int, by_length_groups: bool) -> list[np.ndarray]:
    """Cut a shuffled order into batches; with ``by_length_groups`` sort groups of batches by length first."""
    if by_length_groups:
        order = np.concatenate([by_length(data, group) for group in chunks(order, batch_size * GROUP)])
    return list(chunks(order, batch_size))


def mixed_batches(data: Encoded, batch_size: int, rng: np.random.Generator, by_length_groups: bool = False) -> list[tuple[None, np.ndarray]]:
    """One epoch of batches over all languages, shuffled together."""
    batches = _cut(data, rng.permutation(len(data)), batch_size, by_length_groups)
    return [(None, batches[i]) for i in rng.permutation(len(batches))]


def language_batches(data: Encoded, batch_size: int, rng: np.random.Generator, by_length_groups: bool = False) -> list[tuple[str, np.ndarray]]:
    """One epoch of single-language batches in random order, each language equally often.

    A language with fewer examples is topped up with a second shuffle of its own
    examples so that it has as many batches as the largest one.
    """
    per_language = {lang: data.indices(lang) for lang in data.languages}
    most = max(len(rows) for rows in per_language.values())
    plan = []
    for lang, rows in per_language.items():
        order = np.concatenate([rng.permutation(rows) for _ in range(-(-most // len(rows)))])[:most]
        plan += [(lang, batch) for batch in _cut(data, order, batch_size, by_length_groups)]
    return [plan[i] for i in rng.permutation(len(plan))]


def train(
    model: torch.nn.Module,
    tokenizer,
    train_data: Encoded,
    dev_data: Encoded,
    hp: Hyperparameters,
    out_dir: Path | None,
    strict: bool = False,
    subnetworks: Subnetworks | None = None,
    evaluation: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
) -> list[dict]:
    """Fine-tune ``model`` and save ``out_dir/epoch{e}`` after every epoch (``out_dir=None``: save nothing).

    With ``subnetworks`` (head masks, :class:`~langspec.heads.subnetworks.HeadSubnetworks`,
    or weight masks, :class:`~langspec.tickets.masks.WeightSubnetworks`) this is
    sparse fine-tuning: each batch's language selects the subnetwork of the
    forward pass, the gradients outside it are zeroed before the optimizer
    step, and ``strict`` additionally keeps the parameters outside it and their
    AdamW state exactly unchanged in each step. Per-language subnetworks draw
    single-language batches (each language equally often); a shared one (a
    lottery ticket) mixes languages as full fine-tuning does. The caller
    owns ``subnetworks`` (left at the whole model). ``evaluation`` makes the context of the dev evaluation after
    each epoch (e.g. the workflow's evaluation precision). Returns the metrics
    of every epoch: ``dev`` of the whole model and, with subnetworks,
    ``dev_subnetwork`` (each language under its own).
    """
    torch.manual_seed(hp.seed)
    rng = np.random.default_rng(hp.seed)
    masks = torch.Generator().manual_seed(hp.seed)  # mlm: each training batch's masks
    device = next(model.parameters()).device
    if subnetworks is not None:
        subnetworks.check_covers(train_data.languages)
    make_plan = language_batches if subnetworks is not None and not subnetworks.shared else mixed_batches

    steps_per_epoch = len(make_plan(train_data, hp.batch_size, np.random.default_rng(0), hp.group_by_length))
    total = steps_per_epoch * hp.epochs
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    optimizer = torch.optim.AdamW(  # the fused kernel: 9 ms instead of 46 ms a step for the default's 13M parameters on a CPU
        [{"params": decay, "weight_decay": hp.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=hp.learning_rate,
        fused=device.type in ("cpu", "cuda"),
    )
    schedule = get_linear_schedule_with_warmup(optimizer, int(hp.warmup_ratio * total), total)

    history = []
    progress = tqdm(total=total, desc=f"train {out_dir.name if out_dir is not None else ''}".rstrip(), unit="step")
    step = 0
    try:
        for epoch in range(1, hp.epochs + 1):
            started = time.perf_counter()
            model.train()
            losses = []
            for lang, rows in make_plan(train_data, hp.batch_size, rng, hp.group_by_length):
                batch = train_data.batch(rows, device, masks)
                if subnetworks is not None:
                    lang = lang if lang is not None else "*"
                    subnetworks.use(lang)
                loss = training_loss(model, batch, train_data.kind)
                loss.backward()
                if subnetworks is not None:
                    subnetworks.mask_gradients(lang)
                torch.nn.utils.clip_grad_norm_(model.parameters(), hp.max_grad_norm)
                if subnetworks is not None:
                    with subnetworks.step_guard(lang, optimizer, strict):
                        optimizer.step()
                else:
                    optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
                losses.append(loss.item())
                step += 1
                progress.update()
                progress.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}")
            if subnetworks is not None:
                subnetworks.use(None)
            metrics = {
                "epoch": epoch,
                "step": step,
                "learning_rate": schedule.get_last_lr()[0],
                "train_loss": float(np.mean(losses)),
                "train_seconds": time.perf_counter() - started,
                "hyperparameters": asdict(hp),
                "sparse": None if subnetworks is None else ("strict" if strict else "paper"),
            }
            with evaluation():
                metrics["dev"] = evaluate(model, dev_data, hp.eval_batch_size)
                if subnetworks is not None:
                    metrics["subnetwork"] = subnetworks.kind
                    metrics["dev_subnetwork"] = (metrics["dev"] if subnetworks.baked else
                                                 evaluate(model, dev_data, hp.eval_batch_size, subnetworks=subnetworks))
            if out_dir is not None:
                save_checkpoint(model, tokenizer, out_dir / f"epoch{epoch}", metrics)
            history.append(metrics)
    finally:
        progress.close()
        if subnetworks is not None:
            subnetworks.use(None)
    last = history[-1].get("dev_subnetwork") or history[-1]["dev"]
    if chance := at_chance(last, model.config.num_labels):
        name = metric_of(train_data.kind).name
        log.warning(
            "after %d epochs the dev %s of %s is at chance (%s, %d labels): the model has not learned; "
            "results computed from it are noise (more epochs, steps or a higher learning rate may help)",
            hp.epochs, name, ", ".join(chance), ", ".join(f"{last[lang][name]:.2f}" for lang in chance), model.config.num_labels,
        )
    return history


def save_checkpoint(model: torch.nn.Module, tokenizer, path: Path, metrics: dict) -> None:
    """A self-contained ``save_pretrained`` directory plus ``metrics.json``, written atomically."""
    with atomic_dir(path) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_json(tmp / "metrics.json", metrics)
