import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.jobs import run
from langspec.neurons.masks import read_neuron_mask
from langspec.stats.neurons import layer_table
from langspec.stats.quality import used


def write_csv(path, frame):
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.8g")


def main():
    p = snakemake.params
    kept = used(pd.read_csv(snakemake.input.quality))  # replicates whose fine-tuned model learned
    layers = [layer_table(int(r), {lang: read_neuron_mask(path)["mask"] for lang, path in per.items()})
              for r, per in p.masks.items() if int(r) in kept]
    write_csv(snakemake.output.layers, pd.concat(layers, ignore_index=True))
    deactivation = [pd.read_csv(path) for r, path in p.deactivation.items() if int(r) in kept]
    write_csv(snakemake.output.deactivation, pd.concat(deactivation, ignore_index=True))


run(snakemake.log[0], main)
