"""Your own task data: one jsonl, csv or parquet file per split (chosen by extension).

``local.columns`` names the columns holding the language code, the text(s), the
integer label (0..C-1) and, optionally, a unique id; ``local.parallel_key`` names
a column that marks translations of one item, so that subsampling takes the same
items in every language. Rows in languages the task does not use are ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from langspec.core.errors import LangspecError
from langspec.data.schema import SPLITS, Loaded

READERS = {
    ".jsonl": lambda path: pd.read_json(path, lines=True, dtype=False),
    ".csv": lambda path: pd.read_csv(path, dtype=str, keep_default_na=False),
    ".parquet": pd.read_parquet,
}


def read_file(key: str, path: str | None) -> pd.DataFrame:
    """The table at ``path``; ``key`` (e.g. ``local.train``) names it in errors."""
    if path is None:
        raise LangspecError(f"{key} is not set; the local source needs a file for each of {', '.join(SPLITS)}")
    suffix = Path(path).suffix.lower()
    if suffix not in READERS:
        raise LangspecError(f"{key} {path!r}: unsupported extension {suffix!r}; use {', '.join(READERS)}")
    if not Path(path).is_file():
        raise LangspecError(f"{key} {path!r} does not exist")
    try:
        return READERS[suffix](path)
    except (OSError, ValueError) as err:
        raise LangspecError(f"{key} {path!r} cannot be read as {suffix[1:]}: {err}") from err


def _integer_labels(values: pd.Series, where: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | (numbers % 1 != 0) | (numbers < 0)
    if bad.any():
        row = values.index[bad.to_numpy().argmax()]
        raise LangspecError(f"{where}: label {str(values[row])!r} in row {row} is not an integer >= 0")
    return numbers.astype("int64")


def _texts(values: pd.Series, where: str, column: str) -> pd.Series:
    empty = values.isna() | (values.astype(str).str.strip() == "")
    if empty.any():
        raise LangspecError(f"{where}: column {column!r} is empty in row {values.index[empty.to_numpy().argmax()]}")
    return values.astype(str)


def to_rows(table: pd.DataFrame, options: dict, split: str, languages: Sequence[str]) -> pd.DataFrame:
    """Contract rows plus ``item`` from one split's table, in the task's languages."""
    where = f"local.{split} {options[split]!r}"
    setting = {f"local.columns.{name}": column for name, column in options["columns"].items() if column}
    if options["parallel_key"]:
        setting["local.parallel_key"] = options["parallel_key"]
    wanted = {key.rsplit(".", 1)[1]: column for key, column in setting.items()}
    absent = [f"{column!r} ({key})" for key, column in setting.items() if column not in table.columns]
    if absent:
        raise LangspecError(f"{where} lacks column {', '.join(absent)}; it has {', '.join(map(str, table.columns))}")
    table = table.reset_index(drop=True)
    lang = table[wanted["lang"]].astype(str)
    missing = [code for code in languages if code not in set(lang)]
    if missing:
        raise LangspecError(
            f"{where} has no rows in language {', '.join(missing)}; it has {', '.join(sorted(set(lang)))}"
        )
    table, lang = table[lang.isin(languages)], lang[lang.isin(languages)]
    uid = table[wanted["uid"]].astype(str) if "uid" in wanted else f"{split}-" + table.index.to_series().astype(str)
    rows = pd.DataFrame(
        {
            "uid": uid,
            "lang": lang,
            "text_a": _texts(table[wanted["text_a"]], where, wanted["text_a"]),
            "text_b": _texts(table[wanted["text_b"]], where, wanted["text_b"]) if "text_b" in wanted else None,
            "label": _integer_labels(table[wanted["label"]], where),
        }
    )
    rows["item"] = f"{split}-" + table[wanted["parallel_key"]].astype(str) if "parallel_key" in wanted else uid
    return rows.reset_index(drop=True)


def build(spec: dict, languages: Sequence[str]) -> Loaded:
    """The rows of the three local files in ``languages``, with their manifest."""
    options = spec["local"]
    frames, files = {}, {}
    for split in SPLITS:
        table = read_file(f"local.{split}", options[split])
        frames[split] = to_rows(table, options, split, languages)
        files[split] = {
            "path": str(options[split]),
            "sha256": hashlib.sha256(Path(options[split]).read_bytes()).hexdigest(),
            "rows": len(table),
        }
    top = max(int(frame["label"].max()) for frame in frames.values() if len(frame))
    names = options["label_names"] or [str(label) for label in range(top + 1)]
    if top >= len(names):
        raise LangspecError(f"local.label_names names {len(names)} labels, but the data have label {top}")
    manifest = {"files": files, "columns": options["columns"], "parallel_key": options["parallel_key"]}
    return Loaded(frames, list(names), parallel=options["parallel_key"] is not None, manifest=manifest)
