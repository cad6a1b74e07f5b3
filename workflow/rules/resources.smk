"""Cluster sizes of the long-running rules: wall time from the config's sizes and measured per-example costs, host
memory from the size of the model a job loads.

With `compute.cost` set (ms per example of each kind of work on the cluster's
nodes, and the start-up of one job; `benchmarks/`), every GPU rule asks for
`runtime` = (start-up + its examples x their cost) x `margin`, in whole minutes
and at least `min_minutes`, and for `mem_mb` = (`host_mb` + `host_copies` x the
MB of the largest model weights file among its inputs) x `host_margin`, rounded up
to 100 MB (benchmarks/host_memory.py: a training job holds about 5.1 model-sized
buffers on the host, an evaluating one 1.9, besides about 650 MB); without it the
profile's defaults apply. The
examples are counted from the task's sizes by langspec.plan.work, the model
`python -m langspec plan` estimates a target's time with: training runs over
every epoch and evaluates dev after each, pruning makes ceil(threshold / fraction)
passes over a language's dev split, sketches cover train and test at every
checkpoint (a shard of train when sharded).
"""

import json
import math
import os
from pathlib import Path

from langspec.plan.dryrun import CONFIG_ENV as _PLAN_CONFIG
from langspec.plan.work import work

# `python -m langspec plan` counts each job's work from the config the jobs get: validated, defaults filled
if os.environ.get(_PLAN_CONFIG):
    Path(os.environ[_PLAN_CONFIG]).write_text(json.dumps(config, default=str))

COST = config["compute"]["cost"] and {
    "margin": 3,
    "min_minutes": 10,
    "host_mb": 650,
    "host_margin": 1.25,
    **config["compute"]["cost"],
    "host_copies": {
        "train": 5.2,
        "evaluate": 1.9,
        **(config["compute"]["cost"].get("host_copies") or {}),
    },
}


#: what each GPU rule does with its model, for its host memory (benchmarks/host_memory.py)
HOST_WORK = {
    **dict.fromkeys(
        (
            "finetune",
            "sft",
            "sft_lth",
            "lth_imp_first",
            "lth_imp_rest",
            "lth_transfer",
            "lth_cross_task",
            "lth_alternative",
        ),
        "train",
    ),
    "prune": "evaluate",
    "sketch": "evaluate",
    "neurons_count": "evaluate",
    "neurons_deactivate": "evaluate",
    "neurons_kinds": "evaluate",
}


def model_mb(input):
    """MB of the largest model weights file among a job's inputs (model directories or their epoch checkpoints); 0
    while they do not exist yet (a dry run): Snakemake evaluates the resource again when the job is submitted.
    """
    sizes = [0]
    for path in input:
        where = Path(path)
        if where.is_dir():
            files = [
                where / "model.safetensors",
                *where.glob("epoch*/model.safetensors"),
            ]
            sizes += [f.stat().st_size for f in files if f.exists()]
    return max(sizes) / 2**20


def job_size(rule_name, name=None, masks=1):
    """The `runtime` (minutes) and `mem_mb` resources of ``rule_name``, or the profile's defaults when compute.cost is unset.

    ``name`` fixes the task of a rule made for one task; ``masks`` is how many
    single masks one sketch job sketches (one start-up for all of them; one model
    in memory at a time).
    """
    if COST is None:
        return {}

    def minutes(wildcards):
        chosen = (
            dict(for_task(name, wildcards).__dict__)
            if name
            else dict(wildcards.items())
        )
        seconds = work(rule_name, chosen, config, masks).seconds(COST) * COST["margin"]
        return max(COST["min_minutes"], math.ceil(seconds / 60))

    copies = COST["host_copies"][HOST_WORK[rule_name]]

    def mem_mb(wildcards, input):
        need = (COST["host_mb"] + copies * model_mb(input)) * COST["host_margin"]
        return 100 * math.ceil(need / 100)

    return {"runtime": minutes, "mem_mb": mem_mb}
