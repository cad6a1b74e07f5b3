from pathlib import Path

from langspec.figures.draw import draw_lth
from langspec.jobs import run

run(snakemake.log[0], lambda: draw_lth(snakemake.params.name, snakemake.params.spec, Path(snakemake.output.pdf).with_suffix("")))
