from pathlib import Path

from langspec.core.jobs import run
from langspec.models.gemma3 import convert

run(snakemake.log[0], lambda: convert(Path(snakemake.output[0])))
