"""Figures 2-19 from synthetic replicates: their source data, drawn from it, saved, and looked at (pixels and Figure objects).

Five languages, two tasks, three replicates, masks of 6 layers x 12 heads, 3
epochs. Every replicate's tables have the columns of ``langspec.attribution.shares.compare``
and ``epoch_shares``, and the figures' source-data functions
(``langspec.stats.source_data.heads``) get them aggregated by the real
``aggregate_shares`` / ``aggregate_epochs``, with the replicates' own tables. Every
figure here is drawn from its frame written as CSV and read back, as the workflow does. Test language ``ru`` of task
``marc`` has too few test examples in every replicate (NaN shares: "n < min"),
and ``es`` of ``marc`` in one replicate only. Planted effects make some cells
robust and leave others within the replicate spread, so the hatching is checked
on both kinds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imsave

from langspec import figures
from langspec.core.errors import LangspecError
from langspec.figures.draw import draw
from langspec.figures.style import MISSING
from langspec.heads.masks import save_mask
from langspec.registry import FIGURES_000
from langspec.stats.correlations import correlation, pearson
from langspec.stats.heads import (
    cosines,
    layer_correlations,
    overlap_pct,
    pairs,
    pooled_layer_correlations,
    shared_heads,
    specialization,
    specialization_summary,
)
from langspec.stats.multiplicity import fdr_keep, fdr_marks
from langspec.stats.replicates import aggregate_epochs, aggregate_shares, summarize, wide
from langspec.stats.source_data import heads as source
from langspec.stats.source_data.heads import from_spec, read_source_data, write_source_data

from .pictures import (
    cell_colour,
    cell_grids,
    components,
    count_cells,
    count_panels,
    edge_ink,
    hatch_fraction,
    hatched_grids,
    is_blank,
    load,
)

LANGS = ["en", "de", "fr", "es", "ru"]
TASKS = ["pawsx", "marc"]
LONG = {"pawsx": "a-rather-long-task-name-for-paraphrases", "marc": "another-long-task-name-reviews"}
CONDITIONS = ["R1", "R2", "R3", "en mask", "ru mask"]
REGIMES = ["full fine-tuning", "SFT"]
R, LAYERS, HEADS, EPOCHS = 3, 6, 12, 3
SIGNED = re.compile(r"^([+-]\d+\.\d|0\.0|n < min)$")
COMPARISON = ["test_lang", "train_lang", "sign", "share_pct", "share_se", "n_test", "baseline_pct", "baseline_se",
              "change_pct", "change_se"]


def truth(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per sign: true condition and baseline shares [test, train] (rows add up to 1).

    The baseline prefers in-language data; the condition moves 0.15 of every
    row to its diagonal (positive) or away from it (negative), and 0.1 of the
    first row to the second language, so those cells change for real.
    """
    out = {}
    for s, sign in enumerate(("pos", "neg")):
        base = rng.dirichlet(np.ones(len(LANGS)) * 4, size=len(LANGS)) * 0.8 + np.eye(len(LANGS)) * 0.2
        shift = np.eye(len(LANGS)) * (0.15 if s == 0 else -0.12)
        shift[0, 1] += 0.1
        condition = np.clip(base + shift, 0.01, None)
        out[sign] = (condition / condition.sum(1, keepdims=True), base)
    return out


def replicate_comparison(rng: np.random.Generator, true: dict, empty: tuple[str, ...] = ()) -> pd.DataFrame:
    """One replicate's comparison table: shares drawn around ``true``; test languages in ``empty`` have too few examples.

    The replicates agree closely (Dirichlet concentration 4000: about 0.7 pp between them), so that the planted
    changes survive the false discovery rate over a figure's cells with 3 replicates and the small ones do not.
    """
    rows = []
    for sign, (condition, base) in true.items():
        for i, test in enumerate(LANGS):
            share, baseline = rng.dirichlet(condition[i] * 4000) * 100, rng.dirichlet(base[i] * 4000) * 100
            for j, train in enumerate(LANGS):
                if test in empty:
                    rows.append((test, train, sign, *[np.nan] * 2, 3, *[np.nan] * 4))
                else:
                    rows.append((test, train, sign, share[j], 1.5, 40, baseline[j], 1.5, share[j] - baseline[j], 1.2))
    return pd.DataFrame(rows, columns=COMPARISON)


def replicates_of(seed: int, empty: tuple[str, ...] = (), once: str | None = None) -> list[pd.DataFrame]:
    """R replicate tables of one condition; ``once`` has too few test examples in the last replicate only."""
    rng = np.random.default_rng(seed)
    true = truth(rng)
    return [replicate_comparison(rng, true, empty + ((once,) if once and r == R - 1 else ())) for r in range(R)]


def replicate_epochs(seed: int) -> pd.DataFrame:
    """One replicate's epoch table: in-language share rising with the epoch, accuracy a fraction."""
    rng = np.random.default_rng(seed)
    rows = []
    for epoch in range(1, EPOCHS + 1):
        accuracy = rng.uniform(0.5, 0.9, len(LANGS))
        for sign in ("pos", "neg"):
            for i, test in enumerate(LANGS):
                p = np.full(len(LANGS), 1.0)
                p[i] += 0.5 * epoch
                share = rng.dirichlet(p / p.sum() * 300) * 100
                rows += [(epoch, test, train, sign, share[j], 1.5, 40, accuracy[i], 0.05) for j, train in enumerate(LANGS)]
    columns = ["epoch", "test_lang", "train_lang", "sign", "share_pct", "share_se", "n_test", "accuracy", "accuracy_se"]
    return pd.DataFrame(rows, columns=columns)


def replicate_masks(seed: int) -> list[dict[str, np.ndarray]]:
    """R replicates of per-language masks: heads of the first two layers' first four heads always on, the rest random."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(R):
        masks = {}
        for lang in LANGS:
            mask = (rng.random((LAYERS, HEADS)) < 0.6).astype(int)
            mask[:2, :4] = 1
            masks[lang] = mask
        out.append(masks)
    return out


def inputs(names: dict[str, str], tasks: list[str] = TASKS) -> dict:
    """Every figure's input for ``tasks``, renamed by ``names``: aggregated tables with their replicates' own tables."""
    index = {t: i for i, t in enumerate(TASKS)}
    reps = {names[t]: replicates_of(index[t], empty=("ru",) if t == "marc" else (), once="es" if t == "marc" else None)
            for t in tasks}
    composed = {"pawsx": ("es∩fr", replicates_of(30)), "marc": ("de∩en", replicates_of(31, empty=("ru",)))}
    suboptimal = {c: replicates_of(20 + i) for i, c in enumerate(CONDITIONS)}
    composed_reps = {f"{names[t]}: {composed[t][0]}": composed[t][1] for t in tasks}
    regime_reps = {regime: [replicate_epochs(200 + 10 * i + r) for r in range(R)] for i, regime in enumerate(REGIMES)}
    return {
        "tasks": [names[t] for t in tasks],
        "reps": reps,
        "agg": {task: aggregate_shares(tables) for task, tables in reps.items()},
        "suboptimal": {c: aggregate_shares(tables) for c, tables in suboptimal.items()},
        "suboptimal_reps": suboptimal,
        "composed": {label: aggregate_shares(tables) for label, tables in composed_reps.items()},
        "composed_reps": composed_reps,
        "epochs": {names[t]: [replicate_epochs(100 * index[t] + r) for r in range(R)] for t in tasks},
        "regimes": {regime: aggregate_epochs(tables) for regime, tables in regime_reps.items()},
        "regime_reps": regime_reps,
        "masks": {names[t]: replicate_masks(40 + index[t]) for t in tasks},
    }


def three_languages(data: dict, langs=("en", "de", "fr")) -> dict:
    """``data`` cut down to three languages, the size of the workflow's tiny end-to-end config."""
    def cut(table: pd.DataFrame) -> pd.DataFrame:
        return table[table["test_lang"].isin(langs) & table["train_lang"].isin(langs)].reset_index(drop=True)

    out = {key: {k: cut(v) for k, v in data[key].items()} for key in ("agg", "suboptimal", "composed", "regimes")}
    for key in ("reps", "epochs", "suboptimal_reps", "composed_reps", "regime_reps"):
        out[key] = {k: [cut(t) for t in v] for k, v in data[key].items()}
    out["masks"] = {k: [{lang: m[lang] for lang in langs} for m in v] for k, v in data["masks"].items()}
    return {**out, "tasks": data["tasks"]}


DATA = inputs({t: t for t in TASKS})
VARIANTS = {"two tasks": DATA, "long names": inputs(LONG), "tiny": three_languages(inputs({"pawsx": "gettext-topic"}, ["pawsx"]))}

#: name -> its source-data frame from the inputs (the workflow's roles, replicates' own tables included)
SOURCES: dict[str, Callable[[dict], pd.DataFrame]] = {
    "fig2": lambda d: source.fig2(d["agg"], d["reps"]),
    "fig3": lambda d: source.fig3(d["suboptimal"], "de", d["tasks"][0], d["suboptimal_reps"]),
    "fig4": lambda d: source.fig4(d["agg"], d["reps"]),
    "fig5": lambda d: source.fig5(d["agg"], d["reps"]),
    "fig6": lambda d: source.fig6(d["agg"], d["reps"]),
    "fig7": lambda d: source.fig7(d["epochs"]),
    "fig8": lambda d: source.fig8(d["masks"], d["reps"]),
    "fig9": lambda d: source.fig9(d["masks"], d["reps"]),
    "fig10": lambda d: source.fig10(d["regimes"], d["tasks"][0], d["regime_reps"]),
    "fig11": lambda d: source.fig11(d["agg"], d["reps"]),
    "fig12": lambda d: source.fig12(d["masks"]),
    "fig13": lambda d: source.fig13(d["masks"], d["tasks"][0]),
    "fig14": lambda d: source.fig14(d["masks"], d["tasks"][-1]),
    "fig15": lambda d: source.fig15(d["masks"], d["tasks"][0]),
    "fig16": lambda d: source.fig16(d["masks"], d["reps"]),
    "fig17": lambda d: source.fig17(d["regimes"], d["tasks"][-1], d["regime_reps"]),
    "fig18": lambda d: source.fig18(d["regimes"], d["tasks"][0], d["regime_reps"]),
    "fig19": lambda d: source.fig19(d["composed"], d["composed_reps"]),
}


def drawn_from(name: str, *args) -> Figure:
    """Figure ``name`` drawn from the frame its source-data function returns for ``args``."""
    return getattr(figures, name)(getattr(source, name)(*args))


# name -> (panels, heatmap cells or None for figures without heatmaps)
SHAPES: dict[str, tuple[int, int | None]] = {
    "fig2": (4, 4 * 25),
    "fig3": (2, 2 * 25),
    "fig4": (4, 4 * 25),
    "fig5": (2, None),
    "fig6": (4, 4 * 25),
    "fig7": (2, None),
    "fig8": (4, 2 * 25),
    "fig9": (2, None),
    "fig10": (2, None),
    "fig11": (4, 4 * 25),
    "fig12": (2, 2 * LAYERS * HEADS),
    "fig13": (2, 2 * 25),
    "fig14": (2, 2 * 25),
    "fig15": (2, 2 * 25),
    "fig16": (2, None),
    "fig17": (len(LANGS), None),
    "fig18": (2, None),
    "fig19": (2, 2 * 25),
}
# name -> (drawing from inputs, panels, heatmap cells or None for figures without heatmaps)
FIGURES: dict[str, tuple[Callable[[dict], Figure], int, int | None]] = {
    name: (lambda d, name=name: getattr(figures, name)(SOURCES[name](d)), *shape) for name, shape in SHAPES.items()
}


def panels(fig: Figure) -> list:
    """The figure's axes that carry a title: the panels (colour bars carry none)."""
    return [ax for ax in fig.axes if ax.get_title()]


def cell_text(ax) -> dict[tuple[int, int], str]:
    """(row, column) -> text written in that heatmap cell."""
    return {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text() for t in ax.texts}


class Drawn:
    """Figures drawn and saved at most once per (name, variant): the Figure and its folder of PDF and PNG."""

    def __init__(self, folder):
        self.folder, self.cache = folder, {}

    def __call__(self, name: str, variant: str = "two tasks") -> tuple[Figure, object]:
        """As the workflow: the source data written as CSV, and the figure drawn from that file alone."""
        if (name, variant) not in self.cache:
            folder = self.folder / variant.replace(" ", "-") / name
            folder.mkdir(parents=True)
            write_source_data(folder / f"{name}.data.csv", SOURCES[name](VARIANTS[variant]))
            fig = getattr(figures, name)(read_source_data(folder / f"{name}.data.csv"))
            figures.save(fig, folder / name)
            self.cache[name, variant] = (fig, folder)
        return self.cache[name, variant]

    def png(self, name: str, variant: str = "two tasks"):
        return self(name, variant)[1] / f"{name}.png"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory) -> Drawn:
    return Drawn(tmp_path_factory.mktemp("figures"))


@pytest.fixture(scope="module")
def pngs(drawn) -> dict[str, object]:
    """name -> PNG of the figure drawn from ``DATA``."""
    return {name: drawn.png(name) for name in FIGURES}


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_is_saved_and_reads_as_drawn(name, drawn):
    _, n_panels, n_cells = FIGURES[name]
    fig, folder = drawn(name)
    assert isinstance(fig, Figure)
    assert len(panels(fig)) == n_panels
    assert sorted(p.name for p in folder.iterdir()) == [f"{name}.data.csv", f"{name}.pdf", f"{name}.png"]
    assert (folder / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    png = folder / f"{name}.png"
    assert not is_blank(png)
    assert count_panels(png) == n_panels
    if n_cells is not None:
        assert count_cells(png) == n_cells


# -- the source data: the frame each figure is drawn from ------------------------------

REPS = [f"rep{r}" for r in range(R)]
SHARE_CELL = ["sign", "test_lang", "train_lang", "measure", "mean", "ci_low", "ci_high", "n_replicates", "reference",
              "p_value", "tested", "robust", "method", *REPS]
MASK_CELL = ["mean", "chance", "p_value", "tested", "robust", "n_replicates", *REPS]
SCATTER = ["replicate_r", "slope", "intercept", "r", "r_ci_low", "r_ci_high", "r_p_value", "r_replicates", "r_method"]
CURVE = ["task", "regime", "epoch", "test_lang", "mean", "ci_low", "ci_high", "n_replicates", "method", *REPS]
N = len(LANGS)
#: name -> (documented columns, rows on DATA: one per cell, bar, line point or scatter point)
SOURCE_DATA: dict[str, tuple[list[str], int]] = {
    "fig2": (["task", *SHARE_CELL], 2 * 2 * N * N),
    "fig3": (["task", "test_lang", "sign", "condition", "train_lang", *SHARE_CELL[3:]], 2 * len(CONDITIONS) * N),
    "fig4": (["task", *SHARE_CELL], 2 * 2 * N * N),
    "fig5": (["task", *SHARE_CELL], 2 * N * N),
    "fig6": (["task", *SHARE_CELL], 2 * 2 * N * N),
    "fig7": (["task", "replicate", "epoch", "test_lang", "specialization_pct", "accuracy_pct", *SCATTER], 2 * R * EPOCHS * N),
    "fig8": (["task", "part", "lang_a", "lang_b", *MASK_CELL[:-R], "replicate", "test_lang", "train_lang", "cosine",
              "share_pct", *SCATTER, *REPS], 2 * N * N + 2 * R * N * (N - 1)),
    "fig9": (["task", "layer", "r", "ci_low", "ci_high", "n_replicates", "n_points", "p_value", "tested", "robust", "method",
              *REPS], 2 * LAYERS),
    "fig10": (CURVE, len(REGIMES) * N * EPOCHS),
    "fig11": (["task", *SHARE_CELL], 2 * 2 * N * N),
    "fig12": (["task", "layer", "head", *MASK_CELL[:5], "n_languages", *MASK_CELL[5:]], 2 * LAYERS * HEADS),
    "fig13": (["task", "statistic", "lang_a", "lang_b", *MASK_CELL], 2 * N * N),
    "fig14": (["task", "statistic", "lang_a", "lang_b", *MASK_CELL], 2 * N * N),
    "fig15": (["task", "statistic", "lang_a", "lang_b", *MASK_CELL], 2 * N * N),
    "fig16": (["task", "replicate", "test_lang", "train_lang", "overlap_pct", "share_pct", *SCATTER], 2 * R * N * (N - 1)),
    "fig17": (CURVE, len(REGIMES) * N * EPOCHS),
    "fig18": (CURVE, len(REGIMES) * N * EPOCHS),
    "fig19": (["composition", *SHARE_CELL], 2 * N * N),
}


def test_the_legends_name_the_methods_the_analysis_uses():
    """Figures only draw, so the legends' words for the FDR control and the intervals are kept in figures.marks:
    they must name what langspec.stats does."""
    from langspec.figures import marks
    from langspec.stats import multiplicity, replicates

    assert marks.FDR_METHOD == multiplicity.METHOD
    assert (marks.T_METHOD, marks.NORMAL_METHOD) == (replicates.T_METHOD, replicates.NORMAL_METHOD)


def test_every_figure_of_paper_000_has_a_source_function_named_in_the_registry():
    assert sorted(SOURCE_DATA) == sorted(f"fig{n}" for n in FIGURES_000) == sorted(SOURCES)
    for n, entry in FIGURES_000.items():
        assert entry.source == f"langspec.stats.source_data.heads:fig{n}" and entry.resolve_source() is getattr(source, f"fig{n}")
        assert entry.source_data == f"figures/fig{n}.data.csv"


@pytest.mark.parametrize("name", list(SOURCE_DATA))
def test_source_data_has_the_documented_columns_and_plausible_numbers(name, drawn):
    """One row per cell, bar or point with the documented columns; intervals hold their value, a robust cell was
    tested, each replicate's values average to the drawn mean; the figure drawn from the CSV read back."""
    frame = SOURCES[name](DATA)
    documented, rows = SOURCE_DATA[name]
    assert list(frame.columns) == documented
    assert len(frame) == rows
    if {"ci_low", "mean", "ci_high"} <= set(frame.columns):
        shown = frame.dropna(subset=["ci_low", "mean", "ci_high"])
        assert len(shown) > 0 and (shown["ci_low"] <= shown["mean"] + 1e-9).all() and (shown["mean"] <= shown["ci_high"] + 1e-9).all()
    if "p_value" in frame.columns:
        p = frame["p_value"].dropna()
        assert ((p >= 0) & (p <= 1)).all() and len(p) > 0
        assert not (frame["robust"].fillna(False).astype(bool) & ~frame["tested"].fillna(False).astype(bool)).any()
        tested = frame["tested"].fillna(False).astype(bool)
        assert frame.loc[tested, "p_value"].notna().all()
    if "measure" in frame.columns:
        low = 0 if (frame["measure"] == "share_pct").all() else -100
        assert frame["mean"].dropna().between(low, 100).all()
    if "rep0" in frame.columns and name != "fig9":  # fig9 pools r by Fisher z, not by the mean
        values = frame[REPS]
        full = values.notna().all(axis=1) & frame["mean"].notna()
        assert full.sum() > 0
        assert np.allclose(values[full].mean(axis=1), frame.loc[full, "mean"]), "the mean of the replicates' values"
    if "replicate_r" in frame.columns:
        points = frame.dropna(subset=["replicate_r"])
        assert points["replicate_r"].between(-1, 1).all() and sorted(set(points["replicate"].astype(int))) == list(range(R))
        assert (points["r_ci_low"] <= points["r"]).all() and (points["r"] <= points["r_ci_high"]).all()
    _, folder = drawn(name)
    back = read_source_data(folder / f"{name}.data.csv")
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


# -- the mark: hatched exactly where the interval does not support the value --------


def _shares_blocks(tables: dict[str, pd.DataFrame], measure: str, signs=("pos", "neg")) -> list[tuple[np.ndarray, np.ndarray]]:
    """(mean, robust) test x train matrices per (table, sign), in the figure's reading order.

    Robust: kept by Benjamini–Hochberg over every cell of the figure (all its panels together).
    """
    means, ps, ns = [], [], []
    for table in tables.values():
        part = wide(table, measure)
        for sign in signs:
            cells = part[part["sign"] == sign]
            pivot = lambda v: cells.pivot(index="test_lang", columns="train_lang", values=v).loc[LANGS, LANGS]
            means.append(pivot("mean").to_numpy(float))
            ps.append(pivot("p_value").astype(float))
            ns.append(pivot("n_replicates").astype(float))
    return [(m, r.to_numpy(bool)) for m, r in zip(means, fdr_marks(ps, ns))]


def _suboptimal_blocks() -> list[tuple[np.ndarray, np.ndarray]]:
    means, ps, ns = [], [], []
    for sign in ("pos", "neg"):
        parts = [wide(t, "change_pct") for t in DATA["suboptimal"].values()]
        rows = [p[(p["sign"] == sign) & (p["test_lang"] == "de")].set_index("train_lang").loc[LANGS] for p in parts]
        means.append(np.stack([r["mean"].to_numpy(float) for r in rows]))
        ps.append(pd.DataFrame(np.stack([r["p_value"].to_numpy(float) for r in rows])))
        ns.append(pd.DataFrame(np.stack([r["n_replicates"].to_numpy(float) for r in rows])))
    return [(m, r.to_numpy(bool)) for m, r in zip(means, fdr_marks(ps, ns))]


def _against(values: np.ndarray, chance: np.ndarray, diagonal: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Mean of [R, ...] values and the p-value of the t-test of values − chance against 0 (NaN: not tested)."""
    p = summarize(values - chance)["p_value"].copy()
    if not diagonal:
        np.fill_diagonal(p, np.nan)
    return values.mean(axis=0), p


def _fdr(blocks: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(mean, robust) per block: BH over every tested cell of the figure; an untested cell is never robust."""
    return [(m, keep) for (m, _), keep in zip(blocks, fdr_keep([p for _, p in blocks]))]


def _cosine_blocks() -> list[tuple[np.ndarray, np.ndarray]]:
    blocks = []
    for reps in DATA["masks"].values():
        flat = [np.stack([m[lang].ravel() for lang in LANGS]).astype(float) for m in reps]
        cos = np.stack([f @ f.T / np.outer(np.linalg.norm(f, axis=1), np.linalg.norm(f, axis=1)) for f in flat])
        chance = np.stack([np.sqrt(np.outer(f.mean(1), f.mean(1))) for f in flat])
        blocks.append(_against(cos, chance, diagonal=False))
    return _fdr(blocks)


def _head_blocks() -> list[tuple[np.ndarray, np.ndarray]]:
    blocks = []
    for reps in DATA["masks"].values():
        counts = np.stack([sum(m.values()) for m in reps]).astype(float)
        chance = np.stack([np.full((LAYERS, HEADS), sum(x.mean() for x in m.values())) for m in reps])
        blocks.append(_against(counts, chance))
    return _fdr(blocks)


def _overlap_blocks(task: str) -> list[tuple[np.ndarray, np.ndarray]]:
    flat = [np.stack([m[lang].ravel() for lang in LANGS]).astype(float) for m in DATA["masks"][task]]
    shared = np.stack([f @ f.T for f in flat])
    own = np.stack([f.sum(1) for f in flat])
    density = np.stack([f.mean(1) for f in flat])
    pct = shared / own[:, :, None] * 100
    return _fdr([_against(pct, np.repeat(density[:, None, :] * 100, len(LANGS), axis=1), diagonal=False),
                 _against(shared, own[:, :, None] * density[:, None, :], diagonal=False)])


MARKED = {
    "fig2": lambda: _shares_blocks(DATA["agg"], "change_pct"),
    "fig4": lambda: _shares_blocks(DATA["agg"], "change_pct"),
    "fig6": lambda: _shares_blocks(DATA["agg"], "change_pct"),
    "fig11": lambda: _shares_blocks(DATA["agg"], "share_pct"),
    "fig19": lambda: _shares_blocks(DATA["composed"], "change_pct", ("pos",)),
    "fig3": _suboptimal_blocks,
    "fig8": _cosine_blocks,
    "fig12": _head_blocks,
    "fig13": lambda: _overlap_blocks("pawsx"),
    "fig14": lambda: _overlap_blocks("marc"),
    "fig15": lambda: _overlap_blocks("pawsx"),
}


#: Pair statistics of the synthetic random masks: no language pair shares more than chance, so BH keeps no cell.
PAIR_MASK_FIGURES = ("fig8", "fig13", "fig14", "fig15")


@pytest.mark.parametrize("name", list(MARKED))
def test_cells_are_hatched_exactly_where_the_figure_does_not_call_them_robust(name, pngs):
    """Every heatmap: hatched where BH over the figure's tested cells does not keep the cell (share changes against 0 or the
    equal share, mask statistics against chance); an untested diagonal is hatched."""
    expected = MARKED[name]()
    found = hatched_grids(pngs[name])
    assert len(found) == len(expected), "one heatmap block per panel"
    image = load(pngs[name])
    marked = unmarked = 0
    for block, (grid, (mean, robust)) in enumerate(zip(cell_grids(pngs[name]), expected)):
        assert grid.shape == mean.shape
        want = np.isfinite(mean) & ~robust
        assert (found[block] == want).all(), f"block {block}: hatched\n{found[block].astype(int)}\nexpected\n{want.astype(int)}"
        for i, j in zip(*np.nonzero(~np.isfinite(mean))):  # "n < min": flat grey, not hatched
            assert np.abs(cell_colour(image, grid[i, j]) - np.array([0xA6 / 255] * 3)).max() < 0.03, MISSING
        marked, unmarked = marked + want.sum(), unmarked + (np.isfinite(mean) & robust).sum()
    assert marked > 0, "the synthetic data should give hatched cells"
    if name not in PAIR_MASK_FIGURES:  # random synthetic masks share nothing beyond chance between languages
        assert unmarked > 0, "the synthetic data should give robust cells too"


def test_hatching_is_told_apart_by_a_clear_margin(pngs):
    """Flat cells have (almost) no band pixel off their colour; hatched ones many, whatever their colour."""
    flat, striped = [], []
    for name in ("fig2", "fig11", "fig12"):
        image = load(pngs[name])
        for grid, marks in zip(cell_grids(pngs[name]), hatched_grids(pngs[name])):
            for cell, mark in zip(grid.flat, marks.flat):
                (striped if mark else flat).append(hatch_fraction(image, cell))
    assert max(flat) < 0.01 and min(striped) > 0.1, (max(flat), min(striped))


@pytest.mark.parametrize("name", [n for n in FIGURES if n not in ("fig7", "fig16", "fig10", "fig17", "fig18")])
def test_the_legend_says_what_the_hatching_means_and_over_how_many_replicates(name):
    fig = FIGURES[name][0](DATA)
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    line = next(text for text in texts if text.startswith("hatched"))
    assert ("95% interval" in line or "Benjamini–Hochberg" in line) and ("3 replicates" in line or "2–3 replicates" in line)
    if name in ("fig2", "fig4", "fig6", "fig11", "fig19", "fig5"):
        assert any(text.startswith("n < min") for text in texts), "marc's ru has too few test examples"


def test_legend_line_counts_replicates_of_the_cells_with_a_value():
    texts = [t.get_text() for t in drawn_from("fig2", DATA["agg"]).legends[0].get_texts()]
    assert texts[0].replace("\n", " ") == ("hatched: not robust: t-test against 0 (2–3 replicates) "
                                           "not kept by Benjamini–Hochberg, q = 0.05 over the figure's 90 cells")
    one = {"pawsx": aggregate_shares(DATA["reps"]["pawsx"][:1])}
    texts = [t.get_text() for t in drawn_from("fig2", one).legends[0].get_texts()]
    assert texts[0].replace("\n", " ").startswith("hatched: every cell: 1 replicate has no spread between replicates")
    share = [t.get_text() for t in drawn_from("fig11", {"pawsx": DATA["agg"]["pawsx"]}).legends[0].get_texts()]
    assert "the equal share 100/L = 20.0%" in share[0]


# -- nothing cut at the canvas edge -------------------------------------------------


@pytest.mark.parametrize("variant", ["two tasks", "long names", "tiny"])
@pytest.mark.parametrize("name", list(FIGURES))
def test_no_text_is_cut_at_the_canvas_edge(name, variant, drawn):
    fig, _ = drawn(name, variant)
    assert edge_ink(drawn.png(name, variant)) == 0
    # every title and legend lies inside the canvas, no legend covers the figure title, no panel title another
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox
    boxes = [t.get_window_extent(renderer) for t in [fig._suptitle, *(ax.title for ax in fig.axes)] if t is not None and t.get_text()]
    boxes += [legend.get_window_extent(renderer) for legend in fig.legends]
    for box in boxes:
        assert box.x0 >= 0 and box.x1 <= canvas.width and box.y0 >= 0 and box.y1 <= canvas.height
    title = fig._suptitle.get_window_extent(renderer)
    assert not any(title.overlaps(legend.get_window_extent(renderer)) for legend in fig.legends)
    titles = [ax.title.get_window_extent(renderer) for ax in fig.axes if ax.get_title()]
    assert not any(a.overlaps(b) for i, a in enumerate(titles) for b in titles[i + 1:]), "panel titles overlap"
    for ax in fig.axes:
        if ax.get_title():
            title = ax.title.get_window_extent(renderer)
            assert not any(title.overlaps(other.get_window_extent(renderer)) for other in fig.axes if other is not ax), \
                f"the title '{ax.get_title()}' covers another panel or a colour bar"


def test_edge_ink_sees_text_cut_at_the_edge(tmp_path):
    fig = Figure(figsize=(2, 1))
    fig.text(0.5, 0.5, "a title far too long for this small canvas", ha="center")
    figures.save(fig, tmp_path / "cut")
    assert edge_ink(tmp_path / "cut.png") > 0
    fig = Figure(figsize=(2, 1))
    fig.text(0.5, 0.5, "fits", ha="center")
    figures.save(fig, tmp_path / "fits")
    assert edge_ink(tmp_path / "fits.png") == 0


# -- what the figures show ------------------------------------------------------------


def test_saving_is_reproducible_and_leaves_no_temporary_file(tmp_path):
    figures.save(drawn_from("fig12", DATA["masks"]), tmp_path / "one")
    figures.save(drawn_from("fig12", DATA["masks"]), tmp_path / "two")
    for suffix in (".pdf", ".png"):
        assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()
    assert len(list(tmp_path.iterdir())) == 4


def test_change_heatmap_writes_each_mean_in_its_cell():
    fig = drawn_from("fig2", DATA["agg"])
    by_title = {ax.get_title(): ax for ax in panels(fig)}
    assert set(by_title) == {f"{task}: {sign} influence" for task in TASKS for sign in ("positive", "negative")}
    ax = by_title["pawsx: negative influence"]
    assert [t.get_text() for t in ax.get_xticklabels()] == LANGS
    assert [t.get_text() for t in ax.get_yticklabels()] == LANGS
    assert ax.get_xlabel() == "training language" and ax.get_ylabel() == "test language"
    texts = cell_text(ax)
    table = wide(DATA["agg"]["pawsx"], "change_pct").set_index(["sign", "test_lang", "train_lang"])["mean"]
    for i, test in enumerate(LANGS):
        for j, train in enumerate(LANGS):
            assert float(texts[i, j]) == pytest.approx(table["neg", test, train], abs=0.051)
    marc = cell_text(by_title["marc: positive influence"])
    assert all(SIGNED.match(text) for text in marc.values())
    assert [marc[4, j] for j in range(5)] == ["n < min"] * 5
    bars = [ax for ax in fig.axes if ax.get_ylabel().startswith("change in share")]
    assert len(bars) == 4
    for bar in bars:
        low, high = bar.get_ylim()
        assert low == pytest.approx(-high)


def test_fig3_rows_are_conditions_for_one_test_language():
    fig = drawn_from("fig3", DATA["suboptimal"], "de", "pawsx")
    ax = panels(fig)[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == CONDITIONS
    table = wide(DATA["suboptimal"]["en mask"], "change_pct").set_index(["sign", "test_lang", "train_lang"])["mean"]
    assert float(cell_text(ax)[3, 2]) == pytest.approx(table["pos", "de", "fr"], abs=0.051)


def test_fig5_bars_are_means_with_their_intervals():
    fig = drawn_from("fig5", DATA["agg"])
    ax = panels(fig)[0]
    part = wide(DATA["agg"]["pawsx"], "share_pct").query("sign == 'pos'").set_index(["test_lang", "train_lang"])
    heights = [bar.get_height() for bar in ax.patches]
    expected = [part.loc[(test, train), "mean"] for train in LANGS for test in LANGS]
    assert heights == pytest.approx(expected)
    hatched = [bool(bar.get_hatch()) for bar in ax.patches]
    ps, ns = [], []  # hatched: not kept by BH over every bar of the figure (both tasks)
    for table in DATA["agg"].values():
        pos = wide(table, "share_pct").query("sign == 'pos'")
        ps.append(pos.pivot(index="test_lang", columns="train_lang", values="p_value").astype(float))
        ns.append(pos.pivot(index="test_lang", columns="train_lang", values="n_replicates").astype(float))
    kept = fdr_marks(ps, ns)[0]
    assert hatched == [not kept.loc[test, train] for train in LANGS for test in LANGS]
    assert any(hatched) and not all(hatched)
    assert all(part.loc[(t, s), "robust"] for s in LANGS for t in LANGS if kept.loc[t, s]), "BH keeps a subset"
    segments = np.concatenate([c.get_segments() for c in ax.collections])  # error bars: (low, high) per bar
    spans = sorted((round(s[0][1], 6), round(s[1][1], 6)) for s in segments)
    assert spans == sorted((round(part.loc[(t, s), "ci_low"], 6), round(part.loc[(t, s), "ci_high"], 6)) for s in LANGS for t in LANGS)
    assert any(line.get_ydata()[0] == pytest.approx(20.0) for line in ax.lines), "equal share 100/L"
    marc = panels(fig)[1]
    assert any(t.get_text() == "n < min" for t in marc.texts)


def test_overlap_is_the_row_languages_share_and_averaged_over_replicates():
    sub = np.zeros((2, 4), int)
    sub[0, :2] = 1
    big = np.zeros((2, 4), int)
    big[0] = 1
    pct = overlap_pct({"de": sub, "en": big})
    assert pct.loc["de", "en"] == 100 and pct.loc["en", "de"] == 50
    assert shared_heads({"de": sub, "en": big}).loc["de", "en"] == 2
    fig = figures.pair_overlap(source.pair_overlap({"xnli": [{"de": sub, "en": big}]}, "xnli"))
    left = cell_text(panels(fig)[0])
    assert left[0, 1] == "100" and left[1, 0] == "50"
    small = np.zeros((2, 4), int)
    small[0, :1] = 1
    fig = figures.pair_overlap(source.pair_overlap({"xnli": [{"de": sub, "en": big}, {"de": small, "en": big}]}, "xnli"))
    right = cell_text(panels(fig)[1])
    assert right[0, 1] == "1.5", "mean of 2 and 1 shared heads"


def test_head_counts_are_means_over_replicates():
    fig = drawn_from("fig12", DATA["masks"])
    ax = panels(fig)[0]
    counts = np.mean([sum(m.values()) for m in DATA["masks"]["pawsx"]], axis=0)
    texts = cell_text(ax)
    assert all(float(texts[layer, head]) == pytest.approx(counts[layer, head], abs=0.051)
               for layer in range(LAYERS) for head in range(HEADS))
    single = cell_text(panels(drawn_from("fig12", {"pawsx": DATA["masks"]["pawsx"][:1]}))[0])
    assert single[0, 0] == "5", "one replicate: whole numbers"


def test_similarity_scatter_shows_every_replicate_and_pools_r():
    fig = drawn_from("fig8", DATA["masks"], DATA["reps"])
    rs, ns = [], []
    for masks, table in zip(DATA["masks"]["pawsx"], DATA["reps"]["pawsx"]):
        share = table.query("sign == 'pos'").pivot(index="test_lang", columns="train_lang", values="share_pct")
        similarity = cosines(masks)
        x = [similarity.loc[t, s] for t in LANGS for s in LANGS if t != s]
        y = [share.loc[t, s] for t in LANGS for s in LANGS if t != s]
        rs.append(np.corrcoef(x, y)[0, 1])
        ns.append(len(x))
    pooled = correlation(rs, ns)
    titles = [ax.get_title() for ax in panels(fig)]
    assert f"r = {pooled['r']:.2f}, 95% CI [{pooled['ci_low']:.2f}, {pooled['ci_high']:.2f}]" in titles[1]
    assert "3 replicates × 20 pairs" in titles[1]
    assert "3 replicates × 12–16 pairs" in titles[3]  # marc: ru never has examples, es not in one replicate
    scatter = panels(fig)[1]
    assert len(scatter.collections) == R and sum(len(c.get_offsets()) for c in scatter.collections) == R * 20
    markers = {c.get_paths()[0].vertices.shape for c in scatter.collections}
    assert len(markers) == R, "a marker shape per replicate"


def test_layer_correlations_use_each_layer_alone_and_pool_over_replicates():
    masks, table = DATA["masks"]["pawsx"][0], DATA["reps"]["pawsx"][0]
    share = table.query("sign == 'pos'").pivot(index="test_lang", columns="train_lang", values="share_pct").loc[LANGS, LANGS]
    r, n = layer_correlations(masks, share)
    assert r.shape == (LAYERS,) and n == 20
    x = pairs(cosines({lang: m[2:3] for lang, m in masks.items()}))
    assert r[2] == pytest.approx(pearson(x.to_numpy(), pairs(share).to_numpy()))
    shared_layer = {lang: np.vstack([np.ones((1, HEADS), int), m[1:]]) for lang, m in masks.items()}
    assert np.isnan(layer_correlations(shared_layer, share)[0][0])
    fig = drawn_from("fig9", DATA["masks"], DATA["reps"])
    ax = panels(fig)[0]
    per = [layer_correlations(m, t.query("sign == 'pos'").pivot(index="test_lang", columns="train_lang", values="share_pct")
                              .loc[LANGS, LANGS]) for m, t in zip(DATA["masks"]["pawsx"], DATA["reps"]["pawsx"])]
    pooled = [correlation([rr[layer] for rr, _ in per], [nn for _, nn in per]) for layer in range(LAYERS)]
    assert [bar.get_height() for bar in ax.patches] == pytest.approx([p["r"] for p in pooled])
    every = [pooled_layer_correlations(list(zip(DATA["masks"][task], [t.query("sign == 'pos'").pivot(
        index="test_lang", columns="train_lang", values="share_pct").loc[LANGS, LANGS] for t in DATA["reps"][task]])))
        for task in DATA["masks"]]
    assert [p["p_value"] for p in pooled] == pytest.approx(every[0]["p_value"].tolist(), nan_ok=True)
    kept = fdr_keep([frame["p_value"].to_numpy(float) for frame in every])[0]
    assert [bool(bar.get_hatch()) for bar in ax.patches] == (~kept).tolist(), "hatched: not kept by BH over all layers"
    for p in pooled:  # the test agrees with the interval: p < 0.05 exactly where the interval excludes 0
        assert (p["p_value"] < 0.05) == (p["ci_low"] > 0 or p["ci_high"] < 0)


def test_specialization_is_the_in_language_positive_share():
    table = DATA["epochs"]["pawsx"][0]
    spec = specialization(table, "epochs")
    assert len(spec) == EPOCHS * len(LANGS)
    row = table.query("epoch == 2 and sign == 'pos' and test_lang == 'fr' and train_lang == 'fr'").iloc[0]
    got = spec.query("epoch == 2 and test_lang == 'fr'").iloc[0]
    assert got["specialization_pct"] == row["share_pct"] and got["accuracy_pct"] == pytest.approx(row["accuracy"] * 100)
    fig = drawn_from("fig7", DATA["epochs"])
    for ax in panels(fig):
        assert f"3 replicates × {EPOCHS * len(LANGS)} points" in ax.get_title() and "95% CI" in ax.get_title()
        assert len(ax.collections) == R


def test_over_epoch_panels_have_a_mean_line_and_band_per_language_or_regime():
    fig10 = panels(drawn_from("fig10", DATA["regimes"], "pawsx"))
    assert [len(ax.lines) for ax in fig10] == [len(LANGS)] * len(REGIMES)
    assert [len(ax.collections) for ax in fig10] == [len(LANGS)] * len(REGIMES), "a 95% band per line"
    assert all(len(line.get_xdata()) == EPOCHS for ax in fig10 for line in ax.lines)
    summary = specialization_summary(DATA["regimes"]["SFT"], "SFT").query("test_lang == 'de'").sort_values("epoch")
    assert list(fig10[1].lines[1].get_ydata()) == pytest.approx(summary["mean"].tolist())
    fig17 = panels(drawn_from("fig17", DATA["regimes"], "marc"))
    assert [ax.get_title() for ax in fig17] == [f"test language {lang}" for lang in LANGS]
    assert all(len(ax.lines) == len(REGIMES) for ax in fig17)
    note = [t.get_text() for t in drawn_from("fig18", DATA["regimes"], "pawsx").legends[-1].get_texts()]
    assert note == ["line: mean; band: 95% interval over 3 replicates (t-interval)"]


def _frame(number: int, spec: dict, quality: dict | None = None) -> pd.DataFrame:
    """Figure ``number``'s source data from a spec of files, as the workflow's figure script makes it."""
    entry = FIGURES_000[number]
    return from_spec(entry.resolve_source(), entry.roles, spec, quality, entry.scalars, f"fig{number}")


def _quality(path, used: list[int], replicates: int = R) -> dict[str, str]:
    """A quality table in which only the replicates ``used`` learned."""
    pd.DataFrame({"rep": range(replicates), "training": "full", "learned": [r in used for r in range(replicates)],
                  "status": ["used" if r in used else "excluded" for r in range(replicates)]}).to_csv(path, index=False)
    return {"pawsx": str(path)}


def test_draw_reads_the_spec_files(tmp_path):
    """The workflow's spec: aggregated CSVs as written by the aggregate rule, replicate lists under ``rep{r}``, mask
    files; the source data names each replicate by its number, and the figure is drawn from the frame."""
    spec_tables = {}
    for task, table in DATA["agg"].items():
        path = tmp_path / f"{task}.csv"
        table.to_csv(path, index=False, float_format="%.6g")
        spec_tables[task] = str(path)
    masks = {}
    for task, reps in DATA["masks"].items():
        masks[task] = []
        for r, replicate in enumerate(reps):
            paths = {}
            for lang, mask in replicate.items():
                paths[lang] = str(tmp_path / "masks" / task / f"rep{r}" / f"{lang}.json")
                Path(paths[lang]).parent.mkdir(parents=True, exist_ok=True)
                save_mask(paths[lang], mask, lang, "pruned")
            masks[task].append(paths)
    replicate_tables = {}
    for task, reps in DATA["reps"].items():
        replicate_tables[task] = []
        for r, table in enumerate(reps):
            path = tmp_path / "shares" / task / f"rep{r}" / "own.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            table.to_csv(path, index=False)
            replicate_tables[task].append(str(path))
    epochs = tmp_path / "epochs.csv"
    DATA["regimes"]["SFT"].to_csv(epochs, index=False)
    frames = {2: _frame(2, {"tables": spec_tables, "replicate_tables": replicate_tables}),
              8: _frame(8, {"masks": masks, "replicate_tables": replicate_tables}),
              13: _frame(13, {"masks": masks, "task": "pawsx"}),
              10: _frame(10, {"epochs": {"SFT": str(epochs)}, "task": "pawsx"})}
    for n, frame in frames.items():
        draw(n, frame, tmp_path / f"fig{n}")
        assert not is_blank(tmp_path / f"fig{n}.png")
    expected = _shares_blocks(DATA["agg"], "change_pct")
    assert all((found == (np.isfinite(m) & ~r)).all() for found, (m, r) in zip(hatched_grids(tmp_path / "fig2.png"), expected))
    assert {"rep0", "rep1", "rep2"} <= set(frames[2].columns) and "rep0" not in frames[10].columns
    cell = frames[2].set_index(["task", "sign", "test_lang", "train_lang"]).loc[("pawsx", "neg", "de", "fr")]
    assert cell["rep1"] == pytest.approx(DATA["reps"]["pawsx"][1].set_index(["sign", "test_lang", "train_lang"])
                                         .loc[("neg", "de", "fr"), "change_pct"])
    # replicate 1 did not learn: its files are left out, and the others keep their numbers
    kept = _frame(8, {"masks": masks, "replicate_tables": replicate_tables}, _quality(tmp_path / "quality.csv", [0, 2]))
    pairs_ = kept[(kept["part"] == "pairs") & (kept["task"] == "pawsx")]
    assert sorted(set(pairs_["replicate"])) == [0, 2]
    assert {"rep0", "rep2"} <= set(kept.columns) and not kept.loc[kept["task"] == "pawsx", "rep1"].notna().any()
    draw(8, kept, tmp_path / "fig8-kept", 3)
    assert not is_blank(tmp_path / "fig8-kept.png")
    with pytest.raises(LangspecError, match="one entry per replicate"):
        _frame(12, {"masks": {"pawsx": masks["pawsx"][0]}})
    with pytest.raises(LangspecError, match="lacks the role"):
        _frame(3, {"tables": spec_tables})


def test_robust_read_back_as_text_is_understood():
    table = DATA["agg"]["pawsx"].assign(robust=DATA["agg"]["pawsx"]["robust"].map({True: "True", False: "False"}))
    fig = drawn_from("fig2", {"pawsx": table})
    assert len(panels(fig)) == 2


@pytest.mark.parametrize("make, message", [
    (lambda: source.fig2({}), "no tables given"),
    (lambda: source.fig2({"pawsx": DATA["agg"]["pawsx"].drop(columns="robust")}), "robust"),
    (lambda: source.fig2({"pawsx": DATA["agg"]["pawsx"].query("measure != 'change_pct'")}), "no measure 'change_pct'"),
    (lambda: source.fig2({"pawsx": DATA["reps"]["pawsx"][0]}), "lacks the column(s) measure"),
    (lambda: source.fig2({"pawsx": DATA["agg"]["pawsx"].query("sign == 'pos'")}), "sign 'neg'"),
    (lambda: source.fig2({"pawsx": DATA["agg"]["pawsx"].query("test_lang != 'fr'")}), "test language 'fr'"),
    (lambda: source.fig2({"pawsx": DATA["agg"]["pawsx"].assign(robust="maybe")}), "'maybe' in column robust"),
    (lambda: source.fig3(DATA["suboptimal"], "ko", "pawsx"), "test language 'ko'"),
    (lambda: source.fig5({"pawsx": DATA["agg"]["pawsx"].query("measure != 'share_pct'")}), "no measure 'share_pct'"),
    (lambda: source.fig8({"pawsx": DATA["masks"]["pawsx"]}, DATA["reps"]), "task 'marc'"),
    (lambda: source.fig8(DATA["masks"], {t: r[:2] for t, r in DATA["reps"].items()}), "3 replicate(s) of masks but 2"),
    (lambda: source.fig9({t: m[0] for t, m in DATA["masks"].items()}, DATA["reps"]), "one language -> mask dict per replicate"),
    (lambda: source.fig16({t: [{g: m for g, m in rep.items() if g != "es"} for rep in reps] for t, reps in DATA["masks"].items()},
                           DATA["reps"]), "language 'es'"),
    (lambda: source.fig12({"pawsx": [{"en": np.full((2, 2), 2)}]}), "0/1"),
    (lambda: source.fig12({"pawsx": [{"en": np.ones((2, 2))}, {"de": np.ones((2, 2))}]}), "differ in language"),
    (lambda: source.fig13(DATA["masks"], "xnli"), "task 'xnli'"),
    (lambda: source.fig17({"SFT": DATA["regimes"]["SFT"], "full": DATA["regimes"]["SFT"].query("test_lang != 'de'")}, "marc"), "'de'"),
    (lambda: source.fig10({"SFT": DATA["agg"]["pawsx"]}, "pawsx"), "lacks the column(s) epoch"),
    (lambda: source.fig7({"pawsx": [DATA["epochs"]["pawsx"][0].assign(accuracy=70.0)]}), "accuracy"),
    (lambda: source.fig7({"pawsx": DATA["epochs"]["pawsx"][0]}), "one entry per replicate"),
])
def test_missing_or_bad_input_is_one_line_error(make, message):
    with pytest.raises(LangspecError, match=re.escape(message)) as error:
        make()
    assert "\n" not in str(error.value)


# -- the picture readers themselves ------------------------------------------------------


def _bfs_count(mask: np.ndarray) -> int:
    """Reference: 4-connected components by breadth-first search."""
    seen = np.zeros_like(mask, bool)
    count = 0
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        count += 1
        queue, seen[start] = [start], True
        while queue:
            y, x = queue.pop()
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
    return count


@pytest.mark.parametrize("seed", range(5))
def test_components_match_breadth_first_search(seed):
    mask = np.random.default_rng(seed).random((40, 50)) < 0.45 + 0.05 * seed
    found = components(mask)
    assert len(found) == _bfs_count(mask)
    assert sum(c.pixels for c in found) == mask.sum()


def test_pictures_count_cells_parted_by_white_lines_and_frames(tmp_path):
    image = np.ones((200, 300, 3))
    image[20:120, 20:120] = (0.8, 0.3, 0.3)  # one colour, 4 x 4 cells parted by white lines
    for k in range(1, 4):
        image[20 + 25 * k - 2:20 + 25 * k + 2, 20:120] = 1
        image[20:120, 20 + 25 * k - 2:20 + 25 * k + 2] = 1
    image[140:190, 20:120] = (0.2, 0.5, 0.8)  # a block without lines: one cell, its own panel
    image[20:180, 150:290] = 0  # a framed axes: black outline with a tick
    image[22:178, 152:288] = 1
    image[100:102, 145:150] = 0
    image[30:170, 250:258] = np.linspace(0, 1, 140)[:, None, None]  # a colour bar: not a cell
    png = tmp_path / "cells.png"
    imsave(png, image)
    assert count_cells(png) == 17
    assert count_panels(png) == 3
    assert not is_blank(png)
    imsave(tmp_path / "blank.png", np.full((50, 80, 3), 0.9))
    assert is_blank(tmp_path / "blank.png")


def test_pictures_find_hatched_cells_in_their_grid(tmp_path):
    image = np.ones((120, 200, 3))
    for i in range(2):
        for j in range(3):
            top, left = 10 + 50 * i, 10 + 50 * j
            image[top:top + 46, left:left + 46] = (0.85, 0.85, 0.86)  # the light grey centre of the diverging map
            if (i + j) % 2:
                y, x = np.mgrid[0:46, 0:46]
                image[top:top + 46, left:left + 46][(x + y) % 8 < 2] = 0.6  # diagonal grey lines
    png = tmp_path / "hatched.png"
    imsave(png, image)
    grids = cell_grids(png)
    assert len(grids) == 1 and grids[0].shape == (2, 3)
    assert hatched_grids(png)[0].tolist() == [[False, True, False], [True, False, True]]
