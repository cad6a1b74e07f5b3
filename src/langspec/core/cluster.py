"""What a SLURM cluster offers, checked before any job is submitted.

A job that names a partition the cluster lacks fails at ``sbatch`` only, after
Snakemake has built the DAG and possibly run other jobs. The workflow asks
``sinfo`` first and fails with one line naming the partition and the cluster's
partitions. No Snakemake import: workflow/rules/cluster.smk collects the
partitions the jobs ask for and calls :func:`check_partitions`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable

from langspec.core.errors import LangspecError

#: Runs a command and returns its standard output (raises on failure); replaced in tests.
Runner = Callable[[list[str]], str]


def _run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


def requested(value: object) -> list[str]:
    """Partition names in a ``slurm_partition`` value: sbatch takes one name or a comma-separated list."""
    if value is None:
        return []
    return [name for name in (part.strip() for part in str(value).split(",")) if name]


def partitions(cluster: str | None = None, run: Runner = _run) -> list[str] | None:
    """The partitions ``sinfo`` lists (of ``cluster`` when given), sorted; None when sinfo is missing or fails."""
    command = ["sinfo", "--noheader", "--format=%R"]
    if cluster:
        command.append(f"--clusters={cluster}")
    if run is _run and shutil.which("sinfo") is None:
        return None
    try:
        listed = run(command)
    except (OSError, subprocess.SubprocessError):
        return None
    # with --clusters, sinfo prints a "CLUSTER: name" line before the cluster's partitions
    return sorted({line.strip() for line in listed.splitlines() if line.strip() and not line.startswith("CLUSTER:")})


def check_partition(name: str, cluster: str | None = None, run: Runner = _run) -> None:
    """Raise a one-line :class:`LangspecError` unless ``sinfo`` lists partition ``name``.

    When sinfo cannot be asked (not installed, or it fails) nothing is checked:
    sbatch will then report what is wrong.
    """
    check_partitions({(name, cluster)}, run=run)


def check_partitions(wanted: Iterable[tuple[str, str | None]], run: Runner = _run) -> None:
    """Check (partition, cluster or None) pairs against ``sinfo``; the first missing one fails with one line."""
    known: dict[str | None, list[str] | None] = {}
    for name, cluster in sorted(wanted, key=lambda pair: (pair[1] or "", pair[0])):
        if cluster not in known:
            known[cluster] = partitions(cluster, run)
        available = known[cluster]
        if available is None or name in available:
            continue
        where = f"SLURM cluster '{cluster}'" if cluster else "this SLURM cluster"
        has = ", ".join(available) if available else "none"
        raise LangspecError(
            f"SLURM partition '{name}' does not exist on {where} (sinfo lists: {has}); "
            "set slurm_partition (LANGSPEC_SLURM_PARTITION for workflow/profiles/slurm) to one of them"
        )
