import numpy as np

from langspec.core.jobs import run
from langspec.neurons.lape import probabilities, select
from langspec.neurons.masks import random_control, save_neuron_mask


def main():
    p = snakemake.params.lape
    with np.load(snakemake.input[0]) as saved:
        languages, counts, tokens = saved["languages"].tolist(), saved["counts"], saved["tokens"]
    chosen = select(probabilities(counts, tokens, languages, p["min_tokens"]), languages, p["top_rate"],
                    p["filter_rate"], p["activation_bar_ratio"])
    settings = {key: p[key] for key in ("top_rate", "filter_rate", "activation_bar_ratio", "min_tokens")}
    seeds = p["seeds"]  # the replicate's random-control seeds; output.randoms is language-major: lang, then seed
    for i, (lang, n) in enumerate(zip(languages, tokens.tolist())):
        mask = chosen.masks[lang]
        save_neuron_mask(snakemake.output.masks[i], mask, lang, "lape", tokens=n, filter_value=chosen.filter_value,
                         activation_bar=chosen.activation_bar, **settings)
        for seed, path in zip(seeds, snakemake.output.randoms[i * len(seeds):(i + 1) * len(seeds)]):
            save_neuron_mask(path, random_control(mask, seed), lang, "random", seed=seed)


run(snakemake.log[0], main)
