import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.jobs import run


def main():
    with atomic_path(snakemake.output[0]) as tmp:
        pd.concat([pd.read_csv(path) for path in snakemake.input], ignore_index=True).to_csv(tmp, index=False, float_format="%.6g")


run(snakemake.log[0], main)
