import numpy as np
import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.jobs import run
from langspec.heads.masks import read_mask
from langspec.models.checkpoints import load_model
from langspec.tickets.heads import head_fractions
from langspec.tickets.maskfile import read_weight_mask
from langspec.tickets.masks import prunable_shapes


def main():
    p = snakemake.params
    rows = []
    for rep, (init, tickets, heads) in enumerate(zip(p.init, p.tickets, p.heads)):
        model, _ = load_model(init)
        for lang, path in tickets.items():
            fractions = head_fractions(read_weight_mask(path, prunable_shapes(model))["mask"], model)  # [layers, heads]
            enabled = read_mask(heads[lang], fractions.shape)["mask"]
            for layer, head in np.ndindex(fractions.shape):
                rows.append({"rep": rep, "lang": lang, "layer": layer, "head": head,
                             "kept_fraction": float(fractions[layer, head]), "head_enabled": int(enabled[layer, head])})
    with atomic_path(snakemake.output[0]) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.6g")


run(snakemake.log[0], main)
