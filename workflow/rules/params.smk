"""The config slice each step depends on (its params), so that a change reruns exactly what depends on it."""

from langspec.attribution.conditions import mask_languages, single_masks
from langspec.core.precision import resolved as resolved_precision
from langspec.data.tasks import OPTIONS as _SOURCE_OPTIONS


def _resolved_precision(key):
    """compute.precision or compute.train_precision with `auto` resolved on the machine that builds the DAG
    (langspec.core.precision.resolved: tf32 on GPUs; on CPUs bfloat16 where native, else float32).
    """
    return resolved_precision(config["compute"][key], config["compute"]["gpus"])


#: Where and how model jobs compute (a param: a change of precision changes the numbers, so it reruns them).
COMPUTE = {
    "device": config["compute"]["device"],
    "precision": _resolved_precision("precision"),
}
TRAIN_COMPUTE = {
    "device": config["compute"]["device"],
    "precision": _resolved_precision("train_precision"),
}


@canonical
def data_params(wildcards):
    """The task's data keys: source, size, seed and only its own source's options; the replicate's seed."""
    full = task(wildcards.task)
    spec = {k: full[k] for k in ("source", "size", *_SOURCE_OPTIONS[full["source"]])}
    return {
        "spec": spec,
        "languages": languages(wildcards.task),
        "seed": seed(full["seed"], wildcards),
    }


@canonical
def model_params(wildcards):
    model = task_model(wildcards.task)
    params = {k: model[k] for k in ("name", "layers", "trim_vocabulary")}
    params["tiny"] = model["tiny"] if model["name"] == "tiny" else None
    params["seed"] = seed(model["seed"], wildcards)
    params["kind"] = task_kind(wildcards.task)
    # the prefix only for text-to-text tasks, so that other tasks' params (and outputs) stay as they were
    if params["kind"] == "text-to-text":
        params["prefix"] = _text_to_text_prefix(task(wildcards.task))
    return params


@canonical
def finetune_params(wildcards):
    hp = dict(task(wildcards.task)["finetune"])
    hp["seed"] = seed(hp["seed"], wildcards)
    return hp


@canonical
def prune_params(wildcards):
    language(wildcards.task, wildcards.lang)
    prune = {k: v for k, v in config["prune"].items() if k != "checkpoint"}
    return {
        **prune,
        "epoch": checkpoint_epoch(wildcards.task),
        "max_length": task(wildcards.task)["finetune"]["max_length"],
    }


#: The quality rule every judged training passes (config `quality`, langspec.training.quality).
QUALITY = dict(config["quality"])
#: Trainings whose failure is a result (SFT on random subnetworks): recorded once, never redrawn or excluded.
RECORDED = {**QUALITY, "on_failure": "exclude", "attempts": 1}


@canonical
def sft_params(wildcards):
    hp = {**finetune_params(wildcards), "seed": seed(config["sft"]["seed"], wildcards)}
    params = {"mode": config["sft"]["mode"], "hp": hp}
    regime = getattr(wildcards, "sft_regime", None)
    if regime is not None:
        params["quality"] = QUALITY if regime == "sft" else RECORDED
    return params


@canonical
def sketch_params(wildcards):
    sketch = {k: v for k, v in config["sketch"].items() if k != "shards"}
    sketch["seed"] = seed(sketch["seed"], wildcards)
    return {**sketch, "max_length": task(wildcards.task)["finetune"]["max_length"]}


def random_mask_seed(wildcards):
    """The shuffle seed of mask `<lang>-random<s>` in the wildcards' replicate."""
    return replicate_seed(int(wildcards.seed), replicate(wildcards))


def assignment(wildcards):
    """Test language -> single-mask name under the wildcards' condition."""
    mapping = single_masks(
        wildcards.condition, languages(wildcards.task), wildcards.regime
    )
    for name in set(mapping.values()):
        for lang in mask_languages(name):
            language(wildcards.task, lang)
    return mapping


@canonical
def influence_params(wildcards):
    influence = {
        k: v
        for k, v in config["influence"].items()
        if k not in ("exact_sample", "exact_replicates")
    }
    return {**influence, "assignment": assignment(wildcards)}


@canonical
def examples_params(wildcards):
    """Influence browser: examples per language, k, and the replicate's sampling seed."""
    return {**config["examples"], "seed": seed(None, wildcards)}


@canonical
def exact_params(wildcards):
    """Exact TracIn sample: its size and seed, and the sketches' layers and lengths (what the exact scores mirror)."""
    sketch = config["sketch"]
    return {
        "sample": config["influence"]["exact_sample"],
        "seed": seed(sketch["seed"], wildcards),
        "layers": sketch["layers"],
        "max_length": task(wildcards.task)["finetune"]["max_length"],
        "batch_size": sketch["batch_size"],
    }
