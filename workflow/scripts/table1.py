from langspec.core.jobs import run
from langspec.heads.masks import read_mask
from langspec.tables.heads import table1, write


def main():
    masks = {
        t: [{lang: read_mask(path)["mask"] for lang, path in replicate.items()} for replicate in replicates]
        for t, replicates in snakemake.params.masks.items()
    }
    write(snakemake.output.csv.removesuffix(".csv"), table1(masks))


run(snakemake.log[0], main)
