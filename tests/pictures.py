"""Look at rendered PNG figures the way a reader does: pixels only.

``is_blank`` (near-uniform image), ``count_cells`` (heatmap cells),
``count_panels`` (heatmap blocks plus framed axes), ``cell_grids`` (the cells of
each heatmap block as a grid), ``hatched`` (whether a cell carries the hatching
that marks what an interval does not support) and ``edge_ink`` (ink touching the
canvas edge: text cut off). Connected components are found with numpy alone
(row runs joined by a vectorised union-find), so scipy is not needed.

What the counting relies on, and ``langspec.figures`` draws:
- the background is white; a pixel is background when every RGB channel is at
  least ``WHITE``;
- heatmap cells are parted by white lines, so two neighbouring cells of the same
  colour are still two components; a cell is a filled, roughly square rectangle
  (text inside it, dark or white, does not reach its border);
- heatmap axes have no spines; every other panel (lines, bars, scatter) has a
  black frame of four spines, drawn darker than ``DARK`` in every channel,
  which no data colour is;
- heatmap cells are square; colour bars are long and thin and legend patches
  about three times wider than high (and under 12 pixels high), text glyphs
  small or not rectangular, so none of these counts as a cell;
- a cell that its interval does not support is hatched: thin grey diagonal
  lines across the whole cell, so its bands above and below the centred text
  are striped, while any other cell is one flat colour there;
- constrained layout keeps every artist some pixels inside the canvas, so ink in
  the outermost rows or columns is text (or a panel) cut at the edge.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from matplotlib.image import imread

WHITE = 0.94
DARK = 0.35


def load(png: str | os.PathLike) -> np.ndarray:
    """RGB float image [height, width, 3] in [0, 1], transparency composed over white."""
    image = np.asarray(imread(png), dtype=float)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.max() > 1.0:
        image = image / 255.0
    if image.shape[2] == 4:
        alpha = image[:, :, 3:]
        image = image[:, :, :3] * alpha + (1.0 - alpha)
    return image[:, :, :3]


def _roots(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component id (its smallest member) of nodes 0..n-1 joined by the edges (a[i], b[i])."""
    parent = np.arange(n)
    while True:
        ra, rb = parent[a], parent[b]
        differ = ra != rb
        if not differ.any():
            return parent
        np.minimum.at(parent, np.maximum(ra, rb)[differ], np.minimum(ra, rb)[differ])
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


@dataclass(frozen=True)
class Component:
    """One 4-connected set of pixels: bounding box (bottom/right exclusive), size, and its raster."""

    top: int
    left: int
    bottom: int
    right: int
    pixels: int
    raster: np.ndarray  # bool [bottom - top, right - left]

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def fill(self) -> float:
        """Fraction of the bounding box that the component covers."""
        return self.pixels / (self.height * self.width)


def components(mask: np.ndarray, min_side: int = 1) -> list[Component]:
    """4-connected components of a boolean image with both sides at least ``min_side`` pixels.

    Runs of True pixels in each row are the nodes; runs that share a column in
    neighbouring rows are joined.
    """
    height, width = mask.shape
    padded = np.zeros((height, width + 2), np.int8)
    padded[:, 1:-1] = mask
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    ends = np.nonzero(step == -1)[1]
    if rows.size == 0:
        return []
    stride = width + 1
    key_start, key_end = rows * stride + starts, rows * stride + ends
    above = (rows - 1) * stride
    low = np.searchsorted(key_end, above + starts, side="right")
    high = np.searchsorted(key_start, above + ends, side="left")
    counts = np.maximum(high - low, 0)
    a = np.repeat(np.arange(rows.size), counts)
    b = np.repeat(low, counts) + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    labels = np.unique(_roots(rows.size, a, b), return_inverse=True)[1]
    n = labels.max() + 1
    top = np.full(n, height)
    np.minimum.at(top, labels, rows)
    bottom = np.zeros(n, int)
    np.maximum.at(bottom, labels, rows + 1)
    left = np.full(n, width)
    np.minimum.at(left, labels, starts)
    right = np.zeros(n, int)
    np.maximum.at(right, labels, ends)
    pixels = np.bincount(labels, weights=ends - starts, minlength=n).astype(int)
    keep = np.flatnonzero((bottom - top >= min_side) & (right - left >= min_side))
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    out = []
    for c in keep:
        runs = order[bounds[c]:bounds[c + 1]]
        diff = np.zeros((bottom[c] - top[c], right[c] - left[c] + 1), int)
        np.add.at(diff, (rows[runs] - top[c], starts[runs] - left[c]), 1)
        np.add.at(diff, (rows[runs] - top[c], ends[runs] - left[c]), -1)
        raster = np.cumsum(diff, axis=1)[:, :-1] > 0
        out.append(Component(int(top[c]), int(left[c]), int(bottom[c]), int(right[c]), int(pixels[c]), raster))
    return out


def is_blank(png: str | os.PathLike, tolerance: float = 0.005) -> bool:
    """True when at most ``tolerance`` of the pixels differ (by more than 0.05) from the background colour.

    The background colour is the median of the image's border pixels.
    """
    image = load(png)
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    background = np.median(border, axis=0)
    differs = np.abs(image - background).max(axis=2) > 0.05
    return bool(differs.mean() <= tolerance)


def _trimmed(raster: np.ndarray, fringe: float = 0.5, width: int = 1) -> np.ndarray:
    """The raster without up to ``width`` outer rows or columns per side that are less than ``fringe`` inked.

    That is the anti-aliased fringe a dark cell can leave in the white gap beside it.
    """
    for _ in range(width):
        if min(raster.shape) <= 2:
            break
        if raster[0].mean() < fringe:
            raster = raster[1:]
        if raster[-1].mean() < fringe:
            raster = raster[:-1]
        if raster[:, 0].mean() < fringe:
            raster = raster[:, 1:]
        if raster[:, -1].mean() < fringe:
            raster = raster[:, :-1]
    return raster


def _is_cell(c: Component, max_aspect: float, min_border: float = 0.9) -> bool:
    """A filled rectangle, at most ``max_aspect`` times longer than wide, with complete edges (fringe trimmed)."""
    raster = _trimmed(c.raster)
    edges = (raster[0].mean(), raster[-1].mean(), raster[:, 0].mean(), raster[:, -1].mean())
    aspect = max(raster.shape) / min(raster.shape)
    return aspect <= max_aspect and min(edges) >= min_border and raster.mean() >= 0.5


def cells(png: str | os.PathLike, min_side: int = 12, max_aspect: float = 2.0) -> list[Component]:
    """Heatmap cells: non-white filled rectangles, at least ``min_side`` pixels a side, near square.

    ``max_aspect`` 2 keeps legend patches (about 3 : 1) and colour bars out.
    """
    ink = (load(png) < WHITE).any(axis=2)
    return [c for c in components(ink, min_side) if _is_cell(c, max_aspect)]


def count_cells(png: str | os.PathLike, min_side: int = 12) -> int:
    """Number of heatmap cells in the image (colour bars, text and frames are not cells)."""
    return len(cells(png, min_side))


def _blocks(found: list[Component], gap: int) -> int:
    """Number of groups of cells whose bounding boxes lie within ``gap`` pixels of each other."""
    if not found:
        return 0
    box = np.array([(c.top, c.left, c.bottom, c.right) for c in found])
    dy = np.maximum(0, np.maximum(box[:, None, 0], box[None, :, 0]) - np.minimum(box[:, None, 2], box[None, :, 2]))
    dx = np.maximum(0, np.maximum(box[:, None, 1], box[None, :, 1]) - np.minimum(box[:, None, 3], box[None, :, 3]))
    a, b = np.nonzero(np.triu((dy <= gap) & (dx <= gap), k=1))
    return len(np.unique(_roots(len(found), a, b)))


def _is_frame(c: Component, edge: float = 0.1, cover: float = 0.8) -> bool:
    """A hollow rectangle outline (tick marks may stick out): long rows near top and bottom, long columns near both sides."""
    if c.fill > 0.5:
        return False
    long_rows = np.flatnonzero(c.raster.sum(axis=1) >= cover * c.width)
    long_cols = np.flatnonzero(c.raster.sum(axis=0) >= cover * c.height)
    return (
        long_rows.size > 0 and long_cols.size > 0
        and long_rows[0] <= edge * c.height and long_rows[-1] >= (1 - edge) * c.height - 1
        and long_cols[0] <= edge * c.width and long_cols[-1] >= (1 - edge) * c.width - 1
    )


def frames(png: str | os.PathLike, min_side: int = 40) -> list[Component]:
    """Framed axes: dark rectangle outlines at least ``min_side`` pixels a side."""
    dark = (load(png) <= DARK).all(axis=2)
    return [c for c in components(dark, min_side) if _is_frame(c)]


def count_panels(png: str | os.PathLike, gap: int = 12) -> int:
    """Number of panels: heatmap blocks (cells within ``gap`` pixels of each other) plus framed axes."""
    return _blocks(cells(png), gap) + len(frames(png))


def _clusters(values: np.ndarray, tolerance: float) -> np.ndarray:
    """Rank of each value's cluster (values within ``tolerance`` of the previous one in sorted order share one)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), int)
    rank, last = -1, None
    for i in order:
        if last is None or values[i] - last > tolerance:
            rank += 1
        ranks[i] = rank
        last = values[i]
    return ranks


def cell_grids(png: str | os.PathLike, gap: int = 12) -> list[np.ndarray]:
    """The heatmap cells of each block (panel) as a rows x columns object array of :class:`Component`.

    Blocks are in reading order: rows of blocks from top to bottom (blocks whose
    tops lie within half a cell of each other form a row), each from left to
    right. Inside a block, cells are placed by the rank of their top and left
    edges; a grid position without a cell holds None.
    """
    found = cells(png)
    if not found:
        return []
    box = np.array([(c.top, c.left, c.bottom, c.right) for c in found])
    dy = np.maximum(0, np.maximum(box[:, None, 0], box[None, :, 0]) - np.minimum(box[:, None, 2], box[None, :, 2]))
    dx = np.maximum(0, np.maximum(box[:, None, 1], box[None, :, 1]) - np.minimum(box[:, None, 3], box[None, :, 3]))
    a, b = np.nonzero(np.triu((dy <= gap) & (dx <= gap), k=1))
    labels = np.unique(_roots(len(found), a, b), return_inverse=True)[1]
    blocks = [[found[i] for i in np.flatnonzero(labels == k)] for k in range(labels.max() + 1)]
    side = float(np.median([c.height for c in found]))
    tops = np.array([min(c.top for c in block) for block in blocks], float)
    lefts = np.array([min(c.left for c in block) for block in blocks], float)
    rows = _clusters(tops, side / 2)
    order = sorted(range(len(blocks)), key=lambda k: (rows[k], lefts[k]))
    grids = []
    for k in order:
        block = blocks[k]
        r = _clusters(np.array([c.top for c in block], float), side / 3)
        c = _clusters(np.array([c.left for c in block], float), side / 3)
        grid = np.full((r.max() + 1, c.max() + 1), None, dtype=object)
        for cell, i, j in zip(block, r, c):
            grid[i, j] = cell
        grids.append(grid)
    return grids


def _bands(image: np.ndarray, cell: Component) -> np.ndarray:
    """Pixels [n, 3] of a cell's bands above and below its centred text (12-30% and 70-88% of its height)."""
    h, w = cell.height, cell.width
    cols = slice(cell.left + int(0.1 * w), cell.left + int(np.ceil(0.9 * w)))
    parts = [image[cell.top + int(a * h):cell.top + int(np.ceil(b * h)), cols] for a, b in ((0.12, 0.3), (0.7, 0.88))]
    return np.concatenate([p.reshape(-1, 3) for p in parts])


def hatch_fraction(image: np.ndarray, cell: Component, tolerance: float = 0.12) -> float:
    """Fraction of a cell's band pixels that differ (by more than ``tolerance``) from the bands' median colour."""
    band = _bands(image, cell)
    return float((np.abs(band - np.median(band, axis=0)).max(axis=1) > tolerance).mean())


def hatched(image: np.ndarray, cell: Component, threshold: float = 0.04) -> bool:
    """Whether the cell is hatched: striped bands (a flat cell has no pixel off its median there)."""
    return hatch_fraction(image, cell) > threshold


def cell_colour(image: np.ndarray, cell: Component) -> np.ndarray:
    """Median RGB of a cell's bands (its fill colour, or the fill between hatch lines)."""
    return np.median(_bands(image, cell), axis=0)


def hatched_grids(png: str | os.PathLike) -> list[np.ndarray]:
    """Per heatmap block (order of :func:`cell_grids`): bool grid, True where the cell is hatched."""
    image = load(png)
    return [np.vectorize(lambda c: c is not None and hatched(image, c), otypes=[bool])(grid) for grid in cell_grids(png)]


def edge_ink(png: str | os.PathLike, margin: int = 2) -> int:
    """Number of non-background pixels within ``margin`` pixels of the canvas edge (text or panels cut off)."""
    ink = (load(png) < WHITE).any(axis=2)
    edge = np.zeros_like(ink)
    edge[:margin], edge[-margin:], edge[:, :margin], edge[:, -margin:] = True, True, True, True
    return int((ink & edge).sum())
