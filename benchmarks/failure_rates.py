"""How often does a training of the embedded default fail to learn? Independent seeds of every judged training.

Runs the real workflow in a clean clone of a commit with the default config and
``--seeds`` replicates, and judges each training by the quality rule
(``langspec.training.quality.judge``, alpha 0.01):

- paper 000: the full fine-tune and SFT on the language subnetworks of
  gettext-topic (replicate r = seed r: its own data sample, head, batch order);
- paper 003: one ticket per seed of each task (gettext-topic, gettext-mlm,
  iso-ner; the language cycles through ``lth.languages``), judged on IMP's
  first (dense) round and on the last round's rewound ticket.

``--part round1`` measures IMP's first round alone (the dense training on one
language's examples, the same run as ``train`` inside IMP), in this process
from the workflow's data and prepared models, under the lottery-ticket recipe
(``lth.finetune`` over the task's) and, with ``--recipe task``, under the
task's own fine-tuning recipe: the measurement behind ``lth.finetune``.

It reports, per training kind, each seed's dev metric and whether it learned
on its first attempt (the recipe's own failure rate) and, for a commit with
the quality rule, after redraws. A commit without the quality rule is judged
from its metrics files with the same rule (the perplexity before fine-tuning
measured here from the replicate's prepared model).

Usage:
    python benchmarks/failure_rates.py --seeds 20 --part paper000 [--commit REV] [--keep DIR]
    python benchmarks/failure_rates.py --seeds 20 --part tickets [--task gettext-mlm]
    python benchmarks/failure_rates.py --seeds 20 --part full --override '{compute: {train_precision: float32}}'
    python benchmarks/failure_rates.py --summarize DIR --seeds 20 --part paper000   # judge a run made in DIR
    python benchmarks/failure_rates.py --seeds 20 --part round1 --task gettext-topic [--recipe task]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
TICKET_TASKS = ("gettext-topic", "gettext-mlm", "iso-ner")
REGIMES = {"paper000": ("full", "sft"), "full": ("full",)}  # part -> paper 000's judged trainings


def config(workdir: Path) -> dict:
    return yaml.safe_load((workdir / "config" / "config.yaml").read_text())


def validated(workdir: Path) -> dict:
    """The default config with the schema's defaults filled in, as the workflow validates it."""
    from snakemake.utils import validate

    cfg = config(workdir)
    validate(cfg, str(workdir / "workflow" / "schemas" / "config.schema.yaml"))
    return cfg


def recipe_of(cfg: dict, task: str, replicate: int) -> dict:
    """The task's fine-tuning hyperparameters for one replicate (params.smk's finetune_params): its seed derived
    from the task's (or the top-level) seed and the replicate."""
    from langspec.core.seeds import replicate_seed

    hp = dict(cfg["tasks"][task]["finetune"])
    hp["seed"] = replicate_seed(cfg["seed"] if hp.get("seed") is None else hp["seed"], replicate)
    return hp


def targets(part: str, seeds: int, workdir: Path, task: str | None = None) -> list[str]:
    """The files that make every judged training of ``part`` for ``seeds`` replicates (``task``: round1's task,
    gettext-topic unless named; the tickets of this task alone, of every ticket task unless named)."""
    if part in REGIMES:
        return [f"results/models/gettext-topic/rep{r}/{regime}" for r in range(seeds) for regime in REGIMES[part]]
    if part == "round1":  # the data and prepared models; the recipe comes from the validated config (recipe())
        return [f"results/models/{task or 'gettext-topic'}/rep{r}/init" for r in range(seeds)]
    langs = config(workdir)["lth"]["languages"]
    return [f"results/lth/{t}/rep{r}/{langs[r % len(langs)]}/trajectory.json" for t in ticket_tasks(task)
            for r in range(seeds)]


def ticket_tasks(task: str | None) -> tuple[str, ...]:
    """The tasks whose tickets ``--part tickets`` trains and judges: ``task`` alone, or all of them."""
    return (task,) if task else TICKET_TASKS


def judged(workdir: Path, part: str, seeds: int, task: str | None = None) -> list[dict]:
    """One row per training: kind, seed, first attempt's value and verdict, attempts, learned after redraws."""
    import pandas as pd

    from langspec.data.encode import encode, text_to_text_of
    from langspec.models.checkpoints import kind_of, load_model
    from langspec.training.quality import QualityRule, chance_level, judge, references

    rule = QualityRule()
    results = workdir / "results"
    rows = []

    def row(kind, r, dev, task, languages, record_path, lang=None):
        record = json.loads(record_path.read_text()) if record_path.exists() else None
        data = pd.read_parquet(results / f"data/{task}/rep{r}/dev.parquet")
        if lang is not None:
            data = data[data["lang"] == lang]
        model, tokenizer = load_model(results / f"models/{task}/rep{r}/init", "cpu")
        encoded = encode(data.reset_index(drop=True), tokenizer, 64, kind_of(model), 0, text_to_text_of(model.config))
        if record is None:  # a commit without the rule: judge the metrics files
            reference = ({"chance": chance_level(encoded.label.numpy(), len(model.config.id2label))}
                         if encoded.kind == "classification" else references(model, encoded, 64))
            first = judge(dev, encoded.kind, languages, rule, **reference)
            attempts, learned = 1, first["learned"]
        else:
            first, attempts, learned = record["attempts"][0], len(record["attempts"]), record["learned"]
        rows.append({"training": kind, "seed": r, "metric": first["metric"], "first_value": round(first["value"], 4),
                     "bar": round(first.get("bar", float("nan")), 4), "first_learned": bool(first["learned"]),
                     "attempts": attempts, "learned": bool(learned), "reason": first["reason"]})

    if part in REGIMES:
        for r in range(seeds):
            for regime in REGIMES[part]:
                model_dir = results / f"models/gettext-topic/rep{r}/{regime}"
                last = sorted(model_dir.glob("epoch*"), key=lambda p: int(p.name[5:]))[-1]
                metrics = json.loads((last / "metrics.json").read_text())
                dev = metrics.get("dev_subnetwork") or metrics["dev"]
                row(f"paper 000 {regime} (gettext-topic)", r, dev, "gettext-topic", list(dev), model_dir / "quality.json")
        return rows
    langs = config(workdir)["lth"]["languages"]
    for t in ticket_tasks(task):
        for r in range(seeds):
            lang = langs[r % len(langs)]
            where = results / f"lth/{t}/rep{r}/{lang}"
            trajectory = json.loads((where / "trajectory.json").read_text())
            record = where / "quality.json"
            if not record.exists():  # a commit without the rule: both rounds judged from the trajectory
                for name, entry in (("round 1", trajectory[0]), ("last round", trajectory[-1])):
                    row(f"paper 003 {name} ({t})", r, entry["dev"], t, [lang], record, lang)
                continue
            row(f"paper 003 round 1 ({t})", r, None, t, [lang], record, lang)  # the rule acts on round 1
            body = json.loads(record.read_text())
            # recorded, never acted on (langspec.tickets.imp.imp_rest); an attempt whose round 1 failed and was
            # redrawn stopped there, so the first attempt that went on to the last round is the one judged
            last = next(a["last_round"] for a in body["attempts"] if a.get("last_round"))
            rows.append({"training": f"paper 003 last round ({t})", "seed": r, "metric": last["metric"],
                         "first_value": round(last["value"], 4), "bar": round(last["bar"], 4),
                         "first_learned": bool(last["learned"]), "attempts": 1, "learned": bool(last["learned"]),
                         "reason": last["reason"]})
    return rows


def round1(workdir: Path, task: str, seeds: int, recipe: str, hp_over: dict | None = None,
           only: list[int] | None = None) -> list[dict]:
    """IMP's first round for each seed (one language per seed, cycling through lth.languages), judged; ``hp_over``:
    hyperparameters over the recipe (a candidate); ``only``: these seeds alone. Trains in float32 on one thread."""
    import dataclasses

    import torch

    from langspec.data.encode import encode, text_to_text_of
    from langspec.data.schema import read_split
    from langspec.models.checkpoints import kind_of, load_model
    from langspec.training.quality import QualityRule, judge, references
    from langspec.training.train import Hyperparameters, train

    cfg = validated(workdir)
    langs, overrides = cfg["lth"]["languages"], {k: v for k, v in cfg["lth"].get("finetune", {}).items() if v is not None}
    torch.set_num_threads(1)
    rows = []
    for r in (only if only is not None else range(seeds)):
        lang = langs[r % len(langs)]
        base = workdir / "results"
        # the task's fine-tuning recipe with the schema's defaults and the replicate's seed, as lth_hp builds it
        hp = Hyperparameters(**recipe_of(cfg, task, r))
        if recipe == "lth":
            hp = dataclasses.replace(hp, **overrides)
        hp = dataclasses.replace(hp, **(hp_over or {}))
        model, tokenizer = load_model(base / f"models/{task}/rep{r}/init", "cpu")
        data = [encode(read_split(base / f"data/{task}/rep{r}/{split}.parquet"), tokenizer, hp.max_length, kind_of(model),
                       hp.seed, text_to_text_of(model.config)) for split in ("train", "dev")]
        train_data, dev = (d.subset(d.indices(lang)) for d in data)
        reference = references(model, dev, hp.eval_batch_size)
        history = train(model, tokenizer, train_data, dev, hp, None)
        verdict = judge(history[-1]["dev"], train_data.kind, [lang], QualityRule(), **reference)
        rows.append({"training": f"paper 003 round 1 ({task}, {recipe} recipe: batch {hp.batch_size}, lr "
                                 f"{hp.learning_rate:g}, {hp.epochs} epochs, float32)",
                     "seed": r, "metric": verdict["metric"], "first_value": round(verdict["value"], 4),
                     "bar": round(verdict["bar"], 4), "first_learned": verdict["learned"], "attempts": 1,
                     "learned": verdict["learned"], "reason": verdict["reason"]})
    return rows


def summary(rows: list[dict]) -> dict:
    """Per training kind: seeds, first-attempt failures and failures left after redraws."""
    out = {}
    for row in rows:
        entry = out.setdefault(row["training"], {"seeds": 0, "failed_first_attempt": [], "failed_after_redraws": []})
        entry["seeds"] += 1
        if not row["first_learned"]:
            entry["failed_first_attempt"].append(row["seed"])
        if not row["learned"]:
            entry["failed_after_redraws"].append(row["seed"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--part", choices=("paper000", "full", "tickets", "round1"), required=True)
    parser.add_argument("--commit", default="HEAD")
    parser.add_argument("--task", help="round1: the task (default gettext-topic); tickets: this task's alone "
                        "(default every ticket task)")
    parser.add_argument("--recipe", choices=("lth", "task"), default="lth", help="round1: lth.finetune over the task's "
                        "recipe (the workflow's), or the task's own")
    parser.add_argument("--hp", default="{}", help="round1: hyperparameters over the recipe, as YAML, e.g. '{epochs: 6}'")
    parser.add_argument("--only", help="round1: these seeds alone, comma-separated")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", help="run in this directory and keep it")
    parser.add_argument("--override", default="{}", help="config keys over the default, as YAML, e.g. "
                        "'{compute: {train_precision: float32}}' (float32 training, as on CPUs without native bfloat16)")
    parser.add_argument("--summarize", help="only judge a run already made in this directory")
    args = parser.parse_args()
    workdir = Path(args.summarize or args.keep or tempfile.mkdtemp(prefix="langspec-failures-"))
    wall = None
    if not args.summarize:
        subprocess.run(["git", "clone", "-q", str(REPO), str(workdir)], check=True)
        subprocess.run(["git", "checkout", "-q", args.commit], cwd=workdir, check=True)
        override = workdir / "seeds.yaml"
        extra = yaml.safe_load(args.override) or {}
        seeds = {"replicates": args.seeds, "lth": {"replicates": args.seeds}}
        override.write_text(yaml.safe_dump({**extra, **seeds, "lth": {**extra.get("lth", {}), **seeds["lth"]}}))
        started = time.perf_counter()
        # the targets before --configfile, which takes every path after it
        run = subprocess.run([sys.executable, "-m", "snakemake", *targets(args.part, args.seeds, workdir, args.task),
                              "--cores", str(args.cores), "--keep-going", "--configfile", "config/config.yaml", str(override)],
                             cwd=workdir, capture_output=True, text=True, env={**__import__("os").environ,
                                                                                "PYTHONPATH": str(workdir / "src")})
        wall = time.perf_counter() - started
        if run.returncode != 0:
            sys.exit(run.stderr[-3000:])
    only = [int(x) for x in args.only.split(",")] if args.only else None
    rows = (round1(workdir, args.task or "gettext-topic", args.seeds, args.recipe, yaml.safe_load(args.hp), only)
            if args.part == "round1" else judged(workdir, args.part, args.seeds, args.task))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=workdir, capture_output=True, text=True).stdout.strip()
    print(json.dumps({"commit": commit, "part": args.part, "seeds": args.seeds, "override": args.override, "wall_seconds": wall,
                      "summary": summary(rows), "trainings": rows, "workdir": str(workdir)}, indent=1))


if __name__ == "__main__":
    main()
