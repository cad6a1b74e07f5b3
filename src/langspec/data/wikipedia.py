"""The wikipedia task: masked language modelling on passages of Wikipedia articles, as paper 003 uses it.

Read with ``datasets.load_dataset(hub_id, name="<dump>.<language>", split="train",
streaming=True)`` from ``wikimedia/wikipedia`` (or a local copy in its layout):
one config per dump date and language (``20231101.en``, ``20231101.de``, ...),
one split ``train``, columns ``id`` (str), ``url``, ``title`` and ``text`` (the
article's plain text, paragraphs separated by newlines). Nothing is downloaded
whole: the stream is shuffled with the task's seed
(``IterableDataset.shuffle(seed, buffer_size=wikipedia.shuffle_buffer)``: the
dump's files in a seeded order, articles drawn from a buffer of that many) and
read until every split holds ``size.<split>`` passages in the language, so
``size`` must not be null.

Each article goes to train, dev or test by the seeded hash of its ``id``
(:func:`langspec.data.sample.split_of` with ``wikipedia.dev_fraction`` and
``wikipedia.test_fraction``), so the passages of one article are never in two
splits. The whole article is cut into consecutive passages of
``words_per_example`` whitespace-separated words (the reference code keeps only
the first 512-token block of an article; every block is kept here): a final
remainder of at least half that many words is a passage of its own, a shorter
one is joined to the passage before it, so a passage has between half and one
and a half times ``words_per_example`` words and an article shorter than half
gives none. Passages are whitespace-normalised (words joined by single spaces).
Once a split is full, its further articles are skipped, and the passages of the
article that fills it beyond ``size`` are left out.

Rows: ``item`` and ``uid`` ``<article id>-<passage number>-<lang>``, ``text_a``
the passage, ``text_b`` null, ``label`` 0; not parallel, no classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

import pandas as pd

from langspec.core.errors import LangspecError
from langspec.data.hub import config_names
from langspec.data.sample import split_of
from langspec.data.schema import SPLITS, Loaded

HUB_ID = "wikimedia/wikipedia"
COLUMNS = ("id", "url", "title", "text")


def passages(text: str, words: int) -> list[str]:
    """``text`` cut into consecutive passages of ``words`` words; a short remainder joins the last passage.

    A remainder of at least ``words / 2`` words is a passage of its own; a text
    shorter than that gives none.
    """
    tokens = text.split()
    cuts = list(range(0, len(tokens), words))
    chunks = [tokens[start : start + words] for start in cuts]
    if chunks and 2 * len(chunks[-1]) < words:
        last = chunks.pop()
        if chunks:
            chunks[-1] = chunks[-1] + last
    return [" ".join(chunk) for chunk in chunks]


def _first_line(err: Exception) -> str:
    return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"


def stream(hub_id: str, config: str, seed: int, buffer: int):
    """The articles of one config in a seeded shuffled order, streamed."""
    import datasets

    try:
        articles = datasets.load_dataset(hub_id, name=config, split="train", streaming=True)
    except (OSError, ValueError, datasets.exceptions.DatasetsError) as err:
        raise LangspecError(f"cannot stream {hub_id!r} config {config} ({_first_line(err)})") from err
    missing = [column for column in COLUMNS if articles.column_names is not None and column not in articles.column_names]
    if missing:
        raise LangspecError(
            f"{hub_id!r} config {config} lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(articles.column_names)}"
        )
    return articles.shuffle(seed=seed, buffer_size=buffer)


def read_language(
    hub_id: str, config: str, lang: str, spec: dict, seed: int
) -> tuple[dict[str, list[dict]], dict[str, int], dict[str, int], bool]:
    """One language's passages per split, the articles cut per split, the articles skipped, and whether the stream ran out."""
    options = spec["wikipedia"]
    words = spec["words_per_example"]
    wanted = {split: spec["size"][split] for split in SPLITS}
    rows: dict[str, list[dict]] = {split: [] for split in SPLITS}
    articles = dict.fromkeys(SPLITS, 0)
    skipped = {"split_full": 0, "too_short": 0}
    for article in stream(hub_id, config, seed, options["shuffle_buffer"]):
        key = str(article["id"])
        split = split_of(key, seed, options["dev_fraction"], options["test_fraction"])
        if len(rows[split]) >= wanted[split]:
            skipped["split_full"] += 1
            continue
        cut = passages(article["text"] or "", words)
        if not cut:
            skipped["too_short"] += 1
            continue
        articles[split] += 1
        room = wanted[split] - len(rows[split])
        for number, passage in enumerate(cut[:room]):
            uid = f"{key}-{number}-{lang}"
            rows[split].append({"item": uid, "uid": uid, "lang": lang, "text_a": passage, "text_b": None, "label": 0})
        if all(len(rows[split]) >= wanted[split] for split in SPLITS):
            return rows, articles, skipped, False
    return rows, articles, skipped, not all(len(rows[split]) >= wanted[split] for split in SPLITS)


def build(spec: dict, languages: Sequence[str], seed: int) -> Loaded:
    """Passages of Wikipedia articles in ``languages`` for every split, with their manifest."""
    for split in SPLITS:
        if spec["size"][split] is None:
            raise LangspecError(
                f"size.{split} is null, but the wikipedia source streams a dump and needs a number of passages per split"
            )
    hub_id = spec["hub_id"] or HUB_ID
    dump = spec["wikipedia"]["dump"]
    offered = set(config_names(hub_id))
    absent = [lang for lang in languages if f"{dump}.{lang}" not in offered]
    if absent:
        dumps = sorted({name.split(".", 1)[0] for name in offered if "." in name})
        raise LangspecError(
            f"wikipedia ({hub_id}) has no config {dump}.<lang> for language {', '.join(absent)} (dump {dump}); "
            f"its dumps: {', '.join(dumps) or 'none'}"
        )
    parts: dict[str, list[dict]] = {split: [] for split in SPLITS}
    articles: dict[str, dict] = {split: {} for split in SPLITS}
    passages_kept: dict[str, dict] = {split: {} for split in SPLITS}
    skipped, exhausted = {}, {}
    for lang in languages:
        rows, cut, skipped[lang], exhausted[lang] = read_language(hub_id, f"{dump}.{lang}", lang, spec, seed)
        for split in SPLITS:
            parts[split].extend(rows[split])
            articles[split][lang] = cut[split]
            passages_kept[split][lang] = len(rows[split])
    columns = ["item", "uid", "lang", "text_a", "text_b", "label"]
    frames = {split: pd.DataFrame(rows, columns=columns) for split, rows in parts.items()}
    manifest = {
        "hub_id": hub_id,
        "dump": dump,
        "configs": {lang: f"{dump}.{lang}" for lang in languages},
        "words_per_example": spec["words_per_example"],
        "articles_read": articles,
        "articles_skipped": skipped,
        "passages": passages_kept,
        "stream_exhausted": exhausted,
        "versions": {"datasets": version("datasets")},
    }
    return Loaded(frames, [], parallel=False, manifest=manifest, kind="mlm")
