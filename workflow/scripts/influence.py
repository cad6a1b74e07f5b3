from langspec.checkpoints import learning_rates
from langspec.influence import tracin, write_influence
from langspec.jobs import run


def main():
    p = snakemake.params.influence
    test = {key[len("test_"):]: list(snakemake.input[key]) for key in snakemake.input.keys() if key.startswith("test_")}
    train = {key[len("train_"):]: list(snakemake.input[key]) for key in snakemake.input.keys() if key.startswith("train_")}
    epochs = len(next(iter(test.values())))
    weights = learning_rates(snakemake.input.model, epochs) if p["lr_weighting"] else None
    result = tracin(test, train, p["assignment"], p["k"], p["similarity"], weights, p["block_size"], p["per_checkpoint"])
    result.attrs.update(regime=snakemake.wildcards.regime, condition=snakemake.wildcards.condition)
    write_influence(snakemake.output[0], result)


run(snakemake.log[0], main, snakemake.threads)
