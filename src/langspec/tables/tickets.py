"""Tables of paper 003 (lottery tickets) over replicates, as CSV (numbers) and Markdown (text).

- :func:`table1`: the multilingual ticket next to the single-language tickets,
  trained on each target language (paper 003, table 1);
- :func:`table2`: each language's winning ticket at its highest sparsity,
  beside a random subnetwork (paper 003, table 2);
- :func:`absolute_transfer` (tables 3, 4, 5): every ticket trained on every
  target language at 50% sparsity, per task kind (perplexity, accuracy, F1);
- :func:`overlap`: each task's average ticket overlap (the poster's table);
- :func:`heads`: per language, the correlation of the ticket's kept head
  weights with paper 000's head mask (beyond both papers);
- :func:`alternatives`: appendix D, the difference (LT-SFT) and Fisher (FISH)
  masks beside the full model and the ticket, with their overlap.

Each takes the same ``task -> frame`` inputs as the figures of
:mod:`langspec.figures.tickets` and returns a data frame of numbers: a value column
``c`` holds the mean over replicates, ``c sd`` the sample standard deviation
between them (empty for one replicate) and, where cells differ in their
number of replicates, ``c n`` that number. :func:`write_table` reads a spec
(role -> task -> CSV path, as :func:`langspec.figures.draw.draw_lth`) and
writes ``stem.csv`` and ``stem.md`` ("mean ± sd" cells, "–" where there is no
value, and a line saying what the cells are), atomically.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.core.errors import LangspecError
from langspec.registry import table_003
from langspec.stats.frames import load_lth, spec_roles
from langspec.stats.replicates import spread
from langspec.stats.tickets import (
    ALTERNATIVES,
    FULL,
    HEADS,
    MULTI,
    OVERLAP,
    TICKETS,
    TRANSFER,
    alternative_summary,
    head_correlation,
    head_points,
    highest_winning,
    overlap_rows,
    overlap_summary,
    scale,
    table_metric,
    task_frames,
    ticket_curves,
    transfer_level,
    transfer_rows,
)
from langspec.tables.format import MISSING, SD, markdown
from langspec.tickets.overlap import expected_jaccard
from langspec.tickets.transfer import RANDOM
from langspec.training.metrics import by_name

N = " n"


def _replicate_words(counts) -> str:
    counts = sorted({int(c) for c in counts if np.isfinite(c) and c > 0})
    if not counts:
        return "no replicate"
    many = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return f"{many} replicate{'s' if counts[-1] != 1 else ''}"


def _transfer_blocks(frames: dict[str, pd.DataFrame], sparsity: float | None, own: bool, extra: tuple[str, ...]) -> pd.DataFrame:
    """Per task, rows ``full model``, (``own ticket f*``), each language's ticket and the ``extra`` sources present, by target.

    Values in each task's summary unit (:func:`langspec.stats.tickets.scale`), mean, sd and
    replicates per target; column ``metric`` names the task's metric.
    """
    blocks = []
    for task, table in frames.items():
        what = f"transfer of task '{task}'"
        rows = transfer_rows(table, what)
        metric = table_metric(rows, what)
        if not (rows["source"] == FULL).any():
            raise LangspecError(f"{what} has no rows of source '{FULL}' (the dense model trained on each target)")
        part, _ = transfer_level(rows, sparsity, what)
        full = rows[rows["source"] == FULL]
        targets = list(dict.fromkeys(part["target"]))
        sources = [s for s in dict.fromkeys(part["source"]) if s not in (RANDOM, MULTI)]
        sources = [t for t in targets if t in sources] + [s for s in sources if s not in targets]
        models = {"full model": full}
        if own:
            models["own ticket f*"] = part[part["source"] == part["target"]]
        models |= {s: part[part["source"] == s] for s in sources}
        models |= {s: part[part["source"] == s] for s in extra if (part["source"] == s).any()}
        for model, cells in models.items():
            row = {"task": task, "metric": metric.name, "model": model}
            for target in targets:
                mean, sd, n = spread(scale(metric) * cells.loc[cells["target"] == target, "metric"].to_numpy(float))
                row |= {target: mean, target + SD: sd, target + N: n}
            blocks.append(row)
    frame = pd.DataFrame(blocks)
    fixed = ("task", "metric", "model")
    targets = list(dict.fromkeys(c for c in frame.columns if c not in fixed and not c.endswith((SD, N))))
    frame = frame[[*fixed, *(c for t in targets for c in (t, t + SD, t + N))]]
    for t in targets:
        frame[t + N] = frame[t + N].fillna(0).astype(int)
    return frame


def table1(transfer: dict[str, pd.DataFrame], sparsity: float | None = None) -> pd.DataFrame:
    """The dev metric of each ticket trained on each target language, mean and sd over replicates, per task.

    ``transfer``: task -> its transfer.csv (columns ``rep``, ``sparsity``,
    ``source``, ``target``, ``metric``, optionally ``metric_name``); ``sparsity``: the tickets' level
    (default: the smallest in each table). Rows per task: ``full model``
    (source ``full``: the dense model trained on the target), ``own ticket f*``
    (the target's own ticket, source = target), every single-language source
    ticket, then ``multi`` (the multilingual ticket) when the task has one;
    ``rand`` is left out. Columns: ``task``, ``metric`` (its name), ``model``, then per target
    language ``<t>`` (mean: accuracy and F1 in %, perplexity as it is), ``<t> sd`` and ``<t> n`` (replicates); NaN
    where a source was not trained on a target.
    """
    return _transfer_blocks(task_frames(transfer, TRANSFER, "transfer"), sparsity, own=True, extra=(MULTI,))


def absolute_transfer(transfer: dict[str, pd.DataFrame], sparsity: float | None = None) -> pd.DataFrame:
    """Tables 3-5 of paper 003: every ticket trained on every target language at ``sparsity``, per task.

    As :func:`table1` without the own-ticket row: ``full model`` (paper: mBERT),
    each language's ticket (its own language on the diagonal), then ``rand`` (a
    random mask of that sparsity, paper 003's table 6 shows one) and ``multi``
    where present. Tables 3, 4 and 5 are this table for the masked-language-modelling,
    classification and token-classification tasks, table 6 for the text-to-text tasks
    of an encoder-decoder (mT5) (the workflow passes each the tasks of its kind,
    :data:`langspec.registry.TABLES_003`).
    """
    return _transfer_blocks(task_frames(transfer, TRANSFER, "transfer"), sparsity, own=False, extra=(RANDOM, MULTI))


table3 = table4 = table5 = table6 = absolute_transfer


def _nearest(levels: list[float], wanted: float) -> float:
    """The level closest to ``wanted`` (the higher of two equally close)."""
    return min(levels, key=lambda level: (abs(level - wanted), -level))


def table2(tickets: dict[str, pd.DataFrame], transfer: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Paper 003's table 2: per task and language the winning ticket at its highest sparsity, beside a random subnetwork.

    ``tickets``: task -> its tickets.csv; ``transfer``: task -> its transfer.csv.
    A ticket wins when it is worse than the full-model mean by at most one
    standard deviation of the full model over replicates (perplexity: higher by
    at most one sd). ``rand``: a random mask trained on the language (source
    ``rand`` of the transfer jobs) at the transfer sparsity nearest the winning
    one, which ``rand sparsity`` states (transfer runs random masks only at
    ``lth.sparsities``; paper 003 matches the sparsity exactly). Columns:
    ``task``, ``metric``, ``lang``, ``full``, ``full sd``, ``ticket``, ``ticket sd``,
    ``sparsity`` (%; NaN when no ticket wins), ``rand``, ``rand sd``, ``rand sparsity`` (%),
    ``replicates``; values in the summary unit (accuracy and F1 in %, perplexity as it is).
    """
    ticket_frames = task_frames(tickets, TICKETS, "tickets")
    transfer_frames = task_frames(transfer, TRANSFER, "transfer")
    parts = []
    for task, table in ticket_frames.items():
        curves = ticket_curves(table, f"tickets of task '{task}'")
        best = highest_winning(curves)
        best = best[best["lang"] != MULTI]
        metric = by_name(curves["metric_name"].iloc[0])
        random = pd.DataFrame(columns=["rep", "sparsity", "target", "metric"])
        if task in transfer_frames:
            rows = transfer_rows(transfer_frames[task], f"transfer of task '{task}'")
            random = rows[rows["source"] == RANDOM]
        levels = sorted(set(random["sparsity"]))
        rand, rand_sd, rand_level = [], [], []
        for lang, level in zip(best["lang"], best["sparsity"]):
            if not levels or not np.isfinite(level):
                rand.append(np.nan), rand_sd.append(np.nan), rand_level.append(np.nan)
                continue
            near = _nearest(levels, level)
            values = random.loc[(random["sparsity"] == near) & (random["target"] == lang), "metric"].to_numpy(float)
            mean, sd, _ = spread(scale(metric) * values)
            rand.append(mean), rand_sd.append(sd), rand_level.append(100 * near if len(values) else np.nan)
        parts.append(pd.DataFrame({
            "task": task, "metric": metric.name, "lang": best["lang"].to_numpy(),
            "full": best["full_mean"].to_numpy(), "full" + SD: best["full_sd"].to_numpy(),
            "ticket": best["ticket_mean"].to_numpy(), "ticket" + SD: best["ticket_sd"].to_numpy(),
            "sparsity": 100 * best["sparsity"].to_numpy(),
            "rand": rand, "rand" + SD: rand_sd, "rand sparsity": rand_level, "replicates": best["replicates"].to_numpy(),
        }))
    return pd.concat(parts, ignore_index=True)


def overlap(overlap_: dict[str, pd.DataFrame], sparsity: float | None = None) -> pd.DataFrame:
    """Per task: the average overlap (%) of its languages' tickets, with the random and same-language references.

    ``overlap_``: task -> its overlap.csv. ``overlap``: per replicate the mean
    over language pairs of the whole-ticket Jaccard (layer ``all``), then the
    mean over replicates, with ``overlap sd``, ``overlap ci_low`` and
    ``overlap ci_high`` (95% t-interval); ``random``: two independent random
    masks, q / (2 − q); ``same language``: the mean whole-ticket Jaccard of one
    language pruned in two replicates (NaN without such rows). Columns also
    ``task``, ``sparsity`` (%), ``replicates``.
    """
    frames = task_frames(overlap_, OVERLAP, "overlap")
    rows = []
    for task, table in frames.items():
        what = f"overlap of task '{task}'"
        part, level = overlap_rows(table, sparsity, what)
        summary = overlap_summary(part, what)
        average = summary["average"]
        rows.append({
            "task": task, "sparsity": 100 * level, "overlap": average["mean"], "overlap" + SD: average["sd"],
            "overlap ci_low": average["ci_low"], "overlap ci_high": average["ci_high"],
            "random": 100 * expected_jaccard(level), "same language": summary["same_all"],
            "replicates": int(average["n_replicates"]),
        })
    return pd.DataFrame(rows)


def heads(heads_: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per task and language: Pearson (point-biserial) r of kept head weights and paper 000's head mask.

    ``heads_``: task -> its heads.csv. r is taken per replicate over the heads
    and pooled over replicates through Fisher's z with its 95% interval
    (:func:`langspec.stats.correlations.correlation`). Columns: ``task``, ``lang``,
    ``r``, ``ci_low``, ``ci_high``, ``replicates`` (with an r), ``heads`` (per
    replicate, the most), ``method``.
    """
    frames = task_frames(heads_, HEADS, "heads")
    rows = []
    for task, table in frames.items():
        for lang, reps in head_points(table, f"heads of task '{task}'").items():
            summary = head_correlation(reps)
            rows.append({"task": task, "lang": lang, "r": summary["r"], "ci_low": summary["ci_low"],
                         "ci_high": summary["ci_high"], "replicates": int(summary["n_replicates"]),
                         "heads": max(summary["counts"]), "method": summary["method"]})
    return pd.DataFrame(rows)


def alternatives(alternatives_: dict[str, pd.DataFrame], tickets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Appendix D: per task, language and method, the alternative mask beside the full model and the ticket.

    ``alternatives_``: task -> its alternatives.csv; ``tickets``: task -> its
    tickets.csv. Columns ``task``, ``metric``, ``lang``, ``method``,
    ``sparsity`` (%), ``full``, ``ticket``, ``mask`` (each with ``sd``; % or
    perplexity), ``vs full`` and ``vs ticket`` (the mask minus each, paired per
    replicate, in points, for perplexity in % of the reference; positive when the
    mask is better) with their 95% t-interval ``ci_low`` / ``ci_high``,
    ``overlap`` (% Jaccard with the ticket, with ``sd``), ``replicates``.
    """
    frames = task_frames(alternatives_, ALTERNATIVES, "alternatives")
    ticket_frames = task_frames(tickets, TICKETS, "tickets")
    parts = []
    for task, table in frames.items():
        if task not in ticket_frames:
            raise LangspecError(f"alternatives of task '{task}' have no tickets table to compare with")
        summary = alternative_summary(table, ticket_frames[task], f"alternatives of task '{task}'")
        frame = pd.DataFrame({"task": task, "metric": summary["metric_name"], "lang": summary["lang"],
                              "method": summary["method"], "sparsity": 100 * summary["sparsity"]})
        for name in ("full", "ticket", "mask"):
            frame[name], frame[name + SD] = summary[f"{name}_mean"], summary[f"{name}_sd"]
        for name, key in (("vs full", "vs_full"), ("vs ticket", "vs_ticket")):
            frame[name] = summary[f"{key}_mean"]
            frame[f"{name} ci_low"], frame[f"{name} ci_high"] = summary[f"{key}_ci_low"], summary[f"{key}_ci_high"]
        frame["overlap"], frame["overlap" + SD] = summary["overlap_mean"], summary["overlap_sd"]
        frame["replicates"] = summary["n_replicates"].astype(int)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def _notes(name: str, frame: pd.DataFrame, sparsity: float | None) -> str:
    if name == "table1":
        counts = frame[[c for c in frame.columns if c.endswith(N)]].to_numpy().ravel()
        return (f"{_metric_words(frame)}, mean ± sample standard deviation over {_replicate_words(counts)} (a single replicate "
                "shows its value). full model: the dense model trained on the target; own ticket f*: the target's own "
                "ticket; a language: that language's ticket rewound and trained on the target; multi: the multilingual "
                f"ticket. Tickets at {_levels(sparsity)}. {MISSING}: not run.")
    if name == "table2":
        return (f"sparsity: the highest sparsity (%) whose ticket wins (worse than the full-model mean by at most 1 sample sd "
                f"of the full model over replicates), {MISSING} when none does; full, ticket and rand (a random mask "
                f"trained on the language at the transfer sparsity 'rand sparsity', the one nearest the winning sparsity): "
                f"{_metric_words(frame)}, mean ± sd over {_replicate_words(frame['replicates'])}.")
    if name in ("table3", "table4", "table5", "table6"):
        counts = frame[[c for c in frame.columns if c.endswith(N)]].to_numpy().ravel()
        paper = "mT5; accuracy: the generated label word matches exactly" if name == "table6" else "mBERT"
        return (f"{_metric_words(frame)} of each model trained on each target language, mean ± sample standard deviation "
                f"over {_replicate_words(counts)}. full model: the dense model (paper: {paper}); a language: its ticket at "
                f"{_levels(sparsity)}, rewound and trained on the target; rand: a random mask of that sparsity; multi: "
                f"the multilingual ticket. {MISSING}: not run.")
    if name == "overlap":
        return (f"overlap: Jaccard similarity (%) of the whole tickets, mean over language pairs per replicate, then mean ± "
                f"sample sd over {_replicate_words(frame['replicates'])} (ci: 95% t-interval, none for one replicate); "
                "random: two independent "
                "random masks of that sparsity, q/(2−q); same language: one language pruned in two replicates (upper bound).")
    if name == "alternatives":
        return (f"full, ticket, mask: {_metric_words(frame)}, mean ± sample sd over {_replicate_words(frame['replicates'])}. "
                "full: the dense model fine-tuned on the language; ticket: its lottery ticket (IMP) at the mask's sparsity; "
                "mask: difference (LT-SFT: the weights that moved most in the dense fine-tune) or fisher (FISH: highest "
                "empirical Fisher information of the pre-trained model), trained from the pre-trained weights as a ticket. "
                "vs full, vs ticket: mask minus each per replicate (points; perplexity: % of the reference; positive = "
                "the mask is better) with the 95% t-interval [low, high] (none for one replicate); overlap: Jaccard (%) "
                "of the mask and the ticket (paper 003, appendix D: 5–8% below the full model at 50%).")
    methods = "; ".join(dict.fromkeys(m for m in frame["method"] if m != "no value")) or "no r"
    return ("r: Pearson (point-biserial) correlation over heads of the % of a head's weights the ticket keeps and whether "
            "paper 000's subnetwork enables the head, per replicate, pooled through Fisher's z with its 95% interval "
            f"over {_replicate_words(frame['replicates'])} ({methods}); {MISSING}: no r (a constant head mask or kept share).")


def _metric_words(frame: pd.DataFrame) -> str:
    """What the values are: "dev accuracy (%)", "dev perplexity (lower is better)", ... for the tasks of ``frame``."""
    names = list(dict.fromkeys(frame["metric"])) if "metric" in frame.columns else ["accuracy"]
    words = {"accuracy": "dev accuracy (%)", "f1": "dev entity F1 (%)", "perplexity": "dev perplexity (lower is better)"}
    return "; ".join(words.get(name, name) for name in names)


def _levels(sparsity: float | None) -> str:
    return "the smallest sparsity of each task" if sparsity is None else f"{sparsity:.0%} sparsity"


def _display(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The Markdown layout: "mean ± sd" cells, numbers rounded, "–" where there is no value."""
    if name == "heads":
        shown = frame[["task", "lang"]].copy()
        shown["r (95% CI)"] = [MISSING if not np.isfinite(r) else f"{r:.2f} [{lo:.2f}, {hi:.2f}]"
                               for r, lo, hi in zip(frame["r"], frame["ci_low"], frame["ci_high"])]
        shown["replicates"], shown["heads"] = frame["replicates"], frame["heads"]
        return shown
    if name == "alternatives":
        frame = frame.copy()
        for column in ("vs full", "vs ticket"):
            frame[column] = [MISSING if not np.isfinite(m) else f"{m:+.1f}" if not np.isfinite(lo)
                             else f"{m:+.1f} [{lo:+.1f}, {hi:+.1f}]"
                             for m, lo, hi in zip(frame[column], frame[f"{column} ci_low"], frame[f"{column} ci_high"])]
        frame = frame.drop(columns=[c for c in frame.columns if c.endswith((" ci_low", " ci_high"))])
    places = [2 if name == "perplexity" else 1 for name in frame["metric"]] if "metric" in frame.columns else 1
    shown = markdown(frame.drop(columns=[c for c in frame.columns if c.endswith(N)]), places)
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            decimals = [1] * len(shown) if column in ("sparsity", "rand sparsity") or isinstance(places, int) else places
            shown[column] = [MISSING if not np.isfinite(v) else f"{v:.{d}f}" for v, d in zip(shown[column], decimals)]
    return shown


def write_table(name: str, spec: Mapping, stem: str | os.PathLike) -> None:
    """Make table ``name`` (a key of :data:`langspec.registry.TABLES_003`) from ``spec`` and write ``stem.csv`` and ``stem.md``, atomically.

    ``spec`` holds role -> task -> CSV path, and optional scalars (``sparsity``),
    as for :func:`langspec.figures.draw.draw_lth`.
    """
    entry = table_003(name)
    loaded = load_lth(spec_roles(spec, entry.roles, f"table '{name}'"))
    options = {key: spec[key] for key in entry.scalars if spec.get(key) is not None}
    frame = entry.resolve()(*(loaded[role] for role in entry.roles), **options)
    stem = Path(stem)
    with atomic_path(stem.with_name(stem.name + ".csv")) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    text = _display(name, frame).to_markdown(index=False) + "\n\n" + _notes(name, frame, options.get("sparsity")) + "\n"
    with atomic_path(stem.with_name(stem.name + ".md")) as tmp:
        tmp.write_text(text, encoding="utf-8")
