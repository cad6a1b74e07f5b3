"""Figures of paper 003 (lottery tickets per language): figures 2, 3, 4, 6, 7, 9, 10, and tickets seen as heads.

Every input is one tidy frame per task holding the rows of all its replicates
(column ``rep``); each figure takes ``task -> frame`` and returns a Figure.
Metrics are fractions in the CSVs and drawn in percent. What the replicates
support is shown as in the figures of paper 000:

- lines (figures 2, 3, 7) are means over replicates with a shaded 95%
  t-interval (none for a single replicate);
- the transfer heatmap (figure 4) and the bars of figure 6 hatch and wash out
  what their 95% interval does not tell apart from 0 (the replicate
  differences are paired: replicate r's transferred ticket against replicate
  r's own ticket); bars carry their interval as an error bar;
- the heads scatter draws every replicate's points and pools Pearson r over
  replicates with its interval.

Where the tidy tables hold the counts each dev metric was scored on (``n``;
F1: ``tp``, ``predicted``, ``gold``), bands, hatching and error bars include each
replicate's own sampling error: the spread is floored at it
(:mod:`langspec.stats.sampling`), so replicates that repeat one quantized score
on few dev examples are not robust, and the legend says so.

On top of these marks come paper 003's own criteria, which use the spread
between replicates: a *winning* ticket (figure 2: filled marker) has
full-model mean − ticket mean ≤ one standard deviation of the full model; a
*successful* transfer (figure 4: "✓") has a(s, t) within one standard deviation
of the target's own ticket a(t, t) (:mod:`langspec.tickets.transfer`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from langspec.figures.cells import draw_cells, signed, symmetric_norm
from langspec.figures.marks import describe, explain, fdr_text, missing_handle, replicates
from langspec.figures.scatter import MARKERS, replicate_legend
from langspec.figures.style import (
    DIVERGING,
    EDGE,
    GUIDE,
    HATCH,
    HATCH_COLOUR,
    LANGUAGE_COLOURS,
    REGIME_COLOURS,
    drop_unused,
    faded,
    new_figure,
    palette,
    styled,
    wrap,
)
from langspec.stats.multiplicity import fdr_keep, tested
from langspec.stats.replicates import FLOOR_METHOD
from langspec.stats.tickets import (
    CROSS_TASK,
    FULL,
    HEADS,
    MULTI,
    OVERLAP,
    RETRIEVAL,
    SIMILARITY,
    TICKETS,
    TRANSFER,
    cross_task_cells,
    head_correlation,
    head_points,
    ordered,
    over_replicates,
    overlap_rows,
    overlap_summary,
    pick_sparsity,
    relative_drops,
    retrieval_curves,
    similarity_curves,
    task_frames,
    ticket_curves,
    transfer_cells,
    transfer_level,
    transfer_rows,
    unit,
)
from langspec.tickets.overlap import expected_jaccard
from langspec.training.metrics import by_name

#: The mark of a successful transfer, written after the cell's value.
CHECK = "✓"
#: Colour of the multilingual ticket and of the unpruned model in line plots.
MULTI_COLOUR = "0.25"
#: Opacity of the 95% band around a mean line, and of the full model's ± 1 sd band.
BAND = 0.16
FULL_BAND = 0.22
#: Side (inches) of a transfer cell: wider than ``CELL`` for "−12.3 ✓".
TRANSFER_CELL = 0.52
#: Size (inches) of one small line or strip panel of a per-language grid.
SMALL_PANEL = (2.6, 2.1)


def _metric_axis(curve: pd.DataFrame) -> str:
    """The y label of a task's dev metric: "dev accuracy (%)", "dev entity F1 (%)", "dev perplexity (lower is better)"."""
    metric = by_name(curve["metric_name"].iloc[0])
    return f"dev {unit(metric)}" + ("" if metric.higher_is_better else " (lower is better)")


def _gain_label(metric_name: str) -> str:
    """The colour-bar label of a transfer difference, oriented so that positive is better."""
    metric = by_name(metric_name)
    if metric.higher_is_better:
        return f"a(s, t) − a(t, t) ({metric.label} points)"
    return f"a(t, t) − a(s, t) ({metric.label}; + = better)"



def _cross_label(metric_name: str) -> str:
    """The colour-bar label of figure 9: the transferred ticket against the target task's own, positive is better."""
    metric = by_name(metric_name)
    if metric.higher_is_better:
        return f"transferred − own ({metric.label} points)"
    return f"own − transferred ({metric.label})"


def _band(ax: Axes, x: np.ndarray, part: pd.DataFrame, colour, **line) -> None:
    """A mean line with its shaded 95% interval (where defined)."""
    ax.fill_between(x, part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float), color=colour, alpha=BAND,
                    linewidth=0)
    ax.plot(x, part["mean"].to_numpy(float), color=colour, **line)


def _band_label(counts: Iterable[int], what: str = "mean", floored: bool = False) -> str:
    """The legend line of a shaded band: over how many replicates, or that one replicate has none; ``floored``: the
    band's sd is at least the replicates' own sampling error."""
    counts = [int(c) for c in counts if int(c) > 0]
    if not counts or max(counts) <= 1:
        return "line: value of 1 replicate (no band: no spread between replicates to measure)"
    floor = ", sd ≥ the replicates' sampling error" if floored else ""
    return f"line: {what} over {replicates(counts)}; band: its 95% interval (t-interval{floor})"


def _share_y(axes: Sequence[Axes]) -> None:
    """The union of the axes' y limits on each of them."""
    low = min(ax.get_ylim()[0] for ax in axes)
    high = max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:
        ax.set_ylim(low, high)


def _task_grid(sizes: Mapping[str, int], panel: tuple[float, float], extra: tuple[float, float],
               max_cols: int = 4) -> tuple[Figure, dict[str, list[Axes]]]:
    """A grid in which every task starts a row of its own: task -> its first ``sizes[task]`` axes (the rest removed)."""
    cols = min(max_cols, max(sizes.values()))
    rows = {task: -(-n // cols) for task, n in sizes.items()}
    fig, axes = new_figure(sum(rows.values()), cols, panel, extra)
    out, row = {}, 0
    for task, n in sizes.items():
        block = list(axes[row:row + rows[task]].flat)
        for ax in block[n:]:
            ax.remove()
        out[task] = block[:n]
        row += rows[task]
    return fig, out


def _task_panels(tasks: Sequence[str], panel: tuple[float, float], extra: tuple[float, float],
                 max_cols: int = 3) -> tuple[Figure, dict[str, Axes]]:
    """One panel per task, side by side (at most ``max_cols`` a row): task -> its axes."""
    rows, cols = wrap(len(tasks), max_cols)
    fig, axes = new_figure(rows, cols, panel, extra)
    return fig, dict(zip(tasks, drop_unused(axes, len(tasks))))


def _hatch_bars(bars, supported: np.ndarray) -> None:
    for bar, ok in zip(bars, supported):
        if not ok:
            bar.set_hatch(HATCH)
            bar.set_hatchcolor(HATCH_COLOUR)


def _colours(names: Iterable[str]) -> dict[str, tuple]:
    """A colour per name: the languages' ten colours, or twenty (tab20, dark shades first) for more names."""
    names = list(dict.fromkeys(names))
    if len(names) <= len(LANGUAGE_COLOURS):
        return palette(names)
    shades = mpl.colormaps["tab20"].colors
    return palette(names, tuple(shades[0::2]) + tuple(shades[1::2]))


def _lang_title(task: str, lang: str) -> str:
    return f"{task}: multilingual ticket" if lang == MULTI else f"{task}: {lang}"


# -- figure 2: tickets against sparsity, and which of them win -------------------------


@styled
def lth_fig2(tickets: dict[str, pd.DataFrame]) -> Figure:
    """Dev metric of each language's tickets against sparsity (%), one panel per task and language.

    The metric is the task's (:mod:`langspec.training.metrics`): accuracy or
    entity F1 in %, or perplexity (lower is better; "winning" then means at most
    one sd above the full model's).

    ``tickets``: task -> its tickets.csv (:data:`TICKETS`; sparsity 0 = the full
    model; ``multi`` = the multilingual ticket, drawn last). Each panel: the
    ticket's mean over replicates with its 95% band; the full model's mean
    (dashed) ± one standard deviation over replicates (grey band); a filled
    marker where the ticket wins (full mean − ticket mean ≤ that sd), an open
    one where it does not. Every task starts a row; panels of a task share their y axis.
    """
    frames = task_frames(tickets, TICKETS, "tickets")
    curves = {task: ticket_curves(t, f"tickets of task '{task}'") for task, t in frames.items()}
    fig, grid = _task_grid({task: c["lang"].nunique() for task, c in curves.items()}, SMALL_PANEL, (0.0, 0.75))
    colours = _colours(lang for c in curves.values() for lang in c["lang"] if lang != MULTI)
    colours[MULTI] = MULTI_COLOUR
    for task, curve in curves.items():
        for ax, (lang, part) in zip(grid[task], curve.groupby("lang", sort=False)):
            full = part.iloc[0]
            x = part["sparsity"].to_numpy(float) * 100
            ax.axhspan(full["full_mean"] - full["full_sd"], full["full_mean"] + full["full_sd"], color=GUIDE,
                       alpha=FULL_BAND, linewidth=0)
            ax.axhline(full["full_mean"], color=GUIDE, linewidth=0.8, linestyle="--")
            _band(ax, x, part, colours[lang], linewidth=1.2)
            ticket = part["sparsity"].to_numpy(float) > 0
            win = part["winning"].to_numpy(bool)
            y = part["mean"].to_numpy(float)
            ax.plot(x[ticket & win], y[ticket & win], linestyle="", marker="o", markersize=4.5, color=colours[lang])
            ax.plot(x[ticket & ~win], y[ticket & ~win], linestyle="", marker="o", markersize=4.5,
                    markerfacecolor="white", markeredgecolor=colours[lang], markeredgewidth=1.0)
            ax.set_xticks(x)
            ax.set_xticklabels([f"{v:.0f}" for v in x], fontsize=6.5)
            ax.set_xlabel("sparsity (%)")
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel(_metric_axis(curve))
            ax.set_title(_lang_title(task, lang))
        _share_y(grid[task])
    counts = [n for c in curves.values() for n in c["n_replicates"]]
    full_counts = [int(n) for c in curves.values() for n in c.loc[c["sparsity"] == 0, "n_replicates"]]
    if max(full_counts, default=0) > 1:
        criterion = "winning ticket: worse than the full-model mean by ≤ 1 sd of the full model"
    else:
        criterion = "winning ticket: at least as good as the full model (1 replicate: no sd to allow for)"
    handles = [
        (Line2D([], [], linestyle="", marker="o", markersize=4.5, color="0.3"), criterion),
        (Line2D([], [], linestyle="", marker="o", markersize=4.5, markerfacecolor="white", markeredgecolor="0.3"),
         "not winning"),
        (Patch(facecolor=GUIDE, alpha=FULL_BAND, linewidth=0),
         f"full model (sparsity 0): mean (dashed) ± 1 sd over {replicates(full_counts)}" if max(full_counts) > 1
         else "full model (sparsity 0): dashed, 1 replicate"),
        (Patch(facecolor="0.5", alpha=BAND * 2, linewidth=0),
         _band_label(counts, "ticket mean", any((c["method"] == FLOOR_METHOD).any() for c in curves.values()))),
    ]
    _bottom_legend(fig, handles)
    fig.suptitle("Lottery tickets per language: dev metric against sparsity")
    return fig


def _side_legend(fig: Figure, colours: Mapping[str, tuple], title: str, dashed: Sequence[str] = ()) -> None:
    """A legend right of the panels, a line with a dot per name, in as many columns as its height needs.

    Labels should be short (language codes): the legend stands at the canvas side.
    """
    handles = [Line2D([], [], color=c, marker="o", markersize=3.5, linestyle="--" if name in dashed else "-", label=name)
               for name, c in colours.items()]
    fig.legend(handles=handles, title=title, loc="outside right upper", frameon=False,
               ncols=_legend_columns(len(handles), fig.get_figheight()), columnspacing=1.0, handlelength=1.8)


def _legend_columns(entries: int, height: float) -> int:
    """Columns a side legend of ``entries`` needs on a canvas ``height`` inches high (about 0.19 inch an entry)."""
    rows = max(4, int((height - 0.4) / 0.19))
    return -(-entries // rows)


def _bottom_legend(fig: Figure, entries: Sequence[tuple], most: int = 2) -> None:
    """A legend under the panels with ``entries`` (handle, label), in as many columns as fit, at most ``most`` (like :func:`explain`)."""
    handles, labels = zip(*entries)
    options = {"loc": "outside lower center", "frameon": False, "handlelength": 2.2, "columnspacing": 1.5}
    for ncols in range(min(len(entries), most), 0, -1):
        legend_ = fig.legend(handles, labels, ncols=ncols, **options)
        if ncols == 1 or legend_.get_window_extent(fig.canvas.get_renderer()).width <= fig.bbox.width - 2 * EDGE * fig.dpi:
            return
        legend_.remove()


# -- figure 3: overlap of the tickets per layer ---------------------------------------


def _layer_label(layer: str) -> str:
    """Encoder layer ``"0"`` is drawn as 1 (as in figure 7, where 0 is the embeddings); the pooler as "pooler";
    an encoder-decoder's ``"encoder.0"`` as E1 and ``"decoder.0"`` as D1."""
    if layer.isdigit():
        return str(int(layer) + 1)
    stack, _, number = layer.rpartition(".")
    if stack in ("encoder", "decoder") and number.isdigit():
        return f"{stack[0].upper()}{int(number) + 1}"
    return layer


def _percent_interval(row: pd.Series) -> str:
    """ "68.2% (95% CI 64.0–72.1%)", or "68.2%" without an interval."""
    if np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"]):
        return f"{row['mean']:.1f}% (95% CI {row['ci_low']:.1f}–{row['ci_high']:.1f}%)"
    return f"{row['mean']:.1f}%"


@styled
def lth_fig3(overlap: dict[str, pd.DataFrame], sparsity: float | None = None) -> Figure:
    """Jaccard similarity (%) of the languages' tickets per layer, one panel per task, one line per language pair.

    See :func:`_overlap_figure`.
    """
    return _overlap_figure(overlap, sparsity, "encoder layer", "Overlap of the languages' lottery tickets per layer")


@styled
def lth_fig8(overlap: dict[str, pd.DataFrame], sparsity: float | None = None) -> Figure:
    """Figure 3 for an encoder-decoder's (mT5's) tickets (paper 003, figure 8): x runs over the encoder's blocks
    (E1, E2, ...) then the decoder's (D1, ...), each block's matrices pooled (self-attention, cross-attention and
    feed-forward). See :func:`_overlap_figure`.
    """
    return _overlap_figure(overlap, sparsity, "block (E: encoder, D: decoder)",
                           "Overlap of the languages' lottery tickets per block of the encoder-decoder")


def _overlap_figure(overlap: dict[str, pd.DataFrame], sparsity: float | None, xlabel: str, title: str) -> Figure:
    """Jaccard similarity (%) of the languages' tickets per layer, one panel per task, one line per language pair.

    ``overlap``: task -> its overlap.csv (:data:`OVERLAP`); ``sparsity``: the
    level drawn (default: the smallest in each table). Lines: means over
    replicates with their 95% band (x: encoder layer, 1-based, then the
    pooler). Reference lines: two independent random masks, q / (2 − q) with
    q = 1 − sparsity (dashed), and the same language pruned in two replicates
    (dash-dot; the upper bound, when the table has kind ``same-language``).
    The title gives the task's average overlap: per replicate the mean over
    pairs of the whole-ticket Jaccard (layer ``all``), then the mean over
    replicates with its 95% interval.
    """
    frames = task_frames(overlap, OVERLAP, "overlap")
    summaries = {}
    for task, table in frames.items():
        what = f"overlap of task '{task}'"
        part, level = overlap_rows(table, sparsity, what)
        summaries[task] = (overlap_summary(part, what), level)
    pairs = ordered(p for s, _ in summaries.values() for p in s["curves"]["pair"])
    colours = _colours(pairs)
    width = max(3.3, 0.3 * max(len(s["layers"]) for s, _ in summaries.values()) + 1.0)
    height = wrap(len(summaries))[0] * 2.6 + 0.6
    fig, grid = _task_panels(list(summaries), (width, 2.6), (0.75 * _legend_columns(len(pairs), height) + 0.3, 0.6))
    counts = []
    for task, (summary, level) in summaries.items():
        ax = grid[task]
        layers = summary["layers"]
        x = np.arange(len(layers))
        for pair, curve in summary["curves"].groupby("pair", sort=False):
            positions = np.array([layers.index(l) for l in curve["layer"]])
            _band(ax, positions, curve, colours[pair], marker="o", markersize=2.5, linewidth=1.0)
            counts += curve["n_replicates"].tolist()
        ax.axhline(100 * expected_jaccard(level), color=GUIDE, linewidth=0.9, linestyle="--")
        if len(summary["same"]):
            ax.plot([layers.index(l) for l in summary["same"].index], summary["same"].to_numpy(), color="0.2",
                    linewidth=1.0, linestyle="-.")
        ax.set_xticks(x, [_layer_label(l) for l in layers])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Jaccard similarity (%)")
        ax.set_title(f"{task}, {level:.0%} sparsity: average overlap {_percent_interval(summary['average'])}")
    for ax in grid.values():
        low, high = ax.get_ylim()
        ax.set_ylim(max(0.0, low), min(100.0, high))
    _side_legend(fig, colours, "language pair")
    levels = sorted({level for _, level in summaries.values()})
    random = ", ".join(f"{100 * expected_jaccard(s):.0f}% at {s:.0%}" for s in levels)
    entries = [
        (Patch(facecolor="0.5", alpha=BAND * 2, linewidth=0), _band_label(counts)),
        (Line2D([], [], color=GUIDE, linewidth=0.9, linestyle="--"), f"two independent random masks: q/(2−q) ({random})"),
    ]
    if any(len(s["same"]) for s, _ in summaries.values()):
        entries.append((Line2D([], [], color="0.2", linewidth=1.0, linestyle="-."),
                        "same language pruned in two replicates (upper bound): mean over languages and replicate pairs"))
    _bottom_legend(fig, entries, most=1)
    fig.suptitle(title)
    return fig


# -- figures 4 and 6, table 1: transfer -------------------------------------------------


def _append_checks(ax: Axes, successful: pd.DataFrame) -> None:
    """Write :data:`CHECK` after the value of every successful cell (its text sits at the cell's centre)."""
    for text in ax.texts:
        x, y = text.get_position()
        i, j = int(y), int(x)
        if 0 <= i < successful.shape[0] and 0 <= j < successful.shape[1] and successful.iat[i, j]:
            text.set_text(f"{text.get_text()} {CHECK}")
            text.set_fontsize(0.75 * text.get_fontsize())  # at full size "+8.3 ✓" ran over the next cell


@styled
def lth_fig4(transfer: dict[str, pd.DataFrame], sparsity: float | None = None) -> Figure:
    """Transfer of tickets across languages: a(s, t) − a(t, t) in points of the task's metric, one heatmap per task.

    See :func:`_transfer_figure`.
    """
    return _transfer_figure(transfer, sparsity,
                            "Transfer of lottery tickets across languages: source ticket trained on the target language")


@styled
def lth_fig5(transfer: dict[str, pd.DataFrame], sparsity: float | None = None) -> Figure:
    """Figure 4 for an encoder-decoder's (mT5's) text-to-text tasks (paper 003, figure 5). See :func:`_transfer_figure`."""
    return _transfer_figure(transfer, sparsity, "Transfer of lottery tickets across languages in the encoder-decoder")


def _transfer_figure(transfer: dict[str, pd.DataFrame], sparsity: float | None, title: str) -> Figure:
    """Transfer of tickets across languages: a(s, t) − a(t, t) in points of the task's metric, one heatmap per task.

    ``transfer``: task -> its transfer.csv (:data:`TRANSFER`); ``sparsity``:
    the tickets' level (default: the smallest in each table). Rows: source
    tickets (languages, then ``rand``), columns: target languages. Cells: the
    mean over replicates of each replicate's a(s, t) − a(t, t); blue a loss, red
    a gain; hatched unless the t-test of those paired differences against 0
    survives the false discovery rate control over every off-diagonal cell of
    every panel (the diagonal, 0 by definition, is not tested, so hatched; each
    difference's sampling error floors the test's sd where the rows hold their
    dev counts, :func:`~langspec.stats.tickets.transfer_cells`); "✓" after the
    value where the transfer is successful: mean a(s, t) within one standard
    deviation (over replicates) of the target's own ticket mean a(t, t).
    """
    frames = task_frames(transfer, TRANSFER, "transfer")
    panels = {}
    for task, table in frames.items():
        what = f"transfer of task '{task}'"
        part, level = transfer_level(transfer_rows(table, what), sparsity, what)
        panels[task] = (transfer_cells(part, f"{what} at sparsity {level:g}"), level, part["metric_name"].iloc[0])
    keep = iter(fdr_keep([c["p_value"] for c, _, _ in panels.values()]))
    m = tested([c["p_value"] for c, _, _ in panels.values()])
    rows_ = max(c["mean"].shape[0] for c, _, _ in panels.values())
    cols_ = max(c["mean"].shape[1] for c, _, _ in panels.values())
    size = (cols_ * TRANSFER_CELL + 1.7, rows_ * TRANSFER_CELL + 1.0)
    fig, grid = _task_panels(list(panels), size, (0.0, 0.75), max_cols=2)
    counts, missing = [], False
    floored = any(c["floored"] for c, _, _ in panels.values())
    for task, (cells, level, metric_name) in panels.items():
        ax = grid[task]
        mean = cells["mean"]
        draw_cells(ax, mean, DIVERGING, symmetric_norm(mean), signed, "target language", "source ticket",
                   f"{task}, {level:.0%} sparsity", _gain_label(metric_name), supported=next(keep), missing="–")
        _append_checks(ax, cells["successful"])
        counts += [c for c in cells["counts"].to_numpy().ravel() if c > 0]
        missing |= bool(mean.isna().to_numpy().any())
    check = Line2D([], [], linestyle="", marker=f"${CHECK}$", markersize=6, color="black")
    if max(counts, default=0) > 1:
        success = "successful transfer (after the value): mean a(s, t) within 1 sd over replicates of the target's own ticket a(t, t)"
    else:
        success = "successful transfer (after the value): a(s, t) ≥ a(t, t) (1 replicate: no sd to allow for)"
    extra = [(check, success)]
    if missing:
        extra.append((missing_handle(), "–: not run"))
    explain(fig, fdr_text(counts, "0", m, untested="diagonal: 0 by definition", floored=floored), extra=extra)
    fig.suptitle(title)
    return fig


@styled
def lth_fig9(cross_task: dict[str, pd.DataFrame]) -> Figure:
    """Cross-task transfer (paper 003, figure 9): one heatmap per target task, source tasks × languages.

    ``cross_task``: target task -> its cross_task.csv (:data:`CROSS_TASK`). A
    cell is the mean over replicates of the source task's ticket of that
    language, rewound to the target task's pre-trained model and trained on the
    target task's data of the same language, minus the target task's own ticket
    of that language at the same sparsity (same replicate), in points of the
    target's metric, oriented so that positive is better (perplexity: own −
    transferred). Hatched unless the paired t-test survives the false discovery
    rate control over every cell of every panel.
    """
    frames = task_frames(cross_task, CROSS_TASK, "cross-task transfer")
    panels = {task: cross_task_cells(table, f"cross-task transfer to task '{task}'") for task, table in frames.items()}
    keep = iter(fdr_keep([c["p_value"] for c in panels.values()]))
    m = tested([c["p_value"] for c in panels.values()])
    rows_ = max(c["mean"].shape[0] for c in panels.values())
    cols_ = max(c["mean"].shape[1] for c in panels.values())
    size = (cols_ * TRANSFER_CELL + 1.9, rows_ * TRANSFER_CELL + 1.0)
    fig, grid = _task_panels(list(panels), size, (0.0, 0.75), max_cols=3)
    counts, missing = [], False
    for task, cells in panels.items():
        mean = cells["mean"]
        draw_cells(grid[task], mean, DIVERGING, symmetric_norm(mean), signed, "language", "source task's ticket",
                   f"target {task}, {cells['sparsity']:.0%} sparsity", _cross_label(cells["metric_name"]),
                   supported=next(keep), missing="–")
        counts += [c for c in cells["counts"].to_numpy().ravel() if c > 0]
        missing |= bool(mean.isna().to_numpy().any())
    extra = [(missing_handle(), "–: not run")] if missing else []
    explain(fig, fdr_text(counts, "0", m, floored=any(c["floored"] for c in panels.values())), extra=extra)
    fig.suptitle("Transfer of lottery tickets across tasks: a task's ticket trained on another task, same language")
    return fig


@styled
def lth_fig6(transfer: dict[str, pd.DataFrame], sparsities: Sequence[float] | None = None) -> Figure:
    """Average relative transfer change (%) per source language, grouped bars per sparsity, one panel per task.

    ``transfer``: task -> its transfer.csv; ``sparsities``: the levels drawn
    (default: every level of the tickets in each table). A bar is the mean over
    replicates of :func:`relative_drops` with its 95% interval as an error bar,
    hatched and washed out unless its t-test against 0 survives the false
    discovery rate control over every bar of the figure (its sd floored at the
    replicates' sampling error where the rows hold their dev counts); negative is a drop.
    """
    frames = task_frames(transfer, TRANSFER, "transfer")
    panels = {}
    for task, table in frames.items():
        what = f"transfer of task '{task}'"
        rows = transfer_rows(table, what)
        tickets = rows[rows["source"] != FULL]
        levels = sorted({pick_sparsity(tickets["sparsity"], s, what) for s in sparsities}) if sparsities is not None \
            else sorted(set(tickets["sparsity"]))
        bars = []
        for level in levels:
            drops = relative_drops(tickets[tickets["sparsity"] == level], f"{what} at sparsity {level:g}")
            bars.append(over_replicates(drops, ["source"], "relative_pct", what, se="relative_se").assign(sparsity=level))
        panels[task] = pd.concat(bars, ignore_index=True)
    for bars, robust in zip(panels.values(), fdr_keep([bars["p_value"].to_numpy(float) for bars in panels.values()])):
        bars["robust"] = robust
    m = tested([bars["p_value"].to_numpy(float) for bars in panels.values()])
    levels = sorted({s for p in panels.values() for s in p["sparsity"]})
    colours = {s: REGIME_COLOURS[i % len(REGIME_COLOURS)] for i, s in enumerate(levels)}
    sources = max(p["source"].nunique() for p in panels.values())
    fig, grid = _task_panels(list(panels), (max(3.3, 0.45 * sources + 1.2), 2.5), (1.0, 0.75))
    counts = []
    for task, bars in panels.items():
        ax = grid[task]
        sources_ = list(dict.fromkeys(bars["source"]))
        positions = np.arange(len(sources_))
        width = 0.8 / len(levels)
        for k, level in enumerate(levels):
            part = bars[bars["sparsity"] == level].set_index("source").reindex(sources_)
            x = positions - 0.4 + (k + 0.5) * width
            values = part["mean"].to_numpy(float)
            good = part["robust"].fillna(False).to_numpy(bool)
            face = [colours[level] if ok else faded(colours[level]) for ok in good]
            drawn = ax.bar(x, np.nan_to_num(values), width, color=face, linewidth=0)
            _hatch_bars(drawn, good)
            low, high = part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float)
            shown = np.isfinite(values) & np.isfinite(low) & np.isfinite(high)
            ax.errorbar(x[shown], values[shown], yerr=[values[shown] - low[shown], high[shown] - values[shown]],
                        fmt="none", ecolor="0.15", elinewidth=0.7, capsize=1.5, capthick=0.7)
            counts += part["n_replicates"].dropna().astype(int).tolist()
        ax.axhline(0, color=GUIDE, linewidth=0.8)
        ax.set_xticks(positions, sources_)
        ax.set_xlabel("source ticket")
        ax.set_ylabel("average relative change (%)")
        ax.set_title(task)
    fig.legend(handles=[Patch(color=c, label=f"{s:.0%}") for s, c in colours.items()], title="sparsity",
               loc="outside right upper", frameon=False)
    floored = any((bars["method"] == FLOOR_METHOD).any() for bars in panels.values())
    explain(fig, fdr_text(counts, "0", m, "bars", floored=floored),
            extra=[(Line2D([], [], color="0.15", marker="|", linestyle=""), "95% interval")])
    fig.suptitle("Average relative change when a source ticket is trained on the other languages")
    return fig


# -- figure 7: parallel sentence retrieval ----------------------------------------------


@styled
def lth_fig7(retrieval: dict[str, pd.DataFrame], method: str | None = None) -> Figure:
    """Parallel sentence retrieval accuracy (%) against layer, with each ticket (and the unpruned model) as encoder.

    ``retrieval``: task -> its retrieval.csv (:data:`RETRIEVAL`); ``method``:
    the scoring drawn (default ``margin`` when present). One row of panels per
    task and k (top-5 above top-1), one panel per direction source → target,
    one line per ticket (``full``: the unpruned pre-trained model, dashed
    dark grey): means over replicates with their 95% band; x: layer, 0 = the
    embeddings.
    """
    frames = task_frames(retrieval, RETRIEVAL, "retrieval")
    curves = {}
    for task, table in frames.items():
        curves[task], used = retrieval_curves(table, method, f"retrieval of task '{task}'")
    method = used  # the table's name of the method drawn
    tickets = ordered((t for c in curves.values() for t in c["ticket"]), (MULTI, FULL))
    colours = _colours(t for t in tickets if t not in (MULTI, FULL))
    colours |= {t: c for t, c in ((MULTI, MULTI_COLOUR), (FULL, "0.1")) if t in tickets}
    rows = [(task, k) for task, c in curves.items() for k in sorted(set(c["k"]), reverse=True)]
    directions = {task: list(dict.fromkeys(zip(c["source"], c["target"]))) for task, c in curves.items()}
    fig, grid = _task_grid({f"{task}\0{k}": len(directions[task]) for task, k in rows}, SMALL_PANEL, (0.6, 0.9))
    counts = []
    for task, k in rows:
        axes = grid[f"{task}\0{k}"]
        for ax, (source, target) in zip(axes, directions[task]):
            part = curves[task]
            part = part[(part["k"] == k) & (part["source"] == source) & (part["target"] == target)]
            for ticket, line in part.groupby("ticket", sort=False):
                style = {"linestyle": "--"} if ticket == FULL else {}
                _band(ax, line["layer"].to_numpy(), line, colours[ticket], marker="o", markersize=2.5, linewidth=1.0,
                      **style)
                counts += line["n_replicates"].tolist()
            layers = np.unique(part["layer"])
            ax.set_xticks(layers, [str(l) for l in layers], fontsize=6.5)
            ax.set_xlabel("layer (0 = embeddings)")
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel(f"top-{k} accuracy (%)")
            ax.set_title(f"{task}: {source} → {target}, top-{k}")
        _share_y(axes)
    _side_legend(fig, colours, "ticket", dashed=(FULL,))
    entries = [(Patch(facecolor="0.5", alpha=BAND * 2, linewidth=0), _band_label(counts))]
    if FULL in colours:
        entries.append((Line2D([], [], color=colours[FULL], linestyle="--"), f"{FULL}: the unpruned pre-trained model"))
    if MULTI in colours:
        entries.append((Line2D([], [], color=colours[MULTI]), f"{MULTI}: the multilingual ticket"))
    _bottom_legend(fig, entries, most=1)
    fig.suptitle(f"Parallel sentence retrieval with lottery tickets as encoders ({method} scoring)")
    return fig


# -- figure 10: representational similarity of parallel sentences --------------------------

#: Figure 10's panels: (measure, its name) in the paper's order (a: PWCCA, b: SVCCA).
_FIG10_MEASURES = (("pwcca", "PWCCA"), ("svcca", "SVCCA"))


@styled
def lth_fig10(similarity: dict[str, pd.DataFrame], pooling: str = "first") -> Figure:
    """PWCCA and SVCCA per layer between the source language's sentences and their translations.

    ``similarity``: task -> its similarity.csv (:data:`SIMILARITY`); ``pooling``:
    the sentence representation drawn (``first``: the first token's, as paper
    003's figure; ``mean``). One row per task with four panels: PWCCA and SVCCA
    of the unpruned pre-trained model, then of the pre-trained model under the
    target language's ticket (both languages' sentences through the same
    ticket). One line per target language: mean over replicates with its 95%
    band; dotted grey: the control (the same measure between sentences that
    are not each other's translations, mean over targets and replicates).
    """
    frames = task_frames(similarity, SIMILARITY, "similarity")
    curves = {task: similarity_curves(table, pooling, f"similarity of task '{task}'") for task, table in frames.items()}
    targets = ordered(t for c in curves.values() for t in c["target"])
    colours = _colours(targets)
    panels = [(measure, name, under) for under in (FULL, "target") for measure, name in _FIG10_MEASURES]
    fig, grid = _task_grid({task: len(panels) for task in curves}, SMALL_PANEL, (0.6, 0.9))
    counts = []
    for task, part in curves.items():
        axes = grid[task]
        for ax, (measure, name, under) in zip(axes, panels):
            shown = part[part["measure"] == measure]
            shown = shown[shown["ticket"] == FULL] if under == FULL else shown[shown["ticket"] == shown["target"]]
            for target, line in shown.groupby("target", sort=False):
                _band(ax, line["layer"].to_numpy(), line, colours[target], marker="o", markersize=2.5, linewidth=1.0)
                counts += line["n_replicates"].tolist()
            if not shown.empty:
                control = shown.groupby("layer")["control_mean"].mean()
                ax.plot(control.index, control.to_numpy(float), color="0.55", linestyle=":", linewidth=1.0)
                layers = np.unique(shown["layer"])
                ax.set_xticks(layers, [str(l) for l in layers], fontsize=6.5)
            else:
                ax.text(0.5, 0.5, "no ticket of these targets", transform=ax.transAxes, ha="center", fontsize=7)
            ax.set_xlabel("layer (0 = embeddings)")
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel("similarity")
            where = "pre-trained" if under == FULL else "target's ticket"
            ax.set_title(f"{task}: {name}, {where}")
        _share_y(axes)
    _side_legend(fig, colours, "target")
    entries = [(Patch(facecolor="0.5", alpha=BAND * 2, linewidth=0), _band_label(counts)),
               (Line2D([], [], color="0.55", linestyle=":"),
                "control: the same measure between sentences that are not translations")]
    _bottom_legend(fig, entries, most=1)
    read = "first-token" if pooling == "first" else "mean-pooled"
    sources = ", ".join(dict.fromkeys(s for c in curves.values() for s in c["source"]))
    fig.suptitle(f"Similarity of {read} representations of {sources} sentences and their translations, per layer")
    return fig


# -- beyond both papers: tickets seen as heads ------------------------------------------


@styled
def lth_heads(heads: dict[str, pd.DataFrame]) -> Figure:
    """Per task and language: how much of each attention head the ticket keeps, by whether paper 000's pruning kept the head.

    ``heads``: task -> its heads.csv (:data:`HEADS`). One panel per task and
    language: every replicate's heads (marker per replicate), x = the head
    disabled (0) or enabled (1) in paper 000's subnetwork (spread sideways so
    points do not hide each other), y = % of the head's query, key, value and
    output weights the ticket keeps; a black bar marks each group's mean. The
    title gives the point-biserial Pearson r per replicate pooled over
    replicates (Fisher z) with its 95% interval.
    """
    frames = task_frames(heads, HEADS, "heads")
    points = {task: head_points(t, f"heads of task '{task}'") for task, t in frames.items()}
    colours = _colours(lang for p in points.values() for lang in p)
    fig, grid = _task_grid({task: len(p) for task, p in points.items()}, (SMALL_PANEL[0], SMALL_PANEL[1] + 0.3),
                           (0.7, 0.6))
    most = 1
    for task, per_lang in points.items():
        for ax, (lang, reps) in zip(grid[task], per_lang.items()):
            most = max(most, len(reps))
            for r, (_, p) in enumerate(reps):
                x = p["enabled"].to_numpy(float) + _spread(p["enabled"].to_numpy(), r, len(reps))
                ax.scatter(x, p["kept_pct"], s=10, marker=MARKERS[r % len(MARKERS)], color=colours[lang], alpha=0.7,
                           linewidths=0)
            pooled = pd.concat([p for _, p in reps])
            for group in (0, 1):
                values = pooled.loc[pooled["enabled"] == group, "kept_pct"]
                if len(values):
                    ax.plot([group - 0.32, group + 0.32], [values.mean()] * 2, color="black", linewidth=1.4)
            summary = head_correlation(reps)
            ax.set_xticks([0, 1], ["disabled", "enabled"])
            ax.set_xlim(-0.6, 1.6)
            ax.set_xlabel("head in paper 000's subnetwork")
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel("head weights kept (%)")
            ax.set_title(f"{_lang_title(task, lang)}\n{describe(summary, summary['counts'], 'heads')}")
        _share_y(grid[task])
    replicate_legend(fig, most)
    _bottom_legend(fig, [(Line2D([], [], color="black", linewidth=1.4), "mean of the group (all replicates)")])
    fig.suptitle("Lottery tickets seen as attention heads, against paper 000's head subnetworks")
    return fig


def _spread(enabled: np.ndarray, replicate: int, replicates_: int) -> np.ndarray:
    """Deterministic sideways offsets within ±0.3: replicates side by side, heads of a group spread evenly."""
    out = np.zeros(len(enabled))
    lane = 0.6 / max(replicates_, 1)
    for group in (0, 1):
        where = np.flatnonzero(enabled == group)
        if len(where):
            within = (np.arange(len(where)) * 0.618034) % 1.0  # golden-ratio sequence: even, no clumps
            out[where] = -0.3 + lane * (replicate + 0.1 + 0.8 * within)
    return out
