"""Host memory of a workflow job against the size of the model it loads: what each GPU rule's ``mem_mb`` asks for.

A fresh child process per (checkpoint, kind) measures, on the CPU:

- ``base``: the resident set after the imports (interpreter, torch, transformers, langspec);
- ``weights``: the model's weights file (``model.safetensors``, MB);
- the peak resident set (``ru_maxrss``) of one job kind after loading the model:
  ``train`` runs ``--steps`` AdamW steps of ticket training (what finetune, sft, IMP,
  transfer and cross-task jobs do: weights, gradients and two moments on the host, the
  pre-trained copy for rewinding), ``evaluate`` runs forward passes only (pruning,
  sketches, retrieval).

``copies`` = (peak − base) / weights: how many model-sized buffers the kind holds. On
a GPU the weights, gradients and moments live on the device, so these CPU copies bound a
GPU job's host memory from above; a CUDA context adds its own host memory, not measured
here (no GPU was lent).

    .venv/bin/python benchmarks/host_memory.py --checkpoint results/models/gettext-topic/rep0/init \
        --data results/data/gettext-topic/rep0/train.parquet
    .venv/bin/python benchmarks/host_memory.py --checkpoint ... --data ... --shape xlm-roberta-base
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# One job kind in a fresh process; prints one JSON line of MB.
JOB = r"""
import json, resource, sys
def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
import numpy as np, torch, transformers
from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.models.checkpoints import kind_of, load_model
from langspec.tickets.imp import train_ticket
from langspec.tickets.masks import full_mask
from langspec.training.evaluate import evaluate
from langspec.training.train import Hyperparameters
checkpoint, data, kind, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
torch.set_num_threads(1)
base = rss_mb()
model, tokenizer = load_model(checkpoint)
split = encode(read_split(data), tokenizer, 128, kind_of(model))
rows = split.subset(np.arange(min(len(split), 8 * steps)))
if kind == "train":
    hp = Hyperparameters(learning_rate=1e-5, epochs=1, batch_size=8, eval_batch_size=8, max_length=128, warmup_ratio=0.0,
                         weight_decay=0.01, max_grad_norm=1.0, group_by_length=False, seed=0)
    train_ticket(model, tokenizer, full_mask(model), rows, rows.subset(np.arange(8)), hp)
else:
    evaluate(model, rows, 8)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"base_mb": base, "peak_mb": peak}))
"""


def measure(checkpoint: str, data: str, kind: str, steps: int) -> dict:
    done = subprocess.run([sys.executable, "-c", JOB, checkpoint, data, kind, str(steps)], check=True, capture_output=True,
                          text=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    weights = (Path(checkpoint) / "model.safetensors").stat().st_size / 2**20
    return {"kind": kind, "weights_mb": round(weights, 1), "base_mb": round(out["base_mb"]), "peak_mb": round(out["peak_mb"]),
            "copies": round((out["peak_mb"] - out["base_mb"]) / weights, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="a prepared model directory (results/models/.../init)")
    parser.add_argument("--data", required=True, help="a split of the checkpoint's task (parquet)")
    parser.add_argument("--shape", default="checkpoint", choices=("checkpoint", "xlm-roberta-base"))
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from startup import save_shape

    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = args.checkpoint if args.shape == "checkpoint" else save_shape(args.checkpoint, args.shape, Path(tmp) / "model")
        for kind in ("evaluate", "train"):
            print(json.dumps({"machine": platform.processor() or platform.machine(), "shape": args.shape,
                              **measure(checkpoint, args.data, kind, args.steps)}))


if __name__ == "__main__":
    main()
