"""The Snakemake workflow catalog's rules, as its documentation states them, hold for this repository.

The catalog lists a repository when it has a README naming "snakemake" and
"workflow", a `workflow/Snakefile` (or root `Snakefile`) and, where a rules
folder exists, `.smk` files in it. Its "standardized usage" area further asks
for `workflow/Snakefile` as the main workflow definition, `config/README.md`,
and a `.snakemake-workflow-catalog.yml` whose `usage` holds `mandatory-flags`
(`desc`, and `flags` as a string or a list of strings),
`software-stack-deployment` (`conda`, `apptainer`, `apptainer+conda`: booleans;
the older `singularity` keys are gone) and `report`. Snakemake's deployment
docs put environments, schemas and profiles under `workflow/`.
"""

from __future__ import annotations

import re

import yaml

from .workspace import REPO

DEPLOYMENT = {"conda", "apptainer", "apptainer+conda"}


def test_the_catalog_finds_the_workflow():
    readme = (REPO / "README.md").read_text().lower()
    assert "snakemake" in readme and "workflow" in readme
    assert (REPO / "workflow" / "Snakefile").is_file()
    assert not (REPO / "Snakefile").exists(), "workflow/Snakefile is the only Snakefile"
    assert list((REPO / "workflow" / "rules").glob("*.smk"))


def test_standardized_usage():
    assert (REPO / "config" / "README.md").is_file()
    settings = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    usage = settings["usage"]
    assert set(usage) <= {"mandatory-flags", "software-stack-deployment", "report"}
    flags = usage["mandatory-flags"]
    assert isinstance(flags["desc"], str) and flags["desc"].strip()
    assert isinstance(flags["flags"], str) or all(isinstance(f, str) for f in flags["flags"])
    deployment = usage["software-stack-deployment"]
    assert set(deployment) <= DEPLOYMENT, f"unknown keys {set(deployment) - DEPLOYMENT} (singularity is now apptainer)"
    assert all(isinstance(v, bool) for v in deployment.values()) and any(deployment.values())
    assert isinstance(usage["report"], bool)


def test_deployment_folders_where_snakemake_expects_them():
    for folder in ("envs", "schemas", "profiles", "report", "scripts", "rules"):
        assert (REPO / "workflow" / folder).is_dir(), folder
    assert (REPO / "workflow" / "profiles" / "default" / "config.yaml").is_file()
    envs = [(rules, env) for rules in (REPO / "workflow" / "rules").glob("*.smk")
            for env in re.findall(r'conda:\s*\n\s*"([^"]+)"', rules.read_text())]
    assert envs, "every rule names its conda environment"
    for rules, env in envs:
        assert (rules.parent / env).resolve().is_file(), f"{rules.name}: {env}"
