from langspec.core.jobs import run
from langspec.heads.masks import read_mask
from langspec.stats.quality import keep_in, learned
from langspec.tables.heads import table1, write


def main():
    kept, _ = learned(snakemake.params.quality)  # replicates whose full fine-tune learned
    masks = {
        t: [{lang: read_mask(path)["mask"] for lang, path in replicate.items()} for replicate in replicates]
        for t, replicates in keep_in(snakemake.params.masks, kept).items()
    }
    write(snakemake.output.csv.removesuffix(".csv"), table1(masks))


run(snakemake.log[0], main)
