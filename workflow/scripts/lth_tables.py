import itertools
import json
import re
from pathlib import Path

import pandas as pd

from langspec.atomic import atomic_path
from langspec.jaccard import jaccard, layer_jaccard, pairwise_jaccard
from langspec.jobs import run
from langspec.weightfile import read_trajectory, read_weight_mask


def write_csv(path, frame):
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")


def tickets(trajectories, rate):
    """Dev metric of each IMP-trained model by the sparsity it was trained at (0 = the full model)."""
    rows = []
    for rep, per_source in trajectories.items():
        for source, path in per_source.items():
            for entry in read_trajectory(Path(path).parent):
                rows.append({"rep": int(rep), "lang": source, "sparsity": round(round(entry["trained_sparsity"] / rate) * rate, 6),
                             "metric": entry["metric"], "best_metric": entry["best_metric"]})
    return pd.DataFrame(rows).sort_values(["lang", "rep", "sparsity"], kind="stable")


def transfer(paths, tickets):
    """Each transfer job's metrics; the dense model on each language (source ``full``) is IMP's first round."""
    dense = tickets[(tickets["sparsity"] == 0) & (tickets["lang"] != "multi")]
    rows = [{"rep": row.rep, "sparsity": 0.0, "source": "full", "target": row.lang, "metric": row.metric,
             "best_metric": row.best_metric} for row in dense.itertuples()]
    for path in paths:
        body = json.loads(open(path, encoding="utf-8").read())
        rep = int(re.search(r"/rep(\d+)/", path).group(1))
        for target, scored in body["targets"].items():
            rows.append({"rep": rep, "sparsity": round(body["sparsity"], 6), "source": body["source"], "target": target,
                         "metric": scored["metric"], "best_metric": scored["best_metric"]})
    return pd.DataFrame(rows)


def overlap(masks, sparsity):
    """Per-layer Jaccard of language pairs within a replicate, and of one language across replicates (the upper bound)."""
    loaded = [{lang: read_weight_mask(path, device=None)["mask"] for lang, path in per_rep.items()} for per_rep in masks]  # numpy: no torch
    frames = []
    for rep, per_rep in enumerate(loaded):
        frame = pairwise_jaccard(per_rep)
        frames.append(frame.assign(rep=str(rep), kind="pair"))
    for (i, a), (j, b) in itertools.combinations(enumerate(loaded), 2):
        for lang in a:
            rows = [{"a": lang, "b": lang, "layer": layer, "jaccard": value} for layer, value in layer_jaccard(a[lang], b[lang]).items()]
            rows.append({"a": lang, "b": lang, "layer": "all", "jaccard": jaccard(a[lang], b[lang])})
            frames.append(pd.DataFrame(rows).assign(rep=f"{i}-{j}", kind="same-language"))
    return pd.concat(frames, ignore_index=True).assign(sparsity=sparsity)[["rep", "kind", "a", "b", "layer", "jaccard", "sparsity"]]


def main():
    p = snakemake.params
    curves = tickets(p.trajectories, p.rate)
    write_csv(snakemake.output.tickets, curves)
    write_csv(snakemake.output.transfer, transfer(p.transfer, curves))
    write_csv(snakemake.output.overlap, overlap(p.masks, p.sparsity))


run(snakemake.log[0], main)
