from langspec.core.jobs import run
from langspec.registry import table_003
from langspec.stats.source_data.tickets import from_spec, read_source_data, write_source_data
from langspec.tables.tickets import write_table


def main():
    p = snakemake.params
    entry = table_003(p.name)
    # the numbers of every cell with their replicates' values, beside the table, which is laid out from them alone
    frame = from_spec(entry.resolve_source(), entry.roles, p.spec, entry.scalars, f"table '{p.name}'")
    write_source_data(snakemake.output.data, frame)
    write_table(p.name, read_source_data(snakemake.output.data), snakemake.output.csv.removesuffix(".csv"))


run(snakemake.log[0], main)
