from langspec.attribution.influence import read_influence
from langspec.attribution.shares import compare, require_test_examples
from langspec.core.atomic import atomic_path
from langspec.core.jobs import run


def main():
    table = compare(read_influence(snakemake.input.condition), read_influence(snakemake.input.baseline), snakemake.params.languages)
    table = require_test_examples(table, snakemake.params.min_test, snakemake.output[0])
    with atomic_path(snakemake.output[0]) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")


run(snakemake.log[0], main)
