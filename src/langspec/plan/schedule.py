"""Wall time of a DAG of jobs on a machine: list scheduling, longest remaining path first.

Snakemake starts any job whose inputs exist while its threads fit in the free
cores; which of several it starts first is its own choice. The estimate starts
the ready job with the longest path of work still behind it (its duration plus
its longest chain of dependants), then any other ready job that fits (a job's
threads capped at the cores, as Snakemake caps them). With ``gpus`` set, a job
marked as GPU work also holds one GPU while it runs.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    """When each job starts and ends (seconds from the start) and the makespan."""

    start: dict[int, float]
    end: dict[int, float]

    @property
    def makespan(self) -> float:
        return max(self.end.values(), default=0.0)

    def running(self, jobs: set[int] | list[int]) -> float:
        """Seconds during which at least one of ``jobs`` runs (the union of their intervals)."""
        spans = sorted((self.start[j], self.end[j]) for j in jobs if self.end[j] > self.start[j])
        total, until = 0.0, float("-inf")
        for start, end in spans:
            if end <= until:
                continue
            total += end - max(start, until)
            until = end
        return total


def priorities(durations: Mapping[int, float], dependencies: Mapping[int, set[int]]) -> dict[int, float]:
    """Each job's duration plus the longest chain of jobs that wait for it (its bottom level)."""
    dependants: dict[int, list[int]] = {job: [] for job in durations}
    for job, needs in dependencies.items():
        for need in needs:
            dependants[need].append(job)
    level: dict[int, float] = {}
    order = _topological(durations, dependencies)
    for job in reversed(order):
        level[job] = durations[job] + max((level[d] for d in dependants[job]), default=0.0)
    return level


def _topological(durations: Mapping[int, float], dependencies: Mapping[int, set[int]]) -> list[int]:
    waiting = {job: len(dependencies.get(job, ())) for job in durations}
    dependants: dict[int, list[int]] = {job: [] for job in durations}
    for job, needs in dependencies.items():
        for need in needs:
            dependants[need].append(job)
    ready = sorted(job for job, n in waiting.items() if n == 0)
    order = []
    while ready:
        job = ready.pop()
        order.append(job)
        for d in dependants[job]:
            waiting[d] -= 1
            if waiting[d] == 0:
                ready.append(d)
    if len(order) != len(durations):
        raise ValueError("the jobs' dependencies have a cycle")
    return order


def simulate(durations: Mapping[int, float], dependencies: Mapping[int, set[int]], cores: int,
             threads: Mapping[int, int] | None = None, gpu_jobs: set[int] | None = None, gpus: int = 0) -> Schedule:
    """List-schedule the jobs (``durations`` in seconds; ``dependencies``: job -> jobs it waits for) on ``cores``."""
    if cores < 1:
        raise ValueError("cores must be at least 1")
    unknown = {need for needs in dependencies.values() for need in needs} - set(durations)
    if unknown:
        raise ValueError(f"dependencies name jobs without a duration: {sorted(unknown)[:5]}")
    threads = {job: min(cores, max(1, (threads or {}).get(job, 1))) for job in durations}
    on_gpu = (gpu_jobs or set()) if gpus > 0 else set()
    priority = priorities(durations, dependencies)
    waiting = {job: set(dependencies.get(job, ())) for job in durations}
    dependants: dict[int, list[int]] = {job: [] for job in durations}
    for job, needs in waiting.items():
        for need in needs:
            dependants[need].append(job)
    ready = {job for job, needs in waiting.items() if not needs}
    free_cores, free_gpus = cores, gpus
    running: list[tuple[float, int]] = []
    start, end = {}, {}
    now = 0.0
    while ready or running:
        for job in sorted(ready, key=lambda j: (-priority[j], j)):
            if threads[job] <= free_cores and (job not in on_gpu or free_gpus > 0):
                ready.discard(job)
                free_cores -= threads[job]
                free_gpus -= job in on_gpu
                start[job] = now
                heapq.heappush(running, (now + durations[job], job))
        if not running:
            raise ValueError("no job can start: a job needs more than the machine has")
        now, job = heapq.heappop(running)
        done = [job]
        while running and running[0][0] <= now:
            done.append(heapq.heappop(running)[1])
        for job in done:
            end[job] = now
            free_cores += threads[job]
            free_gpus += job in on_gpu
            for d in dependants[job]:
                waiting[d].discard(job)
                if not waiting[d]:
                    ready.add(d)
    return Schedule(start, end)
