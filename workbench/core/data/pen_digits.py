"""Digits written by code: a pen skeleton per digit, wobbled, slanted and stroked (not a font)."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

Stroke = list[tuple[float, float]]  # points in a box 0.6 wide and 1.0 tall, y down
_STEP = 0.03


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 24) -> Stroke:
    """Points on an ellipse from angle a0 to a1 (degrees, 0 = right, 90 = down)."""
    angles = np.radians(np.linspace(a0, a1, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


def _skeletons(digit: int, style: int) -> list[Stroke]:
    """The pen strokes of one digit; `style` picks a way of writing it (0, 1 or 2)."""
    if digit == 0:
        return [_arc(0.3, 0.5, 0.27, 0.49, -100, 268, 40)]
    if digit == 1:
        if style == 0:
            return [[(0.32, 0.0), (0.28, 1.0)]]
        return [[(0.21, 0.13), (0.33, 0.0), (0.3, 1.0)]]  # a short flag, no foot
    if digit == 2:
        return [_arc(0.3, 0.27, 0.26, 0.25, 200, 360, 14) + [(0.46, 0.55), (0.04, 1.0), (0.6, 1.0)]]
    if digit == 3:
        top = _arc(0.28, 0.25, 0.25, 0.24, 210, 450, 20)
        return [top + _arc(0.28, 0.73, 0.29, 0.26, -90, 150, 22)]
    if digit == 4:
        if style == 0:
            return [[(0.46, 1.0), (0.46, 0.0), (0.0, 0.68), (0.6, 0.68)]]
        return [[(0.16, 0.0), (0.04, 0.62), (0.6, 0.62)], [(0.46, 0.22), (0.46, 1.0)]]  # open
    if digit == 5:
        bowl = [(0.1, 0.45)] + _arc(0.28, 0.7, 0.29, 0.28, -120, 145, 22)
        return [[(0.56, 0.0), (0.12, 0.0)], [(0.12, 0.0), (0.09, 0.46)] + bowl[1:]]
    if digit == 6:
        return [
            _arc(0.56, 0.72, 0.52, 0.7, 252, 180, 10) + _arc(0.31, 0.73, 0.26, 0.26, 180, 540, 30)
        ]
    if digit == 7:
        strokes = [[(0.02, 0.0), (0.6, 0.0), (0.22, 1.0)]]
        if style == 2:
            strokes.append([(0.18, 0.52), (0.54, 0.5)])  # crossed
        return strokes
    if digit == 8:
        return [_arc(0.3, 0.25, 0.21, 0.24, 90, 450, 30), _arc(0.3, 0.74, 0.27, 0.26, -90, 270, 30)]
    if digit == 9:
        loop = _arc(0.29, 0.28, 0.26, 0.27, 0, 360, 30)
        return [loop + [(0.56, 0.5), (0.5, 1.0)]]
    raise ValueError(f"not a digit: {digit}")


def _densify(stroke: Stroke) -> Stroke:
    """Points every _STEP along the stroke, so wobble bends lines and a lift cuts a short gap."""
    out = [stroke[0]]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
        steps = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / _STEP))
        out += [
            (x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(1, steps + 1)
        ]
    return out


def pen_strokes(digit: int, rng: np.random.Generator, style: int | None = None) -> list[Stroke]:
    """The strokes of one handwritten-looking digit: slant, width, wobble differ every time."""
    style = int(rng.integers(0, 3)) if style is None else style
    strokes = [_densify(s) for s in _skeletons(int(digit), style)]
    slant = rng.uniform(-0.25, 0.05)  # most writers lean right
    aspect = rng.uniform(0.8, 1.25)
    phases = rng.uniform(0, 2 * math.pi, 4)
    amp = rng.uniform(0.0, 0.025)
    out = []
    for stroke in strokes:
        points = []
        for x, y in stroke:
            wobble_x = amp * math.sin(6 * y + phases[0]) + amp * math.sin(9 * x + phases[1])
            wobble_y = amp * math.sin(7 * x + phases[2]) + amp * math.sin(5 * y + phases[3])
            points.append(((x - 0.3) * aspect + 0.3 + slant * (y - 0.5) + wobble_x, y + wobble_y))
        out.append(points)
    return out


def break_strokes(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """The same digit written in two pieces: one stroke lifted for a short gap part-way."""
    longest = max(range(len(strokes)), key=lambda i: len(strokes[i]))
    stroke = strokes[longest]  # points every _STEP: a gap of a few points is a short lift
    cut = int(rng.integers(len(stroke) // 4, 3 * len(stroke) // 4 + 1))
    skip = int(rng.integers(2, 4))
    first, second = stroke[: max(cut - skip, 1)], stroke[cut + skip :] or stroke[-1:]
    return [*strokes[:longest], first, second, *strokes[longest + 1 :]]


def draw_strokes(strokes: list[Stroke], height: int, pen: float) -> np.ndarray:
    """Coverage (float32 0..1) of the strokes `height` px tall with a round pen `pen` px wide.

    Drawn at 3× and averaged down, so the edges are anti-aliased like a photographed pen line.
    """
    sup = 3
    xs = [x for s in strokes for x, _ in s]
    ys = [y for s in strokes for _, y in s]
    scale = height * sup
    radius = max(pen * sup / 2, 1.0)
    margin = radius + 2 * sup
    width_px = int((max(xs) - min(xs)) * scale + 2 * margin) + 1
    height_px = int((max(ys) - min(ys)) * scale + 2 * margin) + 1
    image = Image.new("L", (width_px, height_px), 0)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [
            ((x - min(xs)) * scale + margin, (y - min(ys)) * scale + margin) for x, y in stroke
        ]
        draw.line(points, fill=255, width=max(1, round(2 * radius)), joint="curve")
        for px, py in points:  # round caps and joints everywhere
            draw.ellipse((px - radius, py - radius, px + radius, py + radius), fill=255)
    small = image.resize((max(1, width_px // sup), max(1, height_px // sup)), Image.Resampling.BOX)
    coverage = np.asarray(small, dtype=np.float32) / 255.0
    rows = np.flatnonzero(coverage.max(axis=1) > 0.02)
    cols = np.flatnonzero(coverage.max(axis=0) > 0.02)
    if rows.size == 0:
        return coverage
    return coverage[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def pen_digit(
    digit: int, height: int, rng: np.random.Generator, *, pen: float | None = None, pieces: int = 1
) -> np.ndarray:
    """One digit written by code, `height` px tall; `pieces=2` lifts the pen once part-way."""
    strokes = pen_strokes(digit, rng)
    if pieces > 1:
        strokes = break_strokes(strokes, rng)
    pen = pen if pen is not None else max(1.5, height * rng.uniform(0.06, 0.13))
    return draw_strokes(strokes, height, pen)
