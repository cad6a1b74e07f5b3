"""Figures of paper 003 (lottery tickets per language): figures 2-10 and tickets seen as heads; drawing only.

Each figure takes the tidy frame its source-data function returns
(:mod:`langspec.stats.source_data.tickets`, which documents the columns; the workflow writes it beside the
figure as ``figures/lth/{name}.data.csv``) and draws it, nothing else: the values, intervals, marks and
criteria below are decided there. Metrics are drawn in percent (perplexity as it is). What the replicates
support is shown as in the figures of paper 000:

- lines (figures 2, 3, 7, 8, 10) are means over replicates with a shaded 95%
  t-interval (none for a single replicate), drawn clipped to the measure's range
  (``range_low`` / ``range_high``: a t-interval of two replicates can reach far
  beyond 0-100%), and the legend says so when it clipped;
- the transfer heatmaps (figures 4, 5, 9) and the bars of figure 6 hatch and wash out
  what is not ``robust`` (the false discovery rate controlled over the figure's
  tested cells or bars); bars carry their interval as an error bar;
- the heads scatter draws every replicate's points and gives r pooled over
  replicates with its interval.

Where the intervals' spread was floored at the replicates' own sampling error
(``method`` :data:`FLOOR_METHOD`), the legend says so. On top of these marks
come paper 003's own criteria, which use the spread between replicates: a
*winning* ticket (figure 2: filled marker) and a *successful* transfer
(figure 4: "✓"), as the source data's ``winning`` and ``successful`` say.
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

from langspec.figures.cells import draw_cells, flags, grid, signed, symmetric_norm
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

#: The mark of a successful transfer, written after the cell's value.
CHECK = "✓"
#: Names the source data gives the multilingual ticket and the unpruned model (:data:`langspec.stats.tickets.MULTI`,
#: :data:`~langspec.stats.tickets.FULL`; figures only draw, so they are kept here, and a test checks they agree).
MULTI, FULL = "multi", "full"
#: The ``method`` of an interval whose sd is floored at the replicates' own sampling error
#: (:data:`langspec.stats.replicates.FLOOR_METHOD`; checked by a test).
FLOOR_METHOD = "t-interval over replicate means, sd floored at the replicates' own sampling error"
#: What a legend says when it drew some interval clipped to the measure's range.
CLIPPED = "intervals clipped to the metric's range"
#: Colour of the multilingual ticket and of the unpruned model in line plots.
MULTI_COLOUR = "0.25"
#: Opacity of the 95% band around a mean line, and of the full model's ± 1 sd band.
BAND = 0.16
FULL_BAND = 0.22
#: Side (inches) of a transfer cell: wider than ``CELL`` for "−12.3 ✓".
TRANSFER_CELL = 0.52
#: Size (inches) of one small line or strip panel of a per-language grid.
SMALL_PANEL = (2.6, 2.1)


def _tasks(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Task -> its rows, tasks in order of first appearance."""
    return {task: frame[frame["task"] == task] for task in dict.fromkeys(frame["task"])}


def _ordered(values: Iterable, last: Sequence[str] = ()) -> list[str]:
    """Distinct values (as text) in order of first appearance, those of ``last`` moved to the end (in that order)."""
    seen = list(dict.fromkeys(str(v) for v in values))
    return [v for v in seen if v not in last] + [v for v in last if v in seen]


def _floored(frame: pd.DataFrame) -> bool:
    return bool((frame["method"] == FLOOR_METHOD).any())


def _range(part: pd.DataFrame) -> tuple[float, float]:
    """The measure's range (``range_low``, ``range_high``) of a panel's rows: where drawn intervals are clipped."""
    if "range_low" not in part.columns or part.empty:
        return -np.inf, np.inf
    low, high = part["range_low"].to_numpy(float), part["range_high"].to_numpy(float)
    return (float(np.nanmin(low)) if np.isfinite(low).any() else -np.inf,
            float(np.nanmax(high)) if np.isfinite(high).any() else np.inf)


def _clip(low: np.ndarray, high: np.ndarray, bounds: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, bool]:
    """An interval clipped to ``bounds``, and whether some finite end moved."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    cut_low, cut_high = np.clip(low, *bounds), np.clip(high, *bounds)
    moved = (np.isfinite(low) & (cut_low != low)) | (np.isfinite(high) & (cut_high != high))
    return cut_low, cut_high, bool(moved.any())


def _metric_row(part: pd.DataFrame) -> pd.Series:
    return part.iloc[0]


def _higher(row: pd.Series) -> bool:
    return bool(flags(pd.Series([row["higher_is_better"]]))[0])


def _metric_axis(curve: pd.DataFrame) -> str:
    """The y label of a task's dev metric: "dev accuracy (%)", "dev entity F1 (%)", "dev perplexity (lower is better)"."""
    row = _metric_row(curve)
    return f"dev {row['unit']}" + ("" if _higher(row) else " (lower is better)")


def _gain_label(row: pd.Series) -> str:
    """The colour-bar label of a transfer difference, oriented so that positive is better."""
    if _higher(row):
        return f"a(s, t) − a(t, t) ({row['metric_label']} points)"
    return f"a(t, t) − a(s, t) ({row['metric_label']}; + = better)"


def _cross_label(row: pd.Series) -> str:
    """The colour-bar label of figure 9: the transferred ticket against the target task's own, positive is better."""
    if _higher(row):
        return f"transferred − own ({row['metric_label']} points)"
    return f"own − transferred ({row['metric_label']})"


def _band(ax: Axes, x: np.ndarray, part: pd.DataFrame, colour, **line) -> bool:
    """A mean line with its shaded 95% interval (where defined), the interval clipped to the measure's range;
    whether it clipped."""
    low, high, clipped = _clip(part["ci_low"], part["ci_high"], _range(part))
    ax.fill_between(np.asarray(x, float), low, high, color=colour, alpha=BAND, linewidth=0)
    ax.plot(np.asarray(x, float), part["mean"].to_numpy(float), color=colour, **line)
    return clipped


def _band_label(counts: Iterable[int], what: str = "mean", floored: bool = False, clipped: bool = False) -> str:
    """The legend line of a shaded band: over how many replicates, or that one replicate has none; ``floored``: the
    band's sd is at least the replicates' own sampling error; ``clipped``: some band was drawn clipped."""
    counts = [int(c) for c in counts if np.isfinite(c) and int(c) > 0]
    clip = f"; {CLIPPED}" if clipped else ""
    if not counts or max(counts) <= 1:
        return f"line: value of 1 replicate (no band: no spread between replicates to measure){clip}"
    floor = ", sd ≥ the replicates' sampling error" if floored else ""
    return f"line: {what} over {replicates(counts)}; band: its 95% interval (t-interval{floor}){clip}"


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
def lth_fig2(frame: pd.DataFrame) -> Figure:
    """Dev metric of each language's tickets against sparsity (%), one panel per task and language.

    ``frame``: :func:`langspec.stats.source_data.tickets.fig2` (one row per task, language and sparsity;
    sparsity 0 = the full model; ``multi`` = the multilingual ticket, drawn last). The metric is the task's:
    accuracy or entity F1 in %, or perplexity (lower is better; "winning" then means at most one sd above the
    full model's). Each panel: the ticket's mean over replicates with its 95% band (clipped to the metric's
    range); the full model's mean (dashed) ± one standard deviation over replicates (grey band, clipped
    likewise); a filled marker where the ticket wins, an open one where it does not. Every task starts a row;
    panels of a task share their y axis.
    """
    frame = frame.assign(lang=frame["lang"].astype(str))
    curves = _tasks(frame)
    fig, grid_ = _task_grid({task: c["lang"].nunique() for task, c in curves.items()}, SMALL_PANEL, (0.0, 0.75))
    colours = _colours(lang for c in curves.values() for lang in c["lang"] if lang != MULTI)
    colours[MULTI] = MULTI_COLOUR
    clipped = False
    for task, curve in curves.items():
        for ax, (lang, part) in zip(grid_[task], curve.groupby("lang", sort=False)):
            full = part.iloc[0]
            x = part["sparsity"].to_numpy(float) * 100
            low, high, cut = _clip([full["full_mean"] - full["full_sd"]], [full["full_mean"] + full["full_sd"]], _range(part))
            ax.axhspan(low[0], high[0], color=GUIDE, alpha=FULL_BAND, linewidth=0)
            ax.axhline(full["full_mean"], color=GUIDE, linewidth=0.8, linestyle="--")
            clipped |= cut | _band(ax, x, part, colours[lang], linewidth=1.2)
            ticket = part["sparsity"].to_numpy(float) > 0
            win = flags(part["winning"])
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
        _share_y(grid_[task])
    counts = frame["n_replicates"].tolist()
    full_counts = [int(n) for n in frame.loc[frame["sparsity"] == 0, "n_replicates"]]
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
        (Patch(facecolor="0.5", alpha=BAND * 2, linewidth=0), _band_label(counts, "ticket mean", _floored(frame), clipped)),
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
def lth_fig3(frame: pd.DataFrame) -> Figure:
    """Jaccard similarity (%) of the languages' tickets per layer, one panel per task, one line per language pair.

    See :func:`_overlap_figure`.
    """
    return _overlap_figure(frame, "encoder layer", "Overlap of the languages' lottery tickets per layer")


@styled
def lth_fig8(frame: pd.DataFrame) -> Figure:
    """Figure 3 for an encoder-decoder's (mT5's) tickets (paper 003, figure 8): x runs over the encoder's blocks
    (E1, E2, ...) then the decoder's (D1, ...), each block's matrices pooled (self-attention, cross-attention and
    feed-forward). See :func:`_overlap_figure`.
    """
    return _overlap_figure(frame, "block (E: encoder, D: decoder)",
                           "Overlap of the languages' lottery tickets per block of the encoder-decoder")


def _overlap_figure(frame: pd.DataFrame, xlabel: str, title: str) -> Figure:
    """Jaccard similarity (%) of the languages' tickets per layer, one panel per task, one line per language pair.

    ``frame``: :func:`langspec.stats.source_data.tickets.fig3`. Lines (``line`` pair): means over replicates
    with their 95% band (x: ``position``, labelled by layer: encoder layers 1-based, then the pooler).
    Reference lines: two independent random masks (``random``, dashed), and the same language pruned in two
    replicates (``same-language``, dash-dot; the upper bound). The title gives the task's ``average`` overlap
    with its 95% interval.
    """
    frame = frame.assign(layer=frame["layer"].astype(str))
    panels = _tasks(frame)
    lines = frame[frame["line"] == "pair"]
    colours = _colours(_ordered(lines["pair"]))
    layers = {task: _layers(part[part["line"] == "pair"]) for task, part in panels.items()}
    width = max(3.3, 0.3 * max(len(l) for l in layers.values()) + 1.0)
    height = wrap(len(panels))[0] * 2.6 + 0.6
    fig, grid_ = _task_panels(list(panels), (width, 2.6), (0.75 * _legend_columns(len(colours), height) + 0.3, 0.6))
    clipped = False
    for task, part in panels.items():
        ax = grid_[task]
        for pair, curve in part[part["line"] == "pair"].groupby("pair", sort=False):
            clipped |= _band(ax, curve["position"].to_numpy(float), curve, colours[str(pair)], marker="o", markersize=2.5,
                             linewidth=1.0)
        random = part[part["line"] == "random"]
        ax.axhline(float(random["mean"].iloc[0]), color=GUIDE, linewidth=0.9, linestyle="--")
        same = part[part["line"] == "same-language"]
        if len(same):
            ax.plot(same["position"].to_numpy(float), same["mean"].to_numpy(float), color="0.2", linewidth=1.0,
                    linestyle="-.")
        ax.set_xticks(list(layers[task]), [_layer_label(l) for l in layers[task].values()])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Jaccard similarity (%)")
        average = part[part["line"] == "average"].iloc[0]
        level = float(part["sparsity"].iloc[0])
        ax.set_title(f"{task}, {level:.0%} sparsity: average overlap {_percent_interval(average)}")
    for ax in grid_.values():
        low, high = ax.get_ylim()
        ax.set_ylim(max(0.0, low), min(100.0, high))
    _side_legend(fig, colours, "language pair")
    random = frame[frame["line"] == "random"].drop_duplicates("sparsity").sort_values("sparsity")
    bounds = ", ".join(f"{m:.0f}% at {s:.0%}" for s, m in zip(random["sparsity"], random["mean"]))
    entries = [
        (Patch(facecolor="0.5", alpha=BAND * 2, linewidth=0), _band_label(lines["n_replicates"], clipped=clipped)),
        (Line2D([], [], color=GUIDE, linewidth=0.9, linestyle="--"), f"two independent random masks: q/(2−q) ({bounds})"),
    ]
    if (frame["line"] == "same-language").any():
        entries.append((Line2D([], [], color="0.2", linewidth=1.0, linestyle="-."),
                        "same language pruned in two replicates (upper bound): mean over languages and replicate pairs"))
    _bottom_legend(fig, entries, most=1)
    fig.suptitle(title)
    return fig


def _layers(rows: pd.DataFrame) -> dict[int, str]:
    """x position -> layer name of a panel's line points, in order."""
    found = rows.drop_duplicates("position").sort_values("position")
    return {int(x): str(layer) for x, layer in zip(found["position"], found["layer"])}


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
def lth_fig4(frame: pd.DataFrame) -> Figure:
    """Transfer of tickets across languages: a(s, t) − a(t, t) in points of the task's metric, one heatmap per task.

    See :func:`_transfer_figure`.
    """
    return _transfer_figure(frame, "Transfer of lottery tickets across languages: source ticket trained on the target language")


@styled
def lth_fig5(frame: pd.DataFrame) -> Figure:
    """Figure 4 for an encoder-decoder's (mT5's) text-to-text tasks (paper 003, figure 5). See :func:`_transfer_figure`."""
    return _transfer_figure(frame, "Transfer of lottery tickets across languages in the encoder-decoder")


def _flag_grid(frame: pd.DataFrame, rows: str, columns: str, value: str) -> pd.DataFrame:
    """A flag column (``successful``) as a ``rows`` x ``columns`` matrix of booleans, in the frame's order."""
    order = list(dict.fromkeys(frame[rows])), list(dict.fromkeys(frame[columns]))
    index = pd.MultiIndex.from_arrays([frame[rows], frame[columns]])
    matrix = pd.Series(flags(frame[value]), index=index).unstack(fill_value=False)
    return matrix.reindex(index=order[0], columns=order[1], fill_value=False).astype(bool)


def _transfer_figure(frame: pd.DataFrame, title: str) -> Figure:
    """Transfer of tickets across languages: a(s, t) − a(t, t) in points of the task's metric, one heatmap per task.

    ``frame``: :func:`langspec.stats.source_data.tickets.fig4`. Rows: source tickets (languages, then
    ``rand``), columns: target languages. Cells: the mean over replicates of each replicate's a(s, t) − a(t, t);
    blue a loss, red a gain; hatched unless ``robust`` (the diagonal, 0 by definition, is not tested, so
    hatched); "✓" after the value where the transfer is ``successful``.
    """
    panels = _tasks(frame)
    cells = {task: grid(part, "source", "target", "mean") for task, part in panels.items()}
    rows_ = max(c.shape[0] for c in cells.values())
    cols_ = max(c.shape[1] for c in cells.values())
    size = (cols_ * TRANSFER_CELL + 1.7, rows_ * TRANSFER_CELL + 1.0)
    fig, grid_ = _task_panels(list(panels), size, (0.0, 0.75), max_cols=2)
    missing = False
    for task, part in panels.items():
        ax = grid_[task]
        mean = cells[task]
        draw_cells(ax, mean, DIVERGING, symmetric_norm(mean), signed, "target language", "source ticket",
                   f"{task}, {float(part['sparsity'].iloc[0]):.0%} sparsity", _gain_label(_metric_row(part)),
                   supported=grid(part, "source", "target", "robust"), missing="–")
        _append_checks(ax, _flag_grid(part, "source", "target", "successful"))
        missing |= bool(mean.isna().to_numpy().any())
    counts = [int(c) for c in frame["n_replicates"] if c > 0]
    check = Line2D([], [], linestyle="", marker=f"${CHECK}$", markersize=6, color="black")
    if max(counts, default=0) > 1:
        success = "successful transfer (after the value): mean a(s, t) within 1 sd over replicates of the target's own ticket a(t, t)"
    else:
        success = "successful transfer (after the value): a(s, t) ≥ a(t, t) (1 replicate: no sd to allow for)"
    extra = [(check, success)]
    if missing:
        extra.append((missing_handle(), "–: not run"))
    explain(fig, fdr_text(counts, "0", int(flags(frame["tested"]).sum()), untested="diagonal: 0 by definition",
                          floored=_floored(frame)), extra=extra)
    fig.suptitle(title)
    return fig


@styled
def lth_fig9(frame: pd.DataFrame) -> Figure:
    """Cross-task transfer (paper 003, figure 9): one heatmap per target task, source tasks × languages.

    ``frame``: :func:`langspec.stats.source_data.tickets.fig9`. A cell is the mean over replicates of the source
    task's ticket of that language, rewound to the target task's pre-trained model and trained on the target
    task's data of the same language, minus the target task's own ticket of that language at the same sparsity
    (same replicate), in points of the target's metric, oriented so that positive is better (perplexity: own −
    transferred). Hatched unless ``robust``.
    """
    panels = _tasks(frame)
    cells = {task: grid(part, "source_task", "lang", "mean") for task, part in panels.items()}
    rows_ = max(c.shape[0] for c in cells.values())
    cols_ = max(c.shape[1] for c in cells.values())
    size = (cols_ * TRANSFER_CELL + 1.9, rows_ * TRANSFER_CELL + 1.0)
    fig, grid_ = _task_panels(list(panels), size, (0.0, 0.75), max_cols=3)
    missing = False
    for task, part in panels.items():
        mean = cells[task]
        draw_cells(grid_[task], mean, DIVERGING, symmetric_norm(mean), signed, "language", "source task's ticket",
                   f"target {task}, {float(part['sparsity'].iloc[0]):.0%} sparsity", _cross_label(_metric_row(part)),
                   supported=grid(part, "source_task", "lang", "robust"), missing="–")
        missing |= bool(mean.isna().to_numpy().any())
    counts = [int(c) for c in frame["n_replicates"] if c > 0]
    extra = [(missing_handle(), "–: not run")] if missing else []
    explain(fig, fdr_text(counts, "0", int(flags(frame["tested"]).sum()), floored=_floored(frame)), extra=extra)
    fig.suptitle("Transfer of lottery tickets across tasks: a task's ticket trained on another task, same language")
    return fig


@styled
def lth_fig6(frame: pd.DataFrame) -> Figure:
    """Average relative transfer change (%) per source language, grouped bars per sparsity, one panel per task.

    ``frame``: :func:`langspec.stats.source_data.tickets.fig6`. A bar is the mean over replicates of each
    replicate's average relative change with its 95% interval as an error bar (clipped to the change's range),
    hatched and washed out unless ``robust``; negative is a drop.
    """
    panels = _tasks(frame)
    levels = sorted(set(frame["sparsity"].astype(float)))
    colours = {s: REGIME_COLOURS[i % len(REGIME_COLOURS)] for i, s in enumerate(levels)}
    sources = max(p["source"].nunique() for p in panels.values())
    fig, grid_ = _task_panels(list(panels), (max(3.3, 0.45 * sources + 1.2), 2.5), (1.0, 0.75))
    clipped = False
    for task, bars in panels.items():
        ax = grid_[task]
        sources_ = list(dict.fromkeys(bars["source"].astype(str)))
        positions = np.arange(len(sources_))
        width = 0.8 / len(levels)
        for k, level in enumerate(levels):
            part = bars[bars["sparsity"].astype(float) == level].assign(source=lambda f: f["source"].astype(str))
            part = part.set_index("source").reindex(sources_)
            x = positions - 0.4 + (k + 0.5) * width
            values = part["mean"].to_numpy(float)
            good = flags(part["robust"])
            face = [colours[level] if ok else faded(colours[level]) for ok in good]
            drawn = ax.bar(x, np.nan_to_num(values), width, color=face, linewidth=0)
            _hatch_bars(drawn, good)
            low, high, cut = _clip(part["ci_low"], part["ci_high"], _range(bars))
            clipped |= cut
            shown = np.isfinite(values) & np.isfinite(low) & np.isfinite(high)
            ax.errorbar(x[shown], values[shown], yerr=[values[shown] - low[shown], high[shown] - values[shown]],
                        fmt="none", ecolor="0.15", elinewidth=0.7, capsize=1.5, capthick=0.7)
        ax.axhline(0, color=GUIDE, linewidth=0.8)
        ax.set_xticks(positions, sources_)
        ax.set_xlabel("source ticket")
        ax.set_ylabel("average relative change (%)")
        ax.set_title(task)
    fig.legend(handles=[Patch(color=c, label=f"{s:.0%}") for s, c in colours.items()], title="sparsity",
               loc="outside right upper", frameon=False)
    counts = [int(c) for c in frame["n_replicates"].dropna() if c > 0]
    interval = "95% interval" + (f"; {CLIPPED}" if clipped else "")
    explain(fig, fdr_text(counts, "0", int(flags(frame["tested"]).sum()), "bars", floored=_floored(frame)),
            extra=[(Line2D([], [], color="0.15", marker="|", linestyle=""), interval)])
    fig.suptitle("Average relative change when a source ticket is trained on the other languages")
    return fig


# -- figure 7: parallel sentence retrieval ----------------------------------------------


@styled
def lth_fig7(frame: pd.DataFrame) -> Figure:
    """Parallel sentence retrieval accuracy (%) against layer, with each ticket (and the unpruned model) as encoder.

    ``frame``: :func:`langspec.stats.source_data.tickets.fig7`. One row of panels per task and k (top-5 above
    top-1), one panel per direction source → target, one line per ticket (``full``: the unpruned pre-trained
    model, dashed dark grey): means over replicates with their 95% band; x: layer, 0 = the embeddings.
    """
    frame = frame.assign(ticket=frame["ticket"].astype(str), source=frame["source"].astype(str),
                         target=frame["target"].astype(str))
    curves = _tasks(frame)
    tickets = _ordered(frame["ticket"], (MULTI, FULL))
    colours = _colours(t for t in tickets if t not in (MULTI, FULL))
    colours |= {t: c for t, c in ((MULTI, MULTI_COLOUR), (FULL, "0.1")) if t in tickets}
    rows = [(task, k) for task, c in curves.items() for k in sorted(set(c["k"].astype(int)), reverse=True)]
    directions = {task: list(dict.fromkeys(zip(c["source"], c["target"]))) for task, c in curves.items()}
    fig, grid_ = _task_grid({f"{task}\0{k}": len(directions[task]) for task, k in rows}, SMALL_PANEL, (0.6, 0.9))
    clipped = False
    for task, k in rows:
        axes = grid_[f"{task}\0{k}"]
        for ax, (source, target) in zip(axes, directions[task]):
            part = curves[task]
            part = part[(part["k"].astype(int) == k) & (part["source"] == source) & (part["target"] == target)]
            for ticket, line in part.groupby("ticket", sort=False):
                style = {"linestyle": "--"} if ticket == FULL else {}
                clipped |= _band(ax, line["layer"].to_numpy(), line, colours[ticket], marker="o", markersize=2.5,
                                 linewidth=1.0, **style)
            layers = np.unique(part["layer"].astype(int))
            ax.set_xticks(layers, [str(l) for l in layers], fontsize=6.5)
            ax.set_xlabel("layer (0 = embeddings)")
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel(f"top-{k} accuracy (%)")
            ax.set_title(f"{task}: {source} → {target}, top-{k}")
        _share_y(axes)
    _side_legend(fig, colours, "ticket", dashed=(FULL,))
    entries = [(Patch(facecolor="0.5", alpha=BAND * 2, linewidth=0), _band_label(frame["n_replicates"], clipped=clipped))]
    if FULL in colours:
        entries.append((Line2D([], [], color=colours[FULL], linestyle="--"), f"{FULL}: the unpruned pre-trained model"))
    if MULTI in colours:
        entries.append((Line2D([], [], color=colours[MULTI]), f"{MULTI}: the multilingual ticket"))
    _bottom_legend(fig, entries, most=1)
    method = ", ".join(dict.fromkeys(frame["scoring"].astype(str)))
    fig.suptitle(f"Parallel sentence retrieval with lottery tickets as encoders ({method} scoring)")
    return fig


# -- figure 10: representational similarity of parallel sentences --------------------------

#: Figure 10's panels: (measure, its name) in the paper's order (a: PWCCA, b: SVCCA), each for the pre-trained model
#: (``under`` ``full``) then under the target's ticket (``target``), as the source data's rows say.
_FIG10_MEASURES = (("pwcca", "PWCCA"), ("svcca", "SVCCA"))
_FIG10_UNDER = ((FULL, "pre-trained"), ("target", "target's ticket"))


@styled
def lth_fig10(frame: pd.DataFrame) -> Figure:
    """PWCCA and SVCCA per layer between the source language's sentences and their translations.

    ``frame``: :func:`langspec.stats.source_data.tickets.fig10`. One row per task with four panels: PWCCA and
    SVCCA of the unpruned pre-trained model, then of the pre-trained model under the target language's ticket
    (both languages' sentences through the same ticket). One line per target language: mean over replicates
    with its 95% band; dotted grey: the panel's ``control`` (the same measure between sentences that are not
    each other's translations, mean over targets and replicates).
    """
    frame = frame.assign(target=frame["target"].astype(str), under=frame["under"].astype(str))
    curves = _tasks(frame)
    colours = _colours(_ordered(frame["target"]))
    panels = [(measure, name, under, where) for under, where in _FIG10_UNDER for measure, name in _FIG10_MEASURES]
    fig, grid_ = _task_grid({task: len(panels) for task in curves}, SMALL_PANEL, (0.6, 0.9))
    clipped = False
    for task, part in curves.items():
        axes = grid_[task]
        for ax, (measure, name, under, where) in zip(axes, panels):
            shown = part[(part["measure"] == measure) & (part["under"] == under)]
            for target, line in shown.groupby("target", sort=False):
                clipped |= _band(ax, line["layer"].to_numpy(), line, colours[target], marker="o", markersize=2.5,
                                 linewidth=1.0)
            if not shown.empty:
                control = shown.drop_duplicates("layer").sort_values("layer")
                ax.plot(control["layer"].to_numpy(), control["control"].to_numpy(float), color="0.55", linestyle=":",
                        linewidth=1.0)
                layers = np.unique(shown["layer"])
                ax.set_xticks(layers, [str(l) for l in layers], fontsize=6.5)
            else:
                ax.text(0.5, 0.5, "no ticket of these targets", transform=ax.transAxes, ha="center", fontsize=7)
            ax.set_xlabel("layer (0 = embeddings)")
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel("similarity")
            ax.set_title(f"{task}: {name}, {where}")
        _share_y(axes)
    _side_legend(fig, colours, "target")
    entries = [(Patch(facecolor="0.5", alpha=BAND * 2, linewidth=0), _band_label(frame["n_replicates"], clipped=clipped)),
               (Line2D([], [], color="0.55", linestyle=":"),
                "control: the same measure between sentences that are not translations")]
    _bottom_legend(fig, entries, most=1)
    pooling = str(frame["pooling"].iloc[0])
    read = "first-token" if pooling == "first" else "mean-pooled"
    sources = ", ".join(dict.fromkeys(frame["source"].astype(str)))
    fig.suptitle(f"Similarity of {read} representations of {sources} sentences and their translations, per layer")
    return fig


# -- beyond both papers: tickets seen as heads ------------------------------------------


@styled
def lth_heads(frame: pd.DataFrame) -> Figure:
    """Per task and language: how much of each attention head the ticket keeps, by whether paper 000's pruning kept the head.

    ``frame``: :func:`langspec.stats.source_data.tickets.heads_figure`. One panel per task and language: every
    replicate's heads (marker per replicate), x = the head disabled (0) or enabled (1) in paper 000's
    subnetwork (spread sideways so points do not hide each other), y = % of the head's query, key, value and
    output weights the ticket keeps; a black bar marks each group's mean. The title gives the point-biserial
    Pearson r per replicate pooled over replicates (Fisher z) with its 95% interval.
    """
    frame = frame.assign(lang=frame["lang"].astype(str), replicate=frame["replicate"].astype(str))
    points = {task: {lang: p for lang, p in part.groupby("lang", sort=False)} for task, part in _tasks(frame).items()}
    colours = _colours(lang for p in points.values() for lang in p)
    fig, grid_ = _task_grid({task: len(p) for task, p in points.items()}, (SMALL_PANEL[0], SMALL_PANEL[1] + 0.3),
                            (0.7, 0.6))
    most = 1
    for task, per_lang in points.items():
        for ax, (lang, panel) in zip(grid_[task], per_lang.items()):
            reps = list(panel.groupby("replicate", sort=False))
            most = max(most, len(reps))
            for r, (_, p) in enumerate(reps):
                enabled = p["enabled"].to_numpy(int)
                ax.scatter(enabled + _spread(enabled, r, len(reps)), p["kept_pct"].to_numpy(float), s=10,
                           marker=MARKERS[r % len(MARKERS)], color=colours[lang], alpha=0.7, linewidths=0)
            for group in (0, 1):
                values = panel.loc[panel["enabled"].astype(int) == group, "group_mean"]
                if len(values):
                    ax.plot([group - 0.32, group + 0.32], [float(values.iloc[0])] * 2, color="black", linewidth=1.4)
            row = panel.iloc[0]
            summary = {"r": float(row["r"]), "ci_low": float(row["r_ci_low"]), "ci_high": float(row["r_ci_high"]),
                       "n_replicates": int(row["r_replicates"])}
            counts = [int(np.isfinite(p["kept_pct"].to_numpy(float)).sum()) for _, p in reps]
            ax.set_xticks([0, 1], ["disabled", "enabled"])
            ax.set_xlim(-0.6, 1.6)
            ax.set_xlabel("head in paper 000's subnetwork")
            if ax.get_subplotspec().is_first_col():
                ax.set_ylabel("head weights kept (%)")
            ax.set_title(f"{_lang_title(task, lang)}\n{describe(summary, counts, 'heads')}")
        _share_y(grid_[task])
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
