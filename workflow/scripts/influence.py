from pathlib import Path

from langspec.checkpoints import learning_rates
from langspec.influence import tracin, write_influence
from langspec.jobs import run


def main():
    p = snakemake.params.influence
    epochs = range(1, snakemake.params.epochs + 1)
    files = {
        split: {Path(d).name: [Path(d) / f"epoch{e}" / f"{split}.h5" for e in epochs] for d in snakemake.input.sketches}
        for split in ("train", "test")
    }
    weights = learning_rates(snakemake.input.model, len(epochs)) if p["lr_weighting"] else None
    result = tracin(files["test"], files["train"], p["assignment"], p["k"], p["similarity"], weights, p["block_size"], p["per_checkpoint"])
    result.attrs.update(regime=snakemake.wildcards.regime, condition=snakemake.wildcards.condition)
    write_influence(snakemake.output[0], result)


run(snakemake.log[0], main, snakemake.threads)
