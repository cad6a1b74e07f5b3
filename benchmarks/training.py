"""Time per training example (full fine-tuning and SFT) and per pruning step, per precision, and where it goes.

Runs on the default config's prepared model and data of replicate 0 (after the main job):
    python benchmarks/training.py --threads 1

Training steps are timed part by part (batch assembly, forward, backward,
gradient masking, clipping, optimizer step, strict-mode restore), in float32
and, for full fine-tuning, under bfloat16 autocast too (for the record: the
workflow trains in float32 on CPUs, see the README); a pruning step is one
forward and activation-only backward on a language's dev examples, giving its
accuracy and the head importance, in float32 and bfloat16.

On a GPU (``--device cuda``) every precision the workflow offers there is timed
(float32, tf32, bfloat16), each part after a device synchronisation.
``--shape xlm-roberta-base`` times a random model of XLM-R base's shape
(benchmarks/shapes.py); its SFT masks are random, keeping in each language the
default mask's number of heads scaled to 144 heads.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

import numpy as np
import torch
from shapes import SHAPES, classifier, read_joined

from langspec.core.precision import autocast
from langspec.data.encode import encode
from langspec.heads.gates import HeadGates
from langspec.heads.masks import read_mask
from langspec.heads.pruning import head_scores
from langspec.heads.sparse import frozen_heads, mask_gradients
from langspec.training.train import language_batches, mixed_batches


def now() -> float:
    """Seconds on the wall clock, after the GPU (if any) finished its queued work."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter()


def timed(parts: dict, name: str, started: float) -> float:
    """Add the seconds since ``started`` to ``parts[name]``; return the current time."""
    t = now()
    parts[name] += t - started
    return t


def training(args: argparse.Namespace, mode: str, precision: str = "float32") -> dict:
    device = torch.device(args.device)
    model, tokenizer = classifier(f"{args.results}/models/{args.task}/rep0/init", args.shape, device)
    data = encode(read_joined(f"{args.results}/data/{args.task}/rep0/train.parquet", args.join), tokenizer, args.max_length)
    masks = None
    if mode != "full":
        gates = HeadGates(model)
        masks = {lang: head_mask(args, lang, gates.layout.shape).to(device) for lang in data.languages}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=True)  # as langspec.training.train builds it
    plan = (mixed_batches if masks is None else language_batches)(data, args.batch_size, np.random.default_rng(0), True)
    plan = plan[: args.steps + 2]
    parts: dict[str, float] = defaultdict(float)
    examples = 0
    model.train()
    for step, (lang, rows) in enumerate(plan):
        if step == 2:  # two warm-up steps
            parts.clear()
            examples = 0
        t = now()
        batch = data.batch(rows, device)
        if masks is not None:
            gates.set(masks[lang])
        t = timed(parts, "batch", t)
        with autocast(precision, device, model):
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
        "mean_tokens": data.num_tokens(np.concatenate([rows for _, rows in plan[2:]])) / examples,
    }


def head_mask(args: argparse.Namespace, lang: str, shape: tuple[int, int]) -> torch.Tensor:
    """Language ``lang``'s head mask [layers, heads] of replicate 0, or for another shape a random one as sparse."""
    mask = torch.as_tensor(read_mask(f"{args.results}/masks/{args.task}/rep0/{lang}.json")["mask"], dtype=torch.float32)
    if tuple(mask.shape) == tuple(shape):
        return mask
    keep = round(float(mask.mean()) * shape[0] * shape[1])
    order = torch.randperm(shape[0] * shape[1], generator=torch.Generator().manual_seed(0))
    out = torch.zeros(shape[0] * shape[1])
    out[order[:keep]] = 1
    return out.view(shape)


def pruning_step(args: argparse.Namespace, precision: str) -> dict:
    device = torch.device(args.device)
    model, tokenizer = classifier(f"{args.results}/models/{args.task}/rep0/full/epoch{args.epoch}", args.shape, device)
    data = encode(read_joined(f"{args.results}/data/{args.task}/rep0/dev.parquet", args.join), tokenizer, args.max_length)
    rows = data.indices(data.languages[0])
    gates = HeadGates(model)
    mask = torch.ones(gates.layout.shape, device=device)
    seconds = []
    with autocast(precision, device, model):
        for _ in range(args.repeats + 1):  # the first warms up
            t = now()
            importance, pred = head_scores(model, gates, data, rows, mask, args.prune_batch_size)
            seconds.append(now() - t)
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
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--shape", choices=SHAPES, default="checkpoint", help="the checkpoint, or a random model of that shape")
    parser.add_argument("--join", type=int, default=1, help="make every N consecutive texts of a language one example (longer inputs)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    others = ["tf32", "bfloat16"] if device.type == "cuda" else ["bfloat16"]
    result = {"threads": args.threads, "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
              "model": "checkpoint" if args.shape == "checkpoint" else f"random {args.shape}"}
    for mode in ("full", "sft-paper", "sft-strict"):
        result[mode] = training(args, mode)
    for precision in others:
        result[f"full, {precision}"] = training(args, "full", precision)
    steps = {precision: pruning_step(args, precision) for precision in ("float32", *others)}
    reference = steps["float32"].pop("importance")
    order = lambda x: torch.argsort(x.flatten(), stable=True)
    least = reference.numel() // 10
    for precision in others:
        other = steps[precision].pop("importance")
        steps[precision]["over_float32"] = steps[precision]["seconds_per_step"] / steps["float32"]["seconds_per_step"]
        steps[precision]["importance_rank_agreement_of_least_10pct"] = len(
            set(order(reference)[:least].tolist()) & set(order(other)[:least].tolist())) / least
    result["pruning step"] = steps
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
