from pathlib import Path

from langspec.figures.draw import draw
from langspec.jobs import run

run(snakemake.log[0], lambda: draw(snakemake.params.number, snakemake.params.spec, Path(snakemake.output.pdf).with_suffix("")))
