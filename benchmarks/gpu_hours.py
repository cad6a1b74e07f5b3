"""GPU-hours of config/paper.yaml per stage, from per-example costs measured on the CPU, scaled by FLOPs.

No GPU was available where this was written, so the costs are the CPU
measurements of ``training.py`` and ``sketch_speed.py`` on the embedded
default's model (multilingual-e5-small, 6 layers, 384 wide, gettext messages),
scaled by the ratio of forward FLOPs per example between that model and the
paper's XLM-R base (12 layers, 768 wide, 3,072 feed-forward) at the paper
config's maximum length, which gives CPU core-seconds per example at paper
scale; GPU seconds divide that by an assumed GPU : CPU-core throughput ratio
(``--gpu-speedup``; the default assumes 50 TFLOP/s effective, an A100's dense
bfloat16 peak at 16% utilisation, a cautious rate for batches of 32 with
per-layer hooks, against the effective rate this CPU core measured), plus an
assumed start-up of ``--job-overhead`` seconds per GPU job (Python, torch and
loading XLM-R base).
Where ``sketch_speed.py --device cuda`` has been run, pass ``--gpu-ms-sketch``
and ``--gpu-ms-train`` (XLM-R base, per example) to replace the assumption.

Usage:
    python benchmarks/gpu_hours.py --cpu-ms-train 17.6 --cpu-ms-sketch 3.7 --cpu-ms-prune 4.0 --tokens 21
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class Shape:
    """A BERT-style encoder's shape."""

    layers: int
    hidden: int
    intermediate: int

    def forward_flops(self, tokens: float) -> float:
        """Multiply-adds x 2 of one example's forward pass with ``tokens`` tokens (linear layers and attention)."""
        linear = self.layers * (4 * self.hidden * self.hidden + 2 * self.hidden * self.intermediate)
        attention = self.layers * 2 * tokens * self.hidden  # QK^T and AV per token
        return 2 * tokens * (linear + attention)


DEFAULT = Shape(layers=6, hidden=384, intermediate=1536)  # multilingual-e5-small, first 6 layers
XLMR_BASE = Shape(layers=12, hidden=768, intermediate=3072)  # xlm-roberta-base's config.json


def masks_per_task(config: dict, languages: int) -> dict[str, int]:
    """Single masks sketched per task and replicate by `all`, by regime."""
    seeds = len(config.get("masks", {}).get("random_seeds", [1, 2, 3]))
    fig3 = seeds + len(config.get("figures", {}).get("fig3", {}).get("suboptimal", [])) if config.get("figures", {}).get("fig3") else 0
    return {"full": 1 + languages + languages * seeds + fig3, "sft": languages + 1, "sft-random": languages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="config/paper.yaml")
    parser.add_argument("--cpu-ms-train", type=float, required=True, help="ms per training example, 1 CPU core, default model")
    parser.add_argument("--cpu-ms-sketch", type=float, required=True, help="ms per sketched example, 1 CPU core, default model")
    parser.add_argument("--cpu-ms-prune", type=float, required=True, help="ms per example of a pruning pass, 1 CPU core")
    parser.add_argument("--tokens", type=float, required=True, help="mean tokens per example of the measured data")
    parser.add_argument("--paper-tokens", type=float, default=None, help="mean tokens per example at paper scale (default: max_length)")
    parser.add_argument("--prune-steps", type=int, default=8, help="pruning steps per language (paper table 1: 2-7 at 14 heads each)")
    parser.add_argument("--gpu-speedup", type=float, default=None, help="GPU / CPU-core throughput (default: from 50 TFLOP/s)")
    parser.add_argument("--job-overhead", type=float, default=20.0, help="seconds of start-up per GPU job")
    parser.add_argument("--shards", type=int, default=None, help="sketch.shards instead of the config's")
    args = parser.parse_args()

    config = yaml.safe_load(open(args.config))
    replicates = config.get("replicates", 3)
    tasks = {name: spec for name, spec in config["tasks"].items() if name in (config.get("figures", {}).get("tasks") or config["tasks"])}
    cpu_rate = DEFAULT.forward_flops(args.tokens) * 3 / (args.cpu_ms_train / 1000)  # FLOP/s of one core, training
    speedup = args.gpu_speedup or 50e12 / cpu_rate
    rows, jobs = {}, {}
    for name, spec in tasks.items():
        languages = len(spec.get("languages") or config.get("languages", []))
        n_train, n_dev, n_test = (spec["size"][s] * languages for s in ("train", "dev", "test"))
        epochs = spec["finetune"]["epochs"]
        tokens = args.paper_tokens or spec["finetune"].get("max_length", 128)
        scale = XLMR_BASE.forward_flops(tokens) / DEFAULT.forward_flops(args.tokens)
        masks = masks_per_task(config, languages)
        shards = args.shards or config.get("sketch", {}).get("shards", 1)
        work = {  # CPU core-seconds at paper scale, per stage, all replicates
            "finetune (full)": replicates * n_train * epochs * args.cpu_ms_train * scale / 1000,
            "sft (own and random masks)": 2 * replicates * n_train * epochs * args.cpu_ms_train * scale / 1000,
            "prune": replicates * languages * args.prune_steps * (n_dev / languages) * args.cpu_ms_prune * scale / 1000,
            "sketch": replicates * sum(masks.values()) * epochs * (n_train + n_test) * args.cpu_ms_sketch * scale / 1000,
        }
        for stage, seconds in work.items():
            rows.setdefault(stage, 0.0)
            rows[stage] += seconds
        counts = {
            "finetune (full)": replicates, "sft (own and random masks)": 2 * replicates, "prune": replicates * languages,
            "sketch": replicates * sum(masks.values()) * (epochs * shards if shards > 1 else 1),
        }
        for stage, count in counts.items():
            jobs[stage] = jobs.get(stage, 0) + count
    table = {stage: {"cpu_core_hours": seconds / 3600, "gpu_hours": (seconds / speedup + jobs[stage] * args.job_overhead) / 3600,
                     "parallel_jobs": jobs[stage]} for stage, seconds in rows.items()}
    total = {key: sum(row[key] for row in table.values()) for key in ("cpu_core_hours", "gpu_hours")}
    print(json.dumps({"config": args.config, "tasks": list(tasks), "replicates": replicates,
                      "cpu_core_flops_per_s_measured": cpu_rate, "gpu_speedup_over_one_core": speedup,
                      "stages": table, "total": total}, indent=1))


if __name__ == "__main__":
    main()
