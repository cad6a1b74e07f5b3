"""The cost of a target before it runs: its jobs, their work and its time on this machine and on one GPU.

``python -m langspec plan TARGET [--configfile F ...] [--cores N]``
(:mod:`langspec.plan.estimate`). :mod:`langspec.plan.work` counts each job's
examples of each kind of work from the config (the model
workflow/rules/resources.smk sizes SLURM jobs with); :mod:`~langspec.plan.costs`
says what an example costs (``compute.cost``, a cached calibration of this CPU
kind, the recorded GPU costs); :mod:`~langspec.plan.calibrate` measures them;
:mod:`~langspec.plan.dryrun` reads Snakemake's dry run; :mod:`~langspec.plan.schedule`
turns job-seconds into wall time.

May import every layer below it; its ``work`` and ``costs`` modules import no
torch (the workflow reads them while it builds the DAG).
"""
