"""Checks of what the SLURM cluster offers, before any job is submitted.

Runs in the main Snakemake process only, when the workflow executes through the
SLURM executor (snakemake-executor-plugin-slurm, e.g. `--profile workflow/profiles/slurm`):
every partition a job to run asks for (`slurm_partition` from the profile,
--default-resources, --set-resources or a rule) must be one that `sinfo` lists.
The executor is known only once the DAG is built, so the check runs in the
onstart handler (workflow/rules/startup.smk): after the DAG, before the first
job (nothing is deleted yet). Dry runs
and jobs (which run with --no-hooks) skip it.
"""

from langspec.core import cluster as _cluster

_SLURM_CLUSTER_RESOURCES = (
    "slurm_cluster",
    "cluster",
    "clusters",
)  # as the plugin reads them


def _check_slurm_cluster():
    plugin = workflow.executor_plugin
    if not workflow.is_main_process or plugin is None or plugin.name != "slurm":
        return
    wanted = set()
    for job in workflow.dag.needrun_jobs():
        if job.is_local:
            continue
        resources = job.resources
        where = next(
            (
                resources.get(key)
                for key in _SLURM_CLUSTER_RESOURCES
                if resources.get(key)
            ),
            None,
        )
        for name in _cluster.requested(resources.get("slurm_partition")):
            wanted.add((name, str(where) if where else None))
    _cluster.check_partitions(wanted)
