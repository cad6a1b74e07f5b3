import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.jobs import run
from langspec.stats.quality import keep, used
from langspec.tickets.analysis import overlap, tickets, transfer


def write_csv(path, frame):
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")


def main():
    p = snakemake.params
    kept = used(pd.read_csv(snakemake.input.quality))  # replicates whose tickets learned (langspec.stats.quality)
    curves = tickets({r: per for r, per in p.trajectories.items() if int(r) in kept}, p.rate)
    write_csv(snakemake.output.tickets, curves)
    write_csv(snakemake.output.transfer, transfer(keep(p.transfer, kept), curves))
    write_csv(snakemake.output.overlap, overlap({r: per for r, per in enumerate(p.masks) if r in kept}, p.sparsity))


run(snakemake.log[0], main)
