"""Start-up of one workflow job: Snakemake's own, then the job's interpreter, imports, model load and first batch.

A cluster job pays all of it before its first useful example: the SLURM
executor starts a Snakemake process on the node that parses the workflow and
plans the job (``snakemake``), which runs the rule's script in a new Python
(``interpreter``), which imports torch, transformers and langspec
(``imports``), loads the model (``model load``: the default's checkpoint, or a
saved randomly initialised model of XLM-R base's shape with ``--shape
xlm-roberta-base``, 1.1 GB of weights) and runs its first batch (``first
batch``: one sketched batch, which also warms up the kernels). Each phase is
timed in fresh processes, ``--repeats`` times interleaved; the median goes into
``gpu_hours.py --job-overhead``.

    .venv/bin/python benchmarks/startup.py --checkpoint results/models/gettext-topic/rep0/full/epoch3
    .venv/bin/python benchmarks/startup.py --checkpoint ... --shape xlm-roberta-base --device cuda
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# What one sketch job does before its first useful example, phase by phase; prints one JSON line of seconds.
JOB = r"""
import json, sys, time
start = float(sys.argv[1]); marks = {"interpreter": time.time() - start}
t = time.time()
import torch, transformers, h5py, pandas
from langspec.attribution.sketch import Sketcher
from langspec.data.encode import encode
from langspec.data.schema import read_split
from langspec.heads.gates import HeadGates
from langspec.models.checkpoints import load_model
marks["imports"] = time.time() - t
where = sys.argv[3]; t = time.time()
model, tokenizer = load_model(sys.argv[2], where)
if where == "cuda": torch.cuda.synchronize()
marks["model load"] = time.time() - t; t = time.time()
data = encode(read_split(sys.argv[4]).head(int(sys.argv[5])), tokenizer, 128)
with HeadGates(model), Sketcher(model, 256, ["*"], 0) as sketcher:
    sketcher(data.batch(list(range(int(sys.argv[5]))), where))
if where == "cuda": torch.cuda.synchronize()
marks["first batch"] = time.time() - t
print(json.dumps(marks))
"""


def snakemake_seconds(workdir: Path) -> float:
    """Seconds of a Snakemake process that parses the workflow and plans one job (as a cluster job's does)."""
    start = time.time()
    subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "results/data/gettext-topic/rep0/manifest.json"],
                   cwd=workdir, check=True, capture_output=True)
    return time.time() - start


def job_seconds(checkpoint: str, device: str, data: str, batch: int) -> dict[str, float]:
    """Seconds of each phase of one fresh job process."""
    done = subprocess.run([sys.executable, "-c", JOB, repr(time.time()), checkpoint, device, data, str(batch)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def save_shape(checkpoint: str, shape: str, out: Path) -> str:
    """A saved randomly initialised model of ``shape`` with the checkpoint's tokenizer (what a job would load)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from shapes import classifier

    model, tokenizer = classifier(checkpoint, shape, "cpu")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True, help="a fine-tuned checkpoint directory of the workflow")
    parser.add_argument("--data", default="results/data/gettext-topic/rep0/train.parquet")
    parser.add_argument("--shape", default="checkpoint", choices=("checkpoint", "xlm-roberta-base"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=32, help="examples in the first batch (sketch.batch_size)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = args.checkpoint if args.shape == "checkpoint" else save_shape(args.checkpoint, args.shape, Path(tmp) / "model")
        runs = []
        for _ in range(args.repeats):
            phases = {"snakemake": snakemake_seconds(REPO)}
            phases.update(job_seconds(checkpoint, args.device, args.data, args.batch))
            phases["total"] = sum(phases.values())
            runs.append(phases)
    print(json.dumps({
        "machine": platform.processor() or platform.machine(), "device": args.device, "shape": args.shape,
        "repeats": args.repeats, "median_s": {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]},
        "runs": runs,
    }, indent=1))


if __name__ == "__main__":
    main()
