"""Digits stroked by code: skeletons of many writing styles drawn with a random pen."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

Point = tuple[float, float]
Stroke = np.ndarray  # (N, 2) points in the unit box: x right, y down, digit height 1
Skeleton = list[Stroke]

_STEP = 0.02  # sample curves every 2 % of the digit height
_SUPER = 4  # supersampling for anti-aliased edges


def line(*points: Point) -> Stroke:
    """A polyline through the points."""
    out = [np.asarray(points[:1], dtype=np.float64)]
    for start, end in zip(points[:-1], points[1:], strict=True):
        count = max(2, math.ceil(math.dist(start, end) / _STEP) + 1)
        t = np.linspace(0.0, 1.0, count)[1:, None]
        out.append((1 - t) * np.asarray(start) + t * np.asarray(end))
    return np.concatenate(out)


def bezier(p0: Point, p1: Point, p2: Point, p3: Point) -> Stroke:
    """A cubic Bézier curve."""
    rough = math.dist(p0, p1) + math.dist(p1, p2) + math.dist(p2, p3)
    t = np.linspace(0.0, 1.0, max(3, math.ceil(rough / _STEP) + 1))[:, None]
    c = [np.asarray(p) for p in (p0, p1, p2, p3)]
    return (
        (1 - t) ** 3 * c[0] + 3 * (1 - t) ** 2 * t * c[1] + 3 * (1 - t) * t**2 * c[2] + t**3 * c[3]
    )


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """An elliptical arc; angles in degrees, 0 = east, 90 = south (y points down)."""
    length = abs(math.radians(end - start)) * (rx + ry) / 2
    angles = np.radians(np.linspace(start, end, max(3, math.ceil(length / _STEP) + 1)))
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=-1)


def chain(*pieces: Stroke) -> Stroke:
    """Pieces joined into one pen stroke (each piece starts where the previous one ended)."""
    return np.concatenate(pieces)


def _figure_eight(top_width: float, bottom_width: float) -> Stroke:
    """One stroke: from the top, down through the waist to the bottom loop and back up."""
    t = np.linspace(0.0, 2 * np.pi, 160)
    width = np.where(np.cos(t) > 0, top_width, bottom_width)
    x = 0.3 - width * np.sin(2 * t) * 0.5 - 0.02 * np.sin(t)
    y = 0.5 - 0.5 * np.cos(t) + 0.03 * np.sin(2 * t)
    return np.stack([x, y], axis=-1)


def _nine_loop(open_to: float = -360.0, ry: float = 0.25) -> Stroke:
    """The loop of a 9, drawn from its right side over the top, ending at angle `open_to`."""
    return arc(0.3, 0.02 + ry, 0.25, ry, 0.0, open_to)


# Each variant is a function of `u(low, high)`, a draw for its free proportions (flag length,
# gap size, ...), that returns fresh arrays of strokes.
SKELETONS: dict[str, Callable[[Callable[[float, float], float]], Skeleton]] = {
    "0-oval": lambda u: [arc(0.3, 0.5, 0.27, 0.5, -90, 270)],
    "0-overshoot": lambda u: [arc(0.3, 0.5, 0.27, 0.48, -60, 330)],
    "0-open": lambda u: [arc(0.3, 0.5, 0.26, 0.5, u(-130, -90), u(200, 240))],
    "0-slashed": lambda u: [
        arc(0.3, 0.5, 0.27, 0.5, -90, 270),
        line((0.5, 0.12), (0.1, 0.88)),
    ],
    "1-stick": lambda u: [line((0.3, 0.0), (0.3, 1.0))],
    "1-flag": lambda u: [line((u(0.08, 0.22), u(0.12, 0.3)), (0.33, 0.0), (0.33, 1.0))],
    "1-euro": lambda u: [
        line((u(-0.1, 0.12), u(0.3, 0.55)), (0.36, 0.0), (0.36, 1.0)),
        line((u(0.0, 0.22), 1.0), (u(0.5, 0.75), 1.0)),
    ],
    "1-long-flag": lambda u: [line((u(-0.1, 0.1), u(0.3, 0.6)), (0.36, 0.0), (0.36, 1.0))],
    "2-plain": lambda u: [
        chain(
            bezier((0.04, 0.25), (0.08, -0.06), (0.56, -0.06), (0.52, 0.27)),
            bezier((0.52, 0.27), (0.5, 0.5), (0.2, 0.72), (0.02, 0.99)),
            line((0.02, 0.99), (0.62, 0.97)),
        )
    ],
    "2-loop": lambda u: [
        chain(
            bezier((0.05, 0.22), (0.1, -0.06), (0.58, -0.05), (0.52, 0.3)),
            bezier((0.52, 0.3), (0.46, 0.55), (0.2, 0.72), (0.12, 0.88)),
            bezier((0.12, 0.88), (0.06, 1.02), (0.32, 1.04), (0.24, 0.86)),
            bezier((0.24, 0.86), (0.18, 0.8), (0.0, 0.9), (0.12, 0.97)),
            line((0.12, 0.97), (0.62, 0.98)),
        )
    ],
    "2-hooked": lambda u: [
        chain(
            bezier((0.14, 0.3), (-0.04, 0.3), (0.02, -0.02), (0.3, 0.0)),
            bezier((0.3, 0.0), (0.62, 0.02), (0.6, 0.34), (0.4, 0.55)),
            line((0.4, 0.55), (0.03, 1.0), (0.6, 1.0)),
        )
    ],
    "3-round": lambda u: [
        chain(arc(0.3, 0.25, 0.24, 0.23, -160, 90), arc(0.3, 0.73, 0.28, 0.27, -90, 150))
    ],
    "3-flat-top": lambda u: [
        chain(line((0.04, 0.0), (0.56, 0.0), (0.24, 0.4)), arc(0.3, 0.69, 0.28, 0.31, -105, 150))
    ],
    "4-closed": lambda u: [
        line((0.42, 0.0), (0.0, 0.66), (0.62, 0.66)),
        line((0.42, 0.0), (0.42, 1.0)),
    ],
    "4-open": lambda u: [
        line((u(0.0, 0.15), 0.0), (0.03, u(0.5, 0.7)), (0.62, u(0.5, 0.7))),
        line((0.46, u(-0.05, 0.3)), (0.46, 1.0)),
    ],
    "4-open-curved": lambda u: [
        chain(
            bezier((0.06, 0.0), (0.0, 0.4), (0.0, 0.62), (0.3, 0.6)), line((0.3, 0.6), (0.62, 0.58))
        ),
        line((0.44, u(0.0, 0.3)), (0.44, 1.0)),
    ],
    "4-u": lambda u: [
        chain(
            line((u(0.02, 0.12), 0.0), (0.05, u(0.4, 0.5))),
            bezier((0.05, u(0.4, 0.5)), (0.06, 0.62), (0.3, 0.62), (0.52, u(0.5, 0.6))),
        ),
        line((0.52, u(-0.04, 0.1)), (0.5, 1.0)),
    ],
    "5-plain": lambda u: [
        chain(
            line((0.13, 0.02), (0.09, 0.45)),
            bezier((0.09, 0.45), (0.35, 0.28), (0.66, 0.44), (0.56, 0.76)),
            bezier((0.56, 0.76), (0.46, 1.06), (0.12, 1.02), (0.02, 0.86)),
        ),
        line((0.13, 0.02), (0.56, 0.0)),
    ],
    "5-one-stroke": lambda u: [
        chain(
            line((0.56, 0.0), (0.13, 0.02), (0.09, 0.45)),
            bezier((0.09, 0.45), (0.35, 0.28), (0.66, 0.44), (0.56, 0.76)),
            bezier((0.56, 0.76), (0.46, 1.06), (0.12, 1.02), (0.02, 0.86)),
        )
    ],
    "6-loop": lambda u: [
        chain(
            bezier((0.5, 0.04), (0.22, -0.04), (0.03, 0.3), (0.04, 0.72)),
            arc(0.3, 0.72, 0.26, 0.27, 180, -180),
        )
    ],
    "6-open": lambda u: [
        chain(
            bezier((0.52, 0.06), (0.22, -0.04), (0.03, 0.3), (0.04, 0.72)),
            arc(0.3, 0.72, 0.26, 0.27, 180, u(-90, -20)),
        )
    ],
    "6-straight": lambda u: [
        chain(line((0.46, 0.0), (0.07, 0.64)), arc(0.3, 0.74, 0.25, 0.25, 200, -160))
    ],
    "7-plain": lambda u: [line((0.03, 0.03), (0.6, 0.03), (0.22, 1.0))],
    "7-crossed": lambda u: [
        line((0.03, 0.03), (0.6, 0.03), (0.22, 1.0)),
        line((u(0.12, 0.28), u(0.42, 0.6)), (u(0.5, 0.68), u(0.42, 0.6))),
    ],
    "7-hook": lambda u: [line((0.02, 0.22), (0.04, 0.03), (0.6, 0.03), (0.26, 1.0))],
    "7-curved": lambda u: [
        chain(
            line((0.03, 0.03), (0.6, 0.03)),
            bezier((0.6, 0.03), (0.36, 0.3), (0.26, 0.6), (0.24, 1.0)),
        )
    ],
    "8-one-stroke": lambda u: [_figure_eight(0.42, 0.56)],
    "8-stacked": lambda u: [
        arc(0.3, 0.23, 0.2, 0.23, -90, 270),
        arc(0.3, 0.73, 0.27, 0.27, -90, 270),
    ],
    "9-loop": lambda u: [_nine_loop(), line((0.55, 0.27), (0.52, 1.0))],
    "9-hook": lambda u: [
        _nine_loop(),
        bezier((0.55, 0.27), (0.56, 0.8), (0.42, 1.04), (0.1, 0.92)),
    ],
    "9-open": lambda u: [_nine_loop(u(-300.0, -230.0)), line((0.55, 0.05), (0.52, 1.0))],
    "9-flat": lambda u: [
        arc(0.3, 0.14, 0.27, u(0.08, 0.16), 0.0, -360.0),
        line((0.57, 0.14), (0.5, 1.0)),
    ],
    "9-flat-top": lambda u: [
        chain(
            line((0.58, 0.03), (0.05, 0.03)),
            bezier((0.05, 0.03), (0.0, 0.42), (0.4, 0.46), (0.56, 0.3)),
        ),
        line((0.58, 0.0), (0.52, 1.0)),
    ],
}
# The styles today's MNIST-trained models misread: European, open, crossed and looped forms.
UNUSUAL = frozenset(
    {
        "0-open",
        "0-slashed",
        "1-euro",
        "1-long-flag",
        "2-loop",
        "3-flat-top",
        "4-open",
        "4-open-curved",
        "4-u",
        "6-open",
        "7-crossed",
        "7-hook",
        "9-open",
        "9-flat",
        "9-flat-top",
    }
)
VARIANTS: dict[int, tuple[str, ...]] = {
    d: tuple(name for name in SKELETONS if name.startswith(f"{d}-")) for d in range(10)
}


def variant_label(variant: str) -> int:
    return int(variant.split("-", 1)[0])


def pen_digit(variant: str, height: int, rng: np.random.Generator) -> np.ndarray:
    """Coverage (float32 0..1) of one stroked digit about `height` px tall, tightly cropped.

    The skeleton is slanted, rotated, stretched and wobbled at random, each stroke shifted a
    little (pen lifts never land exactly), and drawn with a round pen whose width and
    pressure vary; edges are anti-aliased (drawn 4 times larger and area-averaged).
    """
    if variant not in SKELETONS:
        raise ValueError(f"no pen style {variant!r}; styles are {', '.join(SKELETONS)}")
    if height < 8:
        raise ValueError(f"height must be at least 8 px, not {height}")
    strokes = SKELETONS[variant](lambda low, high: float(rng.uniform(low, high)))
    slant = math.tan(math.radians(rng.uniform(-15, 30)))
    angle = math.radians(rng.uniform(-10, 10))
    aspect = math.exp(rng.uniform(math.log(0.5), math.log(1.35)))
    wobble = rng.uniform(0.0, 0.025)
    freq = rng.uniform(1.0, 2.5, size=(2, 2))
    phase = rng.uniform(0, 2 * np.pi, size=(2, 2))
    cos, sin = math.cos(angle), math.sin(angle)
    placed = []
    for stroke in strokes:
        x, y = stroke[:, 0] - 0.3, stroke[:, 1] - 0.5
        dx = wobble * (
            np.sin(freq[0, 0] * 2 * np.pi * y + phase[0, 0])
            + np.sin(freq[0, 1] * 2 * np.pi * x + phase[0, 1])
        )
        dy = wobble * (
            np.sin(freq[1, 0] * 2 * np.pi * x + phase[1, 0])
            + np.sin(freq[1, 1] * 2 * np.pi * y + phase[1, 1])
        )
        x, y = x + dx + rng.normal(0, 0.02), y + dy + rng.normal(0, 0.02)
        x = (x - slant * y) * aspect
        placed.append(np.stack([cos * x - sin * y, sin * x + cos * y], axis=-1) * height)
    radius = height * math.exp(rng.uniform(math.log(0.018), math.log(0.085)))
    pressure = rng.uniform(0.0, 0.35)
    return _draw(placed, radius, pressure, rng)


def _draw(
    strokes: list[np.ndarray], radius: float, pressure: float, rng: np.random.Generator
) -> np.ndarray:
    """Anti-aliased coverage of round-pen strokes (pixel units), the radius varying by pressure.

    Drawn at _SUPER times the size with a disc at every point and a quad along every segment
    (a round pen of varying width), then area-averaged down.
    """
    every = np.concatenate(strokes)
    pad = radius * (1 + pressure) + 2
    origin = every.min(axis=0) - pad
    width, height = np.ceil(every.max(axis=0) + pad - origin).astype(int)
    canvas = Image.new("L", (int(width) * _SUPER, int(height) * _SUPER), 0)
    draw = ImageDraw.Draw(canvas)
    for stroke in strokes:
        points = (stroke - origin) * _SUPER
        along = np.linspace(0.0, 1.0, len(points))
        waves, shift = rng.uniform(1, 3), rng.uniform(0, 2 * np.pi)
        radii = radius * _SUPER * (1 + pressure * np.sin(along * np.pi * waves + shift))
        for (x, y), r in zip(points, radii, strict=True):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
        for (p, q), (rp, rq) in zip(
            zip(points[:-1], points[1:], strict=True),
            zip(radii[:-1], radii[1:], strict=True),
            strict=True,
        ):
            normal = np.array([p[1] - q[1], q[0] - p[0]])
            normal /= max(float(np.hypot(*normal)), 1e-9)
            quad = [p + rp * normal, q + rq * normal, q - rq * normal, p - rp * normal]
            draw.polygon([tuple(v) for v in quad], fill=255)
    small = canvas.resize((int(width), int(height)), Image.Resampling.BOX)
    image = np.asarray(small, dtype=np.float32) / 255.0
    rows = np.flatnonzero(image.max(axis=1) > 0)
    cols = np.flatnonzero(image.max(axis=0) > 0)
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
