"""Tables of paper 003 (lottery tickets) over replicates, as CSV (numbers) and Markdown (text): layout only.

Each table is laid out from its source-data frame (one row per table cell with every replicate's value,
:mod:`langspec.stats.source_data.tickets`: :func:`~langspec.stats.source_data.tickets.table1`, ...), which the
workflow writes beside it as ``tables/lth/{name}.data.csv``:

- :func:`table1`: the multilingual ticket next to the single-language tickets,
  trained on each target language (paper 003, table 1);
- :func:`table2`: each language's winning ticket at its highest sparsity,
  beside a random subnetwork (paper 003, table 2);
- :func:`absolute_transfer` (tables 3-6): every ticket trained on every
  target language at 50% sparsity, per task kind (perplexity, accuracy, F1; mT5);
- :func:`overlap`: each task's average ticket overlap (the poster's table);
- :func:`heads`: per language, the correlation of the ticket's kept head
  weights with paper 000's head mask (beyond both papers);
- :func:`alternatives`: appendix D, the difference (LT-SFT) and Fisher (FISH)
  masks beside the full model and the ticket, with their overlap.

Each returns a data frame of numbers (the CSV): a value column ``c`` holds the mean over replicates, ``c sd``
the sample standard deviation between them (empty for one replicate) and, where cells differ in their number
of replicates, ``c n`` that number. :func:`write_table` writes ``stem.csv`` and ``stem.md`` ("mean ± sd" cells,
"–" where there is no value, and a line saying what the cells are), atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from langspec.core.atomic import atomic_path
from langspec.registry import table_003
from langspec.tables.format import MISSING, SD, markdown

N = " n"


def _replicate_words(counts) -> str:
    counts = sorted({int(c) for c in counts if np.isfinite(c) and c > 0})
    if not counts:
        return "no replicate"
    many = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return f"{many} replicate{'s' if counts[-1] != 1 else ''}"


def _cell(by: pd.DataFrame, key, column: str, empty=np.nan):
    """``by.loc[key, column]``, or ``empty`` where ``by`` has no row ``key``."""
    return by.loc[key, column] if key in by.index else empty


def table1(frame: pd.DataFrame) -> pd.DataFrame:
    """The dev metric of each ticket trained on each target language, mean and sd over replicates, per task.

    ``frame``: table 1's source data (:func:`langspec.stats.source_data.tickets.table1`: one row per task, model
    and target). Rows per task: its models in order (``full model``, ``own ticket f*``, each source ticket,
    ``multi``). Columns: ``task``, ``metric`` (its name), ``model``, then per target language ``<t>`` (mean:
    accuracy and F1 in %, perplexity as it is), ``<t> sd`` and ``<t> n`` (replicates); NaN (and n 0) where a
    source was not trained on a target.
    """
    targets = list(dict.fromkeys(frame["target"]))
    rows = []
    for (task, model), part in frame.groupby(["task", "model"], sort=False):
        by = part.set_index("target")
        row = {"task": task, "metric": part["metric_name"].iloc[0], "model": model}
        for target in targets:
            row |= {target: float(_cell(by, target, "mean")), target + SD: float(_cell(by, target, "sd")),
                    target + N: int(_cell(by, target, "n_replicates", 0))}
        rows.append(row)
    return pd.DataFrame(rows, columns=["task", "metric", "model", *(c for t in targets for c in (t, t + SD, t + N))])


#: Tables 3-6 of paper 003 (every ticket trained on every target language at the first transfer sparsity, per task
#: kind; :func:`langspec.stats.source_data.tickets.absolute_transfer`) are laid out as table 1.
absolute_transfer = table3 = table4 = table5 = table6 = table1


def table2(frame: pd.DataFrame) -> pd.DataFrame:
    """Paper 003's table 2: per task and language the winning ticket at its highest sparsity, beside a random subnetwork.

    ``frame``: table 2's source data (:func:`langspec.stats.source_data.tickets.table2`: models ``full``,
    ``ticket``, ``rand`` per task and language). Columns: ``task``, ``metric``, ``lang``, ``full``, ``full sd``,
    ``ticket``, ``ticket sd``, ``sparsity`` (%; NaN when no ticket wins), ``rand``, ``rand sd``, ``rand sparsity``
    (%), ``replicates`` (of the ticket; of the full model when none wins); values in the summary unit
    (accuracy and F1 in %, perplexity as it is).
    """
    rows = []
    for (task, lang), part in frame.groupby(["task", "lang"], sort=False):
        by = part.set_index("model")
        ticket_level = float(_cell(by, "ticket", "sparsity"))
        counted = "ticket" if np.isfinite(ticket_level) else "full"
        rows.append({"task": task, "metric": part["metric_name"].iloc[0], "lang": lang,
                     "full": float(_cell(by, "full", "mean")), "full" + SD: float(_cell(by, "full", "sd")),
                     "ticket": float(_cell(by, "ticket", "mean")), "ticket" + SD: float(_cell(by, "ticket", "sd")),
                     "sparsity": ticket_level, "rand": float(_cell(by, "rand", "mean")),
                     "rand" + SD: float(_cell(by, "rand", "sd")), "rand sparsity": float(_cell(by, "rand", "sparsity")),
                     "replicates": int(_cell(by, counted, "n_replicates", 0))})
    return pd.DataFrame(rows)


def overlap(frame: pd.DataFrame) -> pd.DataFrame:
    """Per task: the average overlap (%) of its languages' tickets, with the random and same-language references.

    ``frame``: the overlap table's source data (:func:`langspec.stats.source_data.tickets.overlap_table`).
    Columns: ``task``, ``sparsity`` (%), ``overlap`` (per replicate the mean over language pairs of the
    whole-ticket Jaccard, then the mean over replicates), ``overlap sd``, ``overlap ci_low`` and ``overlap
    ci_high`` (95% t-interval), ``random`` (two independent random masks, q / (2 − q)), ``same language`` (one
    language pruned in two replicates; NaN without such rows), ``replicates``.
    """
    out = frame[["task", "sparsity", "mean", "sd", "ci_low", "ci_high", "random", "same_language", "n_replicates"]]
    out = out.set_axis(["task", "sparsity", "overlap", "overlap" + SD, "overlap ci_low", "overlap ci_high", "random",
                        "same language", "replicates"], axis=1)
    return out.astype({"replicates": int})


def heads(frame: pd.DataFrame) -> pd.DataFrame:
    """Per task and language: Pearson (point-biserial) r of kept head weights and paper 000's head mask.

    ``frame``: the heads table's source data (:func:`langspec.stats.source_data.tickets.heads_table`).
    Columns: ``task``, ``lang``, ``r``, ``ci_low``, ``ci_high``, ``replicates`` (with an r), ``heads`` (per
    replicate, the most), ``method``.
    """
    out = frame[["task", "lang", "r", "ci_low", "ci_high", "n_replicates", "heads", "method"]]
    return out.rename(columns={"n_replicates": "replicates"}).astype({"replicates": int, "heads": int})


def alternatives(frame: pd.DataFrame) -> pd.DataFrame:
    """Appendix D: per task, language and method, the alternative mask beside the full model and the ticket.

    ``frame``: appendix D's source data (:func:`langspec.stats.source_data.tickets.alternatives_table`: one row
    per quantity). Columns ``task``, ``metric``, ``lang``, ``method``, ``sparsity`` (%), ``full``, ``ticket``,
    ``mask`` (each with ``sd``; % or perplexity), ``vs full`` and ``vs ticket`` (the mask minus each, paired per
    replicate, in points, for perplexity in % of the reference; positive when the mask is better) with their 95%
    t-interval ``ci_low`` / ``ci_high``, ``overlap`` (% Jaccard with the ticket, with ``sd``), ``replicates``.
    """
    rows = []
    for (task, lang, method, sparsity), part in frame.groupby(["task", "lang", "mask_method", "sparsity"], sort=False):
        by = part.set_index("quantity")
        row = {"task": task, "metric": part["metric_name"].iloc[0], "lang": lang, "method": method, "sparsity": sparsity}
        for name in ("full", "ticket", "mask"):
            row |= {name: float(_cell(by, name, "mean")), name + SD: float(_cell(by, name, "sd"))}
        for name, key in (("vs full", "vs_full"), ("vs ticket", "vs_ticket")):
            row |= {name: float(_cell(by, key, "mean")), f"{name} ci_low": float(_cell(by, key, "ci_low")),
                    f"{name} ci_high": float(_cell(by, key, "ci_high"))}
        row |= {"overlap": float(_cell(by, "overlap", "mean")), "overlap" + SD: float(_cell(by, "overlap", "sd")),
                "replicates": int(_cell(by, "mask", "n_replicates", 0))}
        rows.append(row)
    return pd.DataFrame(rows)


def _notes(name: str, frame: pd.DataFrame, levels) -> str:
    if name == "table1":
        counts = frame[[c for c in frame.columns if c.endswith(N)]].to_numpy().ravel()
        return (f"{_metric_words(frame)}, mean ± sample standard deviation over {_replicate_words(counts)} (a single replicate "
                "shows its value). full model: the dense model trained on the target; own ticket f*: the target's own "
                "ticket; a language: that language's ticket rewound and trained on the target; multi: the multilingual "
                f"ticket. Tickets at {_levels(levels)}. {MISSING}: not run.")
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
                f"{_levels(levels)}, rewound and trained on the target; rand: a random mask of that sparsity; multi: "
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


def _levels(levels) -> str:
    """The tickets' sparsity in words: "50% sparsity", or "the smallest sparsity of each task (50%, 80%)"."""
    levels = sorted({round(float(level), 6) for level in levels if np.isfinite(level)})
    if len(levels) == 1:
        return f"{levels[0]:.0%} sparsity"
    return "the smallest sparsity of each task" + (f" ({', '.join(f'{level:.0%}' for level in levels)})" if levels else "")


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


def write_table(name: str, frame: pd.DataFrame, stem: str | os.PathLike) -> None:
    """Lay out table ``name`` (a key of :data:`langspec.registry.TABLES_003`) from its source-data ``frame``
    (:mod:`langspec.stats.source_data.tickets`, usually read back from ``{stem}.data.csv``) and write ``stem.csv``
    and ``stem.md``, atomically."""
    table = table_003(name).resolve()(frame)
    stem = Path(stem)
    with atomic_path(stem.with_name(stem.name + ".csv")) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    levels = frame["sparsity"] if name in ("table1", "table3", "table4", "table5", "table6") else ()
    text = _display(name, table).to_markdown(index=False) + "\n\n" + _notes(name, table, levels) + "\n"
    with atomic_path(stem.with_name(stem.name + ".md")) as tmp:
        tmp.write_text(text, encoding="utf-8")
