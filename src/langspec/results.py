"""Read the workflow's results into pandas, e.g. in a notebook.

Every function takes the results directory (``"results"`` when the notebook
runs in the repository) and the names that make up an artifact's path (task,
replicate, regime, condition, as in ``influence/{task}/rep{r}/{regime}/{condition}.h5``),
and returns a pandas frame. A missing file is
a :class:`~langspec.core.errors.LangspecError` naming it and the target that makes it.

Example (paste into a notebook started in the repository)::

    from langspec import results

    # mean change of language shares over replicates, with 95% intervals
    shares = results.shares("results", "gettext-topic", "sft", "own")
    change = shares[(shares["measure"] == "change_pct") & (shares["sign"] == "neg")]
    change.pivot(index="test_lang", columns="train_lang", values="mean")

    # one replicate's top-k training examples of every test example, with texts
    top = results.influence("results", "gettext-topic", 0, "sft", "own")
    top[(top["test_lang"] == "de") & (top["sign"] == "pos") & (top["rank"] <= 3)][["test_text", "train_lang", "train_text", "score"]]

    # a language's head mask: one row per head
    mask = results.mask("results", "gettext-topic", 0, "de")
    mask.pivot(index="layer", columns="head", values="enabled")

    # each claim of paper 000 with its verdict; paper 003's lottery-ticket tables and claims
    results.findings("results", "gettext-topic")[["id", "mean", "ci_low", "ci_high", "verdict"]]
    results.tickets("results", "gettext-topic", "overlap")
    results.findings("results", "gettext-topic", paper="003")

    # the numbers behind any figure or table, by id
    results.source_data("results", "fig8")
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from langspec.attribution.influence import read_influence
from langspec.browser import long_table, read_label_names
from langspec.core.errors import LangspecError
from langspec.data.schema import read_split
from langspec.heads.masks import read_mask
from langspec.registry import by_id


def _existing(path: Path, what: str) -> Path:
    if not path.is_file():
        raise LangspecError(f"{what} {path} does not exist (make it with: snakemake --cores 2 {path})")
    return path


def _replicate(replicate: int) -> str:
    if isinstance(replicate, bool) or not isinstance(replicate, (int, np.integer)) or replicate < 0:
        raise LangspecError(f"replicate must be a number 0, 1, ..., not {replicate!r}")
    return f"rep{int(replicate)}"


def _plain(value: object) -> object:
    """A numpy value as a plain Python one (frames whose attrs hold arrays cannot be concatenated)."""
    return value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV file, skipping leading ``#`` lines (an aggregated table's notes), which go to ``attrs['notes']``."""
    notes = []
    with open(path, encoding="utf-8") as file:
        for line in file:
            if not line.startswith("#"):
                break
            notes.append(line[1:].strip())
    frame = pd.read_csv(path, skiprows=len(notes))
    if notes:
        frame.attrs["notes"] = notes
    return frame


def shares(results_dir: str | os.PathLike, task: str, regime: str, condition: str,
           replicate: int | None = None, epochs: bool = False) -> pd.DataFrame:
    """A shares table: training-language shares of the top-k per test language.

    ``replicate=None`` reads the aggregate over replicates
    (``shares/{task}/{regime}/{condition}.csv``: one row per test_lang,
    train_lang, sign and measure — share_pct, baseline_pct, change_pct — with
    mean, ci_low, ci_high, sd, se_test, n_replicates, n_test, reference, robust,
    method; the interval method, from ``{condition}.interval.json`` beside it,
    is in ``frame.attrs["interval"]``); a number reads that replicate's table
    (``shares/{task}/rep{r}/{regime}/{condition}.csv``: one row per test_lang,
    train_lang and sign with share_pct, share_se, n_test, baseline_pct,
    baseline_se, change_pct, change_se; shares in %, changes in percentage
    points against the full model after full fine-tuning). ``epochs=True``
    reads the per-checkpoint table (``{condition}.epochs.csv``) instead.

    >>> table = shares("results", "gettext-topic", "sft", "own", replicate=0)  # doctest: +SKIP
    >>> table[table["sign"] == "neg"].pivot(index="test_lang", columns="train_lang", values="change_pct")  # doctest: +SKIP
    """
    stem = f"{condition}.epochs" if epochs else condition
    parts = [task] if replicate is None else [task, _replicate(replicate)]
    path = Path(results_dir, "shares", *parts, regime, f"{stem}.csv")
    frame = _read_csv(_existing(path, "shares file"))
    sidecar = path.with_name(f"{stem}.interval.json")
    if replicate is None and sidecar.is_file():
        frame.attrs["interval"] = json.loads(sidecar.read_text(encoding="utf-8"))
    return frame


def data(results_dir: str | os.PathLike, task: str, replicate: int, split: str = "test") -> pd.DataFrame:
    """One data split of a replicate (columns uid, lang, text_a, text_b, label); split is train, dev or test."""
    if split not in ("train", "dev", "test"):
        raise LangspecError(f"split must be train, dev or test, not '{split}'")
    path = Path(results_dir, "data", task, _replicate(replicate), f"{split}.parquet")
    return read_split(_existing(path, "data file"))


def label_names(results_dir: str | os.PathLike, task: str, replicate: int) -> list[str]:
    """The task's label names (label id i is ``label_names[i]``), from the replicate's ``manifest.json``."""
    path = Path(results_dir, "data", task, _replicate(replicate), "manifest.json")
    return read_label_names(_existing(path, "manifest file"))


def influence(results_dir: str | os.PathLike, task: str, replicate: int, regime: str, condition: str,
              k: int | None = None, epoch: int | None = None) -> pd.DataFrame:
    """An influence file as a long frame, with the texts, languages and label names joined in.

    One row per test example, sign (``pos``, ``neg``) and rank (1 = the most
    positive, or most negative, training example): test_uid, test_lang,
    test_text, gold, prediction, correct, sign, rank, train_uid, train_lang,
    train_text, train_label, score (the TracIn score). ``k`` keeps the first k
    of each sign (all by default); ``epoch`` (1-based) reads that checkpoint's
    own top-k, where the file has them (``influence.per_checkpoint``). A pair
    task's text is ``text_a ‖ text_b``. The file's attributes (k, similarity,
    checkpoints, ...) are in ``frame.attrs``.

    >>> top = influence("results", "gettext-topic", 0, "sft", "own", k=10)  # doctest: +SKIP
    >>> top.groupby(["test_lang", "sign"])["train_lang"].value_counts(normalize=True)  # doctest: +SKIP
    """
    rep = _replicate(replicate)
    path = _existing(Path(results_dir, "influence", task, rep, regime, f"{condition}.h5"), "influence file")
    folder = Path(results_dir, "data", task, rep)
    train_path = _existing(folder / "train.parquet", "data file")
    test_path = _existing(folder / "test.parquet", "data file")
    manifest = folder / "manifest.json"
    names = read_label_names(manifest) if manifest.is_file() else None
    found = read_influence(path)
    frame = long_table(found, read_split(train_path), read_split(test_path), names, k=k, epoch=epoch,
                       where=(f"data file {train_path}", f"data file {test_path}"))
    frame.attrs = {key: _plain(value) for key, value in found.attrs.items()}
    frame.attrs["path"] = str(path)
    return frame


def mask(results_dir: str | os.PathLike, task: str, replicate: int, name: str,
         array: bool = False) -> pd.DataFrame | np.ndarray:
    """A head mask: one row per head (layer, head, enabled: bool), both numbered from 0.

    ``name`` is the mask's file name without ``.json`` (a language code,
    ``<lang>-random<s>``, ``union-<a>-<b>``, ``intersection-<a>-<b>``).
    ``array=True`` returns the layers × heads array of 0/1 instead. The file's
    other keys (lang, kind, seed, heads_disabled, trajectory, ...) are in
    ``frame.attrs``.

    >>> mask("results", "gettext-topic", 0, "de").groupby("layer")["enabled"].sum()  # doctest: +SKIP
    """
    path = _existing(Path(results_dir, "masks", task, _replicate(replicate), f"{name}.json"), "mask file")
    body = read_mask(path)
    values = body.pop("mask")
    if array:
        return values
    layers, heads = np.indices(values.shape)
    frame = pd.DataFrame({"layer": layers.ravel(), "head": heads.ravel(), "enabled": values.ravel() > 0.5})
    frame.attrs = body | {"path": str(path)}
    return frame


#: Paper 003's tidy tables under ``lth/{task}/`` (every replicate's rows; column ``rep``).
TICKET_TABLES = ("tickets", "transfer", "overlap", "retrieval", "heads")


def tickets(results_dir: str | os.PathLike, task: str, table: str = "tickets") -> pd.DataFrame:
    """One of paper 003's tidy tables of a task: ``tickets`` (dev metric by language and sparsity), ``transfer``
    (a(s, t) per replicate), ``overlap`` (Jaccard per pair and layer), ``retrieval`` (per layer) or ``heads``.

    Metrics and Jaccard values are fractions.

    >>> tickets("results", "gettext-topic", "transfer").query("sparsity == 0.5")  # doctest: +SKIP
    """
    if table not in TICKET_TABLES:
        raise LangspecError(f"paper 003's tables are {', '.join(TICKET_TABLES)}, not '{table}'")
    return _read_csv(_existing(Path(results_dir, "lth", task, f"{table}.csv"), f"lottery-ticket {table} table"))


#: Where each paper's findings lie under results/findings/.
FINDINGS_FOLDERS = {"000": "", "003": "lth", "neurons": "neurons"}


def findings(results_dir: str | os.PathLike, task: str, paper: str = "000") -> pd.DataFrame:
    """The findings of one task: one row per claim of paper ``"000"`` or ``"003"``, or of the language-specific
    neurons (``"neurons"``), with its statistic's mean, 95% interval, replicates, verdict and minimal detectable
    effect (``langspec.stats.claims.COLUMNS``).

    >>> findings("results", "gettext-topic")[["id", "mean", "ci_low", "ci_high", "verdict"]]  # doctest: +SKIP
    """
    if paper not in FINDINGS_FOLDERS:
        raise LangspecError(f"paper must be '000', '003' or 'neurons', not {paper!r}")
    where = Path(results_dir, "findings", FINDINGS_FOLDERS[paper])
    frame = _read_csv(_existing(where / f"{task}.csv", "findings table"))
    frame["paper"] = frame["paper"].astype(str).str.zfill(3)
    return frame


def source_data(results_dir: str | os.PathLike, figure_id: str) -> pd.DataFrame:
    """The numbers a figure or table draws, by id (``fig4``, ``table2``, ``lth/fig4``, ``lth/table1``): one row
    per cell, bar or point, with replicate-level values, interval, p-value and robust mark where it has them
    (``{figure}.data.csv`` beside the figure; its columns are documented by the function that makes it,
    :attr:`langspec.registry.Entry.source`).

    >>> source_data("results", "lth/fig4").head()  # doctest: +SKIP
    """
    entry = by_id(figure_id)
    return _read_csv(_existing(Path(results_dir, entry.source_data), "source data"))
