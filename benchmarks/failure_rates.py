"""How often does a training of the embedded default fail to learn? Independent seeds of every judged training.

Runs the real workflow in a clean clone of a commit with the default config and
``--seeds`` replicates, and judges each training by the quality rule
(``langspec.training.quality.judge``, alpha 0.01):

- paper 000: the full fine-tune and SFT on the language subnetworks of
  gettext-topic (replicate r = seed r: its own data sample, head, batch order);
- paper 003: one ticket per seed of each task (gettext-topic, gettext-mlm,
  iso-ner; the language cycles through ``lth.languages``), judged on IMP's
  first (dense) round and on the last round's rewound ticket.

It reports, per training kind, each seed's dev metric and whether it learned
on its first attempt (the recipe's own failure rate) and, for a commit with
the quality rule, after redraws. A commit without the quality rule is judged
from its metrics files with the same rule (the perplexity before fine-tuning
measured here from the replicate's prepared model).

Usage:
    python benchmarks/failure_rates.py --seeds 20 --part paper000 [--commit REV] [--keep DIR]
    python benchmarks/failure_rates.py --seeds 20 --part tickets
    python benchmarks/failure_rates.py --seeds 20 --part full --override '{compute: {train_precision: float32}}'
    python benchmarks/failure_rates.py --summarize DIR --seeds 20 --part paper000   # judge a run made in DIR
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


def targets(part: str, seeds: int, workdir: Path) -> list[str]:
    """The files that make every judged training of ``part`` for ``seeds`` replicates."""
    if part in REGIMES:
        return [f"results/models/gettext-topic/rep{r}/{regime}" for r in range(seeds) for regime in REGIMES[part]]
    langs = config(workdir)["lth"]["languages"]
    return [f"results/lth/{t}/rep{r}/{langs[r % len(langs)]}/trajectory.json" for t in TICKET_TASKS for r in range(seeds)]


def judged(workdir: Path, part: str, seeds: int) -> list[dict]:
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
    for t in TICKET_TASKS:
        for r in range(seeds):
            lang = langs[r % len(langs)]
            where = results / f"lth/{t}/rep{r}/{lang}"
            trajectory = json.loads((where / "trajectory.json").read_text())
            record = where / "quality.json"
            if record.exists():
                row(f"paper 003 ticket ({t})", r, None, t, [lang], record, lang)
                continue
            for name, entry in (("round 1", trajectory[0]), ("last round", trajectory[-1])):
                row(f"paper 003 {name} ({t})", r, entry["dev"], t, [lang], record, lang)
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
    parser.add_argument("--part", choices=("paper000", "full", "tickets"), required=True)
    parser.add_argument("--commit", default="HEAD")
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
        run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(args.cores), "--keep-going",
                              "--configfile", "config/config.yaml", str(override), *targets(args.part, args.seeds, workdir)],
                             cwd=workdir, capture_output=True, text=True, env={**__import__("os").environ,
                                                                                "PYTHONPATH": str(workdir / "src")})
        wall = time.perf_counter() - started
        if run.returncode != 0:
            sys.exit(run.stderr[-3000:])
    rows = judged(workdir, args.part, args.seeds)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=workdir, capture_output=True, text=True).stdout.strip()
    print(json.dumps({"commit": commit, "part": args.part, "seeds": args.seeds, "override": args.override, "wall_seconds": wall,
                      "summary": summary(rows), "trainings": rows, "workdir": str(workdir)}, indent=1))


if __name__ == "__main__":
    main()
