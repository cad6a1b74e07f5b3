"""Train-sketch time relative to a plain batched forward+backward of the same batches.

Three variants run on the same batches of a checkpoint's training data, in
interleaved repeats (these machines are noisy), and the medians are compared:

- plain: forward, then backward of the summed per-example losses with weight
  gradients, as a training step computes them (no optimizer step);
- floor: forward plus a backward that computes input gradients only (every
  parameter frozen), the least any gradient-based per-example method must do;
- sketch: langspec's Sketcher (all nn.Linear layers, d per layer).

Usage (after the main job made the checkpoint):
    python benchmarks/sketch_speed.py --threads 1
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from langspec.checkpoints import load_classifier, read_split
from langspec.encode import by_length, chunks, encode
from langspec.frozen import parameters_frozen
from langspec.sketch import Sketcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="results/models/gettext-topic/full/epoch3")
    parser.add_argument("--data", default="results/data/gettext-topic/train.parquet")
    parser.add_argument("--examples", type=int, default=320)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model, tokenizer = load_classifier(args.model, device)
    data = encode(read_split(args.data), tokenizer, args.max_length)
    rows = by_length(data, np.arange(min(args.examples, len(data))))  # as the sketch writer batches
    batches = [data.batch(r, device) for r in chunks(rows, args.batch_size)]
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def plain() -> None:
        for batch in batches:
            batch = dict(batch)
            labels = batch.pop("labels")
            model.zero_grad(set_to_none=True)
            F.cross_entropy(model(**batch).logits, labels, reduction="sum").backward()

    def floor() -> None:
        hook = model.get_input_embeddings().register_forward_hook(lambda m, a, out: out.requires_grad_(True))
        with parameters_frozen(model):
            for batch in batches:
                batch = dict(batch)
                labels = batch.pop("labels")
                F.cross_entropy(model(**batch).logits, labels, reduction="sum").backward()
        hook.remove()

    sketcher = Sketcher(model, args.dim, ["*"], seed=0)

    def sketch() -> None:
        with sketcher:
            for batch in batches:
                sketcher(batch)

    model.eval()
    times: dict[str, list[float]] = {"plain": [], "floor": [], "sketch": []}
    for repeat in range(args.repeats + 1):  # the first round warms up and is dropped
        for name, run in (("plain", plain), ("floor", floor), ("sketch", sketch)):
            sync()
            started = time.perf_counter()
            run()
            sync()
            if repeat:
                times[name].append(time.perf_counter() - started)
    median = {name: statistics.median(values) for name, values in times.items()}
    n = sum(len(b["labels"]) for b in batches)
    result = {
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads",
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "model": args.model,
        "examples": n,
        "layers_sketched": len(sketcher.layers),
        "sketch_width": sketcher.width,
        "ms_per_example": {name: 1000 * value / n for name, value in median.items()},
        "sketch_over_plain": median["sketch"] / median["plain"],
        "floor_over_plain": median["floor"] / median["plain"],
        "repeats": args.repeats,
        "spread": {name: [min(v) / median[name], max(v) / median[name]] for name, v in times.items()},
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
