"""Time per training example (full fine-tuning and SFT) and per pruning step, and where it goes.

Runs on the default config's prepared model and data (after the main job):
    python benchmarks/training.py --threads 2

Training steps are timed part by part (batch assembly, forward, backward,
gradient masking, clipping, optimizer step, strict-mode restore); a pruning
step is one importance pass plus one evaluation on a language's dev examples.
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
from langspec.evaluate import predict
from langspec.gates import HeadGates
from langspec.masks import read_mask
from langspec.prune import head_importance
from langspec.sparse import frozen_heads, mask_gradients
from langspec.train import language_batches, mixed_batches


def timed(parts: dict, name: str, started: float) -> float:
    now = time.perf_counter()
    parts[name] += now - started
    return now


def training(args: argparse.Namespace, mode: str) -> dict:
    model, tokenizer = load_classifier(f"{args.results}/models/{args.task}/init")
    data = encode(read_split(f"{args.results}/data/{args.task}/train.parquet"), tokenizer, args.max_length)
    masks = None
    if mode != "full":
        gates = HeadGates(model)
        masks = {lang: read_mask(f"{args.results}/masks/{args.task}/{lang}.json", gates.layout.shape)["mask"] for lang in data.languages}
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


def pruning_step(args: argparse.Namespace) -> dict:
    model, tokenizer = load_classifier(f"{args.results}/models/{args.task}/full/epoch{args.epoch}")
    data = encode(read_split(f"{args.results}/data/{args.task}/dev.parquet"), tokenizer, args.max_length)
    rows = data.indices(data.languages[0])
    gates = HeadGates(model)
    mask = torch.ones(gates.layout.shape)
    parts: dict[str, float] = defaultdict(float)
    for repeat in range(args.repeats + 1):
        if repeat == 1:
            parts.clear()
        t = time.perf_counter()
        head_importance(model, gates, data, rows, mask, args.prune_batch_size)
        t = timed(parts, "importance", t)
        predict(model, data, args.prune_batch_size, gates=gates, masks={data.languages[0]: mask}, rows=rows)
        timed(parts, "evaluation", t)
    total = sum(parts.values()) / args.repeats
    return {
        "seconds_per_step": total,
        "share": {name: value / args.repeats / total for name, value in parts.items()},
        "dev_examples": len(rows),
    }


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
    result["pruning step"] = pruning_step(args)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
