"""Paper 003's per-replicate results as tidy tables: tickets by sparsity, transfer, ticket overlap, appendix D's masks.

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

from langspec.core.errors import LangspecError
from langspec.tickets.maskfile import read_trajectory, read_weight_mask
from langspec.tickets.overlap import jaccard, layer_jaccard, pairwise_jaccard


#: Count columns of a scored row, from which :mod:`langspec.stats.sampling` gives the metric's own sampling error.
COUNT_KEYS = ("n", "tp", "predicted", "gold")


def counts(dev: Mapping[str, Mapping] | None, languages: Sequence[str]) -> dict[str, int]:
    """The dev examples (``n``) and, for entity F1, the span counts (``tp``, ``predicted``, ``gold``) summed over
    ``languages`` of a per-language dev dict (:func:`~langspec.training.evaluate.evaluate`); {} without one."""
    if not dev or not all(lang in dev for lang in languages):
        return {}
    rows = [dev[lang] for lang in languages]
    return {key: int(sum(r[key] for r in rows)) for key in COUNT_KEYS if all(key in r for r in rows)}


def tickets(trajectories: Mapping[int, Mapping[str, str]], rate: float) -> pd.DataFrame:
    """Dev metric of each IMP-trained model by the sparsity it was trained at (0 = the full model).

    ``trajectories``: replicate -> source (language or ``multi``) -> its trajectory.json.
    Columns ``rep``, ``lang``, ``sparsity`` (fraction), ``metric``, ``best_metric`` (the task's dev metric:
    accuracy or F1 as fractions, or perplexity) and ``metric_name``.
    """
    rows = []
    for rep, per_source in trajectories.items():
        for source, path in per_source.items():
            for entry in read_trajectory(Path(path).parent):
                rows.append({"rep": int(rep), "lang": source, "sparsity": round(round(entry["trained_sparsity"] / rate) * rate, 6),
                             "metric": entry["metric"], "best_metric": entry["best_metric"],
                             "metric_name": entry["metric_name"],
                             **counts(entry.get("dev"), entry.get("languages", [source]))})
    return pd.DataFrame(rows).sort_values(["lang", "rep", "sparsity"], kind="stable")


def transfer(paths: Sequence[str], tickets: pd.DataFrame) -> pd.DataFrame:
    """Each transfer job's metrics; the dense model on each language (source ``full``) is IMP's first round.

    ``paths``: the transfer jobs' JSON files (``.../rep{r}/transfer/round{k}/{source}.json``); ``tickets``:
    :func:`tickets`. Columns ``rep``, ``sparsity``, ``source``, ``target``, ``metric``, ``best_metric``,
    ``metric_name``.
    """
    dense = tickets[(tickets["sparsity"] == 0) & (tickets["lang"] != "multi")]
    carried = [key for key in COUNT_KEYS if key in dense.columns]
    rows = [{"rep": row["rep"], "sparsity": 0.0, "source": "full", "target": row["lang"], "metric": row["metric"],
             "best_metric": row["best_metric"], "metric_name": row["metric_name"],
             **{key: row[key] for key in carried if pd.notna(row[key])}} for _, row in dense.iterrows()]
    for path in paths:
        body = json.loads(Path(path).read_text(encoding="utf-8"))
        rep = int(re.search(r"/rep(\d+)/", path).group(1))
        for target, scored in body["targets"].items():
            rows.append({"rep": rep, "sparsity": round(body["sparsity"], 6), "source": body["source"], "target": target,
                         "metric": scored["metric"], "best_metric": scored["best_metric"],
                         "metric_name": body["metric_name"], **counts(scored.get("dev"), [target])})
    return pd.DataFrame(rows)


def cross_task(paths: Sequence[str], transfer: pd.DataFrame) -> pd.DataFrame:
    """One target task's cross-task jobs beside its own tickets: figure 9's rows.

    ``paths``: the cross-task JSONs (``.../rep{r}/cross/{source task}/{lang}.json``,
    written by ``lth_cross_task``); ``transfer``: the target task's :func:`transfer`
    rows, whose own ticket (source = target = the language) at the same
    sparsity, trained the same way from the same θ0, is ``own``. Columns ``rep``,
    ``source_task``, ``lang``, ``sparsity``, ``metric``, ``own``, ``metric_name``,
    ``dense_weights`` (parameters the source ticket lacked, kept dense).
    """
    own = transfer[transfer["source"] == transfer["target"]].assign(sparsity=lambda f: f["sparsity"].round(6))
    lookup = own.set_index(["rep", "target", "sparsity"])["metric"]
    rows = []
    for path in paths:
        body = json.loads(Path(path).read_text(encoding="utf-8"))
        rep, level = int(re.search(r"/rep(\d+)/", path).group(1)), round(body["sparsity"], 6)
        key = (rep, body["lang"], level)
        if key not in lookup.index:
            raise LangspecError(f"{path}: the target task has no own ticket of '{body['lang']}' at sparsity {level:g} "
                                f"in replicate {rep} (cross-task sparsity must be one of lth.sparsities)")
        rows.append({"rep": rep, "source_task": body["source_task"], "lang": body["lang"], "sparsity": level,
                     "metric": body["metric"], "own": float(lookup[key]), "metric_name": body["metric_name"],
                     "dense_weights": ";".join(body["mask"]["dense"])})
    return pd.DataFrame(rows, columns=["rep", "source_task", "lang", "sparsity", "metric", "own", "metric_name",
                                       "dense_weights"])


def overlap(masks: Sequence[Mapping[str, str]] | Mapping[int, Mapping[str, str]], sparsity: float) -> pd.DataFrame:
    """Per-layer Jaccard of language pairs within a replicate, and of one language across replicates (the upper bound).

    ``masks``: per replicate, language -> its ticket file (a list indexed by replicate, or replicate -> files
    when some replicates are left out). Columns ``rep`` (a replicate, or ``i-j`` for a pair of replicates),
    ``kind`` (``pair`` / ``same-language``), ``a``, ``b``, ``layer``, ``jaccard``, ``sparsity``.
    """
    items = masks.items() if isinstance(masks, Mapping) else enumerate(masks)
    loaded = {int(rep): {lang: read_weight_mask(path, device=None)["mask"] for lang, path in per_rep.items()}
              for rep, per_rep in items}  # numpy: no torch
    frames = []
    for rep, per_rep in loaded.items():
        frame = pairwise_jaccard(per_rep)
        frames.append(frame.assign(rep=str(rep), kind="pair"))
    for (i, a), (j, b) in itertools.combinations(loaded.items(), 2):
        for lang in a:
            rows = [{"a": lang, "b": lang, "layer": layer, "jaccard": value} for layer, value in layer_jaccard(a[lang], b[lang]).items()]
            rows.append({"a": lang, "b": lang, "layer": "all", "jaccard": jaccard(a[lang], b[lang])})
            frames.append(pd.DataFrame(rows).assign(rep=f"{i}-{j}", kind="same-language"))
    return pd.concat(frames, ignore_index=True).assign(sparsity=sparsity)[["rep", "kind", "a", "b", "layer", "jaccard", "sparsity"]]


def alternatives(masks: Sequence[Mapping[str, str]], tickets: Sequence[Mapping[str, str]]) -> pd.DataFrame:
    """Paper 003's appendix D: each alternative mask's trained dev metric and its overlap with the ticket.

    ``masks``: per replicate, ``{lang}/{method}`` -> the mask file written by
    ``lth_alternative`` (its attributes hold the trained metric, and for
    ``difference`` the dense fine-tune's); ``tickets``: per replicate, language
    -> the IMP round's ticket at the same sparsity. Columns ``rep``, ``lang``,
    ``method``, ``sparsity``, ``metric``, ``best_metric``, ``metric_name``,
    ``dense_metric`` (NaN for fisher) and ``jaccard`` (kept weights shared with
    the ticket over kept by either).
    """
    rows = []
    for rep, (per_rep, own) in enumerate(zip(masks, tickets, strict=True)):
        for key, path in per_rep.items():
            lang, method = key.split("/")
            body = read_weight_mask(path, device=None)  # numpy: no torch
            ticket = read_weight_mask(own[lang], device=None)["mask"]
            rows.append({"rep": rep, "lang": lang, "method": method, "sparsity": round(body["nominal_sparsity"], 6),
                         "metric": body["metric"], "best_metric": body["best_metric"], "metric_name": body["metric_name"],
                         "dense_metric": body.get("dense_metric"), "jaccard": jaccard(body["mask"], ticket)})
    return pd.DataFrame(rows, columns=["rep", "lang", "method", "sparsity", "metric", "best_metric", "metric_name",
                                       "dense_metric", "jaccard"])
