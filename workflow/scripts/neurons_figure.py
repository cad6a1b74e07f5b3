from pathlib import Path

from langspec.core.jobs import run
from langspec.figures.draw import draw_neurons
from langspec.registry import figure_neurons
from langspec.stats.quality import learned
from langspec.stats.source_data.neurons import from_spec
from langspec.stats.source_data.tickets import read_source_data, write_source_data


def main():
    p = snakemake.params
    entry = figure_neurons(p.name)
    # the numbers the figure draws, beside it; the figure is drawn from that file alone
    frame = from_spec(entry.resolve_source(), entry.roles, p.spec, entry.scalars, f"neurons figure {p.name}")
    write_source_data(snakemake.output.data, frame)
    draw_neurons(p.name, read_source_data(snakemake.output.data), Path(snakemake.output.pdf).with_suffix(""),
                 learned(p.quality)[1])


run(snakemake.log[0], main)
