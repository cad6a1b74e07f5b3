from langspec.attribution.shares import read_table
from langspec.core.atomic import atomic_path, write_json
from langspec.core.jobs import run
from langspec.stats.multiplicity import METHOD
from langspec.stats.replicates import a_a


def main():
    n = len(snakemake.input.first)
    table, rate = a_a([read_table(p) for p in snakemake.input.first], [read_table(p) for p in snakemake.input.second])
    with atomic_path(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    write_json(snakemake.output.summary, {
        "check": "A/A: full-model shares under two random masks of the same sparsity (conditions that differ only by chance)",
        "conditions": snakemake.params.conditions,
        "replicates": n,
        "cells": int(table["ci_low"].notna().sum()),
        "flagged_robust": int(table["robust"].sum()),
        "rate": rate,
        "nominal": 0.05,
        "flagged_fdr": int(table["robust_fdr"].sum()),
        "fdr_method": f"{METHOD} over the {int(table['p_value'].notna().sum())} tested cells (the figures' marks)",
    })


run(snakemake.log[0], main)
