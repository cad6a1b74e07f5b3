"""Language-specific neurons (LAPE, Tang et al. 2024): settings, paths and input functions of workflow/rules/neurons.smk."""

from langspec.core.seeds import replicate_seed
from langspec.registry import FIGURES_NEURONS, TRACIN_NEURONS

NEURONS = f"{R}/neurons"


def neurons_tasks():
    """neurons.tasks, or every task whose model has a feed-forward neuron layout (not the text-to-text tasks of an
    encoder-decoder); a named task of an encoder-decoder is a one-line error, and so is one whose languages cannot
    reach neurons.min_tokens (check_neuron_tokens)."""
    chosen = config["neurons"]["tasks"]
    if chosen is None:
        chosen = [t for t in config["tasks"] if task_kind(t) != "text-to-text"]
    for name in chosen:
        if task_kind(name) == "text-to-text":
            raise LangspecError(
                f"config key 'neurons.tasks' names '{name}', a text-to-text task of an encoder-decoder, which has no "
                "feed-forward neuron layout (language-specific neurons need an encoder-only or decoder-only model)"
            )
        check_neuron_tokens(name)
    return chosen


def check_neuron_tokens(name):
    """Before any job, while the workflow is read: a task whose languages' training text cannot reach
    neurons.min_tokens even if every example filled max_length is a one-line error (the selection job checks the
    tokens each language actually has). At parse time, as the schema's checks: an input function of an up-to-date
    job is not always evaluated, and a changed value must not rerun (and delete) the masks before it fails.
    """
    size = (task(name).get("size") or {}).get("train")
    if size is None:
        return
    length = task(name)["finetune"]["max_length"]
    needed = config["neurons"]["min_tokens"]
    if size * length < needed:
        raise LangspecError(
            f"task '{name}': a language's training text has at most {size} examples x {length} tokens = "
            f"{size * length} tokens, fewer than the {needed} LAPE needs per language (config key "
            f"'neurons.min_tokens': an activation probability's standard error is at most 0.5/sqrt(tokens)); "
            f"raise tasks.{name}.size.train or max_length, or leave the task out of neurons.tasks"
        )


def neurons_compare_tasks():
    """neurons.compare.tasks, or every neurons task that is a lottery-ticket task: the comparison of kinds needs
    each language's ticket. A named task that is not both is a one-line error."""
    chosen = config["neurons"]["compare"]["tasks"]
    if chosen is None:
        return [t for t in neurons_tasks() if t in lth_tasks()]
    for name in chosen:
        for known, key in (
            (neurons_tasks(), "neurons.tasks"),
            (lth_tasks(), "lth.tasks"),
        ):
            if name not in known:
                raise LangspecError(
                    f"config key 'neurons.compare.tasks' names '{name}', which is not among {key} "
                    f"({', '.join(known)}): the comparison of kinds needs its neurons and its lottery tickets"
                )
        compare_languages(name)
    return chosen


def neurons_tracin_tasks():
    """The compared tasks (neurons.compare) whose TracIn shares are computed (classification): figure 2 asked of
    neurons, the attribution side of the comparison of kinds."""
    return [t for t in neurons_compare_tasks() if t in classification_tasks()]


def compare_languages(name):
    """The languages the kinds are compared on: the neurons' languages that have a lottery ticket (two or more)."""
    tickets = lth_languages(name)
    chosen = [lang for lang in neurons_languages(name) if lang in tickets]
    if len(chosen) < 2:
        raise LangspecError(
            f"the comparison of kinds on task '{name}' needs two or more languages with both neurons "
            f"(neurons.languages) and a lottery ticket (lth.languages); it has {', '.join(chosen) or 'none'}"
        )
    return chosen


def kinds_dir(name, rep):
    return f"{neurons_dir(name, rep)}/kinds"


def neurons_languages(name):
    """The languages whose neurons are found in a task: neurons.languages, or the task's."""
    chosen = config["neurons"]["languages"] or languages(name)
    for lang in chosen:
        language(name, lang)
    return chosen


def neurons_dir(name, rep):
    return rep_dir("neurons", name, rep)


def neuron_masks(name, rep):
    """Mask name -> file of one replicate: each language's LAPE neurons, then each language's random controls."""
    langs = neurons_languages(name)
    seeds = config["neurons"]["random_seeds"]
    return {
        **{lang: f"{neurons_dir(name, rep)}/{lang}.json" for lang in langs},
        **{
            f"{lang}-random{s}": f"{neurons_dir(name, rep)}/{lang}-random{s}.json"
            for lang in langs
            for s in seeds
        },
    }


@canonical
def neurons_params(wildcards):
    """What a forward pass over one replicate's fine-tuned model depends on: its languages, checkpoint, encoding and batch."""
    return {
        "languages": neurons_languages(wildcards.task),
        "batch_size": config["neurons"]["batch_size"],
        "epoch": checkpoint_epoch(wildcards.task),
        "max_length": task(wildcards.task)["finetune"]["max_length"],
        "seed": finetune_params(wildcards)[
            "seed"
        ],  # the mlm evaluation masks, as the fine-tuning drew them
    }


def lape_params(name, rep):
    """What one replicate's selection depends on: LAPE's thresholds and the random controls' seeds."""
    settings = config["neurons"]
    return {
        **{
            key: settings[key]
            for key in ("top_rate", "filter_rate", "activation_bar_ratio", "min_tokens")
        },
        "seeds": [replicate_seed(s, int(rep)) for s in settings["random_seeds"]],
    }


def neurons_spec():
    """Every input of the neurons' figures: role -> task -> CSV."""
    return {
        **{
            role: {t: f"{NEURONS}/{t}/{role}.csv" for t in neurons_tasks()}
            for role in ("layers", "deactivation")
        },
        **{
            f"kinds_{part}": {
                t: f"{NEURONS}/{t}/kinds_{part}.csv" for t in neurons_compare_tasks()
            }
            for part in ("profile", "overlap", "removal")
        },
    }


def neurons_figures():
    """The neurons' figures the config draws: the kinds side by side only where a task is compared."""
    return {
        name: entry
        for name, entry in FIGURES_NEURONS.items()
        if name != "kinds" or neurons_compare_tasks()
    }


def neurons_quality():
    """Task -> the quality CSV of its fine-tuned models (the neurons rest on them)."""
    return {t: quality_file(t, "full") for t in neurons_tasks()}
