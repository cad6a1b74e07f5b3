"""Time per training example (full fine-tuning and SFT) and per pruning step, per precision, and where it goes.

Runs on the default config's prepared model and data of replicate 0 (after the main job):
    python benchmarks/training.py --threads 1

Training steps are timed part by part (batch assembly, forward, backward,
gradient masking, clipping, optimizer step, strict-mode restore), in float32
and, for full fine-tuning, under bfloat16 autocast too (for the record: the
workflow trains in float32 on CPUs, see the README); a pruning step is one
forward and activation-only backward on a language's dev examples, giving its
accuracy and the head importance, in float32 and bfloat16.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

import numpy as np
import torch

from langspec.checkpoints import load_classifier, read_split
from langspec.encode import encode
from langspec.gates import HeadGates
from langspec.masks import read_mask
from langspec.precision import autocast
from langspec.prune import head_scores
from langspec.sparse import frozen_heads, mask_gradients
from langspec.train import language_batches, mixed_batches


def timed(parts: dict, name: str, started: float) -> float:
    now = time.perf_counter()
    parts[name] += now - started
    return now


def training(args: argparse.Namespace, mode: str, precision: str = "float32") -> dict:
    model, tokenizer = load_classifier(f"{args.results}/models/{args.task}/rep0/init")
    data = encode(read_split(f"{args.results}/data/{args.task}/rep0/train.parquet"), tokenizer, args.max_length)
    masks = None
    if mode != "full":
        gates = HeadGates(model)
        masks = {lang: torch.as_tensor(read_mask(f"{args.results}/masks/{args.task}/rep0/{lang}.json", gates.layout.shape)["mask"])
                 for lang in data.languages}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    plan = (mixed_batches if masks is None else language_batches)(data, args.batch_size, np.random.default_rng(0), True)
    plan = plan[: args.steps + 2]
    parts: dict[str, float] = defaultdict(float)
    examples = 0
    model.train()
    for step, (lang, rows) in enumerate(plan):
        if step == 2:  # two warm-up steps
            parts.clear()
            examples = 0
        t = time.perf_counter()
        batch = data.batch(rows)
        if masks is not None:
            gates.set(masks[lang])
        t = timed(parts, "batch", t)
        with autocast(precision, "cpu", model):
            loss = model(**batch).loss
        t = timed(parts, "forward", t)
        loss.backward()
        t = timed(parts, "backward", t)
        if masks is not None:
            mask_gradients(gates.layout, masks[lang])
            t = timed(parts, "mask gradients", t)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        t = timed(parts, "clip", t)
        if mode == "sft-strict":
            with frozen_heads(gates.layout, masks[lang], optimizer):
                optimizer.step()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        t = timed(parts, "optimizer" + (" + strict restore" if mode == "sft-strict" else ""), t)
        examples += len(rows)
    total = sum(parts.values())
    return {
        "ms_per_example": 1000 * total / examples,
        "share": {name: value / total for name, value in parts.items()},
        "examples": examples,
    }


def pruning_step(args: argparse.Namespace, precision: str) -> dict:
    model, tokenizer = load_classifier(f"{args.results}/models/{args.task}/rep0/full/epoch{args.epoch}")
    data = encode(read_split(f"{args.results}/data/{args.task}/rep0/dev.parquet"), tokenizer, args.max_length)
    rows = data.indices(data.languages[0])
    gates = HeadGates(model)
    mask = torch.ones(gates.layout.shape)
    seconds = []
    with autocast(precision, "cpu", model):
        for _ in range(args.repeats + 1):  # the first warms up
            t = time.perf_counter()
            importance, pred = head_scores(model, gates, data, rows, mask, args.prune_batch_size)
            seconds.append(time.perf_counter() - t)
    return {"seconds_per_step": float(np.median(seconds[1:])), "dev_examples": len(rows),
            "accuracy": float((pred == data.label.numpy()[rows]).mean()), "importance": importance}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--task", default="gettext-topic")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--epoch", type=int, default=3)
    parser.add_argument("--prune-batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = {"threads": args.threads}
    for mode in ("full", "sft-paper", "sft-strict"):
        result[mode] = training(args, mode)
    result["full, bfloat16 autocast"] = training(args, "full", "bfloat16")
    steps = {precision: pruning_step(args, precision) for precision in ("float32", "bfloat16")}
    reference = steps["float32"].pop("importance")
    other = steps["bfloat16"].pop("importance")
    order = lambda x: torch.argsort(x.flatten(), stable=True)
    result["pruning step"] = steps
    result["pruning step"]["bfloat16_over_float32"] = steps["bfloat16"]["seconds_per_step"] / steps["float32"]["seconds_per_step"]
    result["pruning step"]["importance_rank_agreement_of_least_10pct"] = len(
        set(order(reference)[: reference.numel() // 10].tolist()) & set(order(other)[: other.numel() // 10].tolist())
    ) / (reference.numel() // 10)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
