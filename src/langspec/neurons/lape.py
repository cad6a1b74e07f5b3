"""Language activation probability entropy (LAPE; Tang et al. 2024) and the selection rule of the paper's code.

From per-language activation probabilities ``p[lang, layer, neuron]`` (the
share of the language's tokens at which the neuron is active,
:mod:`langspec.neurons.activation`), as ``identify.py`` of
RUCAIBox/Language-Specific-Neurons (commit fdeca23) computes them:

1. normalise each neuron's probabilities over languages, ``q = p / Σ_lang p``
   (0 where the neuron is never active), and take the entropy
   ``H = -Σ_lang q ln q`` in nats (``0 ln 0 = 0``): low entropy, few languages
   (identify.py lines 19-23);
2. the *filter*: the value ``f`` at the ``filter_rate`` quantile (default
   0.95) of all probabilities of every layer, neuron and language together (the
   ``round(n · filter_rate)``-th smallest of the ``n`` values); a neuron whose
   probability exceeds ``f`` in no language is dismissed (lines 30-35);
3. the ``round(neurons · top_rate)`` neurons of lowest entropy (default
   ``top_rate`` 0.01: 1% of all neurons of all layers) are selected (lines 37-41);
4. the *activation bar*: the value ``b`` at the ``activation_bar_ratio``
   quantile (default 0.95) of the same probabilities; a selected neuron belongs
   to every language whose probability exceeds ``b``, so to one or several
   languages, or to none (lines 48-50).

One deviation: the reference ranks dismissed neurons last (entropy +inf) but
keeps them in the ranking, so when fewer than ``round(neurons · top_rate)``
neurons pass the filter it fills the selection with dismissed ones in an
order torch leaves undefined; here they are never selected. With the default
rates this cannot happen unless probabilities tie at the filter value: at
least 5% of the ``languages × neurons`` probabilities exceed it, so at least
5% of the neurons pass, more than the 1% selected. Ties in entropy go to the
lower (layer, neuron) index.

Numpy only: selection runs without torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from langspec.core.errors import LangspecError
from langspec.core.integrity import check_range

#: identify.py's defaults (lines 16-18): the lowest-entropy share of neurons, and the quantiles of all activation
#: probabilities that a neuron must exceed in some language to be kept (filter) and to belong to a language (bar)
TOP_RATE = 0.01
FILTER_RATE = 0.95
ACTIVATION_BAR_RATIO = 0.95
#: the fewest tokens of a language whose activation probabilities LAPE uses: a probability p estimated from n
#: tokens has the binomial standard error sqrt(p(1-p)/n) <= 0.5/sqrt(n), 0.016 (1.6 percentage points) at n = 1000,
#: whatever p, the activation bar's included, so that languages' probabilities around the bar (a few percentage
#: points apart) are told apart. Tokens of one text are correlated, so the true error is larger: a lower bound.
MIN_TOKENS = 1000


def probabilities(counts: np.ndarray | Sequence[np.ndarray], tokens: Sequence[int], languages: Sequence[str],
                  min_tokens: int = MIN_TOKENS) -> np.ndarray:
    """Activation probabilities ``p`` [languages, layers, neurons] float64 in [0, 1]: ``counts[i] / tokens[i]``.

    ``counts[i]`` [layers, neurons] is language ``languages[i]``'s active-token
    counts and ``tokens[i]`` its number of tokens
    (:class:`~langspec.neurons.activation.Activations`). A language with fewer
    than ``min_tokens`` tokens (:data:`MIN_TOKENS`) is a one-line error naming it.
    """
    counts = np.asarray(counts)
    tokens = np.asarray(tokens, dtype=np.int64)
    if counts.ndim != 3 or counts.shape[0] != len(languages) or tokens.shape != (len(languages),):
        raise LangspecError(f"activation counts of shape {counts.shape} and {tokens.shape} token counts do not match "
                            f"{len(languages)} languages x layers x neurons")
    if min_tokens < 1:
        raise LangspecError(f"min_tokens is {min_tokens}; LAPE needs at least one token per language")
    for lang, n in zip(languages, tokens.tolist()):
        if n < min_tokens:
            raise LangspecError(
                f"language '{lang}' has {n} tokens; LAPE needs at least {min_tokens} per language, so that an "
                f"activation probability has a binomial standard error of at most {0.5 / math.sqrt(min_tokens):.3f} "
                "(0.5/sqrt(tokens)): give it more text")
    p = counts / tokens[:, None, None]
    check_range(p, 0.0, 1.0, "activation probabilities (active tokens / tokens)")
    return p


def entropy(p: np.ndarray) -> np.ndarray:
    """LAPE [layers, neurons] in nats: the entropy of ``p`` [languages, layers, neurons] normalised over languages
    (0 for a neuron active in one language only, ln(languages) for one equally active in all, 0 for one never
    active)."""
    total = p.sum(axis=0, keepdims=True)
    q = np.divide(p, total, out=np.zeros_like(p, dtype=np.float64), where=total > 0)
    return 0.0 - np.sum(q * np.log(q, out=np.zeros_like(q), where=q > 0), axis=0)  # 0.0 -: no negative zeros


@dataclass(frozen=True)
class Selection:
    """LAPE's language-specific neurons.

    ``masks[lang]`` [layers, neurons] bool: the language's neurons; ``selected``
    [layers, neurons]: the low-entropy neurons (each belongs to zero, one or
    several languages); ``entropy`` [layers, neurons] in nats; ``filter_value``
    and ``activation_bar``: the probabilities at the two quantiles; and the three rates used.
    """

    languages: tuple[str, ...]
    masks: dict[str, np.ndarray]
    selected: np.ndarray
    entropy: np.ndarray
    filter_value: float
    activation_bar: float
    top_rate: float
    filter_rate: float
    activation_bar_ratio: float


def _check_rate(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise LangspecError(f"LAPE threshold {name} is {value}, outside (0, 1)")


def _quantile(values: np.ndarray, rate: float, name: str) -> float:
    """The ``round(len · rate)``-th smallest of ``values`` (torch's ``kthvalue``, as identify.py takes it)."""
    k = round(values.size * rate)
    if k < 1:
        raise LangspecError(f"LAPE threshold {name} {rate} of {values.size} probabilities picks none; raise {name}")
    return float(np.partition(values, k - 1)[k - 1])


def select(p: np.ndarray, languages: Sequence[str], top_rate: float = TOP_RATE, filter_rate: float = FILTER_RATE,
           activation_bar_ratio: float = ACTIVATION_BAR_RATIO) -> Selection:
    """Language-specific neurons from ``p`` [languages, layers, neurons] by identify.py's rule (module docstring).

    Each rate must lie in (0, 1); a bad one, fewer than two languages, or a
    ``top_rate`` that selects no neuron is a one-line error naming it.
    """
    for name, value in (("top_rate", top_rate), ("filter_rate", filter_rate),
                        ("activation_bar_ratio", activation_bar_ratio)):
        _check_rate(name, value)
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 3 or p.shape[0] != len(languages):
        raise LangspecError(f"activation probabilities of shape {p.shape} are not {len(languages)} languages x layers "
                            "x neurons")
    if len(set(languages)) < 2 or len(set(languages)) != len(languages):
        raise LangspecError(f"LAPE needs two or more distinct languages, got {list(languages)}")
    check_range(p, 0.0, 1.0, "activation probabilities")
    flat = p.ravel()
    filter_value = _quantile(flat, filter_rate, "filter_rate")
    activation_bar = _quantile(flat, activation_bar_ratio, "activation_bar_ratio")
    lape = entropy(p)
    ranked = np.where((p > filter_value).any(axis=0), lape, np.inf).ravel()
    count = round(ranked.size * top_rate)
    if count < 1:
        raise LangspecError(f"LAPE threshold top_rate {top_rate} of {ranked.size} neurons selects none; raise top_rate")
    chosen = np.argsort(ranked, kind="stable")[:count]
    selected = np.zeros(ranked.size, dtype=bool)
    selected[chosen[np.isfinite(ranked[chosen])]] = True
    selected = selected.reshape(lape.shape)
    masks = {lang: selected & (p[i] > activation_bar) for i, lang in enumerate(languages)}
    return Selection(languages=tuple(languages), masks=masks, selected=selected, entropy=lape,
                     filter_value=filter_value, activation_bar=activation_bar, top_rate=top_rate,
                     filter_rate=filter_rate, activation_bar_ratio=activation_bar_ratio)
