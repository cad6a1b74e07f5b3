from langspec.core.atomic import atomic_path
from langspec.core.jobs import run
from langspec.tickets.analysis import overlap, tickets, transfer


def write_csv(path, frame):
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")


def main():
    p = snakemake.params
    curves = tickets(p.trajectories, p.rate)
    write_csv(snakemake.output.tickets, curves)
    write_csv(snakemake.output.transfer, transfer(p.transfer, curves))
    write_csv(snakemake.output.overlap, overlap(p.masks, p.sparsity))


run(snakemake.log[0], main)
