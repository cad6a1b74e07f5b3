import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.jobs import run
from langspec.tickets.analysis import cross_task


def main():
    rows = cross_task(snakemake.params.jobs, pd.read_csv(snakemake.input.transfer))
    with atomic_path(snakemake.output[0]) as tmp:
        rows.to_csv(tmp, index=False, float_format="%.6g")


run(snakemake.log[0], main)
