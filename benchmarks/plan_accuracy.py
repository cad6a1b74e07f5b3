"""How close `python -m langspec plan` comes to the measured wall time of a target (issue 32, item 4).

Clones the repository's committed state into a temporary directory, asks the
plan for the target's wall time on ``--cores`` cores (calibrating this CPU kind
first where no calibration is cached; that time is reported apart), then runs
the target there with `snakemake --cores N` and times it. The ratio estimate /
measured is the plan's accuracy; the goal is within ±30% for the main job and
`lth` on the machine that measured.

Usage:
    python benchmarks/plan_accuracy.py                                  # the main job, 2 cores
    python benchmarks/plan_accuracy.py --target lth
    python benchmarks/plan_accuracy.py --target lth --configfile config/config.yaml smaller.yaml  # a smaller run

Plan and run import the clone's own ``src`` (``PYTHONPATH``), whatever checkout the environment was installed from.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def measured_job_seconds(where: Path) -> dict[str, float]:
    """Job seconds per plan stage of the run in ``where``: each job's benchmark file (its ``s`` column) under the
    stage its rule and outputs give (``langspec.plan.estimate.stage_of``), from the run's Snakemake log."""
    sys.path.insert(0, str(where / "src"))
    from langspec.plan.dryrun import Job
    from langspec.plan.estimate import stage_of

    log = max((where / ".snakemake" / "log").glob("*.snakemake.log"), key=lambda p: p.stat().st_mtime)
    out: dict[str, float] = {}
    for block in re.split(r"\n(?=(?:local)?rule \S+:)", log.read_text(encoding="utf-8")):
        rule = re.match(r"(?:local)?rule (\S+):", block)
        bench = re.search(r"^\s+benchmark: (\S+)", block, re.M)
        outputs = re.search(r"^\s+output: (.+)$", block, re.M)
        if not (rule and bench and (where / bench.group(1)).is_file()):
            continue
        rows = list(csv.DictReader((where / bench.group(1)).open(), delimiter="\t"))
        job = Job(0, rule.group(1), outputs=outputs.group(1).split(", ") if outputs else [])
        out[stage_of(job)] = out.get(stage_of(job), 0.0) + float(rows[-1]["s"])
    return {stage: round(seconds, 1) for stage, seconds in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="results/figures/fig4.pdf")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", help="run in this directory and keep it")
    parser.add_argument("--configfile", nargs="+", type=Path, help="config files for the plan and the run, as for snakemake")
    args = parser.parse_args()
    where = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="plan-accuracy-"))
    if not (where / ".git").exists():
        subprocess.run(["git", "clone", "-q", str(REPO), str(where)], check=True)
    # a path the clone has (config/config.yaml) is the clone's; any other is taken from here
    configs = ["--configfile", *(str(p if (where / p).exists() else p.resolve()) for p in args.configfile)] if args.configfile else []
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=where, capture_output=True, text=True).stdout.strip()
    env = {**os.environ, "PYTHONPATH": str(where / "src")}
    started = time.perf_counter()
    plan = subprocess.run([sys.executable, "-m", "langspec", "plan", args.target, "--cores", str(args.cores), "--json",
                           *configs], cwd=where, capture_output=True, text=True, env=env)
    planning_s = time.perf_counter() - started
    if plan.returncode:
        sys.exit(f"plan failed: {plan.stderr.strip().splitlines()[-1] if plan.stderr.strip() else plan.returncode}")
    estimate = json.loads(plan.stdout)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(args.cores), args.target, *configs], cwd=where,
                         capture_output=True, text=True, env=env)
    measured_s = time.perf_counter() - started
    if run.returncode:
        sys.exit(f"the run failed: {(run.stdout + run.stderr)[-2000:]}")
    wall = estimate["total"]["wall_seconds"]
    print(json.dumps({
        "target": args.target, "configfiles": configs[1:], "cores": args.cores, "commit": commit, "machine": platform.processor() or platform.machine(),
        "plan_s_including_calibration": round(planning_s, 1), "costs": estimate["cost_source"],
        "estimated_wall_s": round(wall, 1), "measured_wall_s": round(measured_s, 1),
        "ratio_estimate_over_measured": round(wall / measured_s, 3), "within_30pct": abs(wall / measured_s - 1) <= 0.3,
        "estimated_stages_wall_s": {name: row["wall_seconds"] for name, row in estimate["stages"].items()},
        "estimated_stages_job_s": {name: row["job_seconds"] for name, row in estimate["stages"].items()},
        "measured_stages_job_s": measured_job_seconds(where),
    }, indent=1))


if __name__ == "__main__":
    main()
