from pathlib import Path

from langspec.core.jobs import run
from langspec.figures.draw import draw_lth

run(snakemake.log[0], lambda: draw_lth(snakemake.params.name, snakemake.params.spec, Path(snakemake.output.pdf).with_suffix(""),
                                       snakemake.params.quality))
