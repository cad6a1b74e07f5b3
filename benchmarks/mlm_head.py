"""MLM training step time: the MLM head on every position (the model's own loss) against the masked positions only.

Runs on the default config's MLM model and data of replicate 0 (after `snakemake lth`):
    python benchmarks/mlm_head.py --results results --steps 30

Both variants train the same model from the same state on the same batches
(batches of the task's lth size, fresh masks from one seed), alternating step by
step (A, B, A, B, ...) so that machine noise hits both alike; forward, backward
and the AdamW step are timed together (the same dropout draws in both). Prints
the median ms per step of each, their ratio, and the difference of their
first-step losses.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time

import numpy as np
import torch

from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.models.checkpoints import load_model
from langspec.training.objective import training_loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--task", default="gettext-mlm")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    base, tokenizer = load_model(f"{args.results}/models/{args.task}/rep0/init", "cpu")
    data = encode(read_split(f"{args.results}/data/{args.task}/rep0/train.parquet"), tokenizer, args.max_length, "mlm", 0)
    variants = {"every position (model's own loss)": lambda m, b: m(**b).loss,
                "masked positions only": lambda m, b: training_loss(m, b, "mlm")}
    models = {name: copy.deepcopy(base).train() for name in variants}
    optimizers = {name: torch.optim.AdamW(m.parameters(), lr=1e-4, fused=True) for name, m in models.items()}
    generator = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    times: dict[str, list[float]] = {name: [] for name in variants}
    first: dict[str, float] = {}
    for step in range(args.steps + 2):  # two warm-up steps
        batch = data.batch(rng.choice(len(data), args.batch_size, replace=False), generator=generator)
        for name, loss_of in variants.items():
            torch.manual_seed(step)  # the same dropout in both
            started = time.perf_counter()
            loss = loss_of(models[name], dict(batch))
            loss.backward()
            optimizers[name].step()
            optimizers[name].zero_grad(set_to_none=True)
            if step >= 2:
                times[name].append(1000 * (time.perf_counter() - started))
            first.setdefault(name, loss.item())
    medians = {name: statistics.median(values) for name, values in times.items()}
    names = list(variants)
    print(json.dumps({
        "ms_per_step": medians, "ratio": medians[names[1]] / medians[names[0]],
        "paired_ratios_median": statistics.median(b / a for a, b in zip(times[names[0]], times[names[1]])),
        "first_step_loss_difference": abs(first[names[0]] - first[names[1]]),
        "steps": args.steps, "batch_size": args.batch_size, "max_length": args.max_length, "threads": args.threads,
        "vocab_size": base.config.vocab_size,
    }, indent=1))


if __name__ == "__main__":
    main()
