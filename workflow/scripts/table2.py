import json
from pathlib import Path

from langspec.atomic import write_table
from langspec.jobs import run
from langspec.tables import table2


def main():
    accuracy = {
        t: {regime: {lang: 100 * m["accuracy"] for lang, m in json.loads(Path(path).read_text())["subnetwork"].items()} for regime, path in per_regime.items()}
        for t, per_regime in snakemake.params.accuracy.items()
    }
    write_table(snakemake.output.csv.removesuffix(".csv"), table2(accuracy))


run(snakemake.log[0], main)
