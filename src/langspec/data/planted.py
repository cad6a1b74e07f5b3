"""The planted task: synthetic languages whose relatedness is known, for known-answer tests of the claims.

Every language writes the same items (parallel): a sentence is a bag of lexemes,
``keywords`` of which name its class (the label) and the rest fillers drawn from
a shared pool, in a random order. Languages differ only in their lexicon, the
word each lexeme is written as:

- a language not listed in ``shared_lexicon`` draws its own lexicon: every word
  a fresh string of 2-3 consonant-vowel syllables;
- in a pair ``[a, b]`` of ``shared_lexicon``, ``b`` keeps ``a``'s word for a
  lexeme with probability ``cognates`` (its cognates) and draws a fresh word
  otherwise, so ``a`` and ``b`` share that fraction of their words, sub-word
  tokens and all: a planted relatedness of known direction and size.

With ``shared_lexicon: []`` every pair of languages is exchangeable (independent
lexicons from one syllable inventory), so any statistic contrasting declared
"related" pairs with the others has expectation 0: the planted null. Items are
drawn from the task's (replicate) seed, lexicons too, so replicates are
independent. Only the alphabet a–z is used: the model's tokenizer sees Latin
sub-words in every language, and no language is favoured by its script.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError
from langspec.data.schema import SPLITS, Loaded

CONSONANTS = tuple("bdfgklmnprstvz")
VOWELS = tuple("aeiou")


def _word(rng: np.random.Generator) -> str:
    syllables = int(rng.integers(2, 4))
    return "".join(str(rng.choice(CONSONANTS)) + str(rng.choice(VOWELS)) for _ in range(syllables))


def _lexicon(rng: np.random.Generator, size: int) -> list[str]:
    """``size`` distinct pseudo-words."""
    words: dict[str, None] = {}
    while len(words) < size:
        words[_word(rng)] = None
    return list(words)


def lexicons(languages: Sequence[str], shared: Sequence[Sequence[str]], size: int, cognates: float,
             rng: np.random.Generator) -> dict[str, list[str]]:
    """Language -> its word for each of ``size`` lexemes (index = lexeme); a derived language of ``shared``
    keeps its parent's word with probability ``cognates``."""
    derived = {}
    for pair in shared:
        if len(pair) != 2 or pair[0] == pair[1] or not set(pair) <= set(languages):
            raise LangspecError(f"planted.shared_lexicon: {list(pair)} must be two distinct languages of the task "
                                f"({', '.join(languages)})")
        if pair[1] in derived or pair[1] in {p[0] for p in shared}:
            raise LangspecError(f"planted.shared_lexicon: {pair[1]!r} is derived twice or derives another language")
        derived[pair[1]] = pair[0]
    out = {lang: _lexicon(rng, size) for lang in languages if lang not in derived}
    for lang, parent in derived.items():
        fresh = _lexicon(rng, size)
        keep = rng.random(size) < cognates
        out[lang] = [w if k else f for w, f, k in zip(out[parent], fresh, keep, strict=True)]
    return out


def build(spec: dict, languages: Sequence[str], seed: int) -> Loaded:
    """Items of the planted task in every language, split into train/dev/test, with their manifest.

    ``spec["planted"]``: ``classes`` (labels), ``keywords`` (lexemes per class),
    ``fillers`` (shared filler lexemes), ``length`` (words per sentence),
    ``keywords_per_sentence``, ``shared_lexicon`` (pairs [a, b]: b derived
    from a) and ``cognates`` (the fraction of a's words b keeps). ``spec["size"]`` gives the items per split.
    """
    options = spec["planted"]
    classes, per_class, fillers = options["classes"], options["keywords"], options["fillers"]
    length, marked = options["length"], options["keywords_per_sentence"]
    if marked > min(length, per_class):
        raise LangspecError(f"planted.keywords_per_sentence ({marked}) exceeds planted.length ({length}) "
                            f"or planted.keywords ({per_class})")
    rng = np.random.default_rng(seed)
    words = lexicons(languages, options["shared_lexicon"], classes * per_class + fillers, options["cognates"], rng)
    frames = {}
    for split in SPLITS:
        n = spec["size"][split]
        if n is None:
            raise LangspecError(f"size.{split}: the planted source makes items on demand; give a number")
        labels = np.arange(n) % classes
        rows = []
        for i, label in enumerate(rng.permutation(labels)):
            keys = label * per_class + rng.choice(per_class, size=marked, replace=False)
            rest = classes * per_class + rng.choice(fillers, size=length - marked, replace=True)
            lexemes = rng.permutation(np.concatenate([keys, rest]))
            item = f"{split}{i:05d}"
            for lang in languages:
                rows.append({"item": item, "uid": f"{item}-{lang}", "lang": lang, "label": int(label),
                             "text_a": " ".join(words[lang][j] for j in lexemes), "text_b": None})
        frames[split] = pd.DataFrame(rows)
    manifest = {
        "planted": {key: options[key] for key in sorted(options)},
        "lexicon_sample": {lang: words[lang][:5] for lang in languages},
    }
    return Loaded(frames, [f"class{c}" for c in range(classes)], parallel=True, manifest=manifest)
