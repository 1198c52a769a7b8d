"""A conv layer's filters as one picture: the grid they are laid out in and its RGB pixels."""

from __future__ import annotations

import math

import numpy as np

from workbench.core.colours import DIVERGING, colourise

TILE_PX = 40  # a filter is drawn about this large
SMALL_TILE_PX = 24  # in a layer of many filters
GAP_PX = 2
GAP_GREY = 200
MAX_TILES = 64  # per side of a layer's filter grid


def filter_layout(out: int, inputs: int) -> tuple[int, int, str]:
    """Grid rows and columns for a layer's filters, and how to read it."""
    if inputs == 1:  # one channel in: the filters side by side in a near-square grid
        cols = math.ceil(math.sqrt(out))
        return math.ceil(out / cols), cols, "one tile per filter"
    return out, inputs, "a row per filter, a column per input channel"


def filter_scale(weights: np.ndarray) -> tuple[float, float, np.ndarray]:
    """The layer's one colour scale: blue (negative) – white (0) – red (positive), ±max|w|."""
    bound = max(float(np.abs(np.asarray(weights, np.float32)).max(initial=0.0)), 1e-12)
    return -bound, bound, DIVERGING


def filter_tile_count(weights: np.ndarray) -> int:
    """How many kernels `filter_mosaic` draws (it shows at most MAX_TILES per side)."""
    out, inputs = np.asarray(weights).shape[:2]
    return min(out, MAX_TILES) * min(inputs, MAX_TILES)


def filter_mosaic(weights: np.ndarray) -> np.ndarray:
    """RGB image (uint8 [h, w, 3]) of a conv layer's filters [out, in, kh, kw] laid out by
    `filter_layout`, on one `filter_scale` for the whole layer, with grey gaps."""
    weights = np.asarray(weights, dtype=np.float32)[:MAX_TILES, :MAX_TILES]
    out, inputs, kh, kw = weights.shape
    rows, cols, _ = filter_layout(out, inputs)
    zoom = max(1, (TILE_PX if rows * cols <= 32 else SMALL_TILE_PX) // max(kh, kw))
    tiles = colourise(weights, *filter_scale(weights))  # [out, in, kh, kw, 3]
    tiles = tiles.repeat(zoom, axis=2).repeat(zoom, axis=3)
    th, tw = kh * zoom, kw * zoom
    mosaic = np.full(
        (rows * (th + GAP_PX) - GAP_PX, cols * (tw + GAP_PX) - GAP_PX, 3), GAP_GREY, np.uint8
    )
    for o in range(out):
        for i in range(inputs):
            r, c = divmod(o, cols) if inputs == 1 else (o, i)
            top, left = r * (th + GAP_PX), c * (tw + GAP_PX)
            mosaic[top : top + th, left : left + tw] = tiles[o, i]
    return mosaic
