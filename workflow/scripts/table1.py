from langspec.atomic import write_table
from langspec.jobs import run
from langspec.masks import read_mask
from langspec.tables import table1


def main():
    masks = {t: {lang: read_mask(path)["mask"].numpy() for lang, path in paths.items()} for t, paths in snakemake.params.masks.items()}
    write_table(snakemake.output.csv.removesuffix(".csv"), table1(masks))


run(snakemake.log[0], main)
