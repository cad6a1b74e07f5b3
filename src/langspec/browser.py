"""The influence browser: test examples beside their most influential training examples.

An influence file holds, for every test example, the indices and TracIn scores
of its k most positively and k most negatively influential training examples.
:func:`long_table` joins in the texts, languages and label names from the data
splits: one row per test example, sign and rank (columns :data:`COLUMNS`).
:func:`write_examples` writes that table for a seeded sample of test examples
per language as ``examples.csv`` and as ``examples.html``, a self-contained page
on which the same table can be searched and sorted in any browser, offline
(DataTables, embedded from the ``itables`` package; nothing is fetched from the
network when the page is opened).

A text is ``text_a``, followed by :data:`PAIR_SEPARATOR` and ``text_b`` for a
pair task (XNLI, PAWS-X). Labels are shown by name (``label_names`` in the
task's ``manifest.json``).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from langspec.attribution.influence import Influence, read_influence
from langspec.core.atomic import atomic_path
from langspec.core.errors import LangspecError
from langspec.data.schema import read_split

#: Columns of the long table, in order.
COLUMNS = ("test_uid", "test_lang", "test_text", "gold", "prediction", "correct", "sign", "rank",
           "train_uid", "train_lang", "train_text", "train_label", "score")

#: Between ``text_a`` and ``text_b`` of a pair task.
PAIR_SEPARATOR = " ‖ "

#: Signs in table order: most positive first, then most negative.
SIGNS = ("pos", "neg")


def texts(split: pd.DataFrame) -> pd.Series:
    """Each example's text (``text_a``, plus ``‖ text_b`` where present), indexed by uid."""
    text = split["text_a"].astype(str)
    pair = split["text_b"].notna()
    text = text.where(~pair, text + PAIR_SEPARATOR + split["text_b"].astype(str))
    return pd.Series(text.to_numpy(), index=split["uid"].astype(str).to_numpy())


def read_label_names(path: str | os.PathLike) -> list[str]:
    """The ``label_names`` of a task's ``manifest.json``."""
    path = Path(path)
    try:
        names = json.loads(path.read_text(encoding="utf-8"))["label_names"]
    except FileNotFoundError:
        raise LangspecError(f"manifest file {path} does not exist") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise LangspecError(f"manifest file {path} has no list 'label_names' ({error.__class__.__name__}: {error})") from None
    if not isinstance(names, list):
        raise LangspecError(f"manifest file {path} has no list 'label_names'")
    return [str(name) for name in names]


def _names(labels: np.ndarray, label_names: Sequence[str] | None) -> np.ndarray:
    """Label ids as their names (ids outside ``label_names`` stay numbers, as text)."""
    labels = np.asarray(labels).astype(int)
    if not label_names:
        return labels.astype(str)
    names = np.asarray(list(label_names) + [""], dtype=object)
    known = (labels >= 0) & (labels < len(label_names))
    return np.where(known, names[np.where(known, labels, len(label_names))], labels.astype(str)).astype(object)


def _lookup(split: pd.DataFrame, uids: np.ndarray, role: str, where: str) -> pd.DataFrame:
    """The rows of ``split`` for ``uids``, in that order; a one-line error for uids it lacks."""
    indexed = split.assign(uid=split["uid"].astype(str)).drop_duplicates("uid").set_index("uid")
    missing = pd.Index(uids).difference(indexed.index)
    if len(missing):
        raise LangspecError(
            f"{where} lacks {len(missing)} of the influence file's {role} examples (e.g. uid '{missing[0]}'): "
            "were they made from another data sample or replicate?"
        )
    return indexed.loc[uids]


def long_table(influence: Influence, train: pd.DataFrame, test: pd.DataFrame,
               label_names: Sequence[str] | None = None, k: int | None = None,
               rows: Sequence[int] | np.ndarray | None = None, epoch: int | None = None,
               where: tuple[str, str] = ("the training split", "the test split")) -> pd.DataFrame:
    """One row per (test example, sign, rank) with texts, languages and label names joined in.

    ``train`` and ``test`` are the data splits the influence file was made from
    (:func:`langspec.data.schema.read_split`); ``k`` keeps the first k of each
    sign (all by default); ``rows`` picks test examples by position (all by
    default; the table keeps their order); ``epoch`` (1-based) reads that
    checkpoint's own top-k instead of the sum over checkpoints (files made with
    ``influence.per_checkpoint``). Rows are ordered by test example, then sign
    (``pos`` before ``neg``), then rank; rank 1 is the most positive (``pos``) or
    the most negative (``neg``) training example. ``correct``, ``prediction`` and
    ``gold`` are at the last checkpoint (at ``epoch`` when given). Columns:
    :data:`COLUMNS`.
    """
    n_test, k_file = influence.pos_idx.shape
    k = k_file if k is None else max(0, min(int(k), k_file))
    rows = np.arange(n_test) if rows is None else np.asarray(rows, dtype=int)
    if epoch is None:
        arrays = {name: getattr(influence, name) for name in ("pos_idx", "pos_score", "neg_idx", "neg_score")}
        correct = influence.correct
    else:
        if not influence.epoch:
            raise LangspecError("this influence file has no per-checkpoint rankings (made without influence.per_checkpoint)")
        epochs = influence.epoch_correct.shape[0]
        if not 1 <= epoch <= epochs:
            raise LangspecError(f"epoch {epoch} is not among the influence file's checkpoints 1..{epochs}")
        arrays = {name: influence.epoch[name][epoch - 1] for name in ("pos_idx", "pos_score", "neg_idx", "neg_score")}
        correct = influence.epoch_correct[epoch - 1]

    test_rows = _lookup(test, influence.test_uid[rows], "test", where[1])
    train_rows = _lookup(train, influence.train_uid, "training", where[0])
    test_text = texts(test_rows.reset_index()).to_numpy()
    train_text = texts(train_rows.reset_index()).to_numpy()
    train_label = _names(train_rows["label"].to_numpy(), label_names)

    # [n, 2, k] in (test example, sign, rank) order, flattened row-major
    idx = np.stack([arrays["pos_idx"][rows, :k], arrays["neg_idx"][rows, :k]], axis=1)
    score = np.stack([arrays["pos_score"][rows, :k], arrays["neg_score"][rows, :k]], axis=1)
    per_test = 2 * k
    flat = idx.reshape(-1)
    gold = _names(influence.test_label[rows], label_names)
    prediction = _names(influence.test_pred[rows], label_names)
    frame = pd.DataFrame({
        "test_uid": np.repeat(influence.test_uid[rows], per_test),
        "test_lang": np.repeat(influence.test_lang[rows], per_test),
        "test_text": np.repeat(test_text, per_test),
        "gold": np.repeat(gold, per_test),
        "prediction": np.repeat(prediction, per_test),
        "correct": np.repeat(np.asarray(correct, dtype=bool)[rows], per_test),
        "sign": np.tile(np.repeat(np.array(SIGNS), k), len(rows)),
        "rank": np.tile(np.arange(1, k + 1), 2 * len(rows)),
        "train_uid": influence.train_uid[flat],
        "train_lang": influence.train_lang[flat],
        "train_text": train_text[flat],
        "train_label": train_label[flat],
        "score": score.reshape(-1).astype(float),
    })
    for column in ("test_uid", "test_lang", "test_text", "gold", "prediction", "sign", "train_uid", "train_lang", "train_text", "train_label"):
        frame[column] = frame[column].astype(object)
    return frame


def sample(test_lang: Sequence[str] | np.ndarray, per_language: int, seed: int) -> np.ndarray:
    """Positions of up to ``per_language`` test examples of each language (all where fewer), sorted.

    Each language draws from its own generator, seeded with ``seed`` and the
    language code, so adding a language leaves the others' samples unchanged.
    """
    if per_language < 1:
        raise LangspecError(f"examples per language must be at least 1, not {per_language}")
    test_lang = np.asarray(test_lang).astype(str)
    chosen = []
    for lang in dict.fromkeys(test_lang):
        positions = np.flatnonzero(test_lang == lang)
        if len(positions) > per_language:
            rng = np.random.default_rng([int(seed), *lang.encode("utf-8")])
            positions = rng.choice(positions, per_language, replace=False)
        chosen.append(positions)
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=int)


def examples(influence: Influence, train: pd.DataFrame, test: pd.DataFrame,
             label_names: Sequence[str] | None = None, per_language: int = 10, k: int = 10,
             seed: int = 0, where: tuple[str, str] = ("the training split", "the test split")) -> pd.DataFrame:
    """The browser's table: :func:`long_table` for a :func:`sample` of the test examples."""
    return long_table(influence, train, test, label_names, k=k, rows=sample(influence.test_lang, per_language, seed), where=where)


def describe(path: str | os.PathLike) -> dict[str, str]:
    """Task, replicate, regime and condition of ``.../{task}/rep{r}/{regime}/{condition}.h5`` (what it can tell)."""
    path = Path(path)
    parts = path.with_suffix("").parts
    found = {"condition": parts[-1]}
    if len(parts) >= 4 and re.fullmatch(r"rep\d+", parts[-3]):
        found |= {"task": parts[-4], "replicate": parts[-3][3:], "regime": parts[-2]}
    return found


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.35em; margin-bottom: 0.3em; }
p.intro { max-width: 62em; line-height: 1.45; font-size: 0.95em; }
table.dataTable { font-size: 0.85em; }
table.dataTable td { vertical-align: top; }
table.dataTable td.text { white-space: normal; min-width: 16em; max-width: 40em; }
table.dataTable td.pos { color: #1a5e20; }
table.dataTable td.neg { color: #8e1b1b; }
table.dataTable tr.wrong td.prediction { font-weight: bold; color: #8e1b1b; }
table.dataTable tfoot input { width: 100%; box-sizing: border-box; font-size: 0.9em; }
"""

# Loads the DataTables module embedded in the page (a blob: URL, so nothing
# leaves the machine), expands the table (strings are stored once, rows refer
# to them by index), and starts DataTables with one filter box per column.
_SCRIPT = """
const bundle = document.getElementById("datatables-bundle").value;
const url = URL.createObjectURL(new Blob([bundle], { type: "text/javascript" }));
const { default: DataTable } = await import(url);
URL.revokeObjectURL(url);
const page = JSON.parse(document.getElementById("table-data").textContent);
const data = page.rows.map(row => row.map((value, j) => page.kinds[j] === "string" ? page.strings[value] : value));
const text = DataTable.render.text();
const number = decimals => DataTable.render.number("", ".", decimals);
const mark = page.mark;
const table = new DataTable("#" + page.id, {
  data,
  columns: page.kinds.map((kind, j) => ({
    render: kind === "string" ? text : number(page.decimals[j]),
    type: kind === "number" ? "num" : "string",
    className: page.classes[j],
  })),
  order: [],
  pageLength: page.pageLength,
  lengthMenu: [[page.pageLength, 100, 500, -1], [page.pageLength, 100, 500, "all"]],
  autoWidth: false,
  deferRender: true,
  createdRow: (row, values) => {
    if (mark.sign >= 0 && /^[a-z]+$/.test(values[mark.sign])) row.cells[mark.sign].classList.add(values[mark.sign]);
    if (mark.correct >= 0 && values[mark.correct] === "no") row.classList.add("wrong");
  },
});
table.columns().every(function () {
  const input = this.footer().querySelector("input");
  input.addEventListener("input", () => { if (this.search() !== input.value) this.search(input.value).draw(); });
});
window.examplesTable = table;
document.body.dataset.ready = "true";
"""


def _payload(frame: pd.DataFrame, table_id: str, page_length: int, text_columns: Sequence[str]) -> dict:
    """The table as JSON-ready lists: every distinct string stored once, rows of indices and numbers."""
    strings: dict[str, int] = {}
    kinds, columns, decimals = [], [], []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values):
            values = values.map({True: "yes", False: "no"})
        if pd.api.types.is_numeric_dtype(values):
            kinds.append("number")
            numbers = values.astype(float).round(4)
            decimals.append(0 if numbers.dropna().map(float.is_integer).all() else 4)
            columns.append([None if pd.isna(v) else (int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v)) for v in numbers])
        else:
            kinds.append("string")
            decimals.append(0)
            columns.append([strings.setdefault("" if pd.isna(v) else str(v), len(strings)) for v in values])
    names = list(frame.columns)
    return {
        "id": table_id,
        "kinds": kinds,
        "decimals": decimals,
        "classes": [("text " if name in text_columns else "") + re.sub(r"[^a-z0-9_-]", "", name.lower()) for name in names],
        "strings": list(strings),
        "rows": [list(row) for row in zip(*columns)] if columns else [],
        "pageLength": int(page_length),
        "mark": {role: names.index(role) if role in names else -1 for role in ("sign", "correct")},
    }


def datatables_assets() -> tuple[str, str]:
    """(JavaScript module, CSS) of the DataTables build shipped with ``itables`` (its offline bundle)."""
    try:
        import itables.options
    except ImportError:
        raise LangspecError("the influence browser needs the itables package: pip install itables") from None
    bundle = Path(itables.options.dt_bundle)
    try:
        return bundle.read_text(encoding="utf-8"), bundle.with_suffix(".css").read_text(encoding="utf-8")
    except OSError as error:
        raise LangspecError(f"itables' DataTables bundle {bundle} cannot be read ({error})") from None


def _intro(frame: pd.DataFrame, influence: Influence, per_language: int, k: int, seed: int) -> str:
    """The paragraph under the page's title: what was sampled and how to read and use the table."""
    n_test = frame["test_uid"].nunique()
    languages = pd.Series(influence.test_lang).value_counts(sort=False)
    shown = frame.drop_duplicates("test_uid")["test_lang"].value_counts(sort=False)
    per = ", ".join(f"{lang} {shown.get(lang, 0)} of {count}" for lang, count in languages.items())
    similarity = html.escape(str(influence.attrs.get("similarity", "cosine")))
    try:
        checkpoints = len(json.loads(influence.attrs.get("checkpoints", "[]")))
    except (TypeError, ValueError):
        checkpoints = 0
    summed = f", summed over {checkpoints} checkpoint{'s' if checkpoints != 1 else ''}" if checkpoints else ""
    return (
        f"<p class=intro>{n_test} test examples (up to {per_language} per language, drawn with seed {seed}: "
        f"{html.escape(per)}), each with its {k} most positively (sign <b>pos</b>, rank 1 = most positive) and "
        f"{k} most negatively (sign <b>neg</b>, rank 1 = most negative) influential training examples: "
        f"{2 * k} rows per test example, one test example per page as first shown. The score is TracIn influence "
        f"({similarity} similarity of gradient sketches{summed}). Gold, prediction and train_label are label names; "
        "<i>correct</i> says whether the prediction (last checkpoint, under the condition's mask) is the gold label "
        "(a wrong prediction is shown in red). The search box filters on all columns, the boxes under the table "
        "on one column each (e.g. <i>neg</i> under sign); a click on a column header sorts by it (again: reverse; "
        "shift-click: add a second column). A pair task's text is <i>text_a</i> ‖ <i>text_b</i>.</p>"
    )


def render_html(frame: pd.DataFrame, title: str, intro: str = "", page_length: int = 20,
                text_columns: Sequence[str] = ("test_text", "train_text"), table_id: str = "examples") -> str:
    """A self-contained HTML page showing ``frame`` as a searchable, sortable table.

    The page embeds DataTables (the build ``itables`` ships for its offline
    mode, about 0.75 MB) and the table's data; it loads nothing from the
    network. The data is stored compactly (each distinct string once), so a
    thousand rows of sentence-length texts add about 0.25 MB: the page stays
    small enough for the single-file Snakemake report, which embeds it as a
    data: URI, and Chromium opens no frame whose data: URI exceeds 2 MB.
    ``intro`` is HTML placed under the title; ``text_columns`` wrap. Booleans
    are shown as yes / no. Above the table a search box filters all columns;
    under it one box per column filters that column; a header click sorts.
    """
    bundle, css = datatables_assets()
    payload = json.dumps(_payload(frame, table_id, page_length, text_columns), ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("<", "\\u003c")  # nothing in the JSON can close its <script> element
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in frame.columns)
    filters = "".join(f"<th><input type=search aria-label='filter {html.escape(str(name))}' "
                      f"placeholder='{html.escape(str(name))}'></th>" for name in frame.columns)
    # a <textarea> holds text verbatim up to "</textarea": escaping & and < keeps the module's source intact
    source = bundle.replace("&", "&amp;").replace("<", "&lt;")
    css = css.replace("</", "<\\/")  # the stylesheet cannot close its <style> element either
    return (
        "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
        f"<title>{html.escape(title)}</title>\n<style>\n{css}\n</style>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{intro}\n"
        "<noscript><p><b>This table needs JavaScript; the CSV file beside this page holds the same rows.</b></p></noscript>\n"
        f"<table id={table_id} class='display compact cell-border' style='width:100%'>\n"
        f"<thead><tr>{head}</tr></thead>\n<tfoot><tr>{filters}</tr></tfoot>\n</table>\n"
        f"<script type=application/json id=table-data>{payload}</script>\n"
        f"<textarea id=datatables-bundle hidden>{source}</textarea>\n"
        f"<script type=module>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def write_examples(influence_path: str | os.PathLike, train_path: str | os.PathLike, test_path: str | os.PathLike,
                   manifest_path: str | os.PathLike | None, csv_path: str | os.PathLike, html_path: str | os.PathLike,
                   per_language: int = 10, k: int = 10, seed: int = 0, title: str | None = None) -> pd.DataFrame:
    """Write the browser's ``examples.csv`` and ``examples.html`` for one influence file (atomically).

    ``train_path``/``test_path`` are the data splits of the influence file's task
    and replicate, ``manifest_path`` its ``manifest.json`` (label names; None
    shows label ids). Returns the table.
    """
    influence = read_influence(influence_path)
    train, test = read_split(train_path), read_split(test_path)
    label_names = read_label_names(manifest_path) if manifest_path is not None else None
    k = min(k, influence.pos_idx.shape[1])
    frame = examples(influence, train, test, label_names, per_language, k, seed,
                     where=(f"data file {train_path}", f"data file {test_path}"))
    if title is None:
        about = describe(influence_path)
        title = "Influence examples: " + ", ".join(
            f"{key} {about[key]}" for key in ("task", "replicate", "regime", "condition") if key in about)
    page = render_html(frame, title, _intro(frame, influence, per_language, k, seed), page_length=2 * k if k else 20)
    with atomic_path(csv_path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    with atomic_path(html_path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return frame
