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
examples are counted from the task's sizes: training runs over every epoch and
evaluates dev after each, pruning makes at most ceil(threshold / fraction)
passes over a language's dev split, sketches cover train and test at every
checkpoint (a shard of train when sharded).
"""

import math
from pathlib import Path

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
            "lth_imp",
            "lth_transfer",
            "lth_cross_task",
            "lth_alternative",
        ),
        "train",
    ),
    "prune": "evaluate",
    "sketch": "evaluate",
}


def _size(name, split):
    """Examples of one split of one language (a task's size; null sizes count as 0, see `min_minutes`)."""
    return task(name)["size"][split] or 0


def _training_seconds(name, per_language, kind):
    """Seconds of one training run over ``per_language`` languages' data: every epoch, dev after each."""
    languages_ = per_language or len(languages(name))
    examples = _size(name, "train") * languages_ * COST[kind]
    evaluation = _size(name, "dev") * languages_ * COST["evaluate"]
    return epochs(name) * (examples + evaluation) / 1000


def _work_seconds(rule_name, wildcards):
    name = wildcards.task
    n_lang = len(languages(name))
    if rule_name == "finetune":
        return _training_seconds(name, None, "train")
    if rule_name in ("sft", "sft_lth"):
        return _training_seconds(name, None, "sft")
    if rule_name == "prune":
        passes = math.ceil(config["prune"]["threshold"] / config["prune"]["fraction"])
        return passes * _size(name, "dev") * COST["prune"] / 1000
    if rule_name == "sketch":
        train = _size(name, "train") * n_lang / SHARDS
        test = _size(name, "test") * n_lang
        checkpoints = epochs(name) if SHARDS == 1 else 1
        return checkpoints * (train + test) * COST["sketch"] / 1000
    if rule_name == "lth_imp":
        # every round, then the ticket's own training
        rounds = lth_rounds_of(wildcards.source) + 1
        return rounds * _training_seconds(name, 1, "train")
    if rule_name == "lth_alternative":
        # difference: a dense fine-tune, then the mask's training; fisher: one backward per example, then the training
        return 2 * _training_seconds(name, 1, "train")
    if rule_name == "lth_transfer":
        return len(lth_languages(name)) * _training_seconds(name, 1, "train")
    if (
        rule_name == "lth_cross_task"
    ):  # one ticket trained on one language of the target task
        return _training_seconds(name, 1, "train")
    raise ValueError(f"no cost model for rule {rule_name}")


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
        chosen = for_task(name, wildcards) if name else wildcards
        work = masks * _work_seconds(rule_name, chosen)
        seconds = (COST["startup_s"] + work) * COST["margin"]
        return max(COST["min_minutes"], math.ceil(seconds / 60))

    copies = COST["host_copies"][HOST_WORK[rule_name]]

    def mem_mb(wildcards, input):
        need = (COST["host_mb"] + copies * model_mb(input)) * COST["host_margin"]
        return 100 * math.ceil(need / 100)

    return {"runtime": minutes, "mem_mb": mem_mb}
