from langspec.browser import write_examples
from langspec.core.jobs import run


def main():
    p = snakemake.params.examples
    write_examples(
        snakemake.input.influence, snakemake.input.train, snakemake.input.test, snakemake.input.manifest,
        snakemake.output.csv, snakemake.output.html, per_language=p["per_language"], k=p["k"], seed=p["seed"],
    )


run(snakemake.log[0], main)
