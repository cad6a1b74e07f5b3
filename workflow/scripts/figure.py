from pathlib import Path

from langspec.core.jobs import run
from langspec.figures.draw import draw

run(snakemake.log[0], lambda: draw(snakemake.params.number, snakemake.params.spec, Path(snakemake.output.pdf).with_suffix(""),
                                   snakemake.params.quality))
