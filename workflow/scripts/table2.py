import json
from pathlib import Path

from langspec.core.jobs import run
from langspec.stats.quality import keep_in, learned
from langspec.tables.heads import table2, write


def accuracies(path):
    """Language -> dev accuracy (%) of its subnetwork, from one replicate's subnetwork_accuracy JSON."""
    return {lang: 100 * m["accuracy"] for lang, m in json.loads(Path(path).read_text())["subnetwork"].items()}


def main():
    kept, _ = learned(snakemake.params.quality)  # replicates whose full fine-tune and SFT learned
    accuracy = {
        t: {regime: [accuracies(path) for path in paths] for regime, paths in per_regime.items()}
        for t, per_regime in keep_in(snakemake.params.accuracy, kept).items()
    }
    write(snakemake.output.csv.removesuffix(".csv"), table2(accuracy))


run(snakemake.log[0], main)
