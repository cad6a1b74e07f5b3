"""The workflow through the SLURM profile, end to end, on a real one-node SLURM cluster on loopback.

tests/slurm/cluster.sh starts munged, slurmctld and slurmd (installing Debian's
packages if missing; needs root). The workflow runs from a copy of the repository
through ``--profile workflow/profiles/slurm`` with the real executor plugin; the tests then
ask SLURM itself (squeue, scontrol) what ran there. The cluster keeps no
accounting database, so job status is read with squeue
(``--slurm-status-command squeue``).

The main run draws figure 4 of tests/config/tiny.yaml on one replicate (``replicates: 1``:
a second would repeat the same 15 jobs, and their start-up is this test's cost), and the
replicate's baseline shares, with ``compute.gpus: 1`` (the node has fake GPUs)
in the paper config's layout: one sketch job per replicate and regime
(``sketch.jobs: regime``) and each GPU job's time limit sized from per-example
costs (``compute.cost``). One SLURM job per job of the DAG, except the light ones
(random masks, shares, their aggregation, the figure), which run in the main
Snakemake process. Its shares
CSVs must be byte-identical to those of the local run of the same config (the
``tiny_run`` fixture): SLURM changes nothing in the results. Sharded sketches
(``sketch.shards`` > 1) are the same files for any shard count
(tests/test_sketch.py, tests/test_influence.py) and appear as one job per (mask,
checkpoint, shard) in the paper config's dry run (tests/test_paper_config.py); here they would
double the jobs, and the jobs' start-up, not their work, sets this test's time.

Measured on the 2-core development machine: with two shards (73 jobs) the SLURM
run took 6.5 min with the machine otherwise idle; each job of about 9 s spends
about 4 s starting Snakemake twice (in the batch script and again under srun)
before its script, which then imports torch. The test cluster advertises two
CPUs per core (LANGSPEC_SLURM_CPUS), so that four such jobs overlap their
start-up on two cores. The other tests of the module take about 50 s, most of it the
plugin's status-check back-off (the cuda test waits about 20 s for it after its
job fails).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from .workspace import REPO, copy_repo

pytestmark = [pytest.mark.slurm, pytest.mark.slow, pytest.mark.xdist_group(name="workflow")]

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
TINY = "tests/config/tiny.yaml"
OVERLAY = "slurm-overlay.yaml"  # written into the copy by the test
TARGET = "results/figures/fig4.pdf"
TASK = "gettext-topic"
#: Per-replicate shares: own subnetworks after SFT (figure 4) and the full model (its baseline, also a target).
SHARES = [f"results/shares/{TASK}/rep0/{name}" for name in ("sft/own.csv", "full/full.csv")]

# On top of the profile, for a one-node test cluster: read status with squeue (no
# slurmdbd here, so sacct has nothing) and look early and often (the plugin waits
# this long after a check that saw a job finish, 10 s more after each that saw none),
# keep the per-job SLURM logs to check them.
SLURM_ARGS = [
    "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "1",
    "--seconds-between-status-checks", "1",
    "--slurm-keep-successful-logs",
]

#: Rule -> whether it requests GPUs (resources: gpu=compute.gpus).
GPU_RULES = {"finetune": True, "prune": True, "sft": True, "sketch_full_gettext_topic": True, "sketch_sft_gettext_topic": True,
             "influence": False}
#: Per-example costs (ms) and start-up (s) from which the GPU jobs' runtimes are sized (workflow/rules/resources.smk):
#: not this machine's, but different enough per rule that each rule's time limit is its own.
COST = {"train": 50, "sft": 60, "prune": 40, "sketch": 30, "evaluate": 10, "startup_s": 20, "margin": 3, "min_minutes": 1}
#: Jobs of a few seconds in this DAG, which run in the main Snakemake process (workflow/rules/cluster.smk).
LOCAL_RULES = {"random_mask", "shares", "aggregate_shares", "fig4"}
LANGS = ["en", "de", "fr"]


def _cluster(command: str, env=None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(CLUSTER), command], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="module")
def slurm_env():
    """Start the test cluster (unless one runs already); yield the environment clients need."""
    if os.geteuid() != 0:
        pytest.skip("the local SLURM cluster needs root (tests/slurm/cluster.sh runs the daemons as root)")
    if not (shutil.which("slurmctld") and shutil.which("slurmd") and shutil.which("munged")) and not shutil.which("apt-get"):
        pytest.skip("SLURM is not installed and apt-get is not available to install it")
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        pytest.fail("the SLURM profile needs snakemake-executor-plugin-slurm: pip install -e '.[slurm]'")
    was_running = _cluster("status").returncode == 0
    started = time.monotonic()
    # Two CPUs per core: a job spends most of its seconds starting Snakemake and Python, so
    # four side by side on two cores finish sooner than two.
    result = _cluster("start", env={**os.environ, "LANGSPEC_SLURM_CPUS": str(2 * (os.cpu_count() or 1))})
    if result.returncode != 0:
        pytest.fail(f"tests/slurm/cluster.sh start failed:\n{result.stdout}\n{result.stderr}")
    print(f"cluster up in {time.monotonic() - started:.1f}s: {result.stderr.strip()}")
    conf = re.search(r"SLURM_CONF=(\S+)", _cluster("env").stdout).group(1)
    env = {**os.environ, "SLURM_CONF": conf}
    # The jobs run `python -m snakemake` with this interpreter; its scripts must be on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("SLURM_JOB_ID", None)
    env.pop("LANGSPEC_SLURM_PARTITION", None)
    env.pop("LANGSPEC_SLURM_ACCOUNT", None)
    try:
        yield env
    finally:
        if not was_running:
            _cluster("stop", timeout=120)


def _start(workdir: Path, env: dict, *args: str) -> subprocess.Popen:
    """Start snakemake through workflow/profiles/slurm in the background, its output into ``workdir/snakemake.out``.

    A file, not a pipe: nobody reads while the run is in the background, and a full pipe would stall it.
    """
    with open(workdir / "snakemake.out", "w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--profile", "workflow/profiles/slurm", *SLURM_ARGS, *args],
            cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
        )


def _finish(process: subprocess.Popen, workdir: Path, timeout: float, check: bool) -> tuple[int, str, str | None]:
    """Wait for a run of :func:`_start`; return (exit code, its output, the SLURM run id)."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"snakemake through SLURM took more than {timeout:.0f}s:\n{(workdir / 'snakemake.out').read_text()[-3000:]}")
    output = (workdir / "snakemake.out").read_text(errors="replace")
    if check and process.returncode != 0:
        logs = "\n".join(
            f"--- {log}\n{log.read_text(errors='replace')[-3000:]}"
            for log in sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))[-6:]
        )
        pytest.fail(f"snakemake failed:\n{output[-6000:]}\n{logs}")
    run_id = re.search(r"SLURM run ID: (\S+)", output)
    if check:
        assert run_id, f"snakemake did not use the SLURM executor:\n{output[-3000:]}"
    return process.returncode, output, run_id.group(1) if run_id else None


def _snakemake(workdir: Path, env: dict, *args: str, timeout: float = 900, check: bool = True) -> tuple[int, str, str | None]:
    """Run snakemake through workflow/profiles/slurm; return (exit code, its output, the SLURM run id)."""
    return _finish(_start(workdir, env, *args), workdir, timeout, check)


def _slurm_jobs(env: dict, run_id: str) -> dict[str, dict[str, str]]:
    """Jobs SLURM knows under the run id (the job name): id -> rule, state and scontrol's fields."""
    listed = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--name", run_id, "--format=%i|%T"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    jobs = {}
    for line in filter(None, listed.splitlines()):
        job_id, state = line.split("|", 1)
        shown = subprocess.run(
            ["scontrol", "show", "job", job_id], env=env, capture_output=True, text=True, check=True
        ).stdout
        fields = dict(re.findall(r"(\w[\w/:]*)=(\S*)", shown))
        # the plugin's comment: rule_<rule>[_wildcards_<values>]
        rule = re.fullmatch(r"rule_(.+?)(?:_wildcards_.*)?", fields.get("Comment", ""))
        jobs[job_id] = {"state": state, "rule": rule.group(1) if rule else "", **fields}
    return jobs


def _minutes(limit: str) -> int:
    """scontrol's TimeLimit ([D-]HH:MM:SS) in minutes."""
    days, _, clock = limit.rpartition("-")
    hours, minutes, _ = (int(part) for part in clock.split(":"))
    return (int(days or 0) * 24 + hours) * 60 + minutes


def _planned_runtimes(workdir: Path, env: dict) -> dict[str, int]:
    """Rule -> the runtime (minutes) a dry run of the same configs plans for its jobs (one value per rule here)."""
    done = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--forceall", TARGET, "--configfile", TINY, OVERLAY],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    planned: dict[str, set[int]] = {}
    for block in done.stdout.split("\nrule ")[1:]:
        runtime = re.search(r"resources: .*\bruntime=(\d+)", block)
        if runtime:
            planned.setdefault(block.split(":", 1)[0], set()).add(int(runtime.group(1)))
    assert all(len(values) == 1 for values in planned.values()), planned
    return {rule: values.pop() for rule, values in planned.items()}


def _rule_threads(workdir: Path, overlay: dict) -> dict[str, int]:
    """Threads each checked rule asks for (workflow/rules/*.smk) under the tiny config and the overlay."""
    compute = {"threads": 1, "train_threads": 1}  # the schema's defaults
    for config in (yaml.safe_load((workdir / TINY).read_text()), overlay):
        compute.update((config or {}).get("compute", {}))
    return {rule: compute["train_threads" if rule in ("finetune", "sft") else "threads"] for rule in GPU_RULES}


def _local_precisions() -> dict[str, str]:
    """compute.precision and train_precision as `auto` resolves them for the local CPU run (compute.gpus 0).

    With compute.gpus > 0, `auto` would choose the GPU precisions (tf32 training,
    which needs CUDA); the node's GPU is fake, so the SLURM run pins the CPU ones.
    """
    from langspec.core.precision import cpu_has_native_bfloat16

    native = "bfloat16" if cpu_has_native_bfloat16() else "float32"
    return {"precision": native, "train_precision": native}


@pytest.fixture(scope="module")
def pipeline(slurm_env, tmp_path_factory, request):
    """The tiny config up to figure 4 through SLURM, one (fake) GPU per GPU job.

    The local run to compare with (the ``tiny_run`` fixture) runs meanwhile, unless
    an earlier test made it: the SLURM jobs mostly wait on start-up, the local run
    computes, so side by side they take little longer than the local run alone.
    """
    workdir = copy_repo(tmp_path_factory.mktemp("slurm") / "repo")
    overlay = {"compute": {"gpus": 1, **_local_precisions(), "cost": COST}, "sketch": {"jobs": "regime"}, "replicates": 1}
    (workdir / OVERLAY).write_text(yaml.safe_dump(overlay))
    started = time.monotonic()
    targets = [TARGET, *(name for name in SHARES if "/full/" in name)]
    process = _start(workdir, slurm_env, *targets, "--configfile", TINY, OVERLAY)
    try:
        local = request.getfixturevalue("tiny_run")
    except BaseException:
        process.kill()
        raise
    _, output, run_id = _finish(process, workdir, timeout=1500, check=True)
    print(f"figure 4 of the tiny config through SLURM in {time.monotonic() - started:.0f}s (beside the local run)")
    return {"workdir": workdir, "output": output, "run_id": run_id, "overlay": overlay, "local": local}


def test_figure4_through_slurm_has_the_shares_of_the_local_run(pipeline):
    """Byte-identical shares: the SLURM jobs and the local run give the same files."""
    workdir, local = pipeline["workdir"], pipeline["local"]
    assert (workdir / TARGET).stat().st_size > 0
    shares = sorted(str(p.relative_to(workdir)) for p in (workdir / "results" / "shares").rglob("*.csv"))
    assert set(SHARES) <= set(shares), shares
    sketches = workdir / "results" / "sketches" / TASK / "rep0" / "sft" / "de" / "epoch1"
    assert sorted(p.name for p in sketches.iterdir()) == ["test.h5", "train.h5"]
    for name in SHARES:  # the replicate's own (the aggregates pool one replicate here, two in the local run)
        assert (local / name).exists(), f"the local run has no {name}"
        assert (workdir / name).read_bytes() == (local / name).read_bytes(), f"{name} differs from the local run's"


def test_every_job_but_the_light_ones_ran_as_a_slurm_job_with_its_cpus_and_gpus(pipeline, slurm_env):
    workdir, output, run_id = pipeline["workdir"], pipeline["output"], pipeline["run_id"]
    jobs = _slurm_jobs(slurm_env, run_id)
    submitted = len(re.findall(r"Job \d+ has been submitted with SLURM jobid", output))
    assert len(jobs) == submitted > 0, f"SLURM knows {len(jobs)} jobs of run {run_id}, Snakemake submitted {submitted}"
    stats = re.search(r"Job stats:\n.*?\n-+ +-+\n(.*?)\ntotal +(\d+)", output, re.S)
    assert stats, output[-3000:]
    counts = {rule: int(n) for rule, n in re.findall(r"^(\w+) +(\d+)$", stats.group(1), re.M)}
    local = {rule: n for rule, n in counts.items() if rule in LOCAL_RULES}
    assert set(local) == LOCAL_RULES, f"the DAG's light jobs: {sorted(counts)}"
    assert int(stats.group(2)) - sum(local.values()) == len(jobs), "every job but the local ones is a SLURM job"
    by_rule: dict[str, list[dict]] = {}
    for job in jobs.values():
        by_rule.setdefault(job["rule"], []).append(job)
    assert not LOCAL_RULES & set(by_rule), f"local rules were submitted: {sorted(LOCAL_RULES & set(by_rule))}"
    assert set(GPU_RULES) <= set(by_rule), sorted(by_rule)
    threads = _rule_threads(workdir, pipeline["overlay"])
    for job in jobs.values():
        assert job["state"] == "COMPLETED", job
        assert job["WorkDir"] == str(workdir), job
        assert job["Partition"] == "debug", job
    for rule, gpu in GPU_RULES.items():
        for job in by_rule[rule]:
            assert job["NumCPUs"] == str(threads[rule]), f"{rule}: threads must become --cpus-per-task: {job}"
            tres = job.get("TresPerJob", "")
            assert (tres == "gres:gpu:1") if gpu else ("gpu" not in tres), f"{rule}: {tres!r}"
    # each GPU job's time limit is the runtime its costs and sizes give (the dry run's), the others the profile's 120 min
    planned = _planned_runtimes(workdir, slurm_env)
    for job in jobs.values():
        minutes = _minutes(job["TimeLimit"])
        assert minutes == planned.get(job["rule"], 120), f"{job['rule']}: time limit {job['TimeLimit']}, planned {planned}"
    assert len({planned[rule] for rule in ("finetune", "prune", "sketch_full_gettext_topic")}) == 3, planned
    # the paper config's layout (sketch.jobs: regime): one sketch job per replicate and regime, where one job
    # per mask made 3 + 1; the full model's job also sketches the own and random masks (as under `all`)
    assert len(by_rule["sketch_full_gettext_topic"]) == len(by_rule["sketch_sft_gettext_topic"]) == 1, by_rule.keys()
    assert "sketch" not in by_rule
    assert len(by_rule["finetune"]) == len(by_rule["sft"]) == 1  # one per replicate
    # SLURM's own log of a job, where the plugin asked for it (sbatch --output)
    job_id, job = next(iter(jobs.items()))
    assert list((workdir / ".snakemake" / "slurm_logs" / f"rule_{job['rule']}").rglob(f"{job_id}.log"))


def test_a_partition_the_cluster_lacks_fails_before_any_job(pipeline, slurm_env):
    workdir = pipeline["workdir"]
    figure = workdir / TARGET
    before = figure.stat().st_mtime_ns
    env = {**slurm_env, "LANGSPEC_SLURM_PARTITION": "nosuch"}
    code, output, run_id = _snakemake(
        workdir, env, TARGET, "--forcerun", "influence", "--configfile", TINY, OVERLAY, check=False, timeout=120
    )
    assert code != 0
    line = ("SLURM partition 'nosuch' does not exist on this SLURM cluster (sinfo lists: debug); "
            "set slurm_partition (LANGSPEC_SLURM_PARTITION for workflow/profiles/slurm) to one of them")
    assert line in output.splitlines(), output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert run_id and not _slurm_jobs(slurm_env, run_id), "no job may be submitted"
    assert figure.stat().st_mtime_ns == before, "no output downstream of the forced jobs may be touched"


def test_cuda_on_a_node_without_a_gpu_is_one_line_from_the_job(pipeline, slurm_env):
    """compute.device: cuda where torch sees no GPU: the SLURM job fails with one line naming the value.

    Runs last: the changed device reruns (and so first deletes) replicate 0's full fine-tune.
    """
    workdir = pipeline["workdir"]
    (workdir / "cuda.yaml").write_text(yaml.safe_dump({"compute": {"device": "cuda"}}))
    code, output, run_id = _snakemake(
        workdir, slurm_env, f"results/models/{TASK}/rep0/full", "--configfile", TINY, OVERLAY, "cuda.yaml",
        check=False, timeout=300,
    )
    assert code != 0
    line = "langspec: error: compute.device is 'cuda' but no GPU is visible on this node (torch.cuda.is_available() is False)"
    jobs = _slurm_jobs(slurm_env, run_id)
    assert [job["rule"] for job in jobs.values()] == ["finetune"], jobs
    (job_id, job), = jobs.items()
    assert job["state"] == "FAILED", job
    # the job's rule log holds that one line and no traceback, and Snakemake shows it (show-failed-logs)
    log = (workdir / f"results/logs/models/{TASK}/rep0/full.log").read_text()
    assert line in log.splitlines() and "Traceback" not in log, log[-2000:]
    assert line in output.splitlines(), output[-4000:]
    assert "Traceback" not in output, output[-4000:]


def test_gpu_resource_becomes_slurm_gpus(slurm_env, tmp_path):
    """`resources: gpu=N` (config compute.gpus) reaches SLURM as --gpus=N; N=0 asks for none.

    The test cluster advertises one fake GPU (a plain file as its device), so the job
    can be scheduled on a machine without GPUs.
    """
    gres = subprocess.run(["sinfo", "-h", "-o", "%G"], env=slurm_env, capture_output=True, text=True).stdout
    if "gpu" not in gres:
        pytest.skip("the running test cluster has no GPUs (started with LANGSPEC_SLURM_GPUS=0?)")
    threads = min(2, os.cpu_count() or 1)  # the node has the machine's real CPUs
    workdir = tmp_path / "gpu"
    (workdir / "workflow" / "profiles").mkdir(parents=True)
    shutil.copytree(REPO / "workflow" / "profiles" / "slurm", workdir / "workflow" / "profiles" / "slurm")
    (workdir / "Snakefile").write_text(
        "rule all:\n"
        "    input: 'gpu.txt', 'cpu.txt'\n\n"
        "rule gpu:\n"
        "    output: 'gpu.txt'\n"
        f"    threads: {threads}\n"
        "    resources: gpu=config['compute']['gpus']\n"
        "    shell: 'echo $SLURM_JOB_ID > {output}'\n\n"
        "rule cpu:\n"
        "    output: 'cpu.txt'\n"
        "    resources: gpu=0\n"
        "    shell: 'echo $SLURM_JOB_ID > {output}'\n"
    )
    # compute.gpus from a config file, as users set it (a --config value with spaces
    # reaches the cluster job's command line unquoted and arrives there as a string)
    (workdir / "gpus.yaml").write_text("compute: {gpus: 1}\n")
    _, _, run_id = _snakemake(workdir, slurm_env, "all", "--configfile", "gpus.yaml")
    jobs = _slurm_jobs(slurm_env, run_id)
    by_rule = {job["rule"]: job for job in jobs.values()}
    assert set(by_rule) == {"gpu", "cpu"}, jobs
    assert by_rule["gpu"]["TresPerJob"] == "gres:gpu:1", by_rule["gpu"]
    assert by_rule["gpu"]["NumCPUs"] == str(threads), "threads must become --cpus-per-task"
    assert "gpu" not in by_rule["cpu"].get("TresPerJob", ""), by_rule["cpu"]
    for job in jobs.values():
        assert job["state"] == "COMPLETED", job
    assert (workdir / "gpu.txt").read_text().strip() in jobs
