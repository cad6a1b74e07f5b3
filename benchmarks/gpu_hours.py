"""GPU-hours of config/paper.yaml per stage of both papers, from per-example costs and a start-up measured on hardware.

The per-example costs are ``training.py`` and ``sketch_speed.py`` run with
``--device cuda --shape xlm-roberta-base`` (a randomly initialised model of
the paper's XLM-R base shape, on the embedded default's gettext messages;
benchmarks/RESULTS.md): ms per example of full fine-tuning, of SFT, of a
sketched example and of a pruning pass. They are scaled from the measured mean
tokens per example to each task's ``max_length`` by the ratio of XLM-R base's
forward FLOPs at the two lengths (at short lengths the GPU was launch-bound, so
the scaling overestimates: a conservative estimate), and to each task's model by
the ratio of its forward FLOPs to XLM-R base's (``SHAPES``: the decoders of
``config/llm.yaml`` and Gemma 3; FLOPs, not a measurement of those models, and
the same launch-bound caveat). Paper 003's mBERT has the
same 12 × 768 encoder, so its training is costed like XLM-R base's; an
evaluation or retrieval example costs a third of a training example (a forward
pass without the backward).

Every job adds ``--job-overhead`` seconds of start-up (``startup.py``: the
node's Snakemake process, the interpreter, imports, model load and first
batch), once per job: that is what fewer, longer jobs save.

Usage (the H200 per-example costs of benchmarks/RESULTS.md; start-up measured by startup.py):
    python benchmarks/gpu_hours.py --gpu-ms-train 2.86 --gpu-ms-sft 3.8 --gpu-ms-sketch 1.49 --gpu-ms-prune 2.3 --tokens 125.7 --job-overhead 21
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

import yaml

from langspec.tickets.schedule import lottery_rounds

# Paper 003 (Foroutan et al., 2022), appendix: GPU-hours on one Quadro RTX 8000 per language for the
# full XNLI training set (392,702 examples): pruning (IMP) about 45, fine-tuning about 15.
PAPER_003_XNLI = {"train_examples": 392_702, "prune_hours_per_language": 45.0, "finetune_hours_per_language": 15.0}


@dataclass(frozen=True)
class Shape:
    """A transformer's shape: its blocks' linear layers and attention (an encoder's or a decoder's).

    ``query`` and ``kv`` are the widths of the query and of each of the key and value projections (under
    grouped-query attention ``kv`` < ``query``); ``mlp`` the MLP's matrices of hidden x intermediate (2; a gated
    MLP 3). Embeddings and the LM head are left out (the workflow trims the vocabulary to the task's tokens).
    """

    layers: int
    hidden: int
    intermediate: int
    query: int = 0
    kv: int = 0
    mlp: int = 2

    def forward_flops(self, tokens: float) -> float:
        """Multiply-adds x 2 of one example's forward pass with ``tokens`` tokens (linear layers and attention)."""
        query, kv = self.query or self.hidden, self.kv or self.hidden
        attention_weights = 2 * self.hidden * query + 2 * self.hidden * kv  # q and o; k and v
        linear = self.layers * (attention_weights + self.mlp * self.hidden * self.intermediate)
        attention = self.layers * 2 * tokens * query  # QK^T and AV per token
        return 2 * tokens * (linear + attention)


XLMR_BASE = Shape(layers=12, hidden=768, intermediate=3072)  # xlm-roberta-base's config.json
#: model name -> shape (from each model's config.json); a model not named here is costed as XLM-R base
#: (mBERT has its 12 x 768 encoder; mT5-base, 12 + 12 blocks of 768, is costed so too: a conservative simplification)
SHAPES = {
    "Qwen/Qwen2.5-0.5B": Shape(layers=24, hidden=896, intermediate=4864, query=896, kv=128, mlp=3),
    "bigscience/bloom-560m": Shape(layers=24, hidden=1024, intermediate=4096),
    "meta-llama/Llama-3.2-1B": Shape(layers=16, hidden=2048, intermediate=8192, query=2048, kv=512, mlp=3),
    "gemma3gguf:gemma-3-270m": Shape(layers=18, hidden=640, intermediate=2048, query=1024, kv=256, mlp=3),
}
#: A 7B decoder for the LAPE estimate: Llama-2-7B's config.json (Tang et al. 2024 study it)
LLAMA2_7B = Shape(layers=32, hidden=4096, intermediate=11008, query=4096, kv=4096, mlp=3)


def lape_gpu_hours(tokens_per_language: float, languages: int, length: int, train_ms: float, tokens: float,
                   shape: Shape = LLAMA2_7B) -> float:
    """GPU-hours of LAPE's activation counts on ``shape``: forward passes only over ``tokens_per_language`` tokens of
    each of ``languages`` languages in sequences of ``length`` tokens, at the throughput the XLM-R-base measurement
    implies (a training example of ``tokens`` tokens in ``train_ms`` ms counted as three forward passes; that
    measurement was launch-bound, so a 7B model's is overestimated: conservative)."""
    flops_per_second = 3 * XLMR_BASE.forward_flops(tokens) / (train_ms / 1000)
    flops = tokens_per_language * languages * shape.forward_flops(length) / length
    return flops / flops_per_second / 3600


def shape_of(config: dict, spec: dict) -> Shape:
    """The shape of a task's model (its own ``model.name``, else the config's), layers cut by ``model.layers``."""
    model = {**config.get("model", {}), **{k: v for k, v in (spec.get("model") or {}).items() if v is not None}}
    shape = SHAPES.get(model.get("name"), XLMR_BASE)
    layers = model.get("layers")
    return Shape(**{**shape.__dict__, "layers": min(layers, shape.layers)}) if layers else shape


@dataclass(frozen=True)
class Stage:
    """One stage of one paper: GPU seconds of work and the number of jobs that do it."""

    paper: str
    name: str
    seconds: float
    jobs: int


def masks_per_task(config: dict, languages: int) -> dict[str, int]:
    """Single masks sketched per task and replicate by `all`, by regime.

    The full model under itself, every language's mask and its random shuffles
    (figure 3's suboptimal masks are other languages' own); after SFT, the own
    masks and one composed mask; after SFT on random masks, the random masks.
    With one job per mask, `snakemake -n all --configfile config/paper.yaml`
    plans 285 sketch jobs where this counts 288, and with one per regime
    (`sketch.jobs: regime`) 33 where this counts 36 (xnli draws no
    composed-mask figure).
    """
    seeds = len(config.get("masks", {}).get("random_seeds", [1, 2, 3]))
    return {"full": 1 + languages + languages * seeds, "sft": languages + 1, "sft-random": languages}


def paper000(config: dict, name: str, spec: dict, ms: dict[str, float], shards: int) -> list[Stage]:
    """Paper 000's stages for one task (all replicates): fine-tuning, SFT, pruning, sketches."""
    replicates = config.get("replicates", 3)
    languages = len(spec.get("languages") or config.get("languages", []))
    n_train, n_dev, n_test = (spec["size"][s] * languages for s in ("train", "dev", "test"))
    epochs = spec["finetune"]["epochs"]
    regimes = masks_per_task(config, languages)
    masks = sum(regimes.values())
    if config.get("sketch", {}).get("jobs", "mask") == "regime":  # a job per regime, the composed mask its own
        sketch_jobs = len(regimes) + 1
    else:
        sketch_jobs = masks * (epochs * shards if shards > 1 else 1)
    prune_steps = ms["prune_steps"]
    return [
        Stage("000", "finetune (full)", replicates * n_train * epochs * ms["train"], replicates),
        Stage("000", "sft (own and random masks)", 2 * replicates * n_train * epochs * ms["sft"], 2 * replicates),
        Stage("000", "prune", replicates * languages * prune_steps * (n_dev / languages) * ms["prune"], replicates * languages),
        Stage("000", "sketch", replicates * masks * epochs * (n_train + n_test) * ms["sketch"], replicates * sketch_jobs),
    ]


def paper003(config: dict, name: str, spec: dict, ms: dict[str, float]) -> list[Stage]:
    """Paper 003's stages for one task (its replicates): IMP per language and multilingual, transfers, retrieval
    (a text-to-text task on an encoder-decoder, at XLM-R base's cost per example: no multilingual ticket, no retrieval)."""
    lth = config.get("lth", {})
    languages = lth.get("languages") or spec.get("languages") or config.get("languages", [])
    replicates = min(lth.get("replicates") or config.get("replicates", 3), config.get("replicates", 3))
    rate = lth.get("rate", 0.1)
    rounds = lottery_rounds(rate, lth.get("max_sparsity", 0.9))
    overlap_round = round(lth.get("overlap_sparsity", 0.5) / rate)
    transfer_rounds = len(lth.get("sparsities", [0.5, 0.8]))
    epochs = (lth.get("finetune") or {}).get("epochs") or spec["finetune"]["epochs"]
    n_train, n_dev, n_test = (spec["size"][s] for s in ("train", "dev", "test"))  # per language
    evaluate = ms["train"] / 3
    training = epochs * (n_train * ms["train"] + n_dev * evaluate)  # one training run on one language, dev each epoch
    sources = len(languages) + 1  # every language's ticket and a random mask of its sparsity
    multi = 0 if spec.get("text_to_text") else 1  # an encoder-decoder (mT5) task: no multilingual ticket, no retrieval
    stages = [
        Stage("003", "IMP (per language and multilingual)",
              replicates * (len(languages) * (rounds + 1) + multi * (overlap_round + 1)) * training,
              replicates * (len(languages) + multi)),
        Stage("003", "transfer (every ticket on every language)",
              replicates * (sources * transfer_rounds + multi) * len(languages) * training,
              replicates * (sources * transfer_rounds + multi)),
    ]
    if multi:
        stages.append(Stage("003", "retrieval", replicates * len(languages) * len(languages) * n_test * evaluate, replicates))
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="config/paper.yaml")
    parser.add_argument("--gpu-ms-train", type=float, required=True, help="ms per example of full fine-tuning, XLM-R base shape")
    parser.add_argument("--gpu-ms-sft", type=float, required=True, help="ms per example of SFT, XLM-R base shape")
    parser.add_argument("--gpu-ms-sketch", type=float, required=True, help="ms per sketched example, XLM-R base shape")
    parser.add_argument("--gpu-ms-prune", type=float, required=True, help="ms per example of a pruning pass, XLM-R base shape")
    parser.add_argument("--tokens", type=float, required=True, help="mean tokens per example of the measured batches")
    parser.add_argument("--prune-steps", type=int, default=8, help="pruning steps per language (paper table 1: 2-7 at 14 heads each)")
    parser.add_argument("--job-overhead", type=float, required=True, help="seconds of start-up per job (startup.py)")
    parser.add_argument("--shards", type=int, default=None, help="sketch.shards instead of the config's")
    parser.add_argument("--sketch-jobs", choices=("mask", "regime"), default=None, help="sketch.jobs instead of the config's")
    parser.add_argument("--lape-tokens", type=float, default=1e8, help="LAPE on a 7B decoder: tokens per language "
                        "(an assumption of this estimate, printed with it)")
    parser.add_argument("--lape-languages", type=int, default=7, help="LAPE on a 7B decoder: languages")
    parser.add_argument("--lape-length", type=int, default=4096, help="LAPE on a 7B decoder: tokens per sequence")
    args = parser.parse_args()

    config = yaml.safe_load(open(args.config))
    if args.sketch_jobs:
        config.setdefault("sketch", {})["jobs"] = args.sketch_jobs
    shards = args.shards or config.get("sketch", {}).get("shards", 1)
    figure_tasks = config.get("figures", {}).get("tasks") or list(config["tasks"])
    lth_tasks = config.get("lth", {}).get("tasks") or []
    stages: list[Stage] = []
    for name, spec in config["tasks"].items():
        tokens = spec["finetune"].get("max_length", 128)
        scale = shape_of(config, spec).forward_flops(tokens) / XLMR_BASE.forward_flops(args.tokens) / 1000  # ms -> s
        ms = {"train": args.gpu_ms_train * scale, "sft": args.gpu_ms_sft * scale, "sketch": args.gpu_ms_sketch * scale,
              "prune": args.gpu_ms_prune * scale, "prune_steps": args.prune_steps}
        if name in figure_tasks:
            stages += paper000(config, name, spec, ms, shards)
        if name in lth_tasks:
            stages += paper003(config, name, spec, ms)

    def summary(chosen: list[Stage]) -> dict:
        compute = sum(s.seconds for s in chosen) / 3600
        startup = sum(s.jobs for s in chosen) * args.job_overhead / 3600
        return {"gpu_hours_compute": round(compute, 2), "gpu_hours_startup": round(startup, 2),
                "gpu_hours": round(compute + startup, 2), "jobs": sum(s.jobs for s in chosen),
                "startup_share": round(startup / (compute + startup), 3) if compute + startup else 0.0}

    table = {}
    for stage in stages:
        key = f"{stage.paper} {stage.name}"
        row = table.setdefault(key, {"seconds": 0.0, "jobs": 0})
        row["seconds"] += stage.seconds
        row["jobs"] += stage.jobs
    by_stage = {key: summary([Stage("", "", row["seconds"], row["jobs"])]) for key, row in table.items()}
    papers = {paper: summary([s for s in stages if s.paper == paper]) for paper in ("000", "003")}
    report = {"config": args.config, "sketch_shards": shards, "sketch_jobs": config.get("sketch", {}).get("jobs", "mask"), "job_overhead_s": args.job_overhead,
              "stages": by_stage, "papers": papers, "total": summary(stages)}
    for name in lth_tasks:
        spec = config["tasks"][name]
        if spec.get("source") in ("xnli3", "xnli") and not spec.get("text_to_text"):  # the paper reports mBERT's hours only
            share = spec["size"]["train"] / PAPER_003_XNLI["train_examples"]
            report[f"paper 003 reported, scaled to {name}'s training set"] = {
                "train_share_of_xnli": round(share, 4),
                "prune_gpu_hours_per_language": round(PAPER_003_XNLI["prune_hours_per_language"] * share, 2),
                "finetune_gpu_hours_per_language": round(PAPER_003_XNLI["finetune_hours_per_language"] * share, 2),
                "note": "one Quadro RTX 8000, one replicate, the full XNLI training set scaled linearly",
            }
    report["LAPE activation counts on Llama-2-7B (forward passes only, an estimate)"] = {
        "tokens_per_language": args.lape_tokens, "languages": args.lape_languages, "sequence_tokens": args.lape_length,
        "gpu_hours": round(lape_gpu_hours(args.lape_tokens, args.lape_languages, args.lape_length, args.gpu_ms_train,
                                          args.tokens), 1),
        "note": "FLOPs of Llama-2-7B's blocks at the throughput of the XLM-R base measurement (launch-bound there: "
                "an overestimate); tokens and languages are this estimate's assumptions, not the paper's numbers",
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
