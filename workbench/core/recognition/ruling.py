"""Ruled and squared paper: find the long straight lines in a stroke mask, keep the digits."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from workbench.core.recognition import imageops

MAX_TILT = 12.0  # degrees: lines are looked for this far from horizontal and vertical
LINE_SHARE = 0.4  # a line runs across at least this share of the image
_MARGIN = 2  # px beyond the line's edges where a crossing stroke shows
_THINNESS = 40  # a line is at least this many times longer than it is thick
_MIN_SIDE = 150  # smaller images hold no ruling worth the name
_CORNER_LENGTH = 20  # px: a line cut this short by a corner of the photo still counts
_GOLDEN = (5**0.5 - 1) / 2  # the sample of a busy page: indices i·φ mod 1, spread like chance


@dataclass(frozen=True)
class _Band:
    """The mask's pixels inside the bands of lines at one angle: where they are, their distance
    across the lines, and the first distances outside their band on either side."""

    xs: np.ndarray
    ys: np.ndarray
    across: np.ndarray
    lo_edge: np.ndarray
    hi_edge: np.ndarray
    angle: float


def ruled_lines(mask: np.ndarray) -> np.ndarray | None:
    """The pixels of `mask` that are printed lines (ruled or squared paper), or None.

    A line is long (across LINE_SHARE of the image), straight and thin, at one angle within
    MAX_TILT of horizontal or vertical. Where a stroke crosses a line, the line's pixels stay:
    only where there is no ink just beyond both edges of the line is it paper, so the digits
    that cross or sit on a rule keep their strokes.
    """
    height, width = mask.shape
    if min(height, width) < _MIN_SIDE:
        return None
    full_ys, full_xs = np.nonzero(mask)
    if full_xs.size < 20:
        return None
    bands = []
    for base, chord in ((0.0, width), (90.0, height)):
        angle = _best_angle(
            full_xs, full_ys, base, np.arange(-MAX_TILT, MAX_TILT + 0.1, 0.5), sample=20_000
        )
        angle = _best_angle(full_xs, full_ys, angle, np.arange(-0.5, 0.51, 0.1), sample=60_000)
        band = _band(mask, full_xs, full_ys, angle, chord / math.cos(math.radians(angle - base)))
        if band is not None:
            bands.append(band)
    if not bands:
        return None
    # Where lines cross (squared paper), each is beyond the other's edges: that is no stroke.
    on_band = np.zeros(mask.shape, dtype=bool)
    for band in bands:
        on_band[band.ys, band.xs] = True
    strokes = mask & ~on_band
    lines = np.zeros(mask.shape, dtype=bool)
    for band in bands:
        paper = ~_beyond(strokes, band)  # no stroke runs on beyond the line here: the line alone
        lines[band.ys[paper], band.xs[paper]] = True
    return lines


def _across(xs: np.ndarray, ys: np.ndarray, angle: float) -> np.ndarray:
    """Distance across lines running at `angle` degrees (y down), in whole pixels."""
    a = math.radians(angle)
    return np.rint(-xs * math.sin(a) + ys * math.cos(a)).astype(np.int64)


def _best_angle(
    xs: np.ndarray, ys: np.ndarray, centre: float, offsets: np.ndarray, sample: int = 0
) -> float:
    """The angle whose projection piles the points up most sharply (sum of squared counts)."""
    if sample and xs.size > sample:  # spread as a random sample (a stride would alias the grid)
        pick = (np.arange(sample) * _GOLDEN % 1.0 * xs.size).astype(np.int64)  # Weyl's sequence
        xs, ys = xs[pick], ys[pick]
    best, best_score = centre, -1.0
    for offset in offsets:
        d = _across(xs, ys, centre + float(offset))
        counts = np.bincount(d - d.min()).astype(np.float64)
        score = float(counts @ counts)
        if score > best_score:
            best, best_score = centre + float(offset), score
    return best


def _inside_length(shape: tuple[int, int], angle: float, across: np.ndarray) -> np.ndarray:
    """Length inside the image of the lines at `angle` whose distance across is `across`."""
    height, width = shape
    a = math.radians(angle)
    ux, uy = math.cos(a), math.sin(a)  # along the line
    x0, y0 = -across * math.sin(a), across * math.cos(a)  # its point nearest the origin
    t_lo = np.full(across.shape, -np.inf)
    t_hi = np.full(across.shape, np.inf)
    for start, step, size in ((x0, ux, width), (y0, uy, height)):
        if abs(step) < 1e-9:
            outside = (start < 0) | (start > size)
            t_hi = np.where(outside, -np.inf, t_hi)
            continue
        first, second = (0 - start) / step, (size - start) / step
        t_lo = np.maximum(t_lo, np.minimum(first, second))
        t_hi = np.minimum(t_hi, np.maximum(first, second))
    return np.maximum(t_hi - t_lo, 0.0)


def _band(
    mask: np.ndarray, xs: np.ndarray, ys: np.ndarray, angle: float, chord: float
) -> _Band | None:
    """The pixels of `mask` inside the bands of lines running at `angle` across `chord` pixels
    of the image; None without ruled lines."""
    d = _across(xs, ys, angle)
    low = int(d.min())
    counts = np.bincount(d - low)
    # How far each line runs inside the image: a tilted line cut short by a corner still counts.
    length = np.minimum(_inside_length(mask.shape, angle, low + np.arange(counts.size)), chord)
    long_enough = length >= max(_MIN_SIDE / 2, 0.1 * chord)
    # A line through a corner of the photo is short inside it: almost all ink along it.
    corner = ~long_enough & (length >= _CORNER_LENGTH) & (counts >= 0.8 * length)
    core = ((counts >= LINE_SHARE * length) & long_enough) | corner
    if not core.any():
        return None
    # Each line: its core bins grown by the faint (anti-aliased) bins on either side.
    # Lines across (the other way on squared paper) add a floor to every bin: edges rise above it.
    floor = float(imageops.median(counts / np.maximum(length, 1.0)))
    edge = (counts >= (floor + 0.15) * length) & (long_enough | corner)
    in_band = np.zeros(counts.size, dtype=bool)
    for start in np.flatnonzero(core & ~np.r_[False, core[:-1]]):
        lo = start
        while lo > 0 and edge[lo - 1]:
            lo -= 1
        hi = start
        while hi + 1 < counts.size and (core[hi + 1] or edge[hi + 1]):
            hi += 1
        # a digit's stroke is never this thin; a line cut short by a corner is judged on the page
        if (hi - lo + 1) * _THINNESS <= max(length[start], 0.5 * chord):
            in_band[lo : hi + 1] = True
    if np.count_nonzero(in_band & ~np.r_[False, in_band[:-1]]) < 2:
        return None  # ruled paper has many lines; one long stroke is more likely a digit's
    # Band limits for every pixel on a line: the first bins outside the band on either side.
    band_id = np.cumsum(~in_band)  # constant inside a band
    on_line = in_band[d - low]
    px, py, pd = xs[on_line], ys[on_line], d[on_line] - low
    bins = np.arange(counts.size)
    first = np.full(counts.size, -1)
    last = np.full(counts.size, -1)
    starts = in_band & ~np.r_[False, in_band[:-1]]
    ends = in_band & ~np.r_[in_band[1:], False]
    first[band_id[starts]] = bins[starts]
    last[band_id[ends]] = bins[ends]
    lo_edge, hi_edge = first[band_id[pd]], last[band_id[pd]]
    return _Band(px, py, pd, lo_edge, hi_edge, angle)


def _beyond(strokes: np.ndarray, band: _Band) -> np.ndarray:
    """For each pixel of the band: whether a stroke shows _MARGIN px beyond either edge."""
    a = math.radians(band.angle)
    nx, ny = -math.sin(a), math.cos(a)  # unit normal: towards growing distance
    height, width = strokes.shape
    found = np.zeros(band.xs.size, dtype=bool)
    for target in (band.lo_edge - _MARGIN, band.hi_edge + _MARGIN):
        step = target - band.across
        qx = np.rint(band.xs + step * nx).astype(np.int64)
        qy = np.rint(band.ys + step * ny).astype(np.int64)
        inside = (qx >= 0) & (qx < width) & (qy >= 0) & (qy < height)
        found[inside] |= strokes[qy[inside], qx[inside]]
    return found
