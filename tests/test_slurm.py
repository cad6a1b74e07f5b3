"""The SLURM profile, end to end, on a real one-node SLURM cluster on loopback.

tests/slurm/cluster.sh starts munged, slurmctld and slurmd (installing Debian's
packages if missing; needs root). The workflow runs from a copy of the repository
through ``--profile profiles/slurm``; the test then asks SLURM itself (squeue,
scontrol) that the jobs ran there. The cluster keeps no accounting database, so
job status is read with squeue (``--slurm-status-command squeue``).
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

from .workspace import REPO, copy_repo

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
TINY = "tests/slurm/tiny.yaml"
TARGET = "results/data/gettext-topic/train.parquet"

# On top of the profile: read status with squeue (no slurmdbd here, so sacct has
# nothing) and look early, keep the per-job SLURM logs to check them.
SLURM_ARGS = [
    "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "2",
    "--slurm-keep-successful-logs",
]


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
    result = _cluster("start")
    if result.returncode != 0:
        pytest.fail(f"tests/slurm/cluster.sh start failed:\n{result.stdout}\n{result.stderr}")
    print(f"cluster up in {time.monotonic() - started:.1f}s: {result.stderr.strip()}")
    conf = re.search(r"SLURM_CONF=(\S+)", _cluster("env").stdout).group(1)
    env = {**os.environ, "SLURM_CONF": conf}
    # The jobs run `python -m snakemake` with this interpreter; its scripts must be on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("SLURM_JOB_ID", None)
    try:
        yield env
    finally:
        if not was_running:
            _cluster("stop", timeout=120)


def _snakemake(workdir: Path, env: dict, *args: str, timeout: float = 240) -> tuple[str, str]:
    """Run snakemake through profiles/slurm; return (its output, the SLURM run id)."""
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", *SLURM_ARGS, *args],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout,
    )
    output = result.stdout + result.stderr
    logs = "\n".join(
        f"--- {log}\n{log.read_text(errors='replace')[-3000:]}"
        for log in sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
    )
    assert result.returncode == 0, f"snakemake failed:\n{output[-6000:]}\n{logs}"
    run_id = re.search(r"SLURM run ID: (\S+)", output)
    assert run_id, f"snakemake did not use the SLURM executor:\n{output[-3000:]}"
    return output, run_id.group(1)


def _slurm_jobs(env: dict, run_id: str) -> dict[str, dict[str, str]]:
    """Jobs SLURM knows under the run id (the job name): id -> state, comment, workdir, TRES."""
    listed = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--name", run_id, "--format=%i|%T|%k"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    jobs = {}
    for line in filter(None, listed.splitlines()):
        job_id, state, comment = line.split("|", 2)
        shown = subprocess.run(
            ["scontrol", "show", "job", job_id], env=env, capture_output=True, text=True, check=True
        ).stdout
        fields = dict(re.findall(r"(\w[\w/:]*)=(\S*)", shown))
        jobs[job_id] = {"state": state, "comment": comment, **fields}
    return jobs


def test_data_rule_runs_through_slurm(slurm_env, tmp_path):
    workdir = copy_repo(tmp_path / "repo")
    started = time.monotonic()
    output, run_id = _snakemake(workdir, slurm_env, TARGET, "--configfile", TINY)
    print(f"workflow through SLURM in {time.monotonic() - started:.1f}s")

    import pandas as pd

    frame = pd.read_parquet(workdir / TARGET)
    assert {"uid", "lang", "text_a", "text_b", "label"} <= set(frame.columns)
    assert len(frame) > 0

    jobs = _slurm_jobs(slurm_env, run_id)
    data_jobs = {i: job for i, job in jobs.items() if job["comment"].startswith("rule_data")}
    assert data_jobs, f"no SLURM job of rule data under run {run_id}: {jobs}\n{output[-3000:]}"
    for job_id, job in data_jobs.items():
        assert job["state"] == "COMPLETED", job
        assert job["WorkDir"] == str(workdir), job
        assert job["Partition"] == "debug", job
        assert "gres:gpu" not in job.get("TresPerJob", ""), "compute.gpus: 0 must not request GPUs"
        # the plugin's per-job log, written by SLURM's --output
        logs = list((workdir / ".snakemake" / "slurm_logs" / "rule_data").rglob(f"{job_id}.log"))
        assert logs, f"no SLURM log for job {job_id}"


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
    (workdir / "profiles").mkdir(parents=True)
    shutil.copytree(REPO / "profiles" / "slurm", workdir / "profiles" / "slurm")
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
    _, run_id = _snakemake(workdir, slurm_env, "all", "--configfile", "gpus.yaml")
    jobs = _slurm_jobs(slurm_env, run_id)
    by_rule = {job["comment"]: job for job in jobs.values()}
    assert set(by_rule) == {"rule_gpu", "rule_cpu"}, jobs
    assert by_rule["rule_gpu"]["TresPerJob"] == "gres:gpu:1", by_rule["rule_gpu"]
    assert by_rule["rule_gpu"]["NumCPUs"] == str(threads), "threads must become --cpus-per-task"
    assert "gpu" not in by_rule["rule_cpu"].get("TresPerJob", ""), by_rule["rule_cpu"]
    for job in jobs.values():
        assert job["state"] == "COMPLETED", job
    assert (workdir / "gpu.txt").read_text().strip() in jobs
