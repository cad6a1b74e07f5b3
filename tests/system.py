"""The Debian packages some tests need (Chromium, the SLURM daemons), installed with apt-get when missing.

Installing them changes the machine's gettext catalogs (Chromium pulls in GTK 3 and
its ``gtk30`` catalogs, which the embedded default's desktop area reads), and so the
embedded default's data. Runs of the workflow that a test compares byte for byte
must therefore all see the same catalogs: :func:`install_before_the_workflow_runs`
installs everything before the first run starts, not halfway through the session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
#: apt waits for another install's locks rather than failing (pytest-xdist workers install side by side)
_WAIT = ["-o", "DPkg::Lock::Timeout=900"]


def can_install() -> str | None:
    """Why apt-get cannot install here (no apt-get, not root), or None."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    if os.geteuid() != 0:
        return "installing with apt-get needs root"
    return None


def install_chromium(log: Path) -> str:
    """The ``chromium`` command, installed with apt-get if missing; RuntimeError with the log's tail on failure."""
    found = shutil.which("chromium")
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", *_WAIT, "install", "-y", "-q", "--no-install-recommends", "chromium"]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        if subprocess.run(install, stdout=out, stderr=subprocess.STDOUT, env=env).returncode != 0:
            subprocess.run(["apt-get", *_WAIT, "update", "-q"], stdout=out, stderr=subprocess.STDOUT, env=env)
            if subprocess.run(install, stdout=out, stderr=subprocess.STDOUT, env=env).returncode != 0:
                raise RuntimeError(f"apt-get install chromium failed:\n{log.read_text()[-3000:]}")
    found = shutil.which("chromium")
    if not found:
        raise RuntimeError("apt-get installed chromium but there is no chromium command")
    return found


def install_slurm() -> None:
    """munged, slurmctld, slurmd and the SLURM clients, installed by ``cluster.sh install`` if missing."""
    done = subprocess.run(["bash", str(CLUSTER), "install"], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"tests/slurm/cluster.sh install failed:\n{done.stderr[-3000:]}")


def install_before_the_workflow_runs(log: Path) -> None:
    """Install every package a test may install, so that no install lands between two workflow runs."""
    if can_install() is None:
        install_chromium(log)
        install_slurm()
