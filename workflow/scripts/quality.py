from langspec.core.atomic import atomic_path
from langspec.core.jobs import run
from langspec.stats.quality import quality_table, require


def main():
    table = quality_table(snakemake.params.records)
    with atomic_path(snakemake.output[0]) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    require(table, snakemake.wildcards.task)


run(snakemake.log[0], main)
