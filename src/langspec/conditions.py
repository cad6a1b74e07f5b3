"""Mask conditions: which single mask each test language is scored under.

``full`` (no mask), ``own`` (each test language its own mask), ``random<s>``
(its own mask shuffled with seed s), and any single-mask name applied to every
test language: a language code (that language's mask: the paper's "suboptimal"
case), ``<lang>-random<s>``, ``union-<a>-<b>`` and ``intersection-<a>-<b>``. Sketches are always taken under one single mask (a
mask name, or ``full``); composite conditions are assembled from them, so the
train and test gradients of one score share a mask.
"""

from __future__ import annotations

import re

from .errors import LangspecError

_RANDOM = re.compile(r"^random(\d+)$")
_COMPOSED = re.compile(r"^(union|intersection)-([a-z]{2,3})-([a-z]{2,3})$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_LANG_RANDOM = re.compile(r"^[a-z]{2,3}-random\d+$")


def mask_for(condition: str, test_lang: str) -> str:
    """The single-mask name (``full`` for none) that ``test_lang`` is scored under."""
    if condition in ("full", "own"):
        return "full" if condition == "full" else test_lang
    if match := _RANDOM.match(condition):
        return f"{test_lang}-random{match.group(1)}"
    if _COMPOSED.match(condition) or _LANG.match(condition) or _LANG_RANDOM.match(condition):
        return condition
    raise LangspecError(
        f"mask condition '{condition}' is not one of full, own, random<seed>, a language code, "
        "<lang>-random<seed>, union-<a>-<b> or intersection-<a>-<b>"
    )


def single_masks(condition: str, test_langs: list[str]) -> dict[str, str]:
    """test language -> single-mask name, for every test language."""
    return {lang: mask_for(condition, lang) for lang in test_langs}


def mask_languages(name: str) -> list[str]:
    """Languages whose pruned masks a single-mask name is derived from ([] for ``full``)."""
    if name == "full":
        return []
    if match := _COMPOSED.match(name):
        return [match.group(2), match.group(3)]
    return [name.split("-random")[0]]
