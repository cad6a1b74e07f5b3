"""The paper's tasks from the Hugging Face hub: XNLI, PAWS-X and MARC.

Each is read with ``datasets.load_dataset(hub_id, name=<language>, split=...)``;
``hub_id`` may also be a local directory in the hub repository's layout (a README
with ``configs:`` and parquet files), which is how the tests run offline.

- xnli (``facebook/xnli``): premise, hypothesis, label 0 entailment / 1 neutral /
  2 contradiction, made binary as in the paper (after Han et al. 2020): 1
  entailment, 0 not. The rows of a split are translations of each other, row by row.
- xnli3 (``facebook/xnli``): the same with its three labels, as paper 003 uses it.
- pawsx (``google-research-datasets/paws-x``): id, sentence1, sentence2, label
  1 paraphrase / 0 not; translations share their ``id``.
- marc (``mteb/AmazonReviewsClassification``): the Multilingual Amazon Reviews
  Corpus, one config per language (de, en, es, fr, ja, zh), splits
  train/validation/test of 200,000/5,000/5,000 reviews (balanced over stars),
  columns ``text`` (the review: title and body in one string, as MTEB converted
  it) and ``label`` (stars - 1, 0..4). As in the paper, 1-2 stars are negative,
  4-5 positive, 3 is dropped. Not parallel.
  Why this repository: the original ``amazon_reviews_multi`` is defunct (its
  download was withdrawn), and ``mteb/amazon_reviews_multi`` is a loading-script
  dataset, which ``datasets`` >= 4 no longer runs; this one is the plain-parquet
  copy that MTEB itself now evaluates on, with per-language configs and the
  original splits.

Splits train/validation/test become train/dev/test. ``datasets`` is imported
by the functions that read the hub, so that the other sources do not load it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version

import pandas as pd

from langspec.core.errors import LangspecError
from langspec.data.schema import Loaded

HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


@dataclass(frozen=True)
class HubTask:
    """How one hub dataset maps onto the data contract.

    ``label_map`` maps the dataset's labels to ours (rows with other labels are
    dropped); ``parallel_by`` names the column shared by translations of one item,
    ``"index"`` for the row number, or is None for a non-parallel dataset.
    """

    hub_id: str
    text_a: str
    text_b: str | None
    label_names: tuple[str, ...]
    label_map: Mapping[int, int]
    parallel_by: str | None

    @property
    def columns(self) -> list[str]:
        """The columns read from every split."""
        named = [self.text_a, self.text_b, "label", None if self.parallel_by == "index" else self.parallel_by]
        return [column for column in named if column]


TASKS: dict[str, HubTask] = {
    "xnli": HubTask(
        hub_id="facebook/xnli",
        text_a="premise",
        text_b="hypothesis",
        label_names=("not_entailment", "entailment"),
        label_map={0: 1, 1: 0, 2: 0},
        parallel_by="index",
    ),
    "xnli3": HubTask(
        hub_id="facebook/xnli",
        text_a="premise",
        text_b="hypothesis",
        label_names=("entailment", "neutral", "contradiction"),
        label_map={0: 0, 1: 1, 2: 2},
        parallel_by="index",
    ),
    "pawsx": HubTask(
        hub_id="google-research-datasets/paws-x",
        text_a="sentence1",
        text_b="sentence2",
        label_names=("not_paraphrase", "paraphrase"),
        label_map={0: 0, 1: 1},
        parallel_by="id",
    ),
    "marc": HubTask(
        hub_id="mteb/AmazonReviewsClassification",
        text_a="text",
        text_b=None,
        label_names=("negative", "positive"),
        label_map={0: 0, 1: 0, 3: 1, 4: 1},
        parallel_by=None,
    ),
}


def _first_line(err: Exception) -> str:
    return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"


def config_names(hub_id: str) -> list[str]:
    """The configurations (here: languages) a hub dataset or local copy offers."""
    import datasets

    try:
        return datasets.get_dataset_config_names(hub_id)
    except (OSError, ValueError) as err:
        raise LangspecError(
            f"cannot open hub dataset {hub_id!r} ({_first_line(err)}); "
            "without network access set hub_id to a local copy in the hub layout"
        ) from err


def load_config(hub_id: str, lang: str, columns: Sequence[str]) -> dict[str, pd.DataFrame]:
    """One language's train/dev/test splits as frames, checked for ``columns``."""
    import datasets

    try:
        loaded = datasets.load_dataset(hub_id, name=lang)
    except (OSError, ValueError, datasets.exceptions.DatasetsError) as err:
        raise LangspecError(f"cannot load {hub_id!r} config {lang} ({_first_line(err)})") from err
    absent = [name for name in HUB_SPLITS.values() if name not in loaded]
    if absent:
        raise LangspecError(f"{hub_id!r} config {lang} has no split {', '.join(absent)}; it has {', '.join(loaded)}")
    frames = {split: loaded[name].to_pandas() for split, name in HUB_SPLITS.items()}
    for split, frame in frames.items():
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise LangspecError(
                f"{hub_id!r} config {lang} split {HUB_SPLITS[split]} lacks column(s) {', '.join(missing)}; "
                f"it has {', '.join(map(str, frame.columns))}"
            )
    return frames


def to_rows(frame: pd.DataFrame, how: HubTask, lang: str, split: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Contract rows plus ``item`` from one language's split, and how many rows were dropped why."""
    key = frame[how.parallel_by] if how.parallel_by in frame.columns else frame.index.to_series()
    label = frame["label"].map(how.label_map)
    text_a = frame[how.text_a]
    text_b = frame[how.text_b] if how.text_b else pd.Series(None, index=frame.index, dtype=object)
    empty = text_a.isna() | (text_a.astype(str).str.strip() == "")
    if how.text_b:
        empty |= text_b.isna() | (text_b.astype(str).str.strip() == "")
    keep = label.notna() & ~empty
    item = f"{split}-" + key.astype(str)
    uid = item + f"-{lang}"
    rows = pd.DataFrame(
        {
            "item": item if how.parallel_by else uid,
            "uid": uid,
            "lang": lang,
            "text_a": text_a,
            "text_b": text_b,
            "label": label,
        }
    )[keep]
    rows["label"] = rows["label"].astype("int64")
    return rows, {"unused_label": int(label.isna().sum()), "empty_text": int((empty & label.notna()).sum())}


def read_configs(
    hub_id: str, languages: Sequence[str], columns: Sequence[str], convert: Callable[[pd.DataFrame, str, str], tuple]
) -> tuple[dict[str, pd.DataFrame], dict, dict]:
    """Every split of each language's config of ``hub_id``, made contract rows by ``convert(frame, lang, split)``.

    ``convert`` returns (rows, what it dropped). Returns the rows per split (all
    languages), and per split and language the rows read and what was dropped.
    """
    parts: dict[str, list[pd.DataFrame]] = {split: [] for split in HUB_SPLITS}
    read: dict[str, dict] = {split: {} for split in HUB_SPLITS}
    dropped: dict[str, dict] = {split: {} for split in HUB_SPLITS}
    for lang in languages:
        for split, frame in load_config(hub_id, lang, columns).items():
            rows, lost = convert(frame, lang, split)
            parts[split].append(rows)
            read[split][lang] = len(frame)
            dropped[split][lang] = lost
    return {split: pd.concat(rows, ignore_index=True) for split, rows in parts.items()}, read, dropped


def build(source: str, spec: dict, languages: Sequence[str]) -> Loaded:
    """The task's rows in ``languages`` for every split, with their manifest."""
    how = TASKS[source]
    hub_id = spec["hub_id"] or how.hub_id
    offered = config_names(hub_id)
    absent = [lang for lang in languages if lang not in offered]
    if absent:
        raise LangspecError(
            f"{source} ({hub_id}) has no language {', '.join(absent)}; it has {', '.join(sorted(offered))}"
        )
    frames, read, dropped = read_configs(hub_id, languages, how.columns, lambda frame, lang, split: to_rows(frame, how, lang, split))
    manifest = {
        "hub_id": hub_id,
        "hub_splits": HUB_SPLITS,
        "columns": {"text_a": how.text_a, "text_b": how.text_b, "label": "label"},
        "label_map": {str(k): v for k, v in how.label_map.items()},
        "rows_read": read,
        "rows_dropped": dropped,
        "versions": {"datasets": version("datasets")},
    }
    return Loaded(frames, list(how.label_names), parallel=how.parallel_by is not None, manifest=manifest)
