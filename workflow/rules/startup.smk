"""Checks of the config before any job runs (and deletes old outputs), and the release of a killed run's locks."""

import json
import os
import socket
import sys
from pathlib import Path
from types import SimpleNamespace

from langspec import preflight
from langspec.data.tasks import HUB_IDS


def _manifest(name, rep):
    path = Path(f"{rep_dir('data', name, rep)}/manifest.json")
    try:
        return json.loads(path.read_text()) if path.exists() else None
    except (OSError, json.JSONDecodeError):
        return None


def _preflight():
    """Everything the config alone decides, checked in the main process only (jobs re-read the Snakefile).

    Returns the hub models and datasets it could not check
    (no network, or HF_HUB_OFFLINE without the cache): a dry run plans without
    them, a real run stops with the first before any job (`onstart`).
    """
    preflight.check_sketch_dim(config["sketch"]["dim"])
    unchecked = [
        preflight.check_model_name(name)
        for name in sorted({task_model(t)["name"] for t in config["tasks"]})
    ]
    unchecked += [
        preflight.check_dataset(
            spec["hub_id"] or HUB_IDS[spec["source"]], f"tasks.{name}.hub_id"
        )
        for name, spec in config["tasks"].items()
        if spec["source"] in HUB_IDS
    ]
    unchecked = list(dict.fromkeys(item for item in unchecked if item))
    if unchecked:
        print(f"langspec: note: {preflight.unchecked_note(unchecked)}", file=sys.stderr)
    if config["examples"]["k"] > config["influence"]["k"]:
        raise LangspecError(
            f"config key 'examples.k' is {config['examples']['k']}, more than influence.k = {config['influence']['k']}"
        )
    chosen_claims(config["findings"]["claims"])
    for name, spec in config["tasks"].items():
        related_pairs(languages(name), spec["related_languages"])
        wanted = data_params(SimpleNamespace(task=name, rep=0))["spec"]
        options = {key: value for key, value in wanted.items() if key != "size"}
        for r in reps(name):
            manifest = _manifest(name, r)
            where = f"{rep_dir('data', name, r)}/manifest.json"
            preflight.check_sizes(
                name,
                spec["size"],
                options,
                languages(name),
                seed(spec["seed"], SimpleNamespace(task=name, rep=r)),
                manifest,
                where,
            )
            n_train = preflight.training_examples(
                spec["size"], languages(name), manifest
            )
            if task_kind(name) == "classification":  # only paper 000's stages sketch
                preflight.check_k(name, config["influence"]["k"], n_train)
                preflight.check_shards(
                    name, SHARDS, n_train, config["sketch"]["batch_size"]
                )
    return unchecked


def _release_stale_locks():
    """Delete Snakemake's lock files when the process that wrote them is gone (killed), so a plain rerun resumes.

    Every main Snakemake process leaves an owner record (host and pid) beside the
    locks; locks without a live owner on this host are stale. A live owner, or
    one on another host, keeps its locks, so a second run on the same outputs is
    still refused.
    """
    locks = Path(".snakemake/locks")
    owners = Path(".snakemake/langspec-owners")
    host = socket.gethostname()

    def alive(record):
        name, _, pid = record.name.rpartition(".")
        if name != host or not pid.isdigit() or int(pid) == os.getpid():
            return name != host
        try:
            return "snakemake" in Path(
                os.sep, "proc", pid, "cmdline"
            ).read_bytes().decode(errors="replace")
        except OSError:
            return False

    records = list(owners.glob("*")) if owners.is_dir() else []
    lockfiles = list(locks.glob("*.lock")) if locks.is_dir() else []
    if lockfiles and not any(alive(record) for record in records):
        for lock in lockfiles:
            lock.unlink(missing_ok=True)
        print(
            "langspec: released the lock of a Snakemake run that no longer exists (it was killed)",
            file=sys.stderr,
        )
    for record in records:
        if not alive(record):
            record.unlink(missing_ok=True)
    owners.mkdir(parents=True, exist_ok=True)
    (owners / f"{host}.{os.getpid()}").touch()


UNCHECKED = []  # hub models and datasets the main process could not check
if workflow.is_main_process:
    UNCHECKED = _preflight()
    if not workflow.dryrun:
        _release_stale_locks()


onstart:
    # a real run (not a dry run, not a job): after the DAG, before the first job
    if UNCHECKED:
        raise LangspecError(UNCHECKED[0].error)
    _check_slurm_cluster()  # workflow/rules/cluster.smk
