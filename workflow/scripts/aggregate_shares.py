from langspec.attribution.shares import read_table
from langspec.core.atomic import atomic_path, write_json
from langspec.core.jobs import run
from langspec.stats.replicates import aggregate_epochs, aggregate_shares, method_note


def main():
    tables = [read_table(path) for path in snakemake.input]
    table = (aggregate_shares if snakemake.params.kind == "comparison" else aggregate_epochs)(tables)
    with atomic_path(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    write_json(snakemake.output.method, {**method_note(len(tables)), "replicate_tables": list(snakemake.input)})


run(snakemake.log[0], main)
