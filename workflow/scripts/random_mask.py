from langspec.core.jobs import run
from langspec.heads.masks import read_mask, save_mask, shuffled


def main():
    source = read_mask(snakemake.input[0])
    seed = snakemake.params.seed
    save_mask(snakemake.output[0], shuffled(source["mask"], seed), source["lang"], "random", seed=seed,
              name_seed=int(snakemake.wildcards.seed), source=snakemake.input[0])


run(snakemake.log[0], main)
