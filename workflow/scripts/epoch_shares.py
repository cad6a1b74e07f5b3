from langspec.attribution.influence import read_influence
from langspec.attribution.shares import epoch_shares, require_test_examples
from langspec.core.atomic import atomic_path
from langspec.core.jobs import run


def main():
    table = epoch_shares(read_influence(snakemake.input[0]), snakemake.params.languages)
    table = require_test_examples(table, snakemake.params.min_test, snakemake.output[0])
    with atomic_path(snakemake.output[0]) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")


run(snakemake.log[0], main)
