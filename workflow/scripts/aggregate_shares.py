import pandas as pd

from langspec.attribution.shares import read_table
from langspec.core.atomic import atomic_path, write_json
from langspec.core.jobs import run
from langspec.stats.quality import keep, summary, used
from langspec.stats.replicates import aggregate_epochs, aggregate_shares, method_note


def main():
    quality = pd.read_csv(snakemake.input.quality)
    paths = keep(snakemake.input.tables, used(quality))
    tables = [read_table(path) for path in paths]
    table = (aggregate_shares if snakemake.params.kind == "comparison" else aggregate_epochs)(tables)
    table["replicates"] = " ".join(str(r) for r in used(quality))
    with atomic_path(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    write_json(snakemake.output.method, {**method_note(len(tables)), **summary(quality), "replicate_tables": paths})


run(snakemake.log[0], main)
