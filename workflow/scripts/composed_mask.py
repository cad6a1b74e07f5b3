from langspec.core.jobs import run
from langspec.heads.masks import composed, read_mask, save_mask


def main():
    a, b = read_mask(snakemake.input.a), read_mask(snakemake.input.b)
    kind = snakemake.wildcards.kind
    save_mask(snakemake.output[0], composed(a["mask"], b["mask"], kind), None, kind, languages=[a["lang"], b["lang"]])


run(snakemake.log[0], main)
