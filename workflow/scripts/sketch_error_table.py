import json

import pandas as pd

from langspec.core.atomic import write_table
from langspec.core.jobs import run
from langspec.stats.replicates import spread


def main():
    rows = []
    for r, path in enumerate(snakemake.input):
        body = json.loads(open(path, encoding="utf-8").read())
        rows.append({
            "replicate": str(r), "test_examples": body["test_examples"], "k": body["k"],
            **{f"{sign} overlap": 100 * body[sign]["overlap_mean"] for sign in ("pos", "neg")},
            **{f"{sign} min overlap": 100 * body[sign]["overlap_min"] for sign in ("pos", "neg")},
            **{f"{sign} max share diff (pp)": body[sign]["max_share_difference_pp"] for sign in ("pos", "neg")},
        })
    table = pd.DataFrame(rows)
    mean = {"replicate": "mean", "test_examples": int(table["test_examples"].sum()), "k": int(table["k"].iloc[0])}
    mean |= {c: spread(table[c])[0] for c in table.columns if c not in mean}
    write_table(snakemake.output.csv.removesuffix(".csv"), pd.concat([table, pd.DataFrame([mean])], ignore_index=True))


run(snakemake.log[0], main)
