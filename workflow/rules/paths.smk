"""Paths of the artifact contract (results/...) and the input functions that list a rule's files."""

from types import SimpleNamespace

from langspec.attribution.conditions import (
    mask_languages,
    neuron_language,
    ticket_language,
)


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
    name = task_model(wildcards.task)["name"]
    return [PRETRAINED[name]] if name in PRETRAINED else []


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
    """The mask file a sketch is taken under: none (full), a head mask, a lottery ticket (lth-<lang>) or a language's
    LAPE neurons (neurons-<lang>)."""
    if wildcards.mask == "full":
        return []
    for lang in mask_languages(wildcards.mask):
        language(wildcards.task, lang)
    if lang := ticket_language(wildcards.mask):
        return [ticket_file(wildcards.task, wildcards.rep, lang)]
    if lang := neuron_language(wildcards.mask):
        return [neuron_masks(wildcards.task, wildcards.rep)[lang]]
    return [mask_file(wildcards.task, wildcards.rep, wildcards.mask)]


SHARDS = config["sketch"]["shards"]


SKETCH_JOBS = config["sketch"]["jobs"]
if SKETCH_JOBS == "regime" and SHARDS != 1:
    raise LangspecError(
        f"config key 'sketch.jobs' is 'regime', which sketches whole masks, but sketch.shards is {SHARDS}; "
        "use sketch.shards: 1, or sketch.jobs: mask to shard"
    )


def regime_masks(name):
    """Regime -> the standard single masks that `sketch.jobs: regime` sketches in one job per task and replicate."""
    langs = languages(name)
    randoms = [
        f"{lang}-random{s}" for lang in langs for s in config["masks"]["random_seeds"]
    ]
    return {
        "full": ["full", *langs, *randoms],
        "sft": list(langs),
        "sft-random": [
            f"{lang}-random{config['sft']['random_seed']}" for lang in langs
        ],
    }


def for_task(name, wildcards):
    """Wildcards of a rule made for one task (a regime's sketch job) as if ``task`` were a wildcard too."""
    return SimpleNamespace(task=name, **dict(wildcards.items()))


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


def examples_dir(name, rep, regime, condition):
    return f"{rep_dir('examples', name, rep)}/{regime}/{condition}"


def masks_of(name, rep):
    """Language -> mask file of one replicate's pruned masks."""
    return {lang: mask_file(name, rep, lang) for lang in languages(name)}


def replicate_masks(name):
    """Per replicate: language -> mask file."""
    return [masks_of(name, r) for r in reps(name)]


def accuracy_file(name, rep, regime):
    return f"{rep_dir('accuracy', name, rep)}/{regime}.json"


#: The judged trainings a quality scope covers: paper 000's full model, SFT (which rests on the full model too:
#: its shares compare with it), paper 003's tickets.
QUALITY_SCOPES = {"full": ("full",), "sft": ("full", "sft"), "tickets": ()}


def quality_file(name, scope="sft"):
    """Which replicates learned, for results that rest on `scope`'s trainings: results/quality/{task}/{scope}.csv."""
    return f"{R}/quality/{name}/{scope}.csv"


def quality_records(name, scope):
    """Replicate -> judged training -> its quality.json: paper 000's full fine-tune (and SFT), or each ticket's IMP."""
    if scope == "tickets":
        return {
            r: {s: f"{lth_dir(name, r, s)}/quality.json" for s in lth_sources(name)}
            for r in lth_reps(name)
        }
    return {
        r: {
            regime: f"{model_dir(name, r, regime)}/quality.json"
            for regime in QUALITY_SCOPES[scope]
        }
        for r in reps(name)
    }


def regime_scope(regime):
    """The quality scope of results of a regime: SFT on the language subnetworks rests on SFT, the rest on the full model."""
    return "sft" if regime == "sft" else "full"


def spec_scope(paths):
    """The quality scope of a set of per-replicate paths: sft when any is an SFT result, else full."""
    return "sft" if any("sft" in Path(p).parts for p in paths) else "full"
