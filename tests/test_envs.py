"""Snakemake conventions: one pinned environment in step with pyproject.toml, lint-clean and snakefmt-clean rules.

Conda channels cannot be reached from the machines the tests run on, so the
environment is not built here: what is checked is that the file parses, pins
every dependency of pyproject.toml at a version the project allows, and pins
exactly the versions the test suite itself runs with.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from .workspace import REPO

ENV = REPO / "workflow" / "envs" / "langspec.yaml"


def _pins() -> dict[str, str]:
    spec = yaml.safe_load(ENV.read_text())
    pip = next(item["pip"] for item in spec["dependencies"] if isinstance(item, dict) and "pip" in item)
    return {Requirement(line).name.lower(): str(Requirement(line).specifier).removeprefix("==") for line in pip}


def test_the_environment_pins_every_dependency_at_an_allowed_version():
    pins = _pins()
    for line in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]:
        requirement = Requirement(line)
        name = requirement.name.lower()
        assert name in pins, f"{name} is a dependency in pyproject.toml but not pinned in {ENV.name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} is not allowed by {line!r}"


def test_the_environment_pins_the_versions_the_tests_run_with():
    for name, pinned in _pins().items():
        installed = version(name).split("+")[0]  # torch 2.13.0+cpu here is torch 2.13.0
        assert installed == pinned, f"{name}: {ENV.name} pins {pinned}, the tests run with {installed}"


def test_every_rule_names_the_environment_and_lint_is_clean():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True, timeout=300)
    findings = re.findall(r"^\s+\* (.*)$", result.stdout + result.stderr, re.M)
    assert not findings, f"snakemake --lint: {findings}"
    assert (REPO / "workflow" / "envs" / "langspec.post-deploy.sh").stat().st_mode & 0o111, "the post-deploy script must be executable"


def test_snakefiles_are_formatted():
    files = [REPO / "workflow" / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
    result = subprocess.run([str(Path(sys.executable).parent / "snakefmt"), "--check", *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", [".snakemake-workflow-catalog.yml", "config/README.md"])
def test_catalog_files_exist(path):
    assert (REPO / path).read_text().strip()
