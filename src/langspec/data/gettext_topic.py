"""The gettext-topic task: from which software area does a program message come?

Every Debian machine carries real, parallel, multilingual text: the compiled
gettext catalogs ``<locale_dir>/<locale>/LC_MESSAGES/<domain>.mo`` of its
programs. One item is one English message (the msgid; English needs no catalog)
together with its translations; its label is the software area of its catalog
(database, version control, packaging, ...), as listed in the areas file
(``resources/gettext_areas.yaml``).

Which messages become items:

- singular, translated entries only (no header, no plural forms; compiled
  catalogs hold no fuzzy or obsolete entries), translated into every requested
  language;
- not format-only or very short: fewer than ``min_chars`` characters or
  ``min_words`` words once printf/brace placeholders, markup and mnemonics are
  taken out drops a message;
- not copied untranslated: a translation equal to the English text drops the item;
- unique: the same English text from two catalogs of one area is kept once (the
  first catalog in sorted order), from catalogs of two areas it is dropped.

Texts are whitespace-normalised (runs of spaces and newlines become one space)
and, in catalogs the areas file marks, stripped of ``_`` mnemonic markers.
Items are split into train/dev/test by a seeded hash of the English text, so one
item lands in one split in every language. The gettext-mlm and iso-ner sources
read their messages through :func:`read_messages` as well.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import polib
import yaml

from langspec.core.errors import LangspecError
from langspec.data.sample import partition
from langspec.data.schema import SPLITS, Loaded

#: Our language code -> the locale directory name, where they differ.
LOCALE_NAMES = {"zh": "zh_CN"}

_PRINTF = re.compile(
    r"%(?:\d+\$)?[-+ #0']*(?:\*(?:\d+\$)?|\d+)?(?:\.(?:\*(?:\d+\$)?|\d+))?"
    r"(?:hh|h|ll|l|L|q|j|z|Z|t|I)?(?:<\w+>|[diouxXeEfFgGaAcCsSpnm%])"
)
_BRACE = re.compile(r"\{[^{}\s]*\}|\$\(\w+\)|\$\{\w+\}")
_MARKUP = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
_MNEMONIC = re.compile(r"\s?\(_[^\W_]\)|_(?=[^\W_])")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@dataclass(frozen=True)
class Area:
    """One software area: a label and the catalogs whose messages carry it."""

    name: str
    description: str
    domains: tuple[str, ...]
    packages: tuple[str, ...]
    mnemonics: tuple[str, ...] = ()


def load_areas(path: str | Path, names: Sequence[str] | None) -> list[Area]:
    """The areas of ``path`` named in ``names`` (in that order), or all of them in file order."""
    path = Path(path)
    if not path.is_file():
        raise LangspecError(f"gettext.areas_file {str(path)!r} does not exist")
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))["areas"]
    areas = {
        name: Area(
            name=name,
            description=entry["description"],
            domains=tuple(entry["domains"]),
            packages=tuple(entry["packages"]),
            mnemonics=tuple(entry.get("mnemonics", ())),
        )
        for name, entry in spec.items()
    }
    unknown = [n for n in names or () if n not in areas]
    if unknown:
        raise LangspecError(f"gettext.areas: unknown area(s) {', '.join(unknown)}; {path} has {', '.join(areas)}")
    return [areas[n] for n in names] if names else list(areas.values())


def clean_text(text: str, mnemonics: bool) -> str:
    """The message as it enters the data: mnemonic markers removed (if marked), whitespace collapsed."""
    if mnemonics:
        text = _MNEMONIC.sub("", text)
    return " ".join(text.split())


def content(text: str) -> str:
    """``text`` without printf/brace placeholders and markup: what the length filters measure."""
    return " ".join(_MARKUP.sub(" ", _BRACE.sub(" ", _PRINTF.sub(" ", text))).split())


def is_usable(english: str, min_chars: int, min_words: int) -> bool:
    """Whether a cleaned English message is long enough to be an item."""
    rest = content(english)
    return len(rest) >= min_chars and len(_WORD.findall(rest)) >= min_words


def read_catalog(path: Path) -> dict[tuple[str, str], str]:
    """Translated singular entries of a compiled catalog: (msgctxt or "", msgid) -> msgstr."""
    try:
        entries = polib.mofile(str(path))
    except (OSError, ValueError) as err:
        raise LangspecError(f"cannot read gettext catalog {path}: {err}") from err
    return {
        (entry.msgctxt or "", entry.msgid): entry.msgstr
        for entry in entries
        if entry.msgid and not entry.msgid_plural and entry.msgstr
    }


def find_catalogs(
    locale_dir: Path, areas: Sequence[Area], languages: Sequence[str]
) -> tuple[list[tuple[Area, str]], list[dict]]:
    """The (area, domain) pairs with a catalog in every non-English language, and those skipped.

    Raises when some area has no catalog at all for a requested language, naming the
    Debian packages that install that area's catalogs.
    """
    foreign = [lang for lang in languages if lang != "en"]
    if not foreign:
        raise LangspecError(
            "the gettext sources need a language besides en: English texts are the msgids of translated catalogs"
        )
    present = {}
    for lang in foreign:
        directory = locale_dir / LOCALE_NAMES.get(lang, lang) / "LC_MESSAGES"
        present[lang] = {p.stem for p in directory.glob("*.mo")} if directory.is_dir() else set()
    missing, found, skipped = [], [], []
    for area in areas:
        matches = {lang: {d for d in names if _matches(d, area.domains)} for lang, names in present.items()}
        lacking = [lang for lang in foreign if not matches[lang]]
        if lacking:
            missing.append(f"{area.name} in {', '.join(lacking)} (Debian packages: {', '.join(area.packages)})")
            continue
        for domain in sorted(set().union(*matches.values())):
            absent = [lang for lang in foreign if domain not in matches[lang]]
            if absent:
                skipped.append({"area": area.name, "domain": domain, "missing": absent})
            else:
                found.append((area, domain))
    if missing:
        raise LangspecError(
            f"gettext catalogs missing under {locale_dir} for area {'; area '.join(missing)}; "
            "install those packages or choose other gettext.areas or languages"
        )
    return found, skipped


def _matches(domain: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(domain, p) for p in patterns)


def collect_items(
    catalogs: Sequence[tuple[Area, str]],
    locale_dir: Path,
    languages: Sequence[str],
    min_chars: int,
    min_words: int,
) -> tuple[pd.DataFrame, list[dict], dict[str, int]]:
    """Items (one row per item and language) with columns item, lang, text_a, area.

    Also returns the catalog files read (with their message counts) and how many
    messages each filter dropped.
    """
    foreign = [lang for lang in languages if lang != "en"]
    candidates: dict[str, list[tuple[str, dict[str, str]]]] = {}
    files, dropped = [], {"short": 0, "copied_untranslated": 0, "duplicates": 0, "conflicting_areas": 0}
    for area, domain in catalogs:
        mnemonics = _matches(domain, area.mnemonics)
        tables = {}
        for lang in foreign:
            path = locale_dir / LOCALE_NAMES.get(lang, lang) / "LC_MESSAGES" / f"{domain}.mo"
            tables[lang] = read_catalog(path)
            files.append(
                {"area": area.name, "domain": domain, "lang": lang, "path": str(path), "messages": len(tables[lang])}
            )
        shared = set.intersection(*(set(t) for t in tables.values()))
        for key in sorted(shared):
            english = clean_text(key[1], mnemonics)
            if not is_usable(english, min_chars, min_words):
                dropped["short"] += 1
                continue
            texts = {lang: clean_text(tables[lang][key], mnemonics) for lang in foreign}
            if english in texts.values():
                dropped["copied_untranslated"] += 1
                continue
            candidates.setdefault(english, []).append((area.name, texts))
    rows = []
    for english, found in candidates.items():
        if len({name for name, _ in found}) > 1:
            dropped["conflicting_areas"] += 1
            continue
        dropped["duplicates"] += len(found) - 1
        area_name, texts = found[0]
        item = hashlib.sha1(english.encode()).hexdigest()[:16]
        texts = {"en": english, **texts}
        rows.extend({"item": item, "lang": lang, "text_a": texts[lang], "area": area_name} for lang in languages)
    return pd.DataFrame(rows, columns=["item", "lang", "text_a", "area"]), files, dropped


def debian_packages(paths: Sequence[str]) -> dict[str, tuple[str, str]]:
    """path -> (Debian package, version) for the paths dpkg knows; empty without dpkg."""
    try:
        owners = subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return {}
    package_of = {}
    for line in owners.splitlines():
        packages, sep, path = line.partition(": ")
        if sep and not line.startswith("diversion"):
            package_of[path] = packages.split(",")[0].split(":")[0].strip()
    names = sorted(set(package_of.values()))
    if not names:
        return {}
    query = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${Version}\n", *names], capture_output=True, text=True, check=False
    ).stdout
    versions = dict(line.split("\t", 1) for line in query.splitlines() if "\t" in line)
    return {path: (package, versions.get(package, "")) for path, package in package_of.items()}


def read_messages(options: dict, languages: Sequence[str]) -> tuple[pd.DataFrame, list[Area], dict]:
    """The usable messages of the areas in ``options`` (the task's ``gettext`` options) in ``languages``.

    Returns the items (one row per item and language; columns item, lang, text_a,
    area), the areas, and the manifest entries saying where they came from: locale
    dir, areas file and areas, the catalogs read (with their Debian package and
    version) and skipped, the messages dropped, polib's version. Shared by every
    gettext source.
    """
    locale_dir = Path(options["locale_dir"])
    areas = load_areas(options["areas_file"], options["areas"])
    catalogs, skipped = find_catalogs(locale_dir, areas, languages)
    items, files, dropped = collect_items(catalogs, locale_dir, languages, options["min_chars"], options["min_words"])
    owners = debian_packages([entry["path"] for entry in files])
    for entry in files:
        entry["package"], entry["version"] = owners.get(entry["path"], (None, None))
    manifest = {
        "locale_dir": str(locale_dir),
        "areas_file": str(options["areas_file"]),
        "areas": {area.name: {"description": area.description, "packages": list(area.packages)} for area in areas},
        "catalogs": files,
        "skipped_catalogs": skipped,
        "dropped_messages": dropped,
        "versions": {"polib": version("polib")},
    }
    return items, areas, manifest


def build(spec: dict, languages: Sequence[str], seed: int) -> Loaded:
    """Items of the gettext-topic task, split into train/dev/test, with their manifest."""
    options = spec["gettext"]
    items, areas, sources = read_messages(options, languages)
    split_of = partition(items["item"].unique(), seed, options["dev_fraction"], options["test_fraction"])
    items["label"] = items["area"].map({area.name: label for label, area in enumerate(areas)})
    items["uid"] = items["item"] + "-" + items["lang"]
    items["text_b"] = None
    splits = items["item"].map(split_of)
    frames = {split: items[splits == split] for split in SPLITS}
    manifest = {
        **sources,
        "items": {
            split: {area.name: int(frame.loc[frame["area"] == area.name, "item"].nunique()) for area in areas}
            for split, frame in frames.items()
        },
    }
    return Loaded(frames, [area.name for area in areas], parallel=True, manifest=manifest)
