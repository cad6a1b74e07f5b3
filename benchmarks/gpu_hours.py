"""GPU-hours of config/paper.yaml per stage, from per-example costs measured on a GPU.

The costs are ``training.py`` and ``sketch_speed.py`` run with ``--device cuda
--shape xlm-roberta-base`` (a randomly initialised model of the paper's XLM-R
base shape, on the embedded default's gettext messages; benchmarks/RESULTS.md):
ms per example of full fine-tuning, of SFT, of a sketched example and of a
pruning pass. They are scaled from the measured mean tokens per example to the
paper config's ``max_length`` by the ratio of XLM-R base's forward FLOPs at
the two lengths; at the measured short lengths the GPU was launch-bound, so the
scaling overestimates (a conservative estimate). Each GPU job adds
``--job-overhead`` seconds of start-up (Python, torch, loading XLM-R base; the
SLURM test measured about 4 s of Snakemake start-up per job on the CPU
machines, plus loading).

Usage (the H200 figures of benchmarks/RESULTS.md):
    python benchmarks/gpu_hours.py --gpu-ms-train 1.9 --gpu-ms-sft 2.3 --gpu-ms-sketch 0.87 --gpu-ms-prune 0.59 --tokens 21
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


XLMR_BASE = Shape(layers=12, hidden=768, intermediate=3072)  # xlm-roberta-base's config.json


def masks_per_task(config: dict, languages: int) -> dict[str, int]:
    """Single masks sketched per task and replicate by `all`, by regime."""
    seeds = len(config.get("masks", {}).get("random_seeds", [1, 2, 3]))
    fig3 = seeds + len(config.get("figures", {}).get("fig3", {}).get("suboptimal", [])) if config.get("figures", {}).get("fig3") else 0
    return {"full": 1 + languages + languages * seeds + fig3, "sft": languages + 1, "sft-random": languages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="config/paper.yaml")
    parser.add_argument("--gpu-ms-train", type=float, required=True, help="ms per example of full fine-tuning, XLM-R base shape")
    parser.add_argument("--gpu-ms-sft", type=float, required=True, help="ms per example of SFT, XLM-R base shape")
    parser.add_argument("--gpu-ms-sketch", type=float, required=True, help="ms per sketched example, XLM-R base shape")
    parser.add_argument("--gpu-ms-prune", type=float, required=True, help="ms per example of a pruning pass, XLM-R base shape")
    parser.add_argument("--tokens", type=float, required=True, help="mean tokens per example of the measured batches")
    parser.add_argument("--paper-tokens", type=float, default=None, help="mean tokens per example at paper scale (default: max_length)")
    parser.add_argument("--prune-steps", type=int, default=8, help="pruning steps per language (paper table 1: 2-7 at 14 heads each)")
    parser.add_argument("--job-overhead", type=float, default=30.0, help="seconds of start-up per GPU job")
    parser.add_argument("--shards", type=int, default=None, help="sketch.shards instead of the config's")
    args = parser.parse_args()

    config = yaml.safe_load(open(args.config))
    replicates = config.get("replicates", 3)
    tasks = {name: spec for name, spec in config["tasks"].items() if name in (config.get("figures", {}).get("tasks") or config["tasks"])}
    gpu_seconds, jobs = {}, {}
    for name, spec in tasks.items():
        languages = len(spec.get("languages") or config.get("languages", []))
        n_train, n_dev, n_test = (spec["size"][s] * languages for s in ("train", "dev", "test"))
        epochs = spec["finetune"]["epochs"]
        tokens = args.paper_tokens or spec["finetune"].get("max_length", 128)
        scale = XLMR_BASE.forward_flops(tokens) / XLMR_BASE.forward_flops(args.tokens)
        masks = masks_per_task(config, languages)
        shards = args.shards or config.get("sketch", {}).get("shards", 1)
        work = {  # GPU seconds at paper scale, per stage, all replicates
            "finetune (full)": replicates * n_train * epochs * args.gpu_ms_train * scale / 1000,
            "sft (own and random masks)": 2 * replicates * n_train * epochs * args.gpu_ms_sft * scale / 1000,
            "prune": replicates * languages * args.prune_steps * (n_dev / languages) * args.gpu_ms_prune * scale / 1000,
            "sketch": replicates * sum(masks.values()) * epochs * (n_train + n_test) * args.gpu_ms_sketch * scale / 1000,
        }
        counts = {
            "finetune (full)": replicates, "sft (own and random masks)": 2 * replicates, "prune": replicates * languages,
            "sketch": replicates * sum(masks.values()) * (epochs * shards if shards > 1 else 1),
        }
        for stage in work:
            gpu_seconds[stage] = gpu_seconds.get(stage, 0.0) + work[stage]
            jobs[stage] = jobs.get(stage, 0) + counts[stage]
    table = {stage: {"gpu_hours_compute": seconds / 3600, "gpu_hours": (seconds + jobs[stage] * args.job_overhead) / 3600,
                     "parallel_jobs": jobs[stage]} for stage, seconds in gpu_seconds.items()}
    total = {key: sum(row[key] for row in table.values()) for key in ("gpu_hours_compute", "gpu_hours")}
    print(json.dumps({"config": args.config, "tasks": list(tasks), "replicates": replicates,
                      "stages": table, "total": total}, indent=1))


if __name__ == "__main__":
    main()
