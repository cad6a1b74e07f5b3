"""Seconds per IMP round of one lottery ticket on the embedded default, and a digest of the masks it prunes.

Runs :func:`langspec.tickets.imp.imp` for ``--rounds`` rounds (round 1 dense, later
rounds under the ticket's mask) on one language of replicate 0, with the
lottery-ticket recipe (``lth.finetune`` over the task's) and the workflow's
precisions resolved on this CPU, on one thread, after the main job or ``lth``
made the prepared model and data:

    python benchmarks/imp_rounds.py --results results --task gettext-topic --lang en --rounds 3

It prints one JSON line: per round, the training seconds (epochs with their dev
evaluations, as the trajectory records them) and the dev metric, and a SHA-256
over every round's mask, so that two commits can be compared for both time and
result (run each with ``PYTHONPATH=<tree>/src``, alternating, in the same session).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import torch
from failure_rates import recipe_of, validated

from langspec.core.precision import autocast, resolved
from langspec.data.encode import encode, text_to_text_of
from langspec.data.schema import read_split
from langspec.models.checkpoints import kind_of, load_model
from langspec.tickets.imp import imp
from langspec.tickets.maskfile import read_weight_mask, round_path
from langspec.tickets.masks import prunable_shapes
from langspec.training.train import Hyperparameters

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--task", default="gettext-topic")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = validated(REPO)
    hp = Hyperparameters(**recipe_of(cfg, args.task, 0))
    hp = dataclasses.replace(hp, **{k: v for k, v in cfg["lth"]["finetune"].items() if v is not None})
    train_precision = resolved(cfg["compute"]["train_precision"], 0)
    eval_precision = resolved(cfg["compute"]["precision"], 0)
    model, tokenizer = load_model(args.results / f"models/{args.task}/rep0/init", "cpu")
    train, dev = (encode(read_split(args.results / f"data/{args.task}/rep0/{split}.parquet"), tokenizer, hp.max_length,
                         kind_of(model), hp.seed, text_to_text_of(model.config)) for split in ("train", "dev"))
    train, dev = (d.subset(d.indices(args.lang)) for d in (train, dev))
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory() as out, autocast(train_precision, "cpu", model):
        trajectory = imp(model, tokenizer, train, dev, hp, out, cfg["lth"]["rate"], args.rounds * cfg["lth"]["rate"],
                         [args.lang], evaluation=partial(autocast, eval_precision, "cpu", model))
        for k in range(1, args.rounds + 1):
            mask = read_weight_mask(round_path(Path(out), k), prunable_shapes(model), None)["mask"]
            for name in sorted(mask):
                digest.update(np.packbits(np.asarray(mask[name], dtype=bool)).tobytes())
    print(json.dumps({
        "task": args.task, "lang": args.lang, "train_precision": train_precision, "eval_precision": eval_precision,
        "seconds": [round(e["train_seconds"], 2) for e in trajectory], "metric": [e["metric"] for e in trajectory],
        "masks_sha256": digest.hexdigest(),
    }))


if __name__ == "__main__":
    main()
