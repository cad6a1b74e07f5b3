from pathlib import Path

from langspec.core.jobs import run
from langspec.figures.draw import draw
from langspec.registry import by_id, figure_000
from langspec.stats.quality import learned
from langspec.stats.source_data.heads import from_spec, read_source_data, write_source_data


def main():
    p = snakemake.params
    # paper 000's figure p.number, or a figure drawn alike from shares (p.figure, e.g. neurons/tracin)
    entry = by_id(p.figure) if "figure" in p.keys() else figure_000(p.number)
    stem = Path(snakemake.output.pdf).with_suffix("")
    # the numbers the figure draws, beside it; the figure is drawn from that file alone
    data = getattr(snakemake.output, "data", None) or f"{stem}.data.csv"
    frame = from_spec(entry.resolve_source(), entry.roles, p.spec, p.quality, entry.scalars, f"fig{p.number}")
    write_source_data(data, frame)
    draw(entry, read_source_data(data), stem, learned(p.quality)[1])


run(snakemake.log[0], main)
