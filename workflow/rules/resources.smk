"""Cluster sizes of the long-running rules: minutes of wall time from the config's sizes and measured per-example costs.

With `compute.cost` set (ms per example of each kind of work on the cluster's
nodes, and the start-up of one job; `benchmarks/`), every GPU rule asks for
`runtime` = (start-up + its examples x their cost) x `margin`, in whole minutes
and at least `min_minutes`; without it the profile's default applies. The
examples are counted from the task's sizes: training runs over every epoch and
evaluates dev after each, pruning makes at most ceil(threshold / fraction)
passes over a language's dev split, sketches cover train and test at every
checkpoint (a shard of train when sharded).
"""

import math

COST = config["compute"]["cost"] and {
    "margin": 3,
    "min_minutes": 10,
    **config["compute"]["cost"],
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


def runtime(rule_name, name=None, masks=1):
    """A `runtime` resource (minutes) for ``rule_name``, or the profile's default when compute.cost is unset.

    ``name`` fixes the task of a rule made for one task; ``masks`` is how many
    single masks one sketch job sketches (one start-up for all of them).
    """
    if COST is None:
        return {}

    def minutes(wildcards):
        chosen = for_task(name, wildcards) if name else wildcards
        work = masks * _work_seconds(rule_name, chosen)
        seconds = (COST["startup_s"] + work) * COST["margin"]
        return max(COST["min_minutes"], math.ceil(seconds / 60))

    return {"runtime": minutes}
