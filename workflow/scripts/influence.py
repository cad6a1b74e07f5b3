from pathlib import Path

from langspec.attribution.influence import write_influence
from langspec.attribution.tracin import tracin
from langspec.core.jobs import run
from langspec.models.checkpoints import learning_rates


def main():
    p = snakemake.params.influence
    epochs = range(1, snakemake.params.epochs + 1)
    shards = snakemake.params.shards
    train_names = ["train.h5"] if shards == 1 else [f"train.shard{s}.h5" for s in range(shards)]
    mask_dirs = sorted({Path(path) if shards == 1 else Path(path).parent.parent for path in snakemake.input.sketches})
    masks = [d.name for d in mask_dirs]
    base = mask_dirs[0].parent
    test = {mask: [base / mask / f"epoch{e}" / "test.h5" for e in epochs] for mask in masks}
    train = {mask: [[base / mask / f"epoch{e}" / name for name in train_names] for e in epochs] for mask in masks}
    weights = learning_rates(snakemake.input.model, len(epochs)) if p["lr_weighting"] else None
    result = tracin(test, train, p["assignment"], p["k"], p["similarity"], weights, p["block_size"], p["per_checkpoint"])
    result.attrs.update(regime=snakemake.wildcards.regime, condition=snakemake.wildcards.condition)
    write_influence(snakemake.output[0], result)


run(snakemake.log[0], main, snakemake.threads)
