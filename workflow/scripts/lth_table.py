from langspec.core.jobs import run
from langspec.tables.tickets import write_table

run(snakemake.log[0], lambda: write_table(snakemake.params.name, snakemake.params.spec, snakemake.output.csv.removesuffix(".csv")))
