"""A target's jobs from Snakemake's dry run: rule, wildcards, inputs, outputs, threads and resources of each, their
dependencies, and the validated config the workflow built them from.

Snakemake runs in a subprocess (the library imports no Snakemake): ``snakemake
-n --nolock --cores N TARGET...`` in the repository root, whose job listing is
parsed; a job depends on the jobs whose outputs it reads (or a directory output
above one of its inputs). The workflow writes its config, validated and with
every default filled in, to the file named by ``LANGSPEC_PLAN_CONFIG``
(workflow/rules/resources.smk), so the plan counts work from the very values
the jobs get.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from langspec.core.errors import LangspecError

CONFIG_ENV = "LANGSPEC_PLAN_CONFIG"
_HEADER = re.compile(r"^(?:local)?(?:rule|checkpoint) (\S+):\s*$")
_ANNOTATION = re.compile(r" \([^()]*\)$")  # "(temporary)", "(pipe)", "(send to storage)" after a file


@dataclass
class Job:
    """One job of the dry run."""

    jobid: int
    rule: str
    wildcards: dict[str, str] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    threads: int = 1
    resources: dict[str, str] = field(default_factory=dict)

    @property
    def gpu(self) -> bool:
        """A GPU rule: it asks for the ``gpu`` resource (every model rule the cluster profile sends to a GPU)."""
        return "gpu" in self.resources


@dataclass
class DryRun:
    """The jobs a target still needs, their dependencies (job id -> ids it waits for), the workflow's config, and the
    seconds Snakemake took to build the DAG (a real run pays them too)."""

    jobs: list[Job]
    dependencies: dict[int, set[int]]
    config: dict
    seconds: float


def _files(value: str) -> list[str]:
    return [_ANNOTATION.sub("", item.strip()) for item in value.split(", ") if item.strip()]


def parse(text: str) -> list[Job]:
    """The jobs of a dry run's listing (Snakemake 9's format: a ``rule NAME:`` line, then indented ``key: value`` lines)."""
    jobs: list[Job] = []
    current: Job | None = None
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            current = Job(-1, header.group(1))
            jobs.append(current)
            continue
        if current is None or not line.startswith("    ") or ": " not in line:
            if current is not None and line and not line.startswith(" "):
                current = None
            continue
        key, value = line.strip().split(": ", 1)
        if key == "input":
            current.inputs = _files(value)
        elif key == "output":
            current.outputs = _files(value)
        elif key == "jobid":
            current.jobid = int(value)
        elif key == "wildcards":
            current.wildcards = dict(item.split("=", 1) for item in value.split(", ") if "=" in item)
        elif key == "threads":
            current.threads = int(value)
        elif key == "resources":
            current.resources = dict(item.split("=", 1) for item in value.split(", ") if "=" in item)
    jobs = [job for job in jobs if job.jobid >= 0]
    if len({job.jobid for job in jobs}) != len(jobs):
        raise LangspecError("the dry run listed a job twice: cannot read its plan")
    return jobs


def dependencies(jobs: Iterable[Job]) -> dict[int, set[int]]:
    """Job id -> ids of the jobs that write one of its inputs (or a directory output above one)."""
    jobs = list(jobs)
    producer = {PurePosixPath(path): job.jobid for job in jobs for path in job.outputs}
    out: dict[int, set[int]] = {}
    for job in jobs:
        needs = set()
        for path in map(PurePosixPath, job.inputs):
            for candidate in (path, *path.parents):
                if candidate in producer:
                    needs.add(producer[candidate])
                    break
        needs.discard(job.jobid)
        out[job.jobid] = needs
    return out


def _failure(stderr: str, targets: Sequence[str]) -> str:
    """One line saying why the dry run failed: the target no rule makes, the workflow's config error, or its last line."""
    missing = re.search(r"No rule to produce (\S+)", stderr)
    if missing:
        return (f"no rule makes target '{missing.group(1)}' (a rule such as all, lth or findings, or a file under results/; "
                "see workflow/Snakefile)")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if re.match(r"^(LangspecError|WorkflowError|ValueError|KeyError)\b.*:$", line) or line.startswith("LangspecError in "):
            if i + 1 < len(lines):
                return lines[i + 1]
    errors = [line for line in lines if re.match(r"^\w*(Error|Exception)\b", line)]
    if errors:
        return errors[-1]
    return lines[-1] if lines else f"snakemake failed for {' '.join(targets)}"


def dry_run(targets: Sequence[str], configfiles: Sequence[str] = (), cores: int = 1, directory: str | os.PathLike = ".",
            snakemake: Sequence[str] | None = None, timeout: float = 900) -> DryRun:
    """The dry run of ``targets`` with ``configfiles`` in ``directory`` (the repository root); one-line errors."""
    for path in configfiles:
        if not os.path.isfile(os.path.join(directory, path)):
            raise LangspecError(f"config file '{path}' does not exist")
    if not os.path.isfile(os.path.join(directory, "workflow", "Snakefile")):
        raise LangspecError(f"{os.path.abspath(directory)} has no workflow/Snakefile: run the plan from the repository root")
    command = [*(snakemake or [sys.executable, "-m", "snakemake"]), "-n", "--nolock", "--cores", str(cores), *targets]
    if configfiles:
        command += ["--configfile", *configfiles]
    with tempfile.TemporaryDirectory(prefix="langspec-plan-") as tmp:
        dumped = os.path.join(tmp, "config.json")
        started = time.perf_counter()
        done = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, CONFIG_ENV: dumped})
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise LangspecError(_failure(done.stderr + "\n" + done.stdout, targets))
        try:
            with open(dumped, encoding="utf-8") as handle:
                config = json.load(handle)
        except OSError:
            raise LangspecError("the workflow did not write its config for the plan (workflow/rules/resources.smk)") from None
    jobs = parse(done.stdout + "\n" + done.stderr)
    return DryRun(jobs, dependencies(jobs), config, seconds)
