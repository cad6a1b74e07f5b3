"""The headline claims of both papers, each with the statistic that tests it as the paper states it.

A claim's statistic is computed once per replicate from that replicate's files
(:class:`Evidence`), pooled as the claim is stated (a mean over test languages,
language pairs or layers; a correlation over a replicate's points) and paired
where two conditions share a replicate. :func:`findings` assesses every claim
whose inputs the config produced (:mod:`langspec.stats.findings`) and lists the
others as not run. Units: pp = percentage points of a top-k share; points =
accuracy points; r = Pearson correlation.

To add a claim: write its statistic (``Evidence -> one value per replicate``,
or a :class:`Measured` where the values are dev or test metrics with a
sampling error of their own) and add a :class:`Claim` to :data:`CLAIMS` with
the roles it reads.

Claims that pool replicates of a dev or test metric (paper 003's tickets,
transfer and appendix D masks; paper 000's test accuracy after SFT) carry each
replicate value's own sampling standard error, propagated from the rows'
counts (:mod:`langspec.stats.sampling`: binomial for accuracy, the delta method
on span counts for F1, the mean loss's for perplexity; a difference of two
metrics on the same examples takes √(se_a² + se_b²), conservative for paired
examples; values scored on one dev set add their errors, different languages'
dev sets are independent, :func:`langspec.stats.sampling.mean_se`). The
verdict's spread is floored at it (:mod:`langspec.stats.findings`); where a
table lacks the counts the se is NaN and nothing is floored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from langspec.attribution.shares import matrix, read_table
from langspec.core.errors import LangspecError
from langspec.heads.masks import read_mask
from langspec.stats.correlations import pearson
from langspec.stats.findings import assess
from langspec.stats.heads import cosines, pairs, specialization
from langspec.kinds.overlap import HEADS_IN_NEURON_LAYERS, TICKET_IN_NEURONS
from langspec.stats.kinds import index_difference, overlap_excess, specificity_index
from langspec.stats.neurons import outer_excess, own_over_others, own_over_random
from langspec.stats.sampling import difference_se, mean_se
from langspec.stats.tickets import (
    FULL,
    MULTI,
    PAIR,
    SAME,
    as_text,
    points,
    points_se,
    relative_drops,
    table_metric,
    transfer_rows,
    with_se,
)
from langspec.tickets.overlap import expected_jaccard
from langspec.tickets.transfer import RANDOM


class NotRun(Exception):
    """A claim's inputs are not among the evidence (the config does not produce them)."""


@dataclass
class Evidence:
    """What one task's claims are computed from; every list holds one entry per replicate.

    ``shares``: "regime/condition" -> per-replicate comparison tables (shares CSVs);
    ``epochs``: "regime/condition" -> per-replicate epoch tables; ``masks``: per
    replicate, language -> [layers, heads] head mask; ``lth``: paper 003's tidy
    tables by role (tickets, transfer, overlap, retrieval), every replicate's rows;
    ``settings``: random_seeds, sft_random_seed, sparsity (the first transfer
    sparsity), sparsities, overlap_sparsity, related (sorted pairs of related
    languages, :func:`langspec.data.families.related_pairs`), text_to_text (the
    task is text-to-text on an encoder-decoder: figure 5's claim instead of figure 4's).
    """

    shares: Mapping[str, Sequence[pd.DataFrame]] = field(default_factory=dict)
    epochs: Mapping[str, Sequence[pd.DataFrame]] = field(default_factory=dict)
    masks: Sequence[Mapping[str, np.ndarray]] = ()
    lth: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    settings: Mapping = field(default_factory=dict)
    neurons: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    def table(self, key: str) -> Sequence[pd.DataFrame]:
        if key not in self.shares:
            raise NotRun(f"shares of {key}")
        return self.shares[key]

    def epoch(self, key: str) -> Sequence[pd.DataFrame]:
        if key not in self.epochs:
            raise NotRun(f"epoch shares of {key}")
        return self.epochs[key]

    def setting(self, key: str):
        if self.settings.get(key) is None:
            raise NotRun(f"setting {key}")
        return self.settings[key]

    def frame(self, role: str) -> pd.DataFrame:
        if role not in self.lth:
            raise NotRun(f"paper 003's {role} table")
        return self.lth[role]

    def neuron_table(self, role: str) -> pd.DataFrame:
        if role not in self.neurons:
            raise NotRun(f"the neurons' {role} table")
        return self.neurons[role]


@dataclass(frozen=True)
class Measured:
    """A claim's per-replicate values [R] with each value's own sampling standard error [R] (same unit; NaN: unknown).

    It reads as its values wherever an array is expected (``np.asarray``, ``len``), as a claim's plain values do.
    """

    values: np.ndarray
    se: np.ndarray

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)

    def __len__(self) -> int:
        return len(self.values)


def _measured(values: Sequence[float], se: Sequence[float]) -> Measured:
    return Measured(np.asarray(values, float), np.asarray(se, float))


@dataclass(frozen=True)
class Claim:
    """One claim of a paper and how it is tested."""

    id: str
    paper: str  #: "000", "003" or "neurons" (language-specific neurons, Tang et al. 2024)
    where: str  #: where the paper states it
    figure: str  #: the figure or table it belongs to
    claim: str  #: the claim in one sentence
    paper_effect: str  #: what the paper reports
    statistic: str  #: what is computed per replicate, and its unit
    unit: str
    expect: str  #: increase, decrease, no-increase or no-decrease (langspec.stats.findings)
    smallest: float | None  #: the paper's smallest reported effect (effect claims) or the margin (no-... claims)
    compute: Callable[[Evidence], Sequence[float] | Measured] = field(repr=False, compare=False)
    #: the evidence it reads (:data:`READS`), so that a workflow computes only the chosen claims' inputs
    reads: tuple[str, ...] = ()


#: What a claim may read: shares of "regime/condition" ("full/random" stands for every random seed's mask,
#: "sft-random" for the SFT random seed's), their per-epoch tables ("epochs:..."), the head masks, and
#: paper 003's tables ("lth:<role>") and the language-specific neurons' ("neurons:<role>").
READS: tuple[str, ...] = ("full/full", "full/own", "full/random", "sft/own", "sft-random", "epochs:sft/own",
                          "epochs:sft-random", "masks", "lth:tickets", "lth:transfer", "lth:overlap", "lth:retrieval",
                          "lth:similarity", "lth:alternatives", "neurons:layers", "neurons:deactivation",
                          "neurons:kinds_removal", "neurons:kinds_overlap")


# -- statistics of paper 000 ------------------------------------------------------------


def _diagonal(table: pd.DataFrame, value: str = "change_pct", sign: str = "pos") -> float:
    """Mean over test languages of the in-language cell (train = test) of one sign."""
    part = table[(table["sign"] == sign) & (table["test_lang"] == table["train_lang"])]
    values = part[value].to_numpy(float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan


def _diagonals(tables: Sequence[pd.DataFrame], value: str = "change_pct") -> np.ndarray:
    return np.array([_diagonal(t, value) for t in tables])


def own_diagonal(e: Evidence) -> np.ndarray:
    return _diagonals(e.table("full/own"))


def random_diagonal(e: Evidence) -> np.ndarray:
    seeds = e.settings.get("random_seeds") or []
    if not seeds:
        raise NotRun("random masks (masks.random_seeds)")
    return np.mean([_diagonals(e.table(f"full/random{s}")) for s in seeds], axis=0)


def own_minus_random(e: Evidence) -> np.ndarray:
    return own_diagonal(e) - random_diagonal(e)


def sft_minus_full(e: Evidence) -> np.ndarray:
    return _diagonals(e.table("sft/own")) - _diagonals(e.table("full/own"))


def _sft_random(e: Evidence) -> str:
    return f"sft-random/random{e.settings.get('sft_random_seed')}"


def random_sft_minus_sft(e: Evidence) -> np.ndarray:
    return _diagonals(e.table(_sft_random(e))) - _diagonals(e.table("sft/own"))


def _last_accuracy(table: pd.DataFrame) -> tuple[float, float]:
    """Mean over test languages of the last checkpoint's test accuracy (%), and its sampling error (%) from the
    languages' ``accuracy_se`` (binomial; the languages' test sets independent; NaN without the column)."""
    last = table[table["epoch"] == table["epoch"].max()].drop_duplicates("test_lang")
    se = last["accuracy_se"].astype(float) if "accuracy_se" in last.columns else np.full(len(last), np.nan)
    return float(last["accuracy"].astype(float).mean() * 100), 100 * mean_se(se)


def random_sft_accuracy(e: Evidence) -> Measured:
    random, own = e.epoch(_sft_random(e)), e.epoch("sft/own")
    pairs_ = [(_last_accuracy(a), _last_accuracy(b)) for a, b in zip(random, own, strict=True)]
    return _measured([a[0] - b[0] for a, b in pairs_], [difference_se(a[1], b[1]) for a, b in pairs_])


def specialization_accuracy(e: Evidence) -> np.ndarray:
    rs = []
    for i, table in enumerate(e.epoch("sft/own")):
        points = specialization(table, f"replicate {i}'s epoch shares of sft/own")
        rs.append(pearson(points["specialization_pct"].to_numpy(), points["accuracy_pct"].to_numpy()))
    return np.array(rs)


def _similarity_r(e: Evidence, sign: str) -> np.ndarray:
    if not e.masks:
        raise NotRun("head masks")
    rs = []
    for masks, table in zip(e.masks, e.table("sft/own"), strict=True):
        influence = pairs(matrix(table, sign, "share_pct")).dropna()
        similarity = pairs(cosines(masks)).reindex(influence.index)
        rs.append(pearson(similarity.to_numpy(), influence.to_numpy()))
    return np.array(rs)


def similarity_positive(e: Evidence) -> np.ndarray:
    return _similarity_r(e, "pos")


def similarity_positive_minus_negative(e: Evidence) -> np.ndarray:
    return _similarity_r(e, "pos") - _similarity_r(e, "neg")


def _baseline_positive(e: Evidence) -> list[pd.DataFrame]:
    """Per replicate: test × train matrix of the full model's positive shares (%), figure 11."""
    return [matrix(table, "pos", "share_pct") for table in e.table("full/full")]


def in_language_baseline(e: Evidence) -> np.ndarray:
    """Per replicate: mean over test languages of the in-language share minus the mean share of the others."""
    out = []
    for m in _baseline_positive(e):
        own = np.diag(m.to_numpy(float))
        others = pairs(m).groupby(level=0).mean().reindex(m.index).to_numpy(float)
        out.append(float(np.nanmean(own - others)))
    return np.array(out)


def related_baseline(e: Evidence) -> np.ndarray:
    """Per replicate: mean over test languages t of the mean share from t's related languages minus that
    from its unrelated ones (languages other than t); test languages without both kinds are left out."""
    related = {frozenset(p) for p in e.settings.get("related") or []}
    out = []
    for m in _baseline_positive(e):
        contrasts = []
        for t in m.index:
            others = [s for s in m.columns if s != t]
            near = [s for s in others if frozenset((s, t)) in related]
            far = [s for s in others if frozenset((s, t)) not in related]
            if near and far:
                contrasts.append(m.loc[t, near].mean() - m.loc[t, far].mean())
        if not contrasts:
            raise NotRun("a test language with both related and unrelated training languages (related_languages)")
        out.append(float(np.nanmean(contrasts)))
    return np.array(out)


# -- statistics of paper 003 ------------------------------------------------------------


def _by_rep(frame: pd.DataFrame) -> list[str]:
    return sorted(dict.fromkeys(as_text(frame["rep"])), key=lambda r: (len(r), r))


def _at(frame: pd.DataFrame, sparsity: float) -> pd.DataFrame:
    return frame[np.isclose(frame["sparsity"].astype(float), float(sparsity))]


def _points(frame: pd.DataFrame, value, reference) -> np.ndarray:
    """``value`` against ``reference`` in the claims' points, positive when better: 100 × the difference for accuracy
    and F1 (percentage points); for perplexity the relative change in % of ``reference`` (a 5-point margin is then 5%).
    """
    return points(table_metric(frame, "paper 003's table"), value, reference)


def _points_se(frame: pd.DataFrame, value, reference, se_value, se_reference) -> np.ndarray:
    """The sampling error of :func:`_points` (:func:`langspec.stats.tickets.points_se`)."""
    return points_se(table_metric(frame, "paper 003's table"), value, reference, se_value, se_reference)


def _frame(e: Evidence, role: str) -> pd.DataFrame:
    """Paper 003's table of ``role`` with ``se``: each row's sampling error of its metric (NaN without its counts)."""
    return with_se(e.frame(role), f"paper 003's {role} table")


def ticket_minus_dense(e: Evidence) -> Measured:
    tickets = _frame(e, "tickets").assign(rep=lambda f: as_text(f["rep"]), lang=lambda f: as_text(f["lang"]))
    tickets = tickets[tickets["lang"] != MULTI]
    level = e.setting("sparsity")
    out, ses = [], []
    for rep in _by_rep(tickets):
        part = tickets[tickets["rep"] == rep]
        dense = part[part["sparsity"] == 0].set_index("lang")[["metric", "se"]]
        ticket = _at(part, level).set_index("lang")[["metric", "se"]]
        if ticket.empty:
            raise NotRun(f"tickets at sparsity {level:g}")
        dense = dense.reindex(ticket.index)
        out.append(float(_points(part, ticket["metric"], dense["metric"]).mean()))
        ses.append(mean_se(_points_se(part, ticket["metric"], dense["metric"], ticket["se"], dense["se"])))
    return _measured(out, ses)


def _overlap_all(e: Evidence) -> pd.DataFrame:
    overlap = e.frame("overlap")
    overlap = overlap.assign(rep=as_text(overlap["rep"]), kind=as_text(overlap["kind"]), layer=as_text(overlap["layer"]))
    return _at(overlap[overlap["layer"] == "all"], e.setting("overlap_sparsity"))


def overlap_above_random(e: Evidence) -> np.ndarray:
    rows = _overlap_all(e)
    pairs_ = rows[rows["kind"] == PAIR]
    bound = 100 * expected_jaccard(float(e.setting("overlap_sparsity")))
    return np.array([100 * pairs_.loc[pairs_["rep"] == rep, "jaccard"].mean() - bound for rep in _by_rep(pairs_)])


def overlap_below_same(e: Evidence) -> np.ndarray:
    rows = _overlap_all(e)
    pairs_, same = rows[rows["kind"] == PAIR], rows[rows["kind"] == SAME]
    if same.empty:
        raise NotRun("same-language overlap (needs two replicates)")
    out = []
    for rep in _by_rep(pairs_):
        mine = same[same["rep"].str.split("-").map(lambda reps, r=rep: r in reps)]
        out.append(100 * (mine["jaccard"].mean() - pairs_.loc[pairs_["rep"] == rep, "jaccard"].mean()))
    return np.array(out)


def _transfer(e: Evidence, sparsity: float) -> pd.DataFrame:
    """The transfer rows (with ``se``) of the tickets at ``sparsity``."""
    rows = transfer_rows(_frame(e, "transfer"), "paper 003's transfer table")
    part = _at(rows[rows["source"] != FULL], sparsity)
    if part.empty:
        raise NotRun(f"transfer at sparsity {sparsity:g}")
    return part


def _own(part: pd.DataFrame) -> pd.DataFrame:
    """Per target: its own ticket's ``metric`` and ``se``."""
    own = part[part["source"] == part["target"]]
    return own.set_index("target")[["metric", "se"]]


def _text_to_text(e: Evidence) -> bool:
    """Whether the evidence is a text-to-text task's (an encoder-decoder, paper 003 section 5's mT5)."""
    return bool(e.settings.get("text_to_text"))


def transfer_loss(e: Evidence) -> Measured:
    if _text_to_text(e):
        raise NotRun("an encoder-only task (this text-to-text task's transfer is claim 003-fig5-transfer)")
    return _transfer_loss(e)


def transfer_loss_encoder_decoder(e: Evidence) -> Measured:
    if not _text_to_text(e):
        raise NotRun("a text-to-text task of an encoder-decoder (mT5)")
    return _transfer_loss(e)


def _transfer_loss(e: Evidence) -> Measured:
    """Per replicate: the mean over pairs s ≠ t of a(s, t) − a(t, t) in points; pairs into one target share its dev set."""
    part = _transfer(e, e.setting("sparsity"))
    out, ses = [], []
    for rep in _by_rep(part):
        p = part[part["rep"] == rep]
        cross = p[~p["source"].isin([RANDOM, MULTI]) & (p["source"] != p["target"])]
        own = _own(p).reindex(cross["target"])
        out.append(float(_points(p, cross["metric"].to_numpy(), own["metric"].to_numpy()).mean()))
        se = _points_se(p, cross["metric"].to_numpy(), own["metric"].to_numpy(), cross["se"].to_numpy(), own["se"].to_numpy())
        ses.append(mean_se(se, cross["target"]))
    return _measured(out, ses)


def ticket_over_random(e: Evidence) -> Measured:
    part = _transfer(e, e.setting("sparsity"))
    if not (part["source"] == RANDOM).any():
        raise NotRun("random masks in the transfer")
    out, ses = [], []
    for rep in _by_rep(part):
        p = part[part["rep"] == rep]
        random = p[p["source"] == RANDOM].set_index("target")[["metric", "se"]]
        tickets = p[~p["source"].isin([RANDOM, MULTI])].groupby("target")[["metric", "se"]].mean().reindex(random.index)
        out.append(float(_points(p, tickets["metric"], random["metric"]).mean()))
        # a target's tickets share its dev set: the mean's se is at most the mean of their se's
        ses.append(mean_se(_points_se(p, tickets["metric"], random["metric"], tickets["se"], random["se"])))
    return _measured(out, ses)


def drop_grows_with_sparsity(e: Evidence) -> Measured:
    """Per replicate: the mean relative drop over sources at the highest sparsity minus at the lowest (%). Sources share
    the targets' dev sets, so a level's se is at most the mean of its sources' se's; the two levels' difference takes
    √(se_high² + se_low²) (the same dev sets: conservative)."""
    levels = sorted(e.settings.get("sparsities") or [])
    if len(levels) < 2:
        raise NotRun("two transfer sparsities (lth.sparsities)")
    low, high = (relative_drops(_transfer(e, s), "transfer").groupby("rep")[["relative_pct", "relative_se"]].mean()
                 for s in (levels[0], levels[-1]))
    low = low.reindex(high.index)
    return _measured((high["relative_pct"] - low["relative_pct"]).to_numpy(float),
                     difference_se(high["relative_se"], low["relative_se"]))


def retrieval_rises(e: Evidence) -> np.ndarray:
    table = e.frame("retrieval")
    table = table.assign(rep=as_text(table["rep"]), method=as_text(table["method"]))
    margin = [m for m in dict.fromkeys(table["method"]) if m.startswith("margin")]
    table = table[table["method"] == (margin or list(dict.fromkeys(table["method"])))[0]]
    layers = sorted(int(v) for v in table["layer"].unique())
    if len(layers) < 3:
        raise NotRun("retrieval over at least two encoder layers")
    top = layers[-1]
    middle = [l for l in layers if top / 3 <= l <= 2 * top / 3 and l > 0] or [l for l in layers if 0 < l < top]
    out = []
    for rep in _by_rep(table):
        part = table[table["rep"] == rep]
        first = part.loc[part["layer"] == layers[0], "accuracy"].mean()
        mid = part.loc[part["layer"].isin(middle), "accuracy"].mean()
        out.append(100 * float(mid - first))
    return np.array(out)


def _deeper_minus_shallower(e: Evidence, measure: str) -> np.ndarray:
    """Per replicate: the pre-trained model's first-token ``measure`` above its control, mean over the upper half of
    the encoder layers minus the lower half (embeddings excluded), over target languages, in points (× 100)."""
    table = e.frame("similarity")
    table = table.assign(rep=as_text(table["rep"]), ticket=as_text(table["ticket"]), pooling=as_text(table["pooling"]),
                         measure=as_text(table["measure"]))
    table = table[(table["ticket"] == FULL) & (table["pooling"] == "first") & (table["measure"] == measure)]
    layers = sorted(int(v) for v in table["layer"].unique() if int(v) > 0)
    if len(layers) < 2:
        raise NotRun(f"{measure} over at least two encoder layers")
    half = len(layers) // 2
    lower, upper = layers[:half], layers[-half:]
    out = []
    for rep in _by_rep(table):
        part = table[table["rep"] == rep]
        excess = part["similarity"].astype(float) - part["control"].astype(float)
        out.append(100 * float(excess[part["layer"].isin(upper)].mean() - excess[part["layer"].isin(lower)].mean()))
    return np.array(out)


def svcca_rises(e: Evidence) -> np.ndarray:
    return _deeper_minus_shallower(e, "svcca")


def pwcca_falls(e: Evidence) -> np.ndarray:
    return _deeper_minus_shallower(e, "pwcca")


def alternatives_below_full(e: Evidence) -> Measured:
    """Per replicate: the alternative masks (every method and language) against the full model, in points; masks of
    one language share its dev set."""
    masks, tickets = _frame(e, "alternatives"), _frame(e, "tickets")
    masks = masks.assign(rep=as_text(masks["rep"]), lang=as_text(masks["lang"]))
    tickets = tickets.assign(rep=as_text(tickets["rep"]), lang=as_text(tickets["lang"]))
    dense = tickets[tickets["sparsity"].astype(float) == 0].set_index(["rep", "lang"])[["metric", "se"]]
    out, ses = [], []
    for rep in _by_rep(masks):
        part = masks[masks["rep"] == rep]
        full = dense.reindex(list(zip(part["rep"], part["lang"])))
        out.append(float(np.mean(_points(part, part["metric"], full["metric"].to_numpy(float)))))
        se = _points_se(part, part["metric"].to_numpy(float), full["metric"].to_numpy(float), part["se"].to_numpy(float),
                        full["se"].to_numpy(float))
        ses.append(mean_se(se, part["lang"]))
    return _measured(out, ses)


def multilingual_over_own(e: Evidence) -> Measured:
    part = _transfer(e, e.setting("overlap_sparsity"))
    if not (part["source"] == MULTI).any():
        raise NotRun("the multilingual ticket")
    out, ses = [], []
    for rep in _by_rep(part):
        p = part[part["rep"] == rep]
        multi = p[p["source"] == MULTI].set_index("target")[["metric", "se"]]
        single = p[~p["source"].isin([RANDOM, MULTI]) & (p["source"] != p["target"])]
        if single.empty:
            raise NotRun(f"single-language tickets transferred at sparsity {e.setting('overlap_sparsity'):g}")
        # a target's transferred tickets share its dev set: their mean's se is at most the mean of their se's
        transferred = single.groupby("target")[["metric", "se"]].mean().reindex(multi.index)
        out.append(float(_points(p, multi["metric"], transferred["metric"]).mean()))
        ses.append(mean_se(_points_se(p, multi["metric"], transferred["metric"], multi["se"], transferred["se"])))
    return _measured(out, ses)


# -- statistics of the language-specific neurons (LAPE, Tang et al. 2024) ----------------


def neurons_outer_layers(e: Evidence) -> np.ndarray:
    """Per replicate: the share (%) of the languages' neurons in the bottom and top quarter of the layers minus the
    share of layers those are (:func:`langspec.stats.neurons.outer_excess`)."""
    layers = e.neuron_table("layers")
    if int(layers["layers"].max()) < 3:
        raise NotRun("three or more layers (with two every layer is a bottom or top one)")
    return outer_excess(layers).to_numpy(float)


def neurons_own_over_others(e: Evidence) -> Measured:
    return _measured(*own_over_others(e.neuron_table("deactivation")))


def neurons_own_over_random(e: Evidence) -> Measured:
    return _measured(*own_over_random(e.neuron_table("deactivation")))


# -- heads, weights and neurons side by side (langspec.kinds) ------------------------------


def kinds_heads_specific(e: Evidence) -> np.ndarray:
    return specificity_index(e.neuron_table("kinds_removal"), "heads")


def kinds_weights_specific(e: Evidence) -> np.ndarray:
    return specificity_index(e.neuron_table("kinds_removal"), "weights")


def kinds_neurons_specific(e: Evidence) -> np.ndarray:
    return specificity_index(e.neuron_table("kinds_removal"), "neurons")


def kinds_neurons_over_heads(e: Evidence) -> np.ndarray:
    return index_difference(e.neuron_table("kinds_removal"), "neurons", "heads")


def kinds_neurons_over_weights(e: Evidence) -> np.ndarray:
    return index_difference(e.neuron_table("kinds_removal"), "neurons", "weights")


def kinds_weights_over_heads(e: Evidence) -> np.ndarray:
    return index_difference(e.neuron_table("kinds_removal"), "weights", "heads")


def kinds_ticket_in_neurons(e: Evidence) -> np.ndarray:
    return overlap_excess(e.neuron_table("kinds_overlap"), TICKET_IN_NEURONS)


def kinds_heads_in_neuron_layers(e: Evidence) -> np.ndarray:
    return overlap_excess(e.neuron_table("kinds_overlap"), HEADS_IN_NEURON_LAYERS)


#: What the kinds' claims say about the papers: none compares the kinds.
_BEYOND = "beyond the three papers (issue 31): heads, weights and neurons on one model"
_NO_VALUE = "no paper compares the kinds (no value reported)"
_INDEX = ("specificity index: L's own dev-loss rise minus the mean rise of the other languages (nats), L's most "
          "specific {what} removed at the parameter budget of L's LAPE neurons; mean over languages L, per replicate")


def _kind_claim(kind: str, units: str, compute) -> Claim:
    return Claim(f"kinds-{kind}-specific", "neurons", _BEYOND, "neurons/kinds",
                 f"Removing a language's most language-specific {units} hurts it more than the other languages.",
                 _NO_VALUE, _INDEX.format(what=units), "nats", "increase", None, compute,
                 reads=("neurons:kinds_removal",))


def _pair_claim(first: str, second: str, compute) -> Claim:
    return Claim(f"kinds-{first}-over-{second}", "neurons", _BEYOND, "neurons/kinds",
                 f"At the same number of parameters, {first} are more language-specific than {second}.", _NO_VALUE,
                 f"specificity index of {first} minus that of {second} (nats; paired: the same model, languages and "
                 "dev set), per replicate", "nats", "increase", None, compute, reads=("neurons:kinds_removal",))


# -- the registry -----------------------------------------------------------------------

CLAIMS: tuple[Claim, ...] = (
    Claim("000-fig11-in-language", "000", "Appendix C, figure 11 (and §5.1)", "fig11",
          "Without subnetworks, a test language relies on its own language's training data more than on another's.",
          "German draws 33% of its top 100 from German (MARC), where five languages share 20% on average",
          "mean over test languages of the in-language positive share minus the mean share of the other "
          "training languages, full model", "pp", "increase", None, in_language_baseline, reads=("full/full",)),
    Claim("000-fig11-related", "000", "§5.1 (cross-language influence) and Appendix C, figure 11", "fig11",
          "Related training languages contribute more positive influence than unrelated ones.",
          "German draws more from English, its most similar training language, than from the others (MARC; "
          "Choenni et al. 2023b); no pooled value reported",
          "mean over test languages of the mean positive share from related minus unrelated training languages "
          "(related_languages, else one genus), full model", "pp", "increase", None, related_baseline,
          reads=("full/full",)),
    Claim("000-fig2-own-diagonal", "000", "§5.1, figure 2", "fig2",
          "A language's own subnetwork raises the positive influence of in-language training data, for all languages.",
          "+1 to +8 pp on the diagonal (every language, three tasks)",
          "mean over test languages of the in-language positive change, own subnetwork vs full model", "pp",
          "increase", 1.0, own_diagonal, reads=("full/own",)),
    Claim("000-fig3-random", "000", "§5.2, figure 3", "fig3",
          "Random subnetworks (the own mask shuffled) change little and never raise in-language positive influence.",
          "little change; the language's own influence never rises (German, PAWS-X)",
          "mean over test languages and random seeds of the in-language positive change, random mask vs full model",
          "pp", "no-increase", 1.0, random_diagonal, reads=("full/random",)),
    Claim("000-fig3-own-vs-random", "000", "§5.2, figures 2 and 3", "fig3",
          "Identified subnetworks behave unlike random ones: the in-language rise exceeds that of random masks.",
          "own +2 pp (German) against no rise under random masks",
          "own-subnetwork diagonal minus random-mask diagonal (paired per replicate)", "pp",
          "increase", 1.0, own_minus_random, reads=("full/own", "full/random")),
    Claim("000-fig4-sft", "000", "§6, figure 4", "fig4",
          "SFT does not always raise in-language reliance beyond using the subnetwork at test time.",
          "in-language reliance decreases after SFT for some languages (Korean, PAWS-X; Chinese, French, Spanish, MARC)",
          "figure 4's diagonal minus figure 2's (SFT vs test-time subnetwork, paired per replicate)", "pp",
          "no-increase", 1.0, sft_minus_full, reads=("sft/own", "full/own")),
    Claim("000-fig6-random-sft", "000", "§6.1, figure 6", "fig6",
          "After SFT, random subnetworks rely on in-language data far more than the identified subnetworks.",
          "English +64 pp (97% in-language), PAWS-X",
          "figure 6's diagonal minus figure 4's (paired per replicate)", "pp", "increase", None, random_sft_minus_sft, reads=("sft-random", "sft/own")),
    Claim("000-table2-random-accuracy", "000", "§6.1, table 2", "table2",
          "Those specialised random subnetworks perform considerably worse.",
          "about 56% against 78.4% after SFT on the identified subnetworks (PAWS-X): −22.4 points",
          "last-checkpoint test accuracy, SFT on random minus SFT on identified subnetworks (paired)", "points",
          "decrease", 22.4, random_sft_accuracy, reads=("epochs:sft-random", "epochs:sft/own")),
    Claim("000-fig7-specialization-accuracy", "000", "§7.1, figure 7", "fig7",
          "Stronger language specialisation is negatively correlated with accuracy (all languages and checkpoints).",
          "negative correlation on PAWS-X and MARC (no r reported)",
          "Pearson r of in-language positive share and test accuracy over languages × checkpoints, SFT", "r",
          "decrease", None, specialization_accuracy, reads=("epochs:sft/own",)),
    Claim("000-fig8-similarity-positive", "000", "§7.2, figure 8", "fig8",
          "Subnetwork similarity correlates positively with positive cross-language influence.",
          "positive correlation on PAWS-X and MARC (no r reported)",
          "Pearson r over language pairs (test ≠ train) of mask cosine similarity and positive share, SFT", "r",
          "increase", None, similarity_positive, reads=("masks", "sft/own")),
    Claim("000-fig8-positive-not-negative", "000", "§7.2 and §8, figure 8", "fig8",
          "Similarity correlates with positive, but not with negative, cross-language influence.",
          "no strong correlation with negative influence",
          "r with positive minus r with negative share over language pairs (paired per replicate)", "r",
          "increase", None, similarity_positive_minus_negative, reads=("masks", "sft/own")),
    Claim("003-fig2-winning", "003", "§5 (existence of winning tickets), figure 2", "lth/fig2",
          "Lottery tickets keep the dense model's accuracy up to high sparsity (winning tickets per language).",
          "winning tickets (within 1 sd of full mBERT) at several sparsities per language; appendix D: a 5–8% loss disqualifies",
          "mean over languages of ticket minus dense dev metric at the first transfer sparsity (points; perplexity: % change, "
          "lower positive)", "points",
          "no-decrease", 5.0, ticket_minus_dense, reads=("lth:tickets",)),
    Claim("003-fig3-above-random", "003", "§5 (absolute sub-network overlap), figure 3", "lth/fig3",
          "Tickets of different languages overlap far above the random bound.",
          "85% average overlap for XNLI at 50% sparsity against a random bound of 33%",
          "mean Jaccard (%) over language pairs minus the random bound (1 − s)/(1 + s)", "pp",
          "increase", 51.7, overlap_above_random, reads=("lth:overlap",)),
    Claim("003-fig3-below-same", "003", "§5 (absolute sub-network overlap), figure 3", "lth/fig3",
          "Across languages the tickets overlap less than one language's tickets across seeds.",
          "XNLI 85% against a same-language bound of 92.23%: −7.2 pp",
          "same-language Jaccard (pairs of replicates that include this one) minus cross-language Jaccard; "
          "replicate pairs share replicates, so the interval is approximate", "pp",
          "increase", 7.2, overlap_below_same, reads=("lth:overlap",)),
    Claim("003-fig4-transfer", "003", "§5 (cross-lingual transfer of winning tickets), figure 4", "lth/fig4",
          "A language's ticket transfers to other languages: trained on them it nearly matches their own tickets.",
          "XNLI: tickets often transfer within 1 sd (en, fr tickets win for every target); NER: 98% of the target ticket's performance",
          "mean over pairs s ≠ t of a(s, t) − a(t, t) at the first transfer sparsity; margin the 5-point loss of appendix D",
          "points", "no-decrease", 5.0, transfer_loss, reads=("lth:transfer",)),
    Claim("003-fig5-transfer", "003", "§5 (mT5), figure 5", "lth/fig5",
          "In an encoder-decoder (mT5) too, a language's ticket transfers to other languages with a small loss.",
          "XNLI on mT5 at 50%: for most pairs the transfer drop is relatively small; en, es, fr, de transfer well",
          "mean over pairs s ≠ t of a(s, t) − a(t, t) at the first transfer sparsity, text-to-text tasks; margin the "
          "5-point loss of appendix D", "points", "no-decrease", 5.0, transfer_loss_encoder_decoder,
          reads=("lth:transfer",)),
    Claim("003-fig4-random", "003", "§5 (cross-lingual transfer of winning tickets), figure 4", "lth/fig4",
          "A random mask of the same sparsity does not transfer: tickets beat it on every target.",
          "a random 50% mask loses far more than any transferred ticket (MLM, NER, XNLI)",
          "mean over targets of the mean ticket a(s, t) minus the random mask's a(rand, t)", "points",
          "increase", None, ticket_over_random, reads=("lth:transfer",)),
    Claim("003-fig6-sparsity", "003", "§5 (impact of sub-network density), figure 6", "lth/fig6",
          "Transfer degrades as sparsity grows from 50% to 80%.",
          "the relative transfer drop increases considerably from 50% to 80% (NER, XNLI)",
          "mean over sources of the relative transfer change at the highest minus the lowest transfer sparsity", "%",
          "decrease", None, drop_grows_with_sparsity, reads=("lth:transfer",)),
    Claim("003-fig7-retrieval", "003", "§5 (parallel sentence retrieval), figure 7", "lth/fig7",
          "Parallel-sentence retrieval accuracy rises from the embeddings into the middle layers.",
          "top-5 retrieval accuracy increases into the middle layers (WMT14 en–fr, margin scoring)",
          "retrieval accuracy of the middle third of layers minus the embedding layer's, over tickets and directions",
          "points", "increase", None, retrieval_rises, reads=("lth:retrieval",)),
    Claim("003-fig10-svcca", "003", "appendix F, figure 10b", "lth/fig10",
          "Measured by SVCCA, parallel sentences' representations grow more similar in deeper layers.",
          "SVCCA between en and five languages rises with depth; middle and upper layers above the shallow ones (XNLI, [CLS])",
          "pre-trained model's first-token SVCCA minus its control, upper half of the layers minus the lower half, "
          "over target languages", "points", "increase", None, svcca_rises, reads=("lth:similarity",)),
    Claim("003-fig10-pwcca", "003", "appendix F, figure 10a (Singh et al. 2019 reproduced)", "lth/fig10",
          "Measured by PWCCA, parallel sentences' representations are most similar in shallow layers and diverge deeper.",
          "PWCCA between en and five languages falls with depth until the last layer (XNLI, [CLS])",
          "pre-trained model's first-token PWCCA minus its control, upper half of the layers minus the lower half, "
          "over target languages", "points", "decrease", None, pwcca_falls, reads=("lth:similarity",)),
    Claim("003-appD-not-tickets", "003", "appendix D", "lth/alternatives",
          "Difference (LT-SFT) and Fisher (FISH) masks at 50% fall clearly below the full model, unlike tickets.",
          "about 5-6% (difference: XNLI, NER) and 8% (Fisher: XNLI, NER) below the full model",
          "mean over methods and languages of the trained mask's dev metric minus the full model's, at the first "
          "transfer sparsity", "points", "decrease", 5.0, alternatives_below_full,
          reads=("lth:alternatives", "lth:tickets")),
    Claim("003-table1-multilingual", "003", "§5 (multilingual sub-networks), table 1", "lth/table1",
          "The multilingual ticket beats the single-language tickets for most languages.",
          "best for 3 of 5 target languages (NER, F1; e.g. ar 87.64 against at most 87.56)",
          "mean over targets of a(multi, t) minus the mean transferred single-language ticket a(s, t), s ≠ t, at the overlap sparsity",
          "points",
          "increase", None, multilingual_over_own, reads=("lth:transfer",)),
    Claim("neurons-layers", "neurons", "Tang et al. 2024, §4 (distribution of language-specific neurons)",
          "neurons/layers",
          "Language-specific neurons concentrate in the bottom and top layers.",
          "most language-specific neurons lie in the bottom and top layers of LLaMA-2, BLOOM and Mistral (no pooled "
          "value reported)",
          "share (%) of all languages' LAPE neurons in the bottom and top ceil(L/4) layers each minus the share of "
          "layers those are (0 for a uniform profile); needs three or more layers", "pp",
          "increase", None, neurons_outer_layers, reads=("neurons:layers",)),
    Claim("neurons-own-language", "neurons", "Tang et al. 2024, §4 (perplexity change on deactivation)",
          "neurons/deactivation",
          "Deactivating a language's neurons hurts that language more than the other languages.",
          "deactivating a language's neurons raises its own perplexity markedly, the others' little (no pooled value "
          "reported)",
          "mean over languages L of L's own damage minus the mean damage to the other languages, L's neurons "
          "deactivated (damage: the drop of the dev metric against the intact model, accuracy points; perplexity: "
          "its rise in % of the intact model's), paired per replicate", "points",
          "increase", None, neurons_own_over_others, reads=("neurons:deactivation",)),
    Claim("neurons-own-random", "neurons", "Tang et al. 2024, §4 (random neurons as the control)",
          "neurons/deactivation",
          "Deactivating a language's neurons hurts it more than deactivating as many random neurons.",
          "random neurons of the same number barely change the perplexity (no pooled value reported)",
          "mean over languages L of L's own damage with its neurons deactivated minus with their random control "
          "(the same count per layer; mean over random seeds), paired per replicate", "points",
          "increase", None, neurons_own_over_random, reads=("neurons:deactivation",)),
    _kind_claim("heads", "attention heads", kinds_heads_specific),
    _kind_claim("weights", "lottery-ticket weights", kinds_weights_specific),
    _kind_claim("neurons", "feed-forward neurons (its LAPE neurons)", kinds_neurons_specific),
    _pair_claim("neurons", "heads", kinds_neurons_over_heads),
    _pair_claim("neurons", "weights", kinds_neurons_over_weights),
    _pair_claim("weights", "heads", kinds_weights_over_heads),
    Claim("kinds-ticket-in-neurons", "neurons", _BEYOND, "neurons/kinds",
          "A language's lottery-ticket weights lie in its neurons' rows and columns more than at random.", _NO_VALUE,
          "share (%) of L's ticket weights in the feed-forward matrices that lie in L's LAPE neurons' rows and columns, "
          "minus the share of feed-forward positions those are; mean over languages L, per replicate", "pp",
          "increase", None, kinds_ticket_in_neurons, reads=("neurons:kinds_overlap",)),
    Claim("kinds-heads-in-neuron-layers", "neurons", _BEYOND, "neurons/kinds",
          "A language's head-mask heads lie in the layers of its neurons more than at random.", _NO_VALUE,
          "share (%) of the heads L's head mask keeps that lie in layers holding one of L's LAPE neurons, minus the "
          "share of all heads in those layers; mean over languages L, per replicate", "pp",
          "increase", None, kinds_heads_in_neuron_layers, reads=("neurons:kinds_overlap",)),
)



def chosen(ids: Sequence[str] | None = None, paper: str | None = None) -> tuple[Claim, ...]:
    """The claims named by ``ids`` (every claim where None), restricted to ``paper`` ("000" or "003") where given.

    An unknown id raises a one-line error that names it (config key ``findings.claims``).
    """
    known = {c.id: c for c in CLAIMS}
    unknown = [i for i in ids or () if i not in known]
    if unknown:
        raise LangspecError(f"findings.claims: unknown claim(s) {', '.join(unknown)}; known: {', '.join(known)}")
    picked = CLAIMS if ids is None else tuple(c for c in CLAIMS if c.id in set(ids))
    return tuple(c for c in picked if paper is None or c.paper == paper)


def reads(claims: Sequence[Claim]) -> list[str]:
    """The evidence (:data:`READS`) that ``claims`` read, in :data:`READS` order."""
    wanted = {r for c in claims for r in c.reads}
    return [r for r in READS if r in wanted]


#: Columns of the findings table, in order. ``sd_sampling``: √(mean se_r²) of the replicate values' own sampling
#: errors (the floor under ``sd``; NaN where the claim has none); ``method``: the interval's, saying whether the sd
#: was floored; ``loo_flips``: how many of the R leave-one-out verdicts differ from the full one (R ≥ 3, else NaN).
COLUMNS = ("id", "paper", "where", "figure", "claim", "paper_effect", "statistic", "unit", "expect", "smallest_effect",
           "mean", "ci_low", "ci_high", "sd", "sd_sampling", "n_replicates", "verdict", "loo_flips", "mde_80",
           "replicates_needed", "method", "values", "note")


def _computed(claim: Claim, evidence: Evidence) -> tuple[np.ndarray, np.ndarray]:
    """A claim's per-replicate values [R] and their sampling errors [R] (NaN where the claim gives none)."""
    result = claim.compute(evidence)
    if isinstance(result, Measured):
        return result.values, result.se
    values = np.asarray(result, dtype=float)
    return values, np.full_like(values, np.nan)


def findings(evidence: Evidence, claims: Sequence[Claim] = CLAIMS) -> pd.DataFrame:
    """One row per claim (:data:`COLUMNS`): its per-replicate values assessed, or "not run" with what it needs."""
    rows = []
    for claim in claims:
        row = {"id": claim.id, "paper": claim.paper, "where": claim.where, "figure": claim.figure,
               "claim": claim.claim, "paper_effect": claim.paper_effect, "statistic": claim.statistic,
               "unit": claim.unit, "expect": claim.expect,
               "smallest_effect": np.nan if claim.smallest is None else claim.smallest}
        try:
            values, se = _computed(claim, evidence)
        except NotRun as missing:
            rows.append(row | {"verdict": "not run", "note": f"needs {missing}", "n_replicates": 0})
            continue
        except (KeyError, ValueError, LangspecError) as error:
            raise LangspecError(f"claim {claim.id}: {error}") from None
        summary = assess(values, claim.expect, claim.smallest, se)
        note = "one replicate: no spread between replicates to test against" if summary["n_replicates"] == 1 else ""
        rows.append(row | summary | {"values": " ".join(f"{v:.7g}" for v in values), "note": note})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def load_evidence(spec: Mapping) -> Evidence:
    """:class:`Evidence` read from a spec of paths: ``shares`` / ``epochs``: "regime/condition" -> [CSV per
    replicate]; ``masks``: [language -> head-mask JSON, per replicate]; ``lth``: role -> CSV; ``settings`` as is.
    """
    return Evidence(
        shares={key: [read_table(p) for p in paths] for key, paths in spec.get("shares", {}).items()},
        epochs={key: [pd.read_csv(p) for p in paths] for key, paths in spec.get("epochs", {}).items()},
        masks=[{lang: read_mask(p)["mask"] for lang, p in per.items()} for per in spec.get("masks", [])],
        lth={role: pd.read_csv(p) for role, p in spec.get("lth", {}).items()},
        settings=spec.get("settings", {}),
        neurons={role: pd.read_csv(p) for role, p in spec.get("neurons", {}).items()},
    )


def _decimals(*scales: float) -> int:
    """Decimals that show two significant digits of the smallest finite, non-zero scale (at least 2, at most 6):
    a statistic of a few thousandths (nats of a small removal) is not printed as +0.00."""
    finite = [abs(v) for v in scales if np.isfinite(v) and v != 0]
    if not finite:
        return 2
    return int(min(6, max(2, 1 - math.floor(math.log10(min(finite))))))


def _interval(row: pd.Series) -> str:
    if not np.isfinite(row["mean"]):
        return "–"
    if not np.isfinite(row["ci_low"]):
        d = _decimals(row["mean"])
        return f"{row['mean']:+.{d}f}"
    d = _decimals(row["ci_high"] - row["ci_low"], row["mean"] if abs(row["mean"]) > 0 else math.nan)
    d = min(d, _decimals(row["ci_high"] - row["ci_low"]) + 1)
    return f"{row['mean']:+.{d}f} [{row['ci_low']:+.{d}f}, {row['ci_high']:+.{d}f}]"


def _verdict(row: pd.Series) -> str:
    """The verdict, marked fragile when leaving out one replicate flips it: "supported (fragile: 1 of 7 drops flip it)"."""
    flips, n = row["loo_flips"], int(row["n_replicates"] if np.isfinite(row["n_replicates"]) else 0)
    if not np.isfinite(flips) or flips == 0:
        return row["verdict"]
    return f"{row['verdict']} (fragile: {int(flips)} of {n} drops flip it)"


def _drops(flips: float) -> str:
    return "–" if not np.isfinite(flips) else str(int(flips))


def markdown(frame: pd.DataFrame, task: str) -> str:
    """The findings table as Markdown: one row per claim, then how to read it."""
    shown = pd.DataFrame({
        "claim": [f"**{i}** {c}" for i, c in zip(frame["id"], frame["claim"])],
        "paper's effect": frame["paper_effect"],
        "statistic (mean [95% CI])": [f"{_interval(r)} {r['unit']}" if r["verdict"] != "not run" else "–"
                                      for _, r in frame.iterrows()],
        "R": frame["n_replicates"].fillna(0).astype(int),
        "verdict": [_verdict(r) for _, r in frame.iterrows()],
        "drops that flip it": [_drops(v) for v in frame["loo_flips"].astype(float)],
        "sampling sd": [f"{v:.2f}" if np.isfinite(v) else "–" for v in frame["sd_sampling"].astype(float)],
        "MDE 80%": [f"{v:.{_decimals(v)}f}" if np.isfinite(v) else "–" for v in frame["mde_80"].astype(float)],
        "R for paper's effect": [("–" if not np.isfinite(v) else "> 10000" if math.isinf(v) else f"{int(v)}")
                                 for v in frame["replicates_needed"].astype(float)],
    })
    not_run = frame[frame["verdict"] == "not run"]
    lines = [
        f"# Findings: task {task}",
        "",
        "Each claim is tested as its paper states it: one statistic per replicate (pooled over languages, pairs or "
        "layers, and paired where two conditions share a replicate), a 95% t-interval over the replicates, and a "
        "verdict: *supported* (the interval excludes 0 in the paper's direction), *contradicted* (it excludes 0 the "
        "other way), *absent* (it includes 0 and excludes the paper's smallest effect), *not resolved* (neither). "
        "Claims that an effect stays within a margin are *supported* when the interval lies inside it and "
        "*contradicted* when it lies wholly beyond it. MDE 80%: the smallest effect these replicates detect with "
        "80% power; the last column: the replicates the paper's smallest effect would need at the measured spread. "
        "With one replicate nothing is resolved. Drops that flip it: of the R verdicts recomputed without one "
        "replicate each (R ≥ 3), how many differ from the verdict of all R; a verdict that one dropped replicate flips "
        "is marked *fragile*. Sampling sd: where a claim pools dev or test metrics, the root-mean-square of each "
        "replicate's own sampling error (binomial for accuracy, the delta method on span counts for F1, the mean "
        "loss's for perplexity; differences of two metrics on the same examples add their errors in quadrature, "
        "conservatively); the spread behind the interval, verdict and MDE is at least this, so replicates that "
        "repeat one score on few examples are not taken as certain.",
        "",
        shown.to_markdown(index=False),
        "",
    ]
    if len(not_run):
        lines += ["Not run here: " + "; ".join(f"{i} ({n})" for i, n in zip(not_run["id"], not_run["note"])) + ".", ""]
    return "\n".join(lines)
