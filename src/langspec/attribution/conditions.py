"""Mask conditions: which single mask each test language is scored under.

``full`` (no mask), ``own`` (each test language its own mask), ``random<s>``
(its own mask shuffled with seed s), and any single-mask name applied to every
test language: a language code (that language's mask: the paper's "suboptimal"
case), ``<lang>-random<s>``, ``union-<a>-<b>`` and ``intersection-<a>-<b>``.
Single masks named ``lth-<lang>`` are lottery tickets (weight masks, paper 003);
in the ``sft-lth`` regime ``own`` scores each test language under its own ticket.
Single masks named ``neurons-<lang>`` are that language's LAPE neurons, deactivated
(:mod:`langspec.neurons`); condition ``neurons`` scores each test language under
its own (paper 000's figure 2, asked of neurons).
Sketches are always taken under one single mask (a mask name, or ``full``);
composite conditions are assembled from them, so the train and test gradients
of one score share a mask.
"""

from __future__ import annotations

import re

from langspec.core.errors import LangspecError

_RANDOM = re.compile(r"^random(\d+)$")
_COMPOSED = re.compile(r"^(union|intersection)-([a-z]{2,3})-([a-z]{2,3})$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_LANG_RANDOM = re.compile(r"^[a-z]{2,3}-random\d+$")
_TICKET = re.compile(r"^lth-([a-z]{2,3})$")
_NEURONS = re.compile(r"^neurons-([a-z]{2,3})$")
#: The condition that scores each test language with its own LAPE neurons deactivated.
NEURONS = "neurons"
TICKET_REGIMES = ("sft-lth",)


def mask_for(condition: str, test_lang: str, regime: str | None = None) -> str:
    """The single-mask name (``full`` for none) that ``test_lang`` is scored under (in ``regime``)."""
    if condition in ("full", "own"):
        if condition == "full":
            return "full"
        return f"lth-{test_lang}" if regime in TICKET_REGIMES else test_lang
    if regime in TICKET_REGIMES and not _TICKET.match(condition):
        raise LangspecError(f"regime '{regime}' scores under lottery tickets: use condition full, own or lth-<lang>, not '{condition}'")
    if condition == NEURONS:
        return f"neurons-{test_lang}"
    if match := _RANDOM.match(condition):
        return f"{test_lang}-random{match.group(1)}"
    if (_COMPOSED.match(condition) or _LANG.match(condition) or _LANG_RANDOM.match(condition)
            or _TICKET.match(condition) or _NEURONS.match(condition)):
        return condition
    raise LangspecError(
        f"mask condition '{condition}' is not one of full, own, random<seed>, neurons, a language code, "
        "<lang>-random<seed>, union-<a>-<b>, intersection-<a>-<b>, lth-<lang> or neurons-<lang>"
    )


def single_masks(condition: str, test_langs: list[str], regime: str | None = None) -> dict[str, str]:
    """test language -> single-mask name, for every test language."""
    return {lang: mask_for(condition, lang, regime) for lang in test_langs}


def ticket_language(name: str) -> str | None:
    """The language of a lottery-ticket single mask ``lth-<lang>``, else None."""
    match = _TICKET.match(name)
    return match.group(1) if match else None


def neuron_language(name: str) -> str | None:
    """The language of a neuron single mask ``neurons-<lang>`` (its LAPE neurons deactivated), else None."""
    match = _NEURONS.match(name)
    return match.group(1) if match else None


def mask_languages(name: str) -> list[str]:
    """Languages whose pruned masks a single-mask name is derived from ([] for ``full``)."""
    if name == "full":
        return []
    if match := _COMPOSED.match(name):
        return [match.group(2), match.group(3)]
    if match := _TICKET.match(name) or _NEURONS.match(name):
        return [match.group(1)]
    return [name.split("-random")[0]]
