#!/usr/bin/env bash
# Run by Snakemake inside the new environment, from the workflow's directory:
# install the langspec library of this checkout (its dependencies are already there).
set -euo pipefail
pip install --no-deps --no-build-isolation -e .
