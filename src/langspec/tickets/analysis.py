"""Paper 003's per-replicate results as tidy tables: tickets by sparsity, transfer, and ticket overlap.

Read from the files IMP and transfer write (trajectories, transfer JSONs,
weight-mask files); one row per replicate and cell, every replicate's rows in
one frame. :mod:`langspec.stats.tickets` summarises them over replicates.
Needs no torch (the masks are read as numpy arrays).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from langspec.tickets.maskfile import read_trajectory, read_weight_mask
from langspec.tickets.overlap import jaccard, layer_jaccard, pairwise_jaccard


def tickets(trajectories: Mapping[int, Mapping[str, str]], rate: float) -> pd.DataFrame:
    """Dev metric of each IMP-trained model by the sparsity it was trained at (0 = the full model).

    ``trajectories``: replicate -> source (language or ``multi``) -> its trajectory.json.
    Columns ``rep``, ``lang``, ``sparsity`` (fraction), ``metric``, ``best_metric`` (dev accuracy, fractions).
    """
    rows = []
    for rep, per_source in trajectories.items():
        for source, path in per_source.items():
            for entry in read_trajectory(Path(path).parent):
                rows.append({"rep": int(rep), "lang": source, "sparsity": round(round(entry["trained_sparsity"] / rate) * rate, 6),
                             "metric": entry["metric"], "best_metric": entry["best_metric"]})
    return pd.DataFrame(rows).sort_values(["lang", "rep", "sparsity"], kind="stable")


def transfer(paths: Sequence[str], tickets: pd.DataFrame) -> pd.DataFrame:
    """Each transfer job's metrics; the dense model on each language (source ``full``) is IMP's first round.

    ``paths``: the transfer jobs' JSON files (``.../rep{r}/transfer/round{k}/{source}.json``); ``tickets``:
    :func:`tickets`. Columns ``rep``, ``sparsity``, ``source``, ``target``, ``metric``, ``best_metric``.
    """
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


def overlap(masks: Sequence[Mapping[str, str]], sparsity: float) -> pd.DataFrame:
    """Per-layer Jaccard of language pairs within a replicate, and of one language across replicates (the upper bound).

    ``masks``: per replicate, language -> its ticket file. Columns ``rep`` (a replicate, or ``i-j`` for
    a pair of replicates), ``kind`` (``pair`` / ``same-language``), ``a``, ``b``, ``layer``, ``jaccard``, ``sparsity``.
    """
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
