"""Train-sketch time relative to a plain batched forward+backward, per precision, and bfloat16's top-k agreement.

Variants run on the same batches of a checkpoint's training data, in
interleaved repeats (these machines are noisy), and the medians are compared:

- plain: forward, then backward of the summed per-example losses with weight
  gradients, as a training step computes them (no optimizer step), float32;
- floor: forward plus a backward that computes input gradients only (every
  parameter frozen), the least any gradient-based per-example method must do;
- sketch: langspec's Sketcher (all nn.Linear layers, d per layer), float32;
- sketch-<precision>: the same under ``langspec.core.precision.autocast`` (bfloat16 on
  a CPU with native support, or CUDA bfloat16 / tf32 on a GPU), as the workflow
  runs it.

Then the agreement: TracIn (cosine, this checkpoint) of ``--agreement-test`` test
examples against ``--agreement-train`` training examples from float32 sketches
and from each other precision's; the mean overlap of their top-k sets (positive
and negative) and the mean cosine of the per-example sketches.

Usage (after the main job made the checkpoint):
    python benchmarks/sketch_speed.py --threads 1
    python benchmarks/sketch_speed.py --device cuda --shape xlm-roberta-base
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from shapes import SHAPES, classifier, read_joined

from langspec.attribution.sketch import Sketcher
from langspec.core.precision import autocast
from langspec.data.encode import by_length, chunks, encode
from langspec.models.frozen import parameters_frozen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="results/models/gettext-topic/rep0/full/epoch3")
    parser.add_argument("--data", default="results/data/gettext-topic/rep0/train.parquet")
    parser.add_argument("--examples", type=int, default=320)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--shape", choices=SHAPES, default="checkpoint", help="the checkpoint, or a random model of that shape")
    parser.add_argument("--join", type=int, default=1, help="make every N consecutive texts of a language one example (longer inputs)")
    parser.add_argument("--precisions", nargs="*", default=None, help="besides float32 (default: bfloat16 on a CPU, bfloat16 and tf32 on CUDA)")
    parser.add_argument("--test-data", default="results/data/gettext-topic/rep0/test.parquet")
    parser.add_argument("--agreement-train", type=int, default=1000)
    parser.add_argument("--agreement-test", type=int, default=100)
    parser.add_argument("--k", type=int, default=100)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    model, tokenizer = classifier(args.model, args.shape, device)
    data = encode(read_joined(args.data, args.join), tokenizer, args.max_length)
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
    precisions = args.precisions if args.precisions is not None else (["bfloat16", "tf32"] if device.type == "cuda" else ["bfloat16"])

    def sketch(precision: str = "float32", rows=None) -> torch.Tensor:
        out = []
        with sketcher, autocast(precision, device, model):
            for batch in batches if rows is None else rows:
                out.append(sketcher(batch)[0])
        return torch.cat(out)

    model.eval()
    variants = {"plain": plain, "floor": floor, "sketch": sketch, **{f"sketch-{p}": partial(sketch, p) for p in precisions}}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(args.repeats + 1):  # the first round warms up and is dropped
        for name, run in variants.items():
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
        "model": args.model if args.shape == "checkpoint" else f"random {args.shape}",
        "parameters": sum(p.numel() for p in model.parameters()),
        "examples": n,
        "mean_tokens": data.num_tokens(rows) / len(rows),
        "layers_sketched": len(sketcher.layers),
        "sketch_width": sketcher.width,
        "ms_per_example": {name: 1000 * value / n for name, value in median.items()},
        "sketch_over_plain": median["sketch"] / median["plain"],
        "floor_over_plain": median["floor"] / median["plain"],
        **{f"sketch_{p}_over_float32": median[f"sketch-{p}"] / median["sketch"] for p in precisions},
        "repeats": args.repeats,
        "spread": {name: [min(v) / median[name], max(v) / median[name]] for name, v in times.items()},
        "agreement": agreement(args, model, tokenizer, data, device, sketch, precisions),
    }
    print(json.dumps(result, indent=1))


def agreement(args, model, tokenizer, data, device, sketch, precisions) -> dict:
    """Top-k overlap of TracIn rankings from each precision's sketches with float32's, and sketch cosines."""
    test = encode(read_joined(args.test_data, args.join), tokenizer, args.max_length)
    train_rows = np.arange(min(args.agreement_train, len(data)))
    test_rows = np.linspace(0, len(test) - 1, min(args.agreement_test, len(test))).astype(int)
    k = min(args.k, len(train_rows))
    batched = lambda enc, rows: [enc.batch(r, device) for r in chunks(rows, args.batch_size)]
    out = {"train": len(train_rows), "test": len(test_rows), "k": k}
    reference = None
    for precision in ["float32", *precisions]:
        keys = F.normalize(sketch(precision, batched(data, train_rows)).float().cpu(), dim=1)
        queries = F.normalize(sketch(precision, batched(test, test_rows)).float().cpu(), dim=1)
        scores = queries @ keys.T
        ranked = {"pos": scores.topk(k, dim=1).indices, "neg": (-scores).topk(k, dim=1).indices}
        if reference is None:
            reference = (keys, ranked)
            continue
        overlap = {sign: float(np.mean([len(set(a.tolist()) & set(b.tolist())) / k for a, b in zip(ranked[sign], reference[1][sign])]))
                   for sign in ranked}
        out[precision] = {"topk_overlap": overlap, "sketch_cosine": float(F.cosine_similarity(keys, reference[0]).mean())}
    return out


if __name__ == "__main__":
    main()
