from langspec.core.atomic import atomic_path
from langspec.core.jobs import run
from langspec.tickets.analysis import alternatives


def main():
    with atomic_path(snakemake.output[0]) as tmp:
        alternatives(snakemake.params.masks, snakemake.params.tickets).to_csv(tmp, index=False, float_format="%.6g")


run(snakemake.log[0], main)
