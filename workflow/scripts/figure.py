from pathlib import Path

from langspec.core.jobs import run
from langspec.figures.draw import draw
from langspec.registry import figure_000
from langspec.stats.quality import learned
from langspec.stats.source_data.heads import from_spec, read_source_data, write_source_data


def main():
    p = snakemake.params
    entry = figure_000(p.number)
    stem = Path(snakemake.output.pdf).with_suffix("")
    # the numbers the figure draws, beside it; the figure is drawn from that file alone
    data = getattr(snakemake.output, "data", None) or f"{stem}.data.csv"
    frame = from_spec(entry.resolve_source(), entry.roles, p.spec, p.quality, entry.scalars, f"fig{p.number}")
    write_source_data(data, frame)
    draw(p.number, read_source_data(data), stem, learned(p.quality)[1])


run(snakemake.log[0], main)
