"""Lottery tickets per language (paper 003): iterative magnitude pruning with rewinding, and ticket training.

:func:`imp` is Algorithm 1 of paper 003 for one language (or the union of
several): each round trains the model with the shared :func:`~langspec.training.train.train`,
prunes the p = 10% of the *original* number of prunable weights with the
smallest magnitude among those still kept, globally over all prunable matrices
(BERT-Tickets' ``prune.global_unstructured`` with amount 1/(10 − k), which is
10% of the original count; in an encoder-decoder the encoder's and the
decoder's matrices are two such pools, each losing 10% of its own count,
:func:`prune_round`), and rewinds the encoder to its pre-trained values
θ0, pruned weights at zero. The task head is not rewound: it keeps
its trained values into the next round, as BERT-Tickets and paper 003's code do
(their rewind restores only the pre-trained encoder's keys, since a randomly
initialised head has no pre-trained value worth returning to and a trained head
lets the next round start from a task-fitted read-out of the encoder).
For masked language modelling the head is the MLM head: its transform and
output bias carry over like a classifier; its decoder is tied to the input
embeddings, which belong to the encoder and are rewound with it (a checkpoint
with a pre-trained MLM head, as mBERT, thus starts round 1 from it, and later
rounds from its trained transform). The MLM head is never pruned.
Each round's training starts with a fresh AdamW and schedule, with the same
seed and batch order (``hp.seed``); round 1 is therefore the same run as full
fine-tuning with those hyperparameters.

:func:`train_ticket` trains a mask from θ0 (winning tickets, transfer, random
and multilingual baselines): pruned weights are zero in the forward and stay
zero through every optimizer step.
"""

from __future__ import annotations

import contextlib
import copy
import time
from functools import partial
from dataclasses import dataclass, replace
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from langspec.core.atomic import atomic_path, read_json, write_json
from langspec.core.errors import LangspecError
from langspec.data.encode import Encoded
from langspec.tickets.maskfile import read_trajectory, read_weight_mask, round_path, save_weight_mask, write_trajectory
from langspec.tickets.masks import (
    WeightSubnetworks,
    count,
    encoder_snapshot,
    full_mask,
    magnitude_prune,
    pools,
    prunable_shapes,
    prunable_weights,
    rewind,
    sparsity,
)
from langspec.tickets.schedule import lottery_rounds, pruned_after
from langspec.training.metrics import Metric, metric_of, pooled
from langspec.training.quality import QualityRule, has_new_head, judge, references, until_learned
from langspec.training.train import Hyperparameters, train


def _scores(history: list[dict], languages: Sequence[str], metric: Metric) -> dict:
    """Dev metric of each epoch (under the subnetwork where there is one), the last, the best, and the last per language.

    The metric pools the dev examples of ``languages`` (:func:`~langspec.training.metrics.pooled`);
    ``metric_name`` and ``higher_is_better`` say what it is and which way is better.
    """
    dev = [h.get("dev_subnetwork") or h["dev"] for h in history]
    epochs = [pooled(d, languages, metric.name) for d in dev]
    return {"metric": epochs[-1], "best_metric": metric.best(epochs), "epoch_metrics": epochs, "dev": dev[-1],
            "metric_name": metric.name, "higher_is_better": metric.higher_is_better}


def imp(
    model: torch.nn.Module,
    tokenizer,
    train_data: Encoded,
    dev_data: Encoded,
    hp: Hyperparameters,
    out_dir: str | Path,
    rate: float = 0.1,
    max_sparsity: float = 0.9,
    languages: Sequence[str] | None = None,
    evaluation: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    stop: Callable[[dict], bool] | None = None,
    resume: Sequence[dict] = (),
    mask: Mapping[str, torch.Tensor] | None = None,
    trajectory_dir: str | Path | None = None,
) -> list[dict]:
    """Iterative magnitude pruning with rewinding; writes ``out_dir/round{k}.npz`` and ``trajectory.json``.

    ``model`` is the initial classifier (pre-trained encoder θ0 and initial
    head) and is changed in place. ``train_data`` is the language's training
    split (or a union sample, :func:`union_rows`); the metric is the task kind's
    (accuracy, perplexity or F1, :mod:`langspec.training.metrics`) on the dev
    examples of ``languages`` (default: the training languages).

    Round k (1..n, n = max_sparsity / rate) trains the model under the mask of
    round k − 1 (round 1: the dense model), prunes to sparsity k · rate and
    rewinds. ``round{k}.npz`` holds that mask; its attributes and the
    trajectory entry hold ``round``, ``sparsity`` (of the mask; ``nominal_sparsity``
    is k · rate, for grouping), the ``metric``
    (last epoch), ``best_metric``, ``epoch_metrics`` and ``dev`` (loss, accuracy
    and count per dev language, last epoch) of the model trained in round k,
    and the ``trained_sparsity`` it was trained at ((k − 1) · rate).
    The masks of 10%, 20%, ..., max are thus all saved by one run; their own
    accuracy comes from retraining each with :func:`train_ticket`. ``evaluation``
    makes the context of the dev evaluations (see :func:`~langspec.training.train.train`).
    ``stop(entry)``, called after each round is saved, ends the run there when true
    (a first round that did not learn, under a rule that redraws it).
    A run continues an earlier one from ``resume`` (its trajectory, rounds 1..j)
    and ``mask`` (round j's mask): ``model`` must then be as that run left it
    (:func:`continue_from`), and rounds j + 1..n are made with the same seed and
    batch order.
    ``trajectory_dir`` (default ``out_dir``) gets the trajectory after each round.
    """
    out_dir = Path(out_dir)
    n = lottery_rounds(rate, max_sparsity)
    languages = list(languages or train_data.languages)
    theta0 = encoder_snapshot(model)  # resumed: θ0 with round j's pruned weights at zero, all a rewind needs
    weights = prunable_weights(model)
    if (mask is None) != (not resume):
        raise LangspecError("IMP resumes from both the rounds made so far and the last one's mask, or from neither")
    mask = full_mask(model) if mask is None else dict(mask)
    _, total = count(mask)
    trajectory: list[dict] = list(resume)
    first = len(trajectory) + 1
    for k in tqdm(range(first, n + 1), desc=f"imp {'+'.join(languages)}", unit="round", total=n, initial=first - 1):
        started = time.perf_counter()
        trained_sparsity = sparsity(mask)
        subnetworks = None if k == 1 else WeightSubnetworks.ticket(model, mask)
        try:
            history = train(model, tokenizer, train_data, dev_data, hp, None, subnetworks=subnetworks, strict=True,
                            evaluation=evaluation)
        finally:
            if subnetworks is not None:
                subnetworks.remove()
        mask = prune_round(weights, mask, rate, k)
        entry = {
            "round": k,
            "sparsity": sparsity(mask),
            "nominal_sparsity": round(k * rate, 10),
            "trained_sparsity": trained_sparsity,
            **_scores(history, languages, metric_of(train_data.kind)),
            "languages": languages,
            "kept": count(mask)[0],
            "total": total,
            "train_seconds": time.perf_counter() - started,
        }
        save_weight_mask(round_path(out_dir, k), mask, **entry)
        trajectory.append(entry)
        write_trajectory(out_dir if trajectory_dir is None else trajectory_dir, trajectory)
        rewind(model, theta0, mask)
        if stop is not None and stop(entry):
            break
    return trajectory


@dataclass(frozen=True)
class FirstRounds:
    """IMP's first rounds, judged (:func:`imp_first`), with what the run that continues them needs.

    ``trajectory``: the kept attempt's entries, rounds 1..j (their masks are
    ``round{k}.npz``); ``quality``: the quality record judged on round 1
    (:func:`~langspec.training.quality.record`, each attempt's ``last_round``
    still null), with ``reference``, what the judgement compared with; ``head``:
    the task head after round j (name -> CPU tensor, :func:`head_snapshot`).
    """

    trajectory: list[dict]
    quality: dict
    head: dict[str, torch.Tensor]

    @property
    def seed(self) -> int:
        """The kept attempt's seed: every later round and the ticket train with it."""
        return int(self.quality["attempts"][-1]["seed"])


def imp_first(model: torch.nn.Module, tokenizer, train_data: Encoded, dev_data: Encoded, hp: Hyperparameters,
              out_dir: str | Path, rate: float, rounds: int, languages: Sequence[str], rule: QualityRule,
              evaluation: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext) -> FirstRounds:
    """IMP's rounds 1..``rounds`` (:func:`imp`) under the quality rule (:mod:`langspec.training.quality`), judged on
    round 1: the dense training on ``languages`` that every later round is rewound to and pruned from. A failed one
    is redrawn with the next attempt's seed (every round's mask rewritten) or kept and marked, as ``rule`` says. An
    attempt whose first round failed while another attempt remains stops after that round: the rounds after it
    would be redrawn unread. ``rate`` is the share of the original weights pruned per round. Writes the masks
    to ``out_dir`` and the trajectory so far to ``out_dir/first/`` (:func:`first_files`; all of it:
    :func:`save_first_rounds`).
    """
    reference = references(model, dev_data, hp.eval_batch_size, evaluation)
    first_files(out_dir)["trajectory"].parent.mkdir(parents=True, exist_ok=True)
    made = []

    def attempt(seed: int) -> dict:
        made.append(seed)
        redraws = len(made) < rule.tries  # a failed first round is drawn again: the rest of this attempt is moot
        judged = _judge(train_data.kind, languages, rule, reference)

        def stop(entry: dict) -> bool:
            return redraws and entry["round"] == 1 and not judged(entry["dev"])["learned"]

        trajectory = imp(model, tokenizer, train_data, dev_data, replace(hp, seed=seed), out_dir, rate, rounds * rate,
                         languages, evaluation, stop, trajectory_dir=first_files(out_dir)["trajectory"].parent)
        first = judged(trajectory[0]["dev"])
        return {"trajectory": trajectory, "quality": {**first, "reason": f"round 1: {first['reason']}", "last_round": None}}

    result, kept = until_learned(model, attempt, rule, hp.seed, new_head=has_new_head(train_data.kind))
    return FirstRounds(result["trajectory"], {**kept, "reference": reference}, head_snapshot(model))


def imp_rest(model: torch.nn.Module, tokenizer, train_data: Encoded, dev_data: Encoded, hp: Hyperparameters,
             out_dir: str | Path, rate: float, rounds: int, languages: Sequence[str], first: FirstRounds,
             evaluation: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
             ) -> tuple[list[dict], dict]:
    """The rounds after ``first`` up to ``rounds`` (:func:`imp` resumed, with the kept attempt's seed), then the last
    round's mask trained as a ticket (rewound, head carried, as every round), whose entry (``final``: true) closes
    the trajectory written to ``out_dir``. ``model`` is the initial model (θ0 and the initial head), as
    :func:`imp_first` got it; ``out_dir`` holds ``first``'s masks.

    The ticket is judged too and recorded (the kept attempt's ``last_round``), never redrawn or excluded on: how
    far a ticket keeps the dense model's metric as sparsity grows is what paper 003 measures (figures 2 and 6), so
    choosing replicates by it would select on the outcome. Returns the whole trajectory and the quality record.
    """
    out_dir = Path(out_dir)
    hp = replace(hp, seed=first.seed)
    shapes, where = prunable_shapes(model), next(model.parameters()).device
    made = len(first.trajectory)
    mask = continue_from(model, read_weight_mask(round_path(out_dir, made), shapes, where)["mask"], first.head)
    trajectory = imp(model, tokenizer, train_data, dev_data, hp, out_dir, rate, rounds * rate, languages, evaluation,
                     resume=first.trajectory, mask=mask) if rounds > made else list(first.trajectory)
    last = read_weight_mask(round_path(out_dir, rounds), shapes, where)["mask"]
    final = train_ticket(model, tokenizer, last, train_data, dev_data, hp, languages=languages, evaluation=evaluation)
    keys = ("metric", "best_metric", "epoch_metrics", "dev", "metric_name", "higher_is_better")
    trajectory.append({  # nothing is pruned after it: the mask's sparsity is the one trained
        "round": rounds + 1, "sparsity": final["sparsity"], "trained_sparsity": final["sparsity"],
        **{key: final[key] for key in keys}, "languages": list(languages), "final": True,
    })
    write_trajectory(out_dir, trajectory)
    reference = first.quality["reference"]
    judged = _judge(train_data.kind, languages, QualityRule(**first.quality["rule"]), reference)
    attempts = [*first.quality["attempts"][:-1], {**first.quality["attempts"][-1], "last_round": judged(final["dev"])}]
    return trajectory, {**first.quality, "attempts": attempts}


def lottery_learned(model: torch.nn.Module, tokenizer, train_data: Encoded, dev_data: Encoded, hp: Hyperparameters,
                    out_dir: str | Path, rate: float, rounds: int, languages: Sequence[str], rule: QualityRule,
                    evaluation: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
                    first_rounds: int | None = None) -> tuple[list[dict], dict]:
    """A whole IMP run in one process: :func:`imp_first` for ``first_rounds`` (default: all ``rounds``), then
    :func:`imp_rest` from a copy of the initial model; the workflow runs the two as two jobs, the same run.
    Returns the trajectory and the quality record."""
    initial = copy.deepcopy(model)
    first = imp_first(model, tokenizer, train_data, dev_data, hp, out_dir, rate, first_rounds or rounds, languages, rule,
                      evaluation)
    return imp_rest(initial, tokenizer, train_data, dev_data, hp, out_dir, rate, rounds, languages, first, evaluation)


def continue_from(model: torch.nn.Module, mask: Mapping[str, torch.Tensor], head: Mapping[str, torch.Tensor]
                  ) -> dict[str, torch.Tensor]:
    """Make the initial ``model`` what an IMP run left after the round of ``mask``: the task ``head`` it had trained
    (:func:`head_snapshot`) and the encoder rewound to θ0 under ``mask``. Returns ``mask``."""
    _set_head(model, head)
    rewind(model, encoder_snapshot(model), mask)
    return dict(mask)


def first_files(directory: str | Path) -> dict[str, Path]:
    """Where :func:`save_first_rounds` writes, beside the round masks: ``first/`` with ``trajectory.json``,
    ``quality.json`` and ``head.safetensors``."""
    first = Path(directory) / "first"
    return {"trajectory": first / "trajectory.json", "quality": first / "quality.json", "head": first / "head.safetensors"}


def save_first_rounds(first: FirstRounds, directory: str | Path) -> None:
    """Write ``first`` to :func:`first_files` of ``directory``, each file atomically."""
    from safetensors.torch import save_file

    files = first_files(directory)
    files["head"].parent.mkdir(parents=True, exist_ok=True)
    write_trajectory(files["trajectory"].parent, first.trajectory)
    with atomic_path(files["head"]) as tmp:
        save_file({name: value.contiguous() for name, value in first.head.items()}, str(tmp))
    write_json(files["quality"], first.quality)


def read_first_rounds(directory: str | Path) -> FirstRounds:
    """What :func:`save_first_rounds` wrote in ``directory``; a one-line error naming a missing or broken file."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    files = first_files(directory)
    quality = read_json(files["quality"], "quality record of IMP's first rounds")
    if not isinstance(quality, dict) or not {"attempts", "reference", "rule"} <= set(quality):
        raise LangspecError(f"quality record {files['quality']} lacks 'attempts', 'reference' or 'rule'")
    try:
        head = load_file(str(files["head"]))
    except FileNotFoundError:
        raise LangspecError(f"task head file {files['head']} does not exist") from None
    except (OSError, SafetensorError) as error:
        raise LangspecError(f"task head file {files['head']} is not a safetensors file ({error})") from None
    return FirstRounds(read_trajectory(files["trajectory"].parent), quality, head)


def _judge(kind: str, languages: Sequence[str], rule: QualityRule, reference: Mapping) -> Callable[[dict], dict]:
    """The quality rule's verdict on a per-language dev record, against ``reference`` (:func:`references`)."""
    return partial(judge, kind=kind, languages=languages, rule=rule, **reference)


def prune_round(weights: Mapping[str, torch.Tensor], mask: Mapping[str, torch.Tensor], rate: float, k: int) -> dict:
    """Round k's pruning: in each pool (:func:`~langspec.tickets.masks.pools`) the kept weights of smallest |w|
    until the pool has lost k · rate of its original weights (an encoder-only model is one pool; an
    encoder-decoder's encoder and decoder are pruned at the same rate, each by its own ranking). Returns a new mask.
    """
    out = {}
    for names in pools(mask).values():
        part = {n: mask[n] for n in names}
        kept, total = count(part)
        out.update(magnitude_prune({n: weights[n] for n in names}, part, pruned_after(total, rate, k) - (total - kept)))
    return {n: out[n] for n in mask}


def _set_head(model: torch.nn.Module, head: Mapping[str, torch.Tensor]) -> None:
    """Copy ``head`` (:func:`head_snapshot`) into the model's task head; a one-line error when the names differ."""
    own = head_snapshot(model)
    if set(head) != set(own):
        raise LangspecError(f"the given head has parameters {sorted(head)} but the model's head has {sorted(own)}")
    parameters = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in head.items():
            parameters[name].copy_(value)


def head_snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of the task head's parameters (everything outside the base model)."""
    encoder = set(encoder_snapshot(model))
    return {name: p.detach().to("cpu", copy=True) for name, p in model.named_parameters() if name not in encoder}


def train_ticket(
    model: torch.nn.Module,
    tokenizer,
    mask: Mapping[str, torch.Tensor],
    train_data: Encoded,
    dev_data: Encoded,
    hp: Hyperparameters,
    out_dir: str | Path | None = None,
    languages: Sequence[str] | None = None,
    head: Mapping[str, torch.Tensor] | None = None,
    evaluation: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
) -> dict:
    """Train the ticket ``mask`` on ``train_data`` from θ0 and score it on ``dev_data``'s ``languages``.

    ``model`` is the initial classifier (θ0 and the initial head: a fresh
    head); ``head`` (from :func:`head_snapshot`) replaces the head first. The
    pruned weights are zeroed and stay exactly zero in the forward and through
    every optimizer step, so the trained model is the ticket. With ``out_dir``
    every epoch's self-contained checkpoint is saved there (``metrics.json``
    included). Returns ``metric`` (last epoch), ``best_metric``,
    ``epoch_metrics``, ``dev`` (per dev language, last epoch), ``sparsity``,
    ``languages`` and the training ``history``.

    Uses: winning tickets (each round's mask on its own language), transfer
    (a source language's mask on a target language), the random baseline
    (:func:`~langspec.tickets.masks.random_mask`) and the multilingual ticket.
    """
    languages = list(languages or train_data.languages)
    if head is not None:
        _set_head(model, head)
    with WeightSubnetworks.ticket(model, mask) as subnetworks:
        history = train(model, tokenizer, train_data, dev_data, hp, None if out_dir is None else Path(out_dir),
                        subnetworks=subnetworks, strict=True, evaluation=evaluation)
    return {**_scores(history, languages, metric_of(train_data.kind)), "sparsity": sparsity(mask), "languages": languages,
            "history": history}


def union_rows(langs: np.ndarray, languages: Sequence[str], total: int, seed: int) -> np.ndarray:
    """Rows of a training split for a multilingual ticket: ``total`` examples drawn equally from ``languages``.

    ``langs`` is the split's language column ([N] str). Each language gives
    ``total // k`` examples (the first ``total % k`` languages in the given
    order one more), drawn without replacement with numpy's
    ``default_rng(seed)``; the rows are returned sorted. Paper 003 pruned on
    en, fa, fr and zh with 25% of each language's data, the same total size as
    a single language's (``total`` = one language's training size).
    """
    langs = np.asarray(langs)
    k = len(languages)
    if k == 0 or len(set(languages)) != k:
        raise LangspecError(f"a multilingual ticket needs distinct languages, not {list(languages)}")
    rng = np.random.default_rng(seed)
    rows = []
    for i, lang in enumerate(languages):
        want = total // k + (i < total % k)
        have = np.flatnonzero(langs == lang)
        if len(have) < want:
            raise LangspecError(f"the multilingual ticket needs {want} examples of '{lang}' but the split has {len(have)}")
        rows.append(rng.choice(have, size=want, replace=False))
    return np.sort(np.concatenate(rows))

