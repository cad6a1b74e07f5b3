"""Which languages count as related: the genus of each language of both papers' tasks.

Genus (WALS's level below the family) rather than family: English and German are
related (Germanic), French and Spanish (Romance), but English and French are not,
though all four are Indo-European. Languages not listed here are related to none
unless a task declares its pairs (``related_languages``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from langspec.core.errors import LangspecError

GENUS: dict[str, str] = {
    "en": "Germanic", "de": "Germanic", "nl": "Germanic", "sv": "Germanic",
    "fr": "Romance", "es": "Romance", "it": "Romance", "pt": "Romance", "ro": "Romance",
    "ru": "Slavic", "bg": "Slavic", "pl": "Slavic", "uk": "Slavic", "cs": "Slavic",
    "el": "Greek", "tr": "Turkic", "ar": "Semitic", "he": "Semitic", "hi": "Indic", "ur": "Indic",
    "zh": "Sinitic", "ja": "Japanese", "ko": "Korean", "th": "Kam-Tai", "vi": "Viet-Muong",
    "sw": "Bantoid", "fi": "Finnic", "et": "Finnic", "hu": "Ugric",
}


def related_pairs(languages: Sequence[str], declared: Sequence[Sequence[str]] | None = None) -> list[list[str]]:
    """Unordered pairs of ``languages`` that are related: ``declared`` if given, else those of one genus.

    Each pair is sorted, the list too. A declared pair must name two distinct
    languages of ``languages``.
    """
    if declared is None:
        return sorted(sorted(p) for p in combinations(languages, 2)
                      if GENUS.get(p[0]) is not None and GENUS.get(p[0]) == GENUS.get(p[1]))
    out = []
    for pair in declared:
        if len(pair) != 2 or pair[0] == pair[1] or not set(pair) <= set(languages):
            raise LangspecError(f"related_languages: {list(pair)} must be two distinct languages of the task "
                                f"({', '.join(languages)})")
        out.append(sorted(pair))
    return sorted(out)
