import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.errors import LangspecError
from langspec.core.jobs import run
from langspec.stats.quality import read_record, used


def main():
    p = snakemake.params
    tables = {int(r): folder for r, folder in p.tables.items()}
    tickets = {int(r): paths for r, paths in p.tickets.items()}
    # a replicate counts when its fine-tuned model and every compared language's ticket learned
    kept = [r for r in used(pd.read_csv(snakemake.input.quality))
            if r in tables and all(read_record(path)["learned"] for path in tickets[r])]
    if not kept:
        raise LangspecError(f"no replicate of task '{snakemake.wildcards.task}' has a fine-tuned model and tickets "
                            "that all learned: the comparison of kinds has nothing to count")
    for part in ("profile", "overlap", "removal"):
        frame = pd.concat([pd.read_csv(f"{tables[r]}/{part}.csv") for r in kept], ignore_index=True)
        with atomic_path(snakemake.output[part]) as tmp:
            frame.to_csv(tmp, index=False, float_format="%.8g")


run(snakemake.log[0], main)
