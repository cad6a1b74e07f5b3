"""Figures 2-19 from synthetic inputs: drawn, saved, and looked at (pixels and Figure objects).

Five languages, two tasks, masks of 6 layers x 12 heads, 3 epochs. Test
language ``ru`` of task ``marc`` has no test example (NaN shares), as happens
when no test example is correct under both models.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imsave

from langspec import figures
from langspec.errors import LangspecError
from langspec.figures.epochs import specialization
from langspec.figures.overlap import overlap_pct, shared_heads
from langspec.figures.similarity import cosines, layer_correlations, pairs
from langspec.figures.stats import pearson

from .pictures import components, count_cells, count_panels, is_blank

LANGS = ["en", "de", "fr", "es", "ru"]
TASKS = ["pawsx", "marc"]
CONDITIONS = ["R1", "R2", "R3", "en mask", "ru mask"]
REGIMES = ["full fine-tuning", "SFT"]
LAYERS, HEADS, EPOCHS = 6, 12, 3
SIGNED = re.compile(r"^([+-]\d+\.\d|0\.0|–)$")


def comparison(seed: int, empty: str | None = None) -> pd.DataFrame:
    """A comparison table with random shares; test language ``empty`` has no test example."""
    rng = np.random.default_rng(seed)
    rows = []
    for sign in ("pos", "neg"):
        for test in LANGS:
            share, base = rng.dirichlet(np.ones(len(LANGS)), size=2) * 100
            for j, train in enumerate(LANGS):
                s, b = (np.nan, np.nan) if test == empty else (share[j], base[j])
                rows.append((test, train, sign, s, 0 if test == empty else 40, b, s - b))
    names = ["test_lang", "train_lang", "sign", "share_pct", "n_test", "baseline_pct", "change_pct"]
    return pd.DataFrame(rows, columns=names)


def epoch_table(seed: int) -> pd.DataFrame:
    """Per-checkpoint shares with a random accuracy (fraction) per test language and epoch."""
    rng = np.random.default_rng(seed)
    rows = []
    for epoch in range(1, EPOCHS + 1):
        accuracy = rng.uniform(0.5, 0.9, len(LANGS))
        for sign in ("pos", "neg"):
            for i, test in enumerate(LANGS):
                share = rng.dirichlet(np.ones(len(LANGS))) * 100
                rows += [(epoch, test, train, sign, share[j], 40, accuracy[i]) for j, train in enumerate(LANGS)]
    return pd.DataFrame(rows, columns=["epoch", "test_lang", "train_lang", "sign", "share_pct", "n_test", "accuracy"])


def task_masks(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {lang: (rng.random((LAYERS, HEADS)) < 0.7).astype(int) for lang in LANGS}


TABLES = {task: comparison(i, empty="ru" if task == "marc" else None) for i, task in enumerate(TASKS)}
EPOCH_TABLES = {task: epoch_table(i) for i, task in enumerate(TASKS)}
BY_REGIME = {regime: epoch_table(10 + i) for i, regime in enumerate(REGIMES)}
MASKS = {task: task_masks(i) for i, task in enumerate(TASKS)}
SUBOPTIMAL = {condition: comparison(20 + i) for i, condition in enumerate(CONDITIONS)}
COMPOSED = {"pawsx: es∩fr": comparison(30), "marc: de∩en": comparison(31)}

# name -> (drawing, panels, heatmap cells or None for figures without heatmaps)
FIGURES: dict[str, tuple[Callable[[], Figure], int, int | None]] = {
    "fig2": (lambda: figures.fig2(TABLES), 4, 4 * 25),
    "fig3": (lambda: figures.fig3(SUBOPTIMAL, "de", "pawsx"), 2, 2 * 25),
    "fig4": (lambda: figures.fig4(TABLES), 4, 4 * 25),
    "fig5": (lambda: figures.fig5(TABLES), 2, None),
    "fig6": (lambda: figures.fig6(TABLES), 4, 4 * 25),
    "fig7": (lambda: figures.fig7(EPOCH_TABLES), 2, None),
    "fig8": (lambda: figures.fig8(MASKS, TABLES), 4, 2 * 25),
    "fig9": (lambda: figures.fig9(MASKS, TABLES), 2, None),
    "fig10": (lambda: figures.fig10(BY_REGIME, "pawsx"), 2, None),
    "fig11": (lambda: figures.fig11(TABLES), 4, 4 * 25),
    "fig12": (lambda: figures.fig12(MASKS), 2, 2 * LAYERS * HEADS),
    "fig13": (lambda: figures.fig13(MASKS, "pawsx"), 2, 2 * 25),
    "fig14": (lambda: figures.fig14(MASKS, "marc"), 2, 2 * 25),
    "fig15": (lambda: figures.fig15(MASKS, "pawsx"), 2, 2 * 25),
    "fig16": (lambda: figures.fig16(MASKS, TABLES), 2, None),
    "fig17": (lambda: figures.fig17(BY_REGIME, "marc"), len(LANGS), None),
    "fig18": (lambda: figures.fig18(BY_REGIME, "pawsx"), 2, None),
    "fig19": (lambda: figures.fig19(COMPOSED), 2, 2 * 25),
}


def panels(fig: Figure) -> list:
    """The figure's axes that carry a title: the panels (colour bars carry none)."""
    return [ax for ax in fig.axes if ax.get_title()]


def cell_text(ax) -> dict[tuple[int, int], str]:
    """(row, column) -> text written in that heatmap cell."""
    return {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text() for t in ax.texts}


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_is_saved_and_reads_as_drawn(name, tmp_path):
    draw, n_panels, n_cells = FIGURES[name]
    fig = draw()
    assert isinstance(fig, Figure)
    assert len(panels(fig)) == n_panels
    figures.save(fig, tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.pdf", f"{name}.png"]
    assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    png = tmp_path / f"{name}.png"
    assert not is_blank(png)
    assert count_panels(png) == n_panels
    if n_cells is not None:
        assert count_cells(png) == n_cells


def test_saving_is_reproducible_and_leaves_no_temporary_file(tmp_path):
    figures.save(figures.fig12(MASKS), tmp_path / "one")
    figures.save(figures.fig12(MASKS), tmp_path / "two")
    for suffix in (".pdf", ".png"):
        assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()
    assert len(list(tmp_path.iterdir())) == 4


def test_change_heatmap_writes_each_value_in_its_cell():
    fig = figures.fig2(TABLES)
    by_title = {ax.get_title(): ax for ax in panels(fig)}
    assert set(by_title) == {f"{task}: {sign} influence" for task in TASKS for sign in ("positive", "negative")}
    ax = by_title["pawsx: negative influence"]
    assert [t.get_text() for t in ax.get_xticklabels()] == LANGS
    assert [t.get_text() for t in ax.get_yticklabels()] == LANGS
    assert ax.get_xlabel() == "training language" and ax.get_ylabel() == "test language"
    texts = cell_text(ax)
    table = TABLES["pawsx"].set_index(["sign", "test_lang", "train_lang"])["change_pct"]
    for i, test in enumerate(LANGS):
        for j, train in enumerate(LANGS):
            assert float(texts[i, j]) == pytest.approx(table["neg", test, train], abs=0.051)
    marc = cell_text(by_title["marc: positive influence"])
    assert all(SIGNED.match(text) for text in marc.values())
    assert [marc[4, j] for j in range(5)] == ["–"] * 5
    bars = [ax for ax in fig.axes if ax.get_ylabel().startswith("change in share")]
    assert len(bars) == 4
    for bar in bars:
        low, high = bar.get_ylim()
        assert low == pytest.approx(-high)


def test_fig3_rows_are_conditions_for_one_test_language():
    fig = figures.fig3(SUBOPTIMAL, "de", "pawsx")
    ax = panels(fig)[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == CONDITIONS
    table = SUBOPTIMAL["en mask"].set_index(["sign", "test_lang", "train_lang"])["change_pct"]
    assert float(cell_text(ax)[3, 2]) == pytest.approx(table["pos", "de", "fr"], abs=0.051)


def test_overlap_is_the_row_languages_share():
    sub = np.zeros((2, 4), int)
    sub[0, :2] = 1
    big = np.zeros((2, 4), int)
    big[0] = 1
    pct = overlap_pct({"de": sub, "en": big})
    assert pct.loc["de", "en"] == 100 and pct.loc["en", "de"] == 50
    assert shared_heads({"de": sub, "en": big}).loc["de", "en"] == 2
    fig = figures.pair_overlap({"xnli": {"de": sub, "en": big}}, "xnli")
    left = cell_text(panels(fig)[0])
    assert left[0, 1] == "100" and left[1, 0] == "50"


def test_head_counts_per_layer_and_head():
    fig = figures.fig12(MASKS)
    ax = panels(fig)[0]
    counts = sum(MASKS["pawsx"].values())
    texts = cell_text(ax)
    assert all(int(texts[layer, head]) == counts[layer, head] for layer in range(LAYERS) for head in range(HEADS))


def test_similarity_scatter_reports_pearson_over_pairs():
    fig = figures.fig8(MASKS, TABLES)
    share = TABLES["pawsx"].query("sign == 'pos'").pivot(index="test_lang", columns="train_lang", values="share_pct")
    similarity = cosines(MASKS["pawsx"])
    x = [similarity.loc[t, s] for t in LANGS for s in LANGS if t != s]
    y = [share.loc[t, s] for t in LANGS for s in LANGS if t != s]
    titles = [ax.get_title() for ax in panels(fig)]
    assert f"r = {np.corrcoef(x, y)[0, 1]:.2f} (n = 20)" in titles[1]
    assert "(n = 16)" in titles[3]  # marc: test language ru has no example
    assert similarity.loc["en", "en"] == pytest.approx(1.0)


def test_layer_correlations_use_each_layer_alone():
    share = TABLES["pawsx"].query("sign == 'pos'").pivot(index="test_lang", columns="train_lang", values="share_pct")
    share = share.loc[LANGS, LANGS]
    r = layer_correlations(MASKS["pawsx"], share)
    assert r.shape == (LAYERS,)
    x = pairs(cosines({lang: m[2:3] for lang, m in MASKS["pawsx"].items()}))
    assert r[2] == pytest.approx(pearson(x.to_numpy(), pairs(share).to_numpy()))
    shared_layer = {lang: np.vstack([np.ones((1, HEADS), int), m[1:]]) for lang, m in MASKS["pawsx"].items()}
    assert np.isnan(layer_correlations(shared_layer, share)[0])


def test_specialization_is_the_in_language_positive_share():
    table = EPOCH_TABLES["pawsx"]
    spec = specialization(table, "epochs")
    assert len(spec) == EPOCHS * len(LANGS)
    row = table.query("epoch == 2 and sign == 'pos' and test_lang == 'fr' and train_lang == 'fr'").iloc[0]
    got = spec.query("epoch == 2 and test_lang == 'fr'").iloc[0]
    assert got["specialization_pct"] == row["share_pct"] and got["accuracy_pct"] == pytest.approx(row["accuracy"] * 100)
    titles = [ax.get_title() for ax in panels(figures.fig7(EPOCH_TABLES))]
    assert all(f"(n = {EPOCHS * len(LANGS)})" in title and "r = " in title for title in titles)


def test_over_epoch_panels_have_a_line_per_language_or_regime():
    fig10 = panels(figures.fig10(BY_REGIME, "pawsx"))
    assert [len(ax.lines) for ax in fig10] == [len(LANGS)] * len(REGIMES)
    assert all(len(line.get_xdata()) == EPOCHS for ax in fig10 for line in ax.lines)
    fig17 = panels(figures.fig17(BY_REGIME, "marc"))
    assert [ax.get_title() for ax in fig17] == [f"test language {lang}" for lang in LANGS]
    assert all(len(ax.lines) == len(REGIMES) for ax in fig17)


@pytest.mark.parametrize("draw, message", [
    (lambda: figures.fig2({}), "no tables given"),
    (lambda: figures.fig2({"pawsx": TABLES["pawsx"].drop(columns="change_pct")}), "change_pct"),
    (lambda: figures.fig2({"pawsx": TABLES["pawsx"].query("sign == 'pos'")}), "sign 'neg'"),
    (lambda: figures.fig2({"pawsx": TABLES["pawsx"].query("test_lang != 'fr'")}), "test language 'fr'"),
    (lambda: figures.fig3(SUBOPTIMAL, "ko", "pawsx"), "test language 'ko'"),
    (lambda: figures.fig8({"pawsx": MASKS["pawsx"]}, TABLES), "task 'marc'"),
    (lambda: figures.fig16({t: {g: m for g, m in MASKS[t].items() if g != "es"} for t in TASKS}, TABLES), "language 'es'"),
    (lambda: figures.fig12({"pawsx": {"en": np.full((2, 2), 2)}}), "0/1"),
    (lambda: figures.fig13(MASKS, "xnli"), "task 'xnli'"),
    (lambda: figures.fig17({"SFT": BY_REGIME["SFT"], "full": BY_REGIME["SFT"].query("test_lang != 'de'")}, "marc"), "'de'"),
    (lambda: figures.fig7({"pawsx": EPOCH_TABLES["pawsx"].assign(accuracy=70.0)}), "accuracy"),
])
def test_missing_or_bad_input_is_one_line_error(draw, message):
    with pytest.raises(LangspecError, match=re.escape(message)) as error:
        draw()
    assert "\n" not in str(error.value)


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
