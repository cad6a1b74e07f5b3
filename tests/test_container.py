"""The container recipes hold exactly the pinned environment, and compute.container puts every job in the image.

No container runtime with a reachable registry exists on the machines the tests
run on, so the image is not built here: what is checked is that the committed
Dockerfile and Apptainer definition are what `workflow/envs/container.py`
writes from `langspec.yaml` today, that they install every pin, and that
Snakemake runs jobs in the configured image.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
import yaml

from .workspace import REPO, copy_repo, snakemake

GENERATOR = REPO / "workflow" / "envs" / "container.py"


def _generator(root=REPO):
    spec = importlib.util.spec_from_file_location("container_recipe", root / "workflow" / "envs" / "container.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_recipes_are_what_the_generator_writes():
    done = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("recipe", ["Dockerfile", "langspec.def"])
def test_each_recipe_installs_every_pin_python_and_the_default_catalogs(recipe):
    text = (REPO / "workflow" / "envs" / recipe).read_text()
    env = yaml.safe_load((REPO / "workflow" / "envs" / "langspec.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert all(f" {line}" in text for line in pip)
    assert "python:3.11-slim" in text and "--no-deps /opt/langspec" in text
    assert all(package in text for package in ("postgresql", "git", "libgtk2.0-common"))


def test_a_changed_pin_makes_the_recipes_stale(tmp_path):
    root = copy_repo(tmp_path / "repo")
    env = root / "workflow" / "envs" / "langspec.yaml"
    env.write_text(env.read_text().replace("h5py==", "h5py==0.0.1+"))
    done = subprocess.run([sys.executable, str(root / "workflow" / "envs" / "container.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "workflow/envs/Dockerfile is out of step with workflow/envs/langspec.yaml" in done.stdout
    assert "h5py==0.0.1+" in _generator(root).dockerfile()


def test_compute_container_runs_jobs_in_the_image(tmp_path):
    """With an image configured, `--sdm apptainer` needs apptainer before the first job; without one, jobs run here."""
    workdir = copy_repo(tmp_path / "repo")
    target = "results/data/gettext-topic/rep0/manifest.json"
    done = snakemake(workdir, "--cores", "1", target, "--sdm", "apptainer",
                     "--config", "compute={container: /nonexistent/langspec.sif}", timeout=300)
    assert done.returncode != 0
    assert "apptainer or singularity command has to be available" in done.stdout + done.stderr
    assert not (workdir / target).exists()
    done = snakemake(workdir, "--cores", "1", "-n", target, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
