"""Figures and tables of paper 003 from synthetic replicates: their source data, drawn from it, saved, looked at, and
their numbers by hand.

Two tasks (``xnli`` with a multilingual ticket, ``wikiann`` without), four
languages, three replicates, in the CSV layouts that the workflow writes
(tickets, transfer, overlap, retrieval, heads). Planted effects make some
transfer cells clearly lower than the target's own ticket (robust, blue) and
leave others within the replicate spread (hatched), some transfers successful
("✓") and others not, and tickets that win up to a sparsity and lose beyond it.
Every figure and table here is made by its source-data function
(``langspec.stats.source_data.tickets``) and drawn or laid out from that frame
written as CSV and read back, as the workflow does.
"""

from __future__ import annotations

import io
import itertools
import re

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from matplotlib.figure import Figure

from langspec import figures
from langspec.core.errors import LangspecError
from langspec.figures import tickets as drawing
from langspec.figures.draw import draw_lth
from langspec.figures.tickets import CHECK, CLIPPED
from langspec.registry import FIGURES_003, TABLES_003, TRACIN_003, by_id
from langspec.stats.correlations import correlation
from langspec.stats.multiplicity import benjamini_hochberg
from langspec.stats.replicates import summarize
from langspec.stats.source_data import tickets as source
from langspec.stats.source_data.tickets import COLUMNS, from_spec, read_source_data, write_source_data
from langspec.stats.tickets import transfer_cells, transfer_level, transfer_rows
from langspec.tables import tickets as lthtables
from langspec.tickets.overlap import expected_jaccard

from .pictures import count_cells, count_panels, edge_ink, hatched_grids, is_blank

LANGS = ["en", "de", "fr", "ur"]
TASKS = ["xnli", "wikiann"]
LONG = {"xnli": "a-rather-long-task-name-for-inference", "wikiann": "another-long-task-name-entities"}
R, LAYERS, HEADS = 3, 6, 12
SPARSITIES = [round(0.1 * i, 1) for i in range(10)]
BASE = {"en": 0.82, "de": 0.77, "fr": 0.78, "ur": 0.63}


def tickets_frame(task: str, multi: bool) -> pd.DataFrame:
    """Tickets that keep the full model's accuracy up to 40-60% sparsity and lose it beyond."""
    rng = np.random.default_rng(TASKS.index(task))
    rows = []
    langs = LANGS + (["multi"] if multi else [])
    for rep in range(R):
        for i, lang in enumerate(langs):
            base = BASE.get(lang, 0.75)
            knee = 0.4 + 0.1 * (i % 3)
            for s in SPARSITIES:
                drop = 0.0 if s <= knee else 0.25 * (s - knee) ** 1.2 + 0.01
                metric = base - drop + rng.normal(0, 0.004)
                rows.append({"rep": rep, "lang": lang, "sparsity": s, "metric": metric, "best_metric": 2})
    return pd.DataFrame(rows)


#: Planted a(s, t) − a(t, t) (fraction) per (source, target) off the diagonal: ur's ticket transfers badly.
def planted(source: str, target: str) -> float:
    if source == "rand":
        return -0.08
    if source == "ur" or target == "ur":
        return -0.04
    if source == "multi":
        return 0.002
    if source == "fr":
        return 0.02
    return -0.001 if (LANGS.index(source) + LANGS.index(target)) % 2 else -0.012


def transfer_frame(task: str, multi: bool) -> pd.DataFrame:
    rng = np.random.default_rng(10 + TASKS.index(task))
    rows = []
    sources = LANGS + ["rand"] + (["multi"] if multi else [])
    for rep in range(R):
        for target in LANGS:
            rows.append({"rep": rep, "sparsity": 0.0, "source": "full", "target": target,
                         "metric": BASE[target] + 0.005 + rng.normal(0, 0.003)})
        for s, scale in ((0.5, 1.0), (0.8, 2.0)):
            own = {t: BASE[t] - (0.0 if s == 0.5 else 0.03) + rng.normal(0, 0.004) for t in LANGS}
            for source in sources:
                for target in LANGS:
                    value = own[target] if source == target else own[target] + scale * planted(source, target) + rng.normal(0, 0.004)
                    rows.append({"rep": rep, "sparsity": s, "source": source, "target": target, "metric": value})
    return pd.DataFrame(rows)


def overlap_frame(task: str) -> pd.DataFrame:
    """Pairs of languages overlap more in higher layers; the same language in two replicates overlaps most."""
    rng = np.random.default_rng(20 + TASKS.index(task))
    layers = [str(l) for l in range(LAYERS)] + ["pooler"]
    rows = []
    for rep in range(R):
        for a, b in itertools.combinations(LANGS, 2):
            values = [0.5 + 0.3 * l / LAYERS + rng.normal(0, 0.01) for l in range(LAYERS)] + [0.6 + rng.normal(0, 0.01)]
            rows += [{"rep": rep, "kind": "pair", "a": a, "b": b, "layer": l, "jaccard": v, "sparsity": 0.5}
                     for l, v in zip(layers, values)]
            rows.append({"rep": rep, "kind": "pair", "a": a, "b": b, "layer": "all", "jaccard": float(np.mean(values)),
                         "sparsity": 0.5})
    for lang in LANGS:
        for x, y in itertools.combinations(range(R), 2):
            values = [0.9 + rng.normal(0, 0.01) for _ in layers]
            rows += [{"rep": f"{x}-{y}", "kind": "same-language", "a": lang, "b": lang, "layer": l, "jaccard": v,
                      "sparsity": 0.5} for l, v in zip(layers, values)]
            rows.append({"rep": f"{x}-{y}", "kind": "same-language", "a": lang, "b": lang, "layer": "all",
                         "jaccard": float(np.mean(values)), "sparsity": 0.5})
    return pd.DataFrame(rows)


def retrieval_frame(task: str) -> pd.DataFrame:
    rng = np.random.default_rng(30 + TASKS.index(task))
    rows = []
    for rep in range(R):
        for ticket in LANGS + ["full"]:
            for source, target in (("en", "de"), ("en", "fr")):
                for layer in range(LAYERS + 1):
                    for k in (1, 5):
                        for method in ("margin-ratio-k4", "cosine"):  # as langspec.tickets.retrieval names them
                            peak = 0.6 - 0.04 * abs(layer - 3) + (0.1 if k == 5 else 0) + (0.05 if ticket == "full" else 0)
                            rows.append({"rep": rep, "ticket": ticket, "source": source, "target": target, "layer": layer,
                                         "k": k, "accuracy": float(np.clip(peak + rng.normal(0, 0.02), 0, 1)),
                                         "method": method})
    return pd.DataFrame(rows)


def heads_frame(task: str) -> pd.DataFrame:
    """Tickets keep a little more of the heads that paper 000 keeps (en strongly, others weakly)."""
    rng = np.random.default_rng(40 + TASKS.index(task))
    rows = []
    for rep in range(R):
        for lang in LANGS:
            enabled = (rng.random((LAYERS, HEADS)) < 0.6).astype(int)
            effect = 0.08 if lang == "en" else 0.005
            kept = np.clip(0.5 + effect * enabled + rng.normal(0, 0.03, enabled.shape), 0, 1)
            rows += [{"rep": rep, "lang": lang, "layer": l, "head": h, "kept_fraction": kept[l, h],
                      "head_enabled": enabled[l, h]} for l in range(LAYERS) for h in range(HEADS)]
    return pd.DataFrame(rows)


def inputs(names: dict[str, str], tasks=TASKS) -> dict[str, dict[str, pd.DataFrame]]:
    return {
        "tickets": {names[t]: tickets_frame(t, t == "xnli") for t in tasks},
        "transfer": {names[t]: transfer_frame(t, t == "xnli") for t in tasks},
        "overlap": {names[t]: overlap_frame(t) for t in tasks},
        "retrieval": {names[t]: retrieval_frame(t) for t in tasks},
        "heads": {names[t]: heads_frame(t) for t in tasks},
    }


def three_languages(data: dict, langs=("en", "de", "fr")) -> dict:
    """One task, three languages and no multilingual ticket: the size of the tiny end-to-end config."""
    keep = set(langs)
    task = next(iter(data["tickets"]))
    return {
        "tickets": {task: data["tickets"][task].query("lang in @keep")},
        "transfer": {task: data["transfer"][task].query("(source in @keep or source in ['rand', 'full']) and target in @keep")},
        "overlap": {task: data["overlap"][task].query("a in @keep and b in @keep")},
        "retrieval": {task: data["retrieval"][task].query("ticket in @keep or ticket == 'full'")},
        "heads": {task: data["heads"][task].query("lang in @keep")},
    }


DATA = inputs({t: t for t in TASKS})
VARIANTS = {"two tasks": DATA, "long names": inputs(LONG), "tiny": three_languages(inputs({"xnli": "gettext-topic"}, ["xnli"]))}

def read_back(frame: pd.DataFrame) -> pd.DataFrame:
    """A source-data frame written as the workflow writes it and read back."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    return pd.read_csv(buffer)


#: Figure name -> (its source-data function, its drawing function).
PAIRS = {name: (getattr(source, e.source.partition(":")[2]), e.resolve()) for name, e in FIGURES_003.items()}


def drawn_from(name: str, *args, **options) -> Figure:
    """Figure ``name`` drawn from the frame its source-data function returns for ``args``, read back from CSV."""
    make, draw = PAIRS[name]
    return draw(read_back(make(*args, **options)))


def laid_out(name: str, *args, **options) -> pd.DataFrame:
    """Table ``name`` laid out from the frame its source-data function returns for ``args``, read back from CSV."""
    entry = TABLES_003[name]
    return entry.resolve()(read_back(entry.resolve_source()(*args, **options)))


# name -> (inputs of its source function from the data, panels of DATA, heatmap cells of DATA or None)
SOURCES = {
    "fig2": lambda d: (d["tickets"],),
    "fig3": lambda d: (d["overlap"],),
    "fig4": lambda d: (d["transfer"],),
    "fig6": lambda d: (d["transfer"],),
    "fig7": lambda d: (d["retrieval"],),
    "heads": lambda d: (d["heads"],),
}
FIGURES = {
    "fig2": (lambda d: drawn_from("fig2", *SOURCES["fig2"](d)), 2 * len(LANGS) + 1, None),
    "fig3": (lambda d: drawn_from("fig3", *SOURCES["fig3"](d)), 2, None),
    "fig4": (lambda d: drawn_from("fig4", *SOURCES["fig4"](d)), 2, 2 * (len(LANGS) + 1) * len(LANGS)),
    "fig6": (lambda d: drawn_from("fig6", *SOURCES["fig6"](d)), 2, None),
    "fig7": (lambda d: drawn_from("fig7", *SOURCES["fig7"](d)), 2 * 2 * 2, None),
    "heads": (lambda d: drawn_from("heads", *SOURCES["heads"](d)), 2 * len(LANGS), None),
}


def panels(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_title()]


class Drawn:
    """Figures drawn and saved at most once per (name, variant)."""

    def __init__(self, folder):
        self.folder, self.cache = folder, {}

    def __call__(self, name: str, variant: str = "two tasks"):
        if (name, variant) not in self.cache:
            fig = FIGURES[name][0](VARIANTS[variant])
            folder = self.folder / variant.replace(" ", "-")
            folder.mkdir(exist_ok=True)
            figures.save(fig, folder / name)
            self.cache[name, variant] = (fig, folder / f"{name}.png")
        return self.cache[name, variant]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory) -> Drawn:
    return Drawn(tmp_path_factory.mktemp("lth"))


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_is_saved_and_reads_as_drawn(name, drawn):
    _, n_panels, n_cells = FIGURES[name]
    fig, png = drawn(name)
    assert len(panels(fig)) == n_panels
    assert png.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    assert not is_blank(png)
    assert count_panels(png) == n_panels
    if n_cells is not None:
        assert count_cells(png) == n_cells


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(FIGURES))
def test_no_text_is_cut_at_the_canvas_edge(name, variant, drawn):
    fig, png = drawn(name, variant)
    assert edge_ink(png) == 0
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in [fig._suptitle, *(ax.title for ax in fig.axes)] if t is not None and t.get_text()]
    boxes += [legend.get_window_extent(renderer) for legend in fig.legends]
    for box in boxes:
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y0 >= 0 and box.y1 <= fig.bbox.height
    title = fig._suptitle.get_window_extent(renderer)
    assert not any(title.overlaps(legend.get_window_extent(renderer)) for legend in fig.legends)
    titles = [ax.title.get_window_extent(renderer) for ax in fig.axes if ax.get_title()]
    assert not any(a.overlaps(b) for i, a in enumerate(titles) for b in titles[i + 1:]), "panel titles overlap"


def test_saving_is_reproducible(tmp_path):
    for stem in ("one", "two"):
        figures.save(drawn_from("fig4", DATA["transfer"]), tmp_path / stem)
    for suffix in (".pdf", ".png"):
        assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()


# -- figure 2 ----------------------------------------------------------------------------


def _winning_by_hand(frame: pd.DataFrame, lang: str) -> dict[float, bool]:
    part = frame[frame["lang"] == lang]
    full = part[part["sparsity"] == 0]["metric"]
    out = {}
    for s, group in part[part["sparsity"] > 0].groupby("sparsity"):
        out[round(s, 6)] = full.mean() - group["metric"].mean() <= full.std(ddof=1)
    return out


def test_fig2_marks_winning_tickets_filled_and_others_open():
    fig = drawn_from("fig2", {"xnli": DATA["tickets"]["xnli"]})
    by_title = {ax.get_title(): ax for ax in panels(fig)}
    assert list(by_title) == [f"xnli: {lang}" for lang in LANGS] + ["xnli: multilingual ticket"]
    frame = DATA["tickets"]["xnli"]
    for lang in ("en", "fr"):
        ax = by_title[f"xnli: {lang}"]
        wins = _winning_by_hand(frame, lang)
        filled = next(line for line in ax.lines if line.get_marker() == "o" and line.get_markerfacecolor() != "white")
        hollow = next(line for line in ax.lines if line.get_marker() == "o" and line.get_markerfacecolor() == "white")
        assert sorted(np.round(filled.get_xdata() / 100, 6)) == [s for s, w in wins.items() if w]
        assert sorted(np.round(hollow.get_xdata() / 100, 6)) == [s for s, w in wins.items() if not w]
        assert any(wins.values()) and not all(wins.values())
        mean = frame[(frame["lang"] == lang) & (frame["sparsity"] > 0)].groupby("sparsity")["metric"].mean() * 100
        assert sorted(filled.get_ydata().tolist() + hollow.get_ydata().tolist()) == pytest.approx(sorted(mean.tolist()))
        full = frame[(frame["lang"] == lang) & (frame["sparsity"] == 0)]["metric"] * 100
        band = ax.patches[0]  # axhspan: the full model's mean ± 1 sd (a rectangle in data y)
        assert band.get_y() == pytest.approx(full.mean() - full.std(ddof=1))
        assert band.get_y() + band.get_height() == pytest.approx(full.mean() + full.std(ddof=1))
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any("3 replicates" in t and "95% interval" in t for t in texts)
    assert any(t.startswith("winning ticket") for t in texts)


def test_table2_winning_tickets_beside_a_random_subnetwork():
    table = laid_out("table2", DATA["tickets"], DATA["transfer"])
    assert list(table.columns[:3]) == ["task", "metric", "lang"] and "rand" in table.columns
    transfer = DATA["transfer"]["xnli"]
    frame = DATA["tickets"]["xnli"]
    for lang in LANGS:
        wins = _winning_by_hand(frame, lang)
        row = table[(table["task"] == "xnli") & (table["lang"] == lang)].iloc[0]
        assert row["sparsity"] == pytest.approx(100 * max(s for s, w in wins.items() if w))
        full = frame[(frame["lang"] == lang) & (frame["sparsity"] == 0)]["metric"] * 100
        assert row["full"] == pytest.approx(full.mean()) and row["full sd"] == pytest.approx(full.std(ddof=1))
        near = 0.5 if row["sparsity"] <= 65 else 0.8  # the transfer sparsity nearest the winning one
        random = transfer[(transfer["source"] == "rand") & (transfer["target"] == lang) & (transfer["sparsity"] == near)]
        assert row["rand sparsity"] == pytest.approx(100 * near) and row["rand"] == pytest.approx(100 * random["metric"].mean())
    assert set(table.loc[table["task"] == "wikiann", "lang"]) == set(LANGS)
    assert "multi" not in set(table["lang"]), "table 2 lists languages (the multilingual ticket is table 1's)"


def test_tables_3_to_5_hold_every_transfer_and_perplexity_keeps_its_scale(tmp_path):
    rows = []
    values = {("full", "de", 0.0): [3.5, 3.6], ("de", "de", 0.5): [3.6, 3.7], ("fr", "fr", 0.5): [4.0, 4.2],
              ("fr", "de", 0.5): [3.9, 4.1], ("de", "fr", 0.5): [4.4, 4.4], ("full", "fr", 0.0): [3.9, 4.1],
              ("rand", "de", 0.5): [9.0, 9.5], ("rand", "fr", 0.5): [8.0, 8.5]}
    for (source, target, s), metric in values.items():
        rows += [{"rep": r, "sparsity": s, "source": source, "target": target, "metric": m, "metric_name": "perplexity"}
                 for r, m in enumerate(metric)]
    table = laid_out("table3", {"mlm": pd.DataFrame(rows)})
    assert list(table["model"]) == ["full model", "de", "fr", "rand"] and set(table["metric"]) == {"perplexity"}
    by = table.set_index("model")
    assert by.loc["full model", "de"] == pytest.approx(3.55) and by.loc["fr", "de"] == pytest.approx(4.0)
    assert by.loc["rand", "fr"] == pytest.approx(8.25), "perplexity is not scaled to percent"
    entry = TABLES_003["table3"]
    spec = {"transfer": {"mlm": _csv(tmp_path, "mlm", pd.DataFrame(rows))}, "sparsity": 0.5}
    lthtables.write_table("table3", read_back(from_spec(entry.resolve_source(), entry.roles, spec, entry.scalars)),
                          tmp_path / "table3")
    text = (tmp_path / "table3.md").read_text()
    assert "3.55 ± 0.07" in text and "perplexity (lower is better)" in text and "50% sparsity" in text


# -- figure 3 ----------------------------------------------------------------------------


def test_fig3_lines_are_pair_means_with_random_and_same_language_references():
    fig = drawn_from("fig3", {"xnli": DATA["overlap"]["xnli"]})
    ax = panels(fig)[0]
    frame = DATA["overlap"]["xnli"]
    pairs = frame[(frame["kind"] == "pair") & (frame["layer"] != "all")]
    n_pairs = len(list(itertools.combinations(LANGS, 2)))
    assert len(ax.collections) == n_pairs, "a 95% band per pair"
    lines = [line for line in ax.lines if len(line.get_xdata()) == LAYERS + 1]
    en_de = pairs[(pairs["a"] == "en") & (pairs["b"] == "de")]
    expected = en_de.groupby("layer", sort=False)["jaccard"].mean() * 100
    assert lines[0].get_ydata() == pytest.approx(expected.reindex([*map(str, range(LAYERS)), "pooler"]).to_numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == [*map(str, range(1, LAYERS + 1)), "pooler"]
    flat = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert flat[0].get_ydata()[0] == pytest.approx(100 * expected_jaccard(0.5)) == pytest.approx(100 / 3)
    same = frame[(frame["kind"] == "same-language") & (frame["layer"] != "all")].groupby("layer")["jaccard"].mean() * 100
    upper = next(line for line in ax.lines if line.get_linestyle() == "-.")
    assert upper.get_ydata() == pytest.approx(same.reindex([*map(str, range(LAYERS)), "pooler"]).to_numpy())
    average = frame[(frame["kind"] == "pair") & (frame["layer"] == "all")].groupby("rep")["jaccard"].mean() * 100
    assert f"average overlap {average.mean():.1f}%" in ax.get_title().replace("\n", " ")


def test_overlap_table_gives_the_average_overlap_per_task():
    table = laid_out("overlap", DATA["overlap"])
    assert list(table["task"]) == TASKS
    for task in TASKS:
        frame = DATA["overlap"][task]
        per_rep = frame[(frame["kind"] == "pair") & (frame["layer"] == "all")].groupby("rep")["jaccard"].mean() * 100
        row = table.set_index("task").loc[task]
        assert row["overlap"] == pytest.approx(per_rep.mean())
        assert row["overlap sd"] == pytest.approx(per_rep.std(ddof=1))
        summary = summarize(per_rep.to_numpy()[:, None])
        assert row["overlap ci_low"] == pytest.approx(summary["ci_low"][0])
        assert row["random"] == pytest.approx(100 / 3)
        same = frame[(frame["kind"] == "same-language") & (frame["layer"] == "all")]["jaccard"].mean() * 100
        assert row["same language"] == pytest.approx(same)
        assert row["sparsity"] == 50


# -- figure 4 ----------------------------------------------------------------------------


def _transfer_by_hand(transfer: dict[str, pd.DataFrame], sparsity: float) -> dict[str, tuple]:
    """Per task, sources x targets: mean difference (points), hatched and successful, by hand.

    Hatched: not kept by Benjamini–Hochberg at 0.05 over every off-diagonal cell
    of every task (t-test of the replicate differences against 0); the diagonal,
    0 by definition, is not tested and so hatched.
    """
    cells = {}
    for task, frame in transfer.items():
        part = frame[(frame["sparsity"] == sparsity) & ~frame["source"].isin(["full", "multi"])]
        sources = LANGS + ["rand"]
        metric = np.full((R, len(sources), len(LANGS)), np.nan)
        for row in part.itertuples():
            metric[row.rep, sources.index(row.source), LANGS.index(row.target)] = row.metric
        own = np.stack([np.diag(metric[r, :len(LANGS)]) for r in range(R)])  # [R, targets]
        cube = (metric - own[:, None, :]) * 100
        mean = cube.mean(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = 2 * scipy.stats.t.sf(np.abs(mean / (cube.std(0, ddof=1) / np.sqrt(R))), R - 1)
        p[np.arange(len(LANGS)), np.arange(len(LANGS))] = np.nan
        own_mean, own_sd = own.mean(0), own.std(0, ddof=1)
        successful = metric.mean(0) >= own_mean[None, :] - own_sd[None, :]
        successful[np.arange(len(LANGS)), np.arange(len(LANGS))] = False
        cells[task] = (mean, p, successful)
    flat = np.concatenate([p.ravel() for _, p, _ in cells.values()])
    tested = np.sort(flat[np.isfinite(flat)])
    passing = np.flatnonzero(tested <= 0.05 * np.arange(1, tested.size + 1) / tested.size)
    threshold = tested[passing[-1]] if passing.size else -1.0
    return {task: (mean, ~(p <= threshold), successful) for task, (mean, p, successful) in cells.items()}


@pytest.mark.parametrize("sparsity", [None, 0.8])
def test_fig4_hatches_where_the_interval_includes_0_and_checks_successful_transfers(sparsity, tmp_path):
    fig = drawn_from("fig4", DATA["transfer"], sparsity=sparsity)
    figures.save(fig, tmp_path / "fig4")
    found = hatched_grids(tmp_path / "fig4.png")
    assert len(found) == len(TASKS)
    level = 0.5 if sparsity is None else sparsity
    checked = unchecked = 0
    by_hand = _transfer_by_hand(DATA["transfer"], level)
    for task, grid, ax in zip(TASKS, found, panels(fig)):
        mean, hatched, successful = by_hand[task]
        assert grid.shape == mean.shape
        assert (grid == hatched).all(), f"{task}: hatched\n{grid.astype(int)}\nexpected\n{hatched.astype(int)}"
        assert hatched[np.arange(len(LANGS)), np.arange(len(LANGS))].all(), "the diagonal (0 by definition) is not tested"
        texts = {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text() for t in ax.texts}
        for (i, j), text in texts.items():
            assert text.endswith(CHECK) == successful[i, j], (task, i, j, text)
            assert float(text.replace(CHECK, "").strip()) == pytest.approx(mean[i, j], abs=0.051)
        checked += successful.sum()
        unchecked += (~successful).sum()
        assert [t.get_text() for t in ax.get_yticklabels()] == LANGS + ["rand"]
        assert [t.get_text() for t in ax.get_xticklabels()] == LANGS
        assert ax.get_title() == f"{task}, {level:.0%} sparsity"
    assert checked > 0 and unchecked > 0
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert texts[0] == ("hatched: not robust: t-test against 0 (3 replicates)\nnot kept by Benjamini–Hochberg, q = 0.05 "
                        f"over the figure's {len(TASKS) * (len(LANGS) + 1) * len(LANGS) - len(TASKS) * len(LANGS)} cells; "
                        "diagonal: 0 by definition, not tested")
    assert any(t.startswith("successful transfer") and "1 sd" in t for t in texts)


def test_fig4_cells_match_the_transfer_helpers():
    rows = transfer_rows(DATA["transfer"]["wikiann"], "t")
    part, level = transfer_level(rows, None, "t")
    cells = transfer_cells(part, "t")
    assert level == 0.5
    mean, _, successful = _transfer_by_hand(DATA["transfer"], 0.5)["wikiann"]
    assert cells["mean"].to_numpy() == pytest.approx(mean)
    diagonal = np.eye(len(LANGS) + 1, len(LANGS), dtype=bool)
    assert cells["p_value"].isna().to_numpy().tolist() == diagonal.tolist(), "the diagonal alone is untested"
    assert (cells["successful"].to_numpy() == successful).all()


# -- figure 6 ----------------------------------------------------------------------------


def test_fig6_bars_are_mean_relative_drops_with_intervals():
    fig = drawn_from("fig6", DATA["transfer"])
    ax = panels(fig)[0]
    expected, p_values = {}, {}
    for task, frame in DATA["transfer"].items():
        expected[task], p_values[task] = [], []
        for s in (0.5, 0.8):
            for source in LANGS:
                per_rep = []
                for rep in range(R):
                    part = frame[(frame["rep"] == rep) & (frame["sparsity"] == s)]
                    a = part.set_index(["source", "target"])["metric"]
                    per_rep.append(100 * np.mean([(a[source, t] - a[t, t]) / a[t, t] for t in LANGS if t != source]))
                expected[task].append(np.mean(per_rep))
                p_values[task].append(summarize(np.array(per_rep)[:, None])["p_value"][0])
    first = next(iter(DATA["transfer"]))
    assert [bar.get_height() for bar in ax.patches] == pytest.approx(expected[first])
    kept = benjamini_hochberg(np.array([p for task in p_values for p in p_values[task]]))[:len(p_values[first])]
    hatched = [bool(bar.get_hatch()) for bar in ax.patches]
    assert hatched == (~kept).tolist(), "hatched: not kept by BH over every bar of both tasks"
    assert any(hatched) and not all(hatched)
    assert [t.get_text() for t in ax.get_xticklabels()] == LANGS
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert "50%" in texts and "80%" in texts


# -- figure 7 ----------------------------------------------------------------------------


def test_fig7_rows_are_task_and_k_panels_directions_lines_tickets():
    fig = drawn_from("fig7", DATA["retrieval"])
    titles = [ax.get_title() for ax in panels(fig)]
    assert titles[:4] == ["xnli: en → de, top-5", "xnli: en → fr, top-5", "xnli: en → de, top-1", "xnli: en → fr, top-1"]
    assert "margin-ratio-k4 scoring" in fig._suptitle.get_text().replace("-\n", "-").replace("\n", " ")
    ax = panels(fig)[1]
    assert len(ax.lines) == len(LANGS) + 1 and len(ax.collections) == len(LANGS) + 1
    frame = DATA["retrieval"]["xnli"]
    part = frame[(frame["method"] == "margin-ratio-k4") & (frame["k"] == 5) & (frame["target"] == "fr") & (frame["ticket"] == "de")]
    assert ax.lines[1].get_ydata() == pytest.approx(part.groupby("layer")["accuracy"].mean().to_numpy() * 100)
    assert ax.lines[-1].get_linestyle() == "--", "the unpruned model last, dashed"
    cosine = drawn_from("fig7", DATA["retrieval"], method="cosine")
    assert "cosine scoring" in cosine._suptitle.get_text().replace("\n", " ")


# -- heads -------------------------------------------------------------------------------


def test_heads_panels_pool_the_point_biserial_r_over_replicates():
    fig = drawn_from("heads", {"xnli": DATA["heads"]["xnli"]})
    frame = DATA["heads"]["xnli"]
    for ax, lang in zip(panels(fig), LANGS):
        part = frame[frame["lang"] == lang]
        rs = [np.corrcoef(p["head_enabled"], p["kept_fraction"])[0, 1] for _, p in part.groupby("rep")]
        pooled = correlation(rs, [LAYERS * HEADS] * R)
        assert f"r = {pooled['r']:.2f}, 95% CI [{pooled['ci_low']:.2f}, {pooled['ci_high']:.2f}]" in ax.get_title()
        assert f"3 replicates × {LAYERS * HEADS} heads" in ax.get_title()
        assert sum(len(c.get_offsets()) for c in ax.collections) == R * LAYERS * HEADS
    table = laid_out("heads", DATA["heads"])
    row = table[(table["task"] == "xnli") & (table["lang"] == "en")].iloc[0]
    part = frame[frame["lang"] == "en"]
    rs = [np.corrcoef(p["head_enabled"], p["kept_fraction"])[0, 1] for _, p in part.groupby("rep")]
    assert row["r"] == pytest.approx(correlation(rs, [72] * R)["r"])
    assert row["replicates"] == R and row["heads"] == LAYERS * HEADS
    assert row["ci_low"] > 0, "en's tickets keep more of paper 000's heads"


# -- table 1 -----------------------------------------------------------------------------


def test_table1_small_case_by_hand(tmp_path):
    rows = []
    values = {("full", "de", 0.0): [0.80, 0.82], ("de", "de", 0.5): [0.79, 0.81], ("fr", "fr", 0.5): [0.70, 0.74],
              ("fr", "de", 0.5): [0.75, 0.77], ("de", "fr", 0.5): [0.69, 0.69], ("multi", "de", 0.5): [0.78, 0.80],
              ("multi", "fr", 0.5): [0.72, 0.73], ("full", "fr", 0.0): [0.75, 0.73], ("rand", "de", 0.5): [0.5, 0.5],
              ("rand", "fr", 0.5): [0.5, 0.5]}
    for (source, target, s), metric in values.items():
        rows += [{"rep": r, "sparsity": s, "source": source, "target": target, "metric": m} for r, m in enumerate(metric)]
    table = laid_out("table1", {"ner": pd.DataFrame(rows)})
    assert list(table["model"]) == ["full model", "own ticket f*", "de", "fr", "multi"]
    assert list(table.columns) == ["task", "metric", "model", "de", "de sd", "de n", "fr", "fr sd", "fr n"]
    by = table.set_index("model")
    assert by.loc["full model", "de"] == pytest.approx(81.0) and by.loc["full model", "de sd"] == pytest.approx(np.std([80, 82], ddof=1))
    assert by.loc["own ticket f*", "fr"] == pytest.approx(72.0)
    assert by.loc["fr", "de"] == pytest.approx(76.0) and by.loc["de", "fr"] == pytest.approx(69.0)
    assert by.loc["de", "fr sd"] == pytest.approx(0.0)
    assert by.loc["multi", "fr"] == pytest.approx(72.5) and by.loc["multi", "de n"] == 2
    lthtables.write_table("table1", read_back(TABLES_003["table1"].resolve_source()({"ner": pd.DataFrame(rows)})),
                          tmp_path / "table1")
    text = (tmp_path / "table1.md").read_text()
    assert "81.0 ± 1.4" in text and "own ticket f*" in text and "2 replicates" in text
    read = pd.read_csv(tmp_path / "table1.csv")
    assert read["de"].tolist() == pytest.approx(table["de"].tolist())


def _csv(folder, name, frame) -> str:
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    return str(path)


# -- the spec ----------------------------------------------------------------------------


def test_the_workflow_path_reads_the_spec_files_writes_the_source_data_and_draws_from_it(tmp_path):
    """As workflow/scripts/lth_figure.py and lth_table.py: the entry's source function on the spec's CSVs, its frame
    written beside the figure as CSV, the figure drawn (the table laid out) from that file alone."""
    spec = {role: {task: _csv(tmp_path, f"{role}-{task}", frame) for task, frame in DATA[role].items()}
            for role in ("tickets", "transfer", "overlap", "retrieval", "heads")}

    def made(entry, spec_):
        path = tmp_path / f"{entry.name}-{len(spec_)}.data.csv"
        write_source_data(path, from_spec(entry.resolve_source(), entry.roles, spec_, entry.scalars, entry.name))
        return read_source_data(path)

    for name in ("fig2", "fig3", "fig4", "fig6", "fig7", "heads"):
        draw_lth(name, made(FIGURES_003[name], spec), tmp_path / name)
        assert not is_blank(tmp_path / f"{name}.png")
    draw_lth("fig4", made(FIGURES_003["fig4"], {**spec, "sparsity": 0.8}), tmp_path / "fig4-80")
    hatched = [h for _, h, _ in _transfer_by_hand(DATA["transfer"], 0.8).values()]
    assert all((found == want).all() for found, want in zip(hatched_grids(tmp_path / "fig4-80.png"), hatched))
    bars = made(FIGURES_003["fig6"], {**spec, "sparsities": [0.5], "sparsity": 0.8})
    assert set(bars["sparsity"]) == {0.5}, "figure 6 takes its own scalar, not another figure's"
    for name in ("table1", "table2", "table3", "table4", "table5", "overlap", "heads"):
        lthtables.write_table(name, made(TABLES_003[name], spec), tmp_path / f"table-{name}")
        assert (tmp_path / f"table-{name}.csv").exists() and (tmp_path / f"table-{name}.md").exists()
    entry = FIGURES_003["fig4"]
    with pytest.raises(LangspecError, match="lacks the role"):
        from_spec(entry.resolve_source(), entry.roles, {"tickets": spec["tickets"]})
    with pytest.raises(LangspecError, match="no lottery-ticket figure 'fig1'"):
        draw_lth("fig1", made(entry, spec), tmp_path / "bad")
    with pytest.raises(LangspecError, match="one CSV path per task"):
        from_spec(entry.resolve_source(), entry.roles, {"transfer": [spec["transfer"]["xnli"]]})


# -- errors ------------------------------------------------------------------------------


T, X, O, RT, H = (DATA[k]["xnli"] for k in ("tickets", "transfer", "overlap", "retrieval", "heads"))


@pytest.mark.parametrize("make, message", [
    (lambda: source.fig2({}), "no tickets given"),
    (lambda: source.fig2({"xnli": T.drop(columns="metric")}), "tickets of task 'xnli' lacks the column(s) metric"),
    (lambda: source.fig2({"xnli": T.assign(metric=T["metric"] * 100)}), "metric outside [0, 1]"),
    (lambda: source.fig2({"xnli": T[T["sparsity"] > 0]}), "lacks the full model (sparsity 0) of language 'en'"),
    (lambda: source.fig2({"xnli": pd.concat([T, T.head(1)])}), "more than one row for replicate 0"),
    (lambda: source.fig3({"xnli": O.drop(columns="layer")}), "lacks the column(s) layer"),
    (lambda: source.fig3({"xnli": O}, sparsity=0.8), "no sparsity 0.8 (it has 0.5)"),
    (lambda: source.fig3({"xnli": O.assign(kind="other")}), "kind 'other'"),
    (lambda: source.fig4({"xnli": X.drop(columns=["source"])}), "lacks the column(s) source"),
    (lambda: source.fig4({"xnli": X[X["source"] != X["target"]]}), "lacks the own ticket (source = target) of 'de'"),
    (lambda: source.fig4({"xnli": X}, sparsity=0.3), "no sparsity 0.3"),
    (lambda: source.fig4({"xnli": [X]}), "one table with every replicate's rows"),
    (lambda: source.fig6({"xnli": X[~((X["source"] == "de") & (X["target"] == "fr"))]}),
     "replicate 0: the ticket of de lacks transfer results to fr"),
    (lambda: source.fig7({"xnli": RT.drop(columns="method")}), "lacks the column(s) method"),
    (lambda: source.fig7({"xnli": RT}, method="csls"), "no method 'csls'"),
    (lambda: source.fig7({"xnli": RT[RT["method"] == "cosine"].assign(method=lambda f: f["method"].where(f["rep"] > 0, "x"))}),
     "say which one to draw"),
    (lambda: source.heads_figure({"xnli": H.assign(head_enabled=2)}), "head_enabled other than 0 or 1"),
    (lambda: source.heads_figure({"xnli": H.drop(columns="kept_fraction")}), "lacks the column(s) kept_fraction"),
    (lambda: source.table1({"xnli": X}, sparsity=0.3), "no sparsity 0.3"),
    (lambda: source.table1({"xnli": X[X["source"] != "full"]}), "no rows of source 'full'"),
])
def test_missing_or_bad_input_is_one_line_error(make, message):
    with pytest.raises(LangspecError, match=re.escape(message)) as error:
        make()
    assert "\n" not in str(error.value)


# -- figure 9: cross-task transfer -----------------------------------------------------------

CROSS = {"mlm": ("perplexity", 4.0), "ner": ("f1", 0.85), "xnli": ("accuracy", 0.75)}


def cross_task_frame(target: str) -> pd.DataFrame:
    """Planted: tickets from another task lose 3 points (perplexity: rise by 0.3) in en, and nothing in fr."""
    name, own = CROSS[target]
    rng = np.random.default_rng(len(target))
    rows = []
    for rep in range(R):
        for source in (t for t in CROSS if t != target):
            for lang, loss in (("en", 0.03), ("fr", 0.0)):
                base = own + rng.normal(0, 0.002)
                worse = base + 10 * loss if name == "perplexity" else base - loss
                rows.append({"rep": rep, "source_task": source, "lang": lang, "sparsity": 0.5,
                             "metric": worse + rng.normal(0, 0.001), "own": base, "metric_name": name})
    return pd.DataFrame(rows)


def test_fig9_draws_each_target_task_with_oriented_gains(tmp_path):
    from langspec.stats.tickets import cross_task_cells

    data = {t: cross_task_frame(t) for t in CROSS}
    mlm = cross_task_cells(data["mlm"], "mlm")
    assert list(mlm["mean"].index) == ["ner", "xnli"] and list(mlm["mean"].columns) == ["en", "fr"]
    assert mlm["mean"].loc["ner", "en"] == pytest.approx(-0.3, abs=0.01), "perplexity 0.3 higher: −0.3"
    ner = cross_task_cells(data["ner"], "ner")
    assert ner["mean"].loc["mlm", "en"] == pytest.approx(-3.0, abs=0.3), "F1 in points"
    assert ner["p_value"].loc["mlm", "en"] < 0.01 and ner["p_value"].loc["mlm", "fr"] > 0.05
    fig = drawn_from("fig9", data)
    assert isinstance(fig, Figure)
    spec = {"cross_task": {t: _csv(tmp_path, f"cross-{t}", frame) for t, frame in data.items()}}
    entry = FIGURES_003["fig9"]
    draw_lth("fig9", read_back(from_spec(entry.resolve_source(), entry.roles, spec)), tmp_path / "fig9")
    png = tmp_path / "fig9.png"
    assert not is_blank(png) and edge_ink(png) == 0 and count_panels(png) == 3
    grids = hatched_grids(png)
    assert len(grids) == 3 and all(not g[:, 0].any() and g[:, 1].all() for g in grids), "en robust, fr hatched"
    with pytest.raises(LangspecError, match="mixes sparsities"):
        cross_task_cells(data["ner"].assign(sparsity=[0.5, 0.8] * (len(data["ner"]) // 2)), "ner")


# -- figure 10 ----------------------------------------------------------------------------


def similarity_frame(reps: int = 3, layers: int = 5, seed: int = 0) -> pd.DataFrame:
    """Every ticket, pooling, target, layer and measure: SVCCA rising with depth, PWCCA falling, controls at 0.3."""
    rng = np.random.default_rng(seed)
    rows = []
    for rep in range(reps):
        for ticket in ["full", *LANGS]:
            for pooling in ("first", "mean"):
                for target in LANGS[1:]:
                    for layer in range(layers):
                        for measure, level in (("svcca", 0.4 + 0.1 * layer), ("pwcca", 0.8 - 0.1 * layer), ("cca", 0.5)):
                            rows.append({"rep": rep, "ticket": ticket, "pooling": pooling, "source": "en", "target": target,
                                         "layer": layer, "measure": measure, "similarity": level + rng.normal(0, 0.01),
                                         "control": 0.3 + rng.normal(0, 0.01), "sentences": 500})
    return pd.DataFrame(rows)


def test_fig10_draws_pwcca_and_svcca_pretrained_and_under_the_targets_ticket(tmp_path):
    frame = similarity_frame()
    fig = drawn_from("fig10", {"xnli": frame})
    titles = [ax.get_title().replace("\n", " ") for ax in panels(fig)]
    assert titles == ["xnli: PWCCA, pre-trained", "xnli: SVCCA, pre-trained", "xnli: PWCCA, target's ticket",
                      "xnli: SVCCA, target's ticket"]
    assert "first-token representations of en sentences" in fig._suptitle.get_text().replace("\n", " ")
    svcca, under = panels(fig)[1], panels(fig)[3]
    assert len(svcca.lines) == len(LANGS) - 1 + 1, "a line per target and the control"
    de = frame[(frame["ticket"] == "full") & (frame["pooling"] == "first") & (frame["measure"] == "svcca") & (frame["target"] == "de")]
    assert svcca.lines[0].get_ydata() == pytest.approx(de.groupby("layer")["similarity"].mean().to_numpy())
    own = frame[(frame["ticket"] == "de") & (frame["pooling"] == "first") & (frame["measure"] == "svcca") & (frame["target"] == "de")]
    assert under.lines[0].get_ydata() == pytest.approx(own.groupby("layer")["similarity"].mean().to_numpy())
    assert svcca.lines[-1].get_linestyle() == ":" and svcca.lines[-1].get_ydata() == pytest.approx([0.3] * 5, abs=0.01)
    mean = drawn_from("fig10", {"xnli": frame}, pooling="mean")
    assert "mean-pooled" in mean._suptitle.get_text().replace("\n", " ")
    spec = {"similarity": {"xnli": _csv(tmp_path, "similarity", frame), "ner": _csv(tmp_path, "similarity2", frame)},
            "pooling": "first"}
    entry = FIGURES_003["fig10"]
    draw_lth("fig10", read_back(from_spec(entry.resolve_source(), entry.roles, spec, entry.scalars)), tmp_path / "fig10")
    png = tmp_path / "fig10.png"
    assert not is_blank(png) and edge_ink(png) == 0 and count_panels(png) == 8
    with pytest.raises(LangspecError, match="has no pooling 'cls'"):
        source.fig10({"xnli": frame}, pooling="cls")


# -- the source data ---------------------------------------------------------------------------

#: Every figure and table of paper 003 with its inputs from the synthetic data: (rows of its frame, its frame's maker).
MADE = {
    "fig2": (len(TASKS) * len(LANGS) * len(SPARSITIES) + len(SPARSITIES), lambda: source.fig2(DATA["tickets"])),
    # pairs x (6 layers + pooler) + (6 + pooler) same-language points + random + average, per task
    "fig3": (len(TASKS) * (6 * (LAYERS + 1) + (LAYERS + 1) + 2), lambda: source.fig3(DATA["overlap"])),
    "fig4": (len(TASKS) * (len(LANGS) + 1) * len(LANGS), lambda: source.fig4(DATA["transfer"])),
    "fig6": (len(TASKS) * 2 * len(LANGS), lambda: source.fig6(DATA["transfer"])),
    # tickets (4 languages and full) x 2 directions x 2 k x 7 layers, per task
    "fig7": (len(TASKS) * 5 * 2 * 2 * (LAYERS + 1), lambda: source.fig7(DATA["retrieval"])),
    "fig9": (3 * 2 * 2, lambda: source.fig9({t: cross_task_frame(t) for t in CROSS})),
    # 2 panels under the full model and 2 under the target's ticket, 3 targets x 5 layers each
    "fig10": (4 * 3 * 5, lambda: source.fig10({"xnli": similarity_frame()})),
    "heads": (len(TASKS) * len(LANGS) * R * LAYERS * HEADS, lambda: source.heads_figure(DATA["heads"])),
    # (full model, own ticket, 4 languages, multi) x 4 targets for xnli; without multi for wikiann
    "table1": ((7 + 6) * len(LANGS), lambda: source.table1(DATA["transfer"])),
    "table2": (len(TASKS) * len(LANGS) * 3, lambda: source.table2(DATA["tickets"], DATA["transfer"])),
    "table3": ((7 + 6) * len(LANGS), lambda: source.table3(DATA["transfer"])),
    "overlap": (len(TASKS), lambda: source.overlap_table(DATA["overlap"])),
    "heads_table": (len(TASKS) * len(LANGS), lambda: source.heads_table(DATA["heads"])),
}


def test_every_figure_and_table_of_paper_003_names_its_source_function():
    for name, entry in {**FIGURES_003, **TABLES_003}.items():
        assert entry.source.startswith("langspec.stats.source_data.tickets:"), name
        assert callable(entry.resolve_source())
        assert entry.source_data == f"{entry.target}.data.csv"
        assert entry.resolve_source().__name__ in {name, f"{name}_figure", f"{name}_table", "fig3", "fig4",
                                                  "absolute_transfer"}, name
        assert by_id(f"lth/{name}") is entry
    assert FIGURES_003["fig4"].source_data == "figures/lth/fig4.data.csv"
    assert TABLES_003["table1"].source_data == "tables/lth/table1.data.csv"
    from langspec.stats.source_data import heads as heads_source

    assert TRACIN_003.resolve_source() is heads_source.fig4, "TracIn under tickets is paper 000's figure 4 frame"
    assert TRACIN_003.source_data == "figures/lth/tracin.data.csv"


def test_the_names_the_figures_keep_are_the_analysis_names():
    """Figures only draw, so the names of the multilingual ticket, the unpruned model and the floored interval are
    kept in figures.tickets: they must be what langspec.stats says."""
    from langspec.stats import replicates, tickets

    assert (drawing.MULTI, drawing.FULL, drawing.FLOOR_METHOD) == (tickets.MULTI, tickets.FULL, replicates.FLOOR_METHOD)


@pytest.mark.parametrize("name", list(MADE))
def test_source_data_has_the_documented_columns_and_plausible_numbers(name, tmp_path):
    """Documented columns, then rep{r}; one row per point, cell or bar; intervals hold their value; the replicates'
    values average to the mean; robust only where tested; the frame survives its CSV."""
    rows, make = MADE[name]
    frame = make()
    assert len(frame) == rows
    reps = [c for c in frame.columns if re.fullmatch(r"rep\d+", c)]
    assert list(frame.columns) == [*COLUMNS[name], *reps]
    if name != "heads":  # each replicate's points are rows of their own there
        assert reps == [f"rep{r}" for r in range(R)]
    if {"ci_low", "ci_high"} <= set(frame.columns):
        value = "mean" if "mean" in frame.columns else "r"
        shown = frame.dropna(subset=["ci_low", value, "ci_high"])
        assert len(shown) > 0
        assert (shown["ci_low"] <= shown[value] + 1e-9).all() and (shown[value] <= shown["ci_high"] + 1e-9).all()
    if reps and name != "heads_table":  # the heads table pools r by Fisher z, not by the mean
        full = frame[reps].notna().all(axis=1) & frame["mean"].notna()
        assert full.sum() > 0
        assert np.allclose(frame.loc[full, reps].mean(axis=1), frame.loc[full, "mean"]), "the mean of the replicates"
        assert (frame.loc[full, "n_replicates"] == len(reps)).all()
    if "robust" in frame.columns:
        assert not (frame["robust"] & ~frame["tested"]).any() and frame.loc[frame["tested"], "p_value"].notna().all()
        assert frame["robust"].any() and not frame["robust"].all()
    write_source_data(tmp_path / "frame.data.csv", frame)
    pd.testing.assert_frame_equal(read_source_data(tmp_path / "frame.data.csv"), frame, check_dtype=False)


def test_fig2_source_data_holds_each_replicates_metric_in_percent_and_the_winning_mark():
    frame = source.fig2({"xnli": DATA["tickets"]["xnli"]})
    raw = DATA["tickets"]["xnli"]
    row = frame[(frame["lang"] == "de") & (frame["sparsity"] == 0.3)].iloc[0]
    values = raw[(raw["lang"] == "de") & (raw["sparsity"] == 0.3)].set_index("rep")["metric"] * 100
    assert [row[f"rep{r}"] for r in range(R)] == pytest.approx(values.tolist())
    assert row["mean"] == pytest.approx(values.mean())
    wins = _winning_by_hand(raw, "de")
    tickets = frame[(frame["lang"] == "de") & (frame["sparsity"] > 0)]
    assert dict(zip(tickets["sparsity"].round(6), tickets["winning"])) == wins
    assert set(frame["unit"]) == {"accuracy (%)"} and (frame[["range_low", "range_high"]] == [0.0, 100.0]).all().all()


def test_fig4_hatches_exactly_what_its_source_data_does_not_call_robust(tmp_path):
    frame = source.fig4(DATA["transfer"])
    by_hand = _transfer_by_hand(DATA["transfer"], 0.5)
    figures.save(drawn_from("fig4", DATA["transfer"]), tmp_path / "fig4")
    for task, found in zip(TASKS, hatched_grids(tmp_path / "fig4.png")):
        part = frame[frame["task"] == task]
        robust = part.pivot(index="source", columns="target", values="robust").loc[LANGS + ["rand"], LANGS].to_numpy(bool)
        assert (found == ~robust).all() and (robust == ~by_hand[task][1]).all()
        successful = part.pivot(index="source", columns="target", values="successful").loc[LANGS + ["rand"], LANGS]
        assert (successful.to_numpy(bool) == by_hand[task][2]).all()
    assert frame["tested"].sum() == len(TASKS) * (len(LANGS) + 1) * len(LANGS) - len(TASKS) * len(LANGS)


def test_the_tables_are_laid_out_from_their_source_data_alone():
    frame = source.table1(DATA["transfer"])
    cell = frame[(frame["task"] == "xnli") & (frame["model"] == "fr") & (frame["target"] == "de")].iloc[0]
    raw = DATA["transfer"]["xnli"]
    values = raw[(raw["source"] == "fr") & (raw["target"] == "de") & (raw["sparsity"] == 0.5)].set_index("rep")["metric"]
    assert [cell[f"rep{r}"] for r in range(R)] == pytest.approx((100 * values).tolist())
    table = lthtables.table1(read_back(frame))
    assert table.set_index(["task", "model"]).loc[("xnli", "fr"), "de"] == pytest.approx(cell["mean"])
    assert table.set_index(["task", "model"]).loc[("wikiann", "en"), "de n"] == R
    heads = source.heads_table(DATA["heads"])
    raw = DATA["heads"]["xnli"]
    for r in range(R):
        p = raw[(raw["lang"] == "en") & (raw["rep"] == r)]
        assert heads.loc[0, f"rep{r}"] == pytest.approx(np.corrcoef(p["head_enabled"], p["kept_fraction"])[0, 1])
    overlap = source.overlap_table(DATA["overlap"])
    raw = DATA["overlap"]["xnli"]
    per_rep = raw[(raw["kind"] == "pair") & (raw["layer"] == "all")].groupby("rep")["jaccard"].mean() * 100
    assert [overlap.loc[0, f"rep{r}"] for r in range(R)] == pytest.approx(per_rep.tolist())


# -- intervals stay inside the metric's range ----------------------------------------------------

def _two_replicates(spread_: float) -> pd.DataFrame:
    """Two replicates of one language whose tickets disagree by ``spread_`` (accuracy): a wide two-replicate t-band."""
    rows = []
    for rep, sign in ((0, -1), (1, 1)):
        for s in (0.0, 0.25, 0.5):
            rows.append({"rep": rep, "lang": "en", "sparsity": s, "metric": 0.65 + sign * spread_ / 2})
    return pd.DataFrame(rows)


def test_fig2_clips_a_band_beyond_the_metric_range_and_says_so_while_the_source_data_keeps_it():
    wide = source.fig2({"tiny": _two_replicates(0.5)})
    assert (wide["ci_low"] < 0).all() and (wide["ci_high"] > 100).all(), "t with 1 df: the interval leaves 0-100%"
    fig = drawing.lth_fig2(read_back(wide))
    ax = panels(fig)[0]
    band = next(c for c in ax.collections if len(c.get_paths()))  # fill_between: the ticket's 95% band
    y = np.concatenate([path.vertices[:, 1] for path in band.get_paths()])
    assert y.min() == pytest.approx(0.0) and y.max() == pytest.approx(100.0)
    full = ax.patches[0]  # the full model's mean ± 1 sd: 65 ± 35.4, inside 0-100
    assert full.get_y() == pytest.approx(65 - 50 / np.sqrt(2))
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any(CLIPPED in t for t in texts), texts
    narrow = drawing.lth_fig2(read_back(source.fig2({"tiny": _two_replicates(0.01)})))
    assert not any(CLIPPED in t.get_text() for legend in narrow.legends for t in legend.get_texts())


def test_perplexity_bands_are_clipped_at_1_and_accuracy_bars_of_fig6_at_minus_100():
    ppl = _two_replicates(0.5).assign(metric=lambda f: 1.2 + 40 * (f["metric"] - 0.4), metric_name="perplexity")
    frame = source.fig2({"mlm": ppl})
    assert (frame[["range_low", "range_high"]].to_numpy() == [1.0, np.inf]).all()
    assert (frame["ci_low"] < 1).all()
    ax = panels(drawing.lth_fig2(read_back(frame)))[0]
    band = next(c for c in ax.collections if len(c.get_paths()))
    assert np.concatenate([p.vertices[:, 1] for p in band.get_paths()]).min() == pytest.approx(1.0)
    rows = []
    for rep, value in ((0, 0.02), (1, 0.9)):
        rows += [{"rep": rep, "sparsity": 0.5, "source": s, "target": t,
                  "metric": 0.9 if s == t else value} for s in ("aa", "bb") for t in ("aa", "bb")]
    bars = source.fig6({"toy": pd.DataFrame(rows)})
    assert (bars["ci_low"] < -100).all() and (bars["range_low"] == -100).all()
    fig = drawing.lth_fig6(read_back(bars))
    segments = np.concatenate([s for c in panels(fig)[0].collections for s in c.get_segments()])
    assert segments[:, 1].min() == pytest.approx(-100.0)
    assert any(CLIPPED in t.get_text() for legend in fig.legends for t in legend.get_texts())
