from langspec.core.atomic import write_json, write_parquet
from langspec.core.jobs import run
from langspec.data.tasks import build


def main():
    params = snakemake.params.data
    splits, manifest = build(snakemake.wildcards.task, params["spec"], params["languages"], params["seed"])
    for split, path in zip(("train", "dev", "test"), snakemake.output.splits):
        write_parquet(path, splits[split])
    write_json(snakemake.output.manifest, manifest)


run(snakemake.log[0], main)
