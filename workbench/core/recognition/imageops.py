"""The image operations of the reading path, in numpy alone.

Each one gives what its `scipy.ndimage` namesake gives (the tests compare them on random
images); scipy is not imported on the way from a photo to its digits because its import alone
costs `workbench predict` about a fifth of a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_TRUNCATE = 4.0  # scipy's gaussian_filter: the kernel reaches four sigmas
_STRIPE = 128  # rows of an image blurred at a time
_PARALLEL_PIXELS = 250_000  # from this size, two stripes at a time


@dataclass(frozen=True)
class Components:
    """Connected parts of a mask: `labels` (0 = background, 1..count in raster order of each
    part's first pixel, as scipy's `label`) and each part's box, rows `y0, x0, y1, x1` (ends
    exclusive; row k - 1 is label k)."""

    labels: np.ndarray  # int32 (H, W)
    count: int
    boxes: np.ndarray  # int64 (count, 4)


def components(mask: np.ndarray, diagonal: bool = False) -> Components:
    """Label the connected parts of a boolean mask (4-connected, or 8 with `diagonal`).

    Works on the runs of each row: runs in neighbouring rows that touch are joined, then the
    run graph's parts are found by hooking roots to the smaller one and pointer jumping.
    """
    mask = np.asarray(mask, dtype=bool)
    height, width = mask.shape
    stride = width + 2  # a zero column each side: no run crosses a row's end
    padded = np.zeros((height, stride), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.flatnonzero(np.diff(padded.ravel()))
    starts, ends = edges[0::2] + 1, edges[1::2] + 1  # flat positions, ends exclusive
    count = len(starts)
    if count == 0:
        return Components(np.zeros(mask.shape, np.int32), 0, np.zeros((0, 4), np.int64))
    rows = starts // stride
    x0, x1 = starts - rows * stride - 1, ends - rows * stride - 1
    parent = _join_runs(starts, ends, rows, x0, x1, stride, 1 if diagonal else 0)
    roots, run_label = np.unique(parent, return_inverse=True)
    run_label = run_label.astype(np.int32) + 1
    labels = np.zeros(height * width, dtype=np.int32)
    labels[mask.ravel()] = np.repeat(run_label, x1 - x0)
    parts = len(roots)
    boxes = np.empty((parts, 4), dtype=np.int64)
    boxes[:, 0] = rows[roots]  # a part's first run is its top row
    boxes[:, 2] = 1 + _reduce(np.maximum, rows, run_label, parts, -1)
    boxes[:, 1] = _reduce(np.minimum, x0, run_label, parts, width)
    boxes[:, 3] = _reduce(np.maximum, x1, run_label, parts, -1)
    return Components(labels.reshape(height, width), parts, boxes)


def _join_runs(starts, ends, rows, x0, x1, stride: int, reach: int) -> np.ndarray:
    """For each run, the index of the first run of its part."""
    # Runs are in raster order, so in the row above run j the runs that touch it are the
    # consecutive ones that end after its start and start before its end (± one diagonal step).
    above = (rows - 1) * stride + 1  # flat position of column 0 in the row above
    low = np.searchsorted(ends, above + x0 - reach, side="right")
    high = np.searchsorted(starts, above + x1 + reach, side="left")
    high[rows == 0] = low[rows == 0]
    per_run = np.maximum(high - low, 0)
    below = np.repeat(np.arange(len(starts)), per_run)
    first = np.repeat(low - np.cumsum(per_run) + per_run, per_run)
    upper = first + np.arange(len(below))
    parent = np.arange(len(starts))
    while True:
        a, b = parent[upper], parent[below]
        apart = a != b
        if not apart.any():
            return parent
        a, b = a[apart], b[apart]
        smaller = np.minimum(a, b)
        np.minimum.at(parent, a, smaller)
        np.minimum.at(parent, b, smaller)
        while True:  # point every run at its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def _reduce(ufunc, values, groups, count: int, initial: int) -> np.ndarray:
    out = np.full(count + 1, initial, dtype=np.int64)
    ufunc.at(out, groups, values)
    return out[1:]


def any_of(labels: np.ndarray, wanted) -> np.ndarray:
    """Mask of the pixels whose label is one of the few `wanted` (np.isin, without its sort:
    a digit has a label or two, and its crop is read hundreds of times a page)."""
    mask = labels == wanted[0]
    for label in wanted[1:]:
        mask |= labels == label
    return mask


def dilate(mask: np.ndarray, iterations: int = 1, diagonal: bool = False) -> np.ndarray:
    """Binary dilation by the 4-neighbour cross (scipy's default), or with `diagonal` by the
    3×3 square; outside the image empty."""
    out = np.asarray(mask, dtype=bool)
    for _ in range(iterations):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        source = grown if diagonal else out  # the square: the rows' growth grows sideways too
        wide = grown.copy()
        wide[:, 1:] |= source[:, :-1]
        wide[:, :-1] |= source[:, 1:]
        out = wide
    return out


def erode(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """Binary erosion by the cross, outside the image empty (scipy's border_value=0)."""
    out = np.asarray(mask, dtype=bool)
    for _ in range(iterations):
        shrunk = out.copy()
        shrunk[1:] &= out[:-1]
        shrunk[:-1] &= out[1:]
        shrunk[:, 1:] &= out[:, :-1]
        shrunk[:, :-1] &= out[:, 1:]
        shrunk[[0, -1], :] = False
        shrunk[:, [0, -1]] = False
        out = shrunk
    return out


def close(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """Binary closing as scipy's `binary_closing` (its erosion also eats the image's edge)."""
    return erode(dilate(mask, iterations), iterations)


def grey_closing(values: np.ndarray, size: int) -> np.ndarray:
    """Grey closing with a flat `size`×`size` square (odd), edges repeated ('nearest')."""
    return _window(_window(values, size, np.max), size, np.min)


def grey_opening(values: np.ndarray, size: int) -> np.ndarray:
    """Grey opening with a flat `size`×`size` square (odd), edges repeated ('nearest')."""
    return _window(_window(values, size, np.min), size, np.max)


def median(values, axis: int | None = None):
    """np.median (the middle value, or the mean of the two middle ones), without its check for
    masked arrays: that check imports numpy.ma, a tenth of `workbench predict`'s start-up."""
    values = np.asarray(values)
    if axis is None:
        values, axis = values.ravel(), 0
    count = values.shape[axis]
    if count == 0:
        return np.float64("nan")
    k = count // 2
    if count % 2:
        return np.take(np.partition(values, k, axis=axis), k, axis=axis)
    parts = np.partition(values, (k - 1, k), axis=axis)
    return np.mean(np.stack([np.take(parts, k - 1, axis), np.take(parts, k, axis)]), axis=0)


def percentile(values, q: float) -> float:
    """np.percentile's default (linear between the two nearest ranks) of all `values`, without
    the masked-array check `median` avoids."""
    values = np.asarray(values).ravel()
    if values.size == 0:
        raise ValueError("the percentile of no values")
    rank = q / 100.0 * (values.size - 1)
    low = int(math.floor(rank))
    high = min(low + 1, values.size - 1)
    parts = np.partition(values, (low, high))
    below, above = float(parts[low]), float(parts[high])
    return below + (rank - low) * (above - below)


def median3(values: np.ndarray) -> np.ndarray:
    """3×3 median, edges repeated ('nearest')."""
    padded = np.pad(values, 1, mode="edge")
    height, width = values.shape
    stack = [padded[i : i + height, j : j + width] for i in range(3) for j in range(3)]
    return median(np.stack(stack), axis=0).astype(values.dtype)


def uniform(values: np.ndarray, size: int) -> np.ndarray:
    """Mean over a `size`×`size` square (odd), edges mirrored (scipy's 'reflect')."""
    _check_odd(size)
    out = np.asarray(values)
    for axis in (0, 1):
        padded = _pad(out, size // 2, axis, "symmetric").astype(np.float64)
        sums = np.cumsum(padded, axis=axis)
        sums = np.concatenate([np.zeros_like(np.take(sums, [0], axis=axis)), sums], axis=axis)
        n = out.shape[axis]
        upper = np.take(sums, np.arange(size, size + n), axis=axis)
        lower = np.take(sums, np.arange(n), axis=axis)
        out = ((upper - lower) / size).astype(values.dtype)
    return out


def gaussian(values: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur (radius four sigmas, edges mirrored), as scipy's `gaussian_filter`.

    Computed in stripes of rows, two at a time (numpy lets go of the interpreter in its
    loops): a stripe's temporaries stay small and warm where whole-image ones would each be
    fresh memory, and both cores work (a 2 MP ink map: about half the time).
    """
    radius = int(_TRUNCATE * sigma + 0.5)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps = (taps / taps.sum()).astype(np.float32)
    values = np.asarray(values, dtype=np.float32)
    height, width = values.shape
    out = np.empty_like(values)
    columns = _mirrored(np.arange(-radius, width + radius), width)

    def stripe(top: int) -> None:
        bottom = min(top + _STRIPE, height)
        rows = values[_mirrored(np.arange(top - radius, bottom + radius), height)]
        down = _blur_along(rows, taps, radius, bottom - top, axis=0)
        out[top:bottom] = _blur_along(down[:, columns], taps, radius, width, axis=1)

    starts = range(0, height, _STRIPE)
    if values.size < _PARALLEL_PIXELS or len(starts) < 2:
        for top in starts:
            stripe(top)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(stripe, starts))
    return out


def _mirrored(index: np.ndarray, size: int) -> np.ndarray:
    """Indices beyond 0..size-1 mirrored back in (d c b a | a b c d | d c b a …), as np.pad's
    "symmetric" and scipy's "reflect", however far beyond."""
    folded = np.mod(index, 2 * size)
    return np.where(folded >= size, 2 * size - 1 - folded, folded)


def _blur_along(padded: np.ndarray, taps: np.ndarray, radius: int, n: int, axis: int):
    """The symmetric kernel `taps` along `axis` of an array padded by `radius` there."""

    def part(offset: int) -> np.ndarray:
        return padded[offset : offset + n] if axis == 0 else padded[:, offset : offset + n]

    blurred = np.multiply(part(radius), taps[radius])
    pair = np.empty_like(blurred)
    for k in range(1, radius + 1):  # the kernel is symmetric: one product per pair
        np.add(part(radius - k), part(radius + k), out=pair)
        pair *= taps[radius + k]
        blurred += pair
    return blurred


def distance_to_background(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance of every mask pixel to the nearest pixel outside the mask (0 there),
    as scipy's `distance_transform_edt`; infinite where the mask has no outside at all."""
    mask = np.asarray(mask, dtype=bool)
    height, width = mask.shape
    columns = np.arange(width)
    # Along each row: the distance to the nearest background pixel left or right of it.
    last = np.where(~mask, columns, -(10**9))
    last = np.maximum.accumulate(last, axis=1)
    following = np.where(~mask, columns, 10**9)
    following = np.minimum.accumulate(following[:, ::-1], axis=1)[:, ::-1]
    across = np.minimum(columns - last, following - columns).astype(np.float64)
    across[across > width] = np.inf
    squared = across**2
    # Down the columns: the nearest of those row distances, plus the rows between. A row
    # further than the answer so far cannot win, so the search stops there.
    best = squared.copy()
    for step in range(1, height):
        if not (best > step * step).any():
            break
        best[step:] = np.minimum(best[step:], squared[:-step] + step * step)
        best[:-step] = np.minimum(best[:-step], squared[step:] + step * step)
    return np.sqrt(best)


def _window(values: np.ndarray, size: int, reduce) -> np.ndarray:
    """`reduce` (np.max or np.min) over a `size`×`size` square, edges repeated."""
    _check_odd(size)
    out = np.asarray(values)
    for axis in (0, 1):
        padded = _pad(out, size // 2, axis, "edge")
        out = reduce(sliding_window_view(padded, size, axis=axis), axis=-1)
    return out


def _pad(values: np.ndarray, width: int, axis: int, mode: str) -> np.ndarray:
    pad = [(0, 0), (0, 0)]
    pad[axis] = (width, width)
    return np.pad(values, pad, mode=mode)


def _check_odd(size: int) -> None:
    if size < 1 or size % 2 == 0:
        raise ValueError(f"window size must be odd and positive, not {size}")


def border_touches(labels: np.ndarray, count: int) -> np.ndarray:
    """For each label (index 0 = background), how many of the four image edges it touches."""
    touches = np.zeros(count + 1, dtype=np.int8)
    for edge in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        touches[np.bincount(edge.ravel(), minlength=count + 1) > 0] += 1
    return touches
