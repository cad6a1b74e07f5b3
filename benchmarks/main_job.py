"""Wall time of the main job (figure 4 of the embedded default) from a clean clone, per stage.

Clones the repository's committed state into a temporary directory, runs
`snakemake --cores 2 results/figures/fig4.pdf` there with this interpreter
(setup excluded), and adds up the per-job `benchmark:` records by stage.
Stages overlap on 2 cores, so their sum exceeds the wall time. Job seconds are
also given per task (paper 003's tasks: classification, MLM, NER) and stage.

Usage:
    python benchmarks/main_job.py [--keep DIR]
    python benchmarks/main_job.py --target lth      # paper 003's stages
    python benchmarks/main_job.py --target neurons  # LAPE neurons and the comparison of kinds (issue 31's 15 minutes)
    python benchmarks/main_job.py --target findings --configfile config/study.yaml   # the power study
    python benchmarks/main_job.py --summarize DIR   # the stages of a run already made in DIR
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
STAGES = {  # first part of a benchmark record's path under results/benchmarks -> stage
    "data": "data", "pretrained": "convert model", "masks": "prune", "sketches": "sketch",
    "influence": "influence", "shares": "shares", "figures": "figure", "accuracy": "accuracy", "tables": "tables",
    "sketch_error": "exact TracIn", "examples": "influence browser", "findings": "findings",
}
MODELS = {"init": "prepare model", "full": "finetune", "sft": "sft", "sft-random": "sft", "sft-lth": "sft"}  # models/{task}/<regime>
LOTTERY = {"retrieval": "ticket retrieval", "tables": "ticket tables", "heads": "ticket tables"}  # lth/{task}/[rep{r}/]<name>
NEURONS = {"activations": "neuron activations", "masks": "neuron selection", "deactivation": "neuron deactivation",
           "kinds": "comparison of kinds", "kinds_tables": "neuron tables", "tables": "neuron tables"}  # neurons/{task}/...


def stage(path: Path, root: Path) -> str:
    """The stage a benchmark record belongs to."""
    parts = path.relative_to(root).with_suffix("").parts
    if parts[0] == "models":
        return MODELS[parts[-1]]
    if parts[0] == "lth":
        if "transfer" in parts:
            return "ticket transfer"
        if "cross" in parts:
            return "ticket cross-task transfer"
        if parts[-1].endswith("-first"):
            return "ticket IMP, first rounds"
        return LOTTERY.get(parts[-1], "ticket IMP (train, prune, rewind)")
    if parts[0] == "neurons":
        return NEURONS[parts[-1]]
    return STAGES[parts[0]]


def task_of(path: Path, root: Path) -> str:
    """The task a benchmark record belongs to (``all tasks`` for figures, tables and the converted model)."""
    parts = path.relative_to(root).parts
    if parts[0] in ("data", "models", "masks", "lth", "sketches", "influence", "shares", "neurons") and len(parts) > 2:
        return parts[1]
    return "all tasks"


def by_task(root: Path) -> dict[str, dict[str, float]]:
    """Per task: job seconds per stage and in total, from the `benchmark:` records under ``root``."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for tsv in root.rglob("*.tsv"):
        seconds = float(pd.read_csv(tsv, sep="\t").iloc[0]["s"])
        task = task_of(tsv, root)
        out[task][stage(tsv, root)] += seconds
        out[task]["total"] += seconds
    return {task: {name: round(value, 1) for name, value in stages_.items()} for task, stages_ in out.items()}


def stages(root: Path) -> dict[str, dict[str, float]]:
    """Per stage: jobs, job seconds (summed) and the largest peak memory (MB) of the `benchmark:` records under ``root``."""
    seconds, jobs, rss = defaultdict(float), defaultdict(int), defaultdict(float)
    for tsv in root.rglob("*.tsv"):
        record = pd.read_csv(tsv, sep="\t").iloc[0]
        name = stage(tsv, root)
        seconds[name] += float(record["s"])
        jobs[name] += 1
        rss[name] = max(rss[name], float(record["max_rss"]))
    return {name: {"jobs": jobs[name], "job_seconds": round(seconds[name], 1), "max_rss_mb": rss[name]} for name in seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", help="run in this directory and keep it")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--target", default="results/figures/fig4.pdf")
    parser.add_argument("--configfile", help="a config of the repository, e.g. config/study.yaml")
    parser.add_argument("--summarize", help="only add up the benchmark records of a run made in this directory")
    args = parser.parse_args()
    if args.summarize:
        root = Path(args.summarize) / "results" / "benchmarks"
        print(json.dumps({"stages": stages(root), "tasks": by_task(root)}, indent=1))
        return
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="langspec-main-"))
    subprocess.run(["git", "clone", "-q", str(REPO), str(workdir)], check=True)
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", str(args.cores), args.target,
         *(["--configfile", args.configfile] if args.configfile else [])],
        cwd=workdir, capture_output=True, text=True,
    )
    wall = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(run.stderr[-3000:])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=workdir, capture_output=True, text=True).stdout.strip()
    print(json.dumps({
        "commit": commit,
        "target": args.target,
        "configfile": args.configfile,
        "wall_seconds": wall,
        "cores": args.cores,
        "stages": stages(workdir / "results" / "benchmarks"),
        "tasks": by_task(workdir / "results" / "benchmarks"),
        "workdir": str(workdir),
    }, indent=1))


if __name__ == "__main__":
    main()
