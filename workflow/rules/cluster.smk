"""What runs where on a cluster: the rules that stay local, and checks of what the SLURM cluster offers.

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


# Jobs of a few seconds (tables, shares, aggregation, findings, the browser) run in
# the main Snakemake process, not as cluster jobs: their work is smaller than a
# cluster job's start-up. The figure and table rules of both papers say so
# themselves (`localrule: True` in workflow/rules/figures.smk and lth.smk).
localrules:
    random_mask,
    composed_mask,
    shares,
    aggregate_shares,
    epoch_shares,
    aggregate_epoch_shares,
    calibration,
    sketch_error_table,
    examples,
    table1,
    table2,
    lth_collect,
    lth_gather_retrieval,
    lth_gather_similarity,
    lth_alternatives_collect,
    lth_figure_tracin,
    findings_paper000,
    findings_paper003,
