"""TracIn scoring time and sketch storage.

- real: score the default config's sketches (after the main job), for the
  full model and the own-language subnetworks after SFT;
- simulated: random sketches of N training and T test examples at width D
  (default: the default config's 38 layers x 256) for E checkpoints, written
  to HDF5 in a temporary directory and scored with the same code and blocks.

Usage:
    python benchmarks/scoring.py real
    python benchmarks/scoring.py simulated --train 100000 --test 2500 --epochs 1
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import torch

from langspec.attribution.tracin import tracin

LANGS = ["en", "de", "fr", "es", "ru"]


def real(args: argparse.Namespace) -> dict:
    root = Path(args.results) / "sketches" / args.task
    out = {}
    for regime, masks in (("full", ["full"]), ("sft", LANGS)):
        epochs = sorted(p.name for p in (root / regime / masks[0]).glob("epoch*"))
        files = {split: {m: [root / regime / m / e / f"{split}.h5" for e in epochs] for m in masks} for split in ("train", "test")}
        assignment = {lang: ("full" if masks == ["full"] else lang) for lang in LANGS}
        started = time.perf_counter()
        tracin(files["test"], files["train"], assignment, k=100, per_checkpoint=True)
        sizes = [f.stat().st_size for per_mask in files["train"].values() for f in per_mask]
        with h5py.File(files["train"][masks[0]][0]) as h5:
            n, width = h5["sketch"].shape
        out[f"{regime}/{'full' if regime == 'full' else 'own'}"] = {
            "seconds": time.perf_counter() - started,
            "train_examples": n,
            "sketch_width": width,
            "epochs": len(epochs),
            "masks": len(masks),
            "kib_per_example_per_checkpoint": float(np.mean(sizes)) / n / 1024,
        }
    return out


def simulated(args: argparse.Namespace) -> dict:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        files = {"train": {"full": []}, "test": {"full": []}}
        started = time.perf_counter()
        for epoch in range(args.epochs):
            for split, n in (("train", args.train), ("test", args.test)):
                path = Path(tmp) / f"e{epoch}-{split}.h5"
                with h5py.File(path, "w") as h5:
                    data = h5.create_dataset("sketch", (n, args.width), dtype=args.dtype, chunks=(min(n, 256), args.width))
                    for start in range(0, n, 8192):
                        stop = min(start + 8192, n)
                        data[start:stop] = rng.standard_normal((stop - start, args.width), dtype=np.float32)
                    h5.create_dataset("uid", data=np.array([f"{split}{i}" for i in range(n)], dtype=object), dtype=h5py.string_dtype())
                    h5.create_dataset("lang", data=np.array([LANGS[i % 5] for i in range(n)], dtype=object), dtype=h5py.string_dtype())
                    for name, values in (("loss", np.zeros(n, np.float32)), ("pred", np.zeros(n, np.int64)), ("label", np.zeros(n, np.int64))):
                        h5[name] = values
                    h5.attrs.update(layers="[]", dim=256, seed=0, checkpoint=f"epoch{epoch}", mask="full")
                files[split]["full"].append(path)
        written = time.perf_counter() - started
        size = sum(p.stat().st_size for p in files["train"]["full"]) / args.epochs / args.train
        started = time.perf_counter()
        tracin(files["test"], files["train"], {lang: "full" for lang in LANGS}, k=100, block_size=args.block_size, per_checkpoint=args.per_checkpoint)
        seconds = time.perf_counter() - started
    return {
        "train": args.train, "test": args.test, "width": args.width, "epochs": args.epochs, "dtype": args.dtype,
        "block_size": args.block_size, "per_checkpoint": args.per_checkpoint, "threads": torch.get_num_threads(),
        "write_seconds": written, "score_seconds": seconds, "kib_per_example_per_checkpoint": size / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("real")
    r.add_argument("--results", default="results")
    r.add_argument("--task", default="gettext-topic")
    s = sub.add_parser("simulated")
    s.add_argument("--train", type=int, default=100_000)
    s.add_argument("--test", type=int, default=2_500)
    s.add_argument("--width", type=int, default=38 * 256)
    s.add_argument("--epochs", type=int, default=1)
    s.add_argument("--dtype", default="float32")
    s.add_argument("--block-size", type=int, default=8192)
    s.add_argument("--per-checkpoint", action="store_true")
    s.add_argument("--tmp", default=None)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps(real(args) if args.mode == "real" else simulated(args), indent=1))


if __name__ == "__main__":
    main()
