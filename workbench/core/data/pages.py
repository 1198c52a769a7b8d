"""Photographed pages of handwritten rows, made by code: boards, ruled paper, shadows, tilt, JPEG.

The set the segmentation is scored on (`workbench bench`, tests/core/test_pages.py): every page
comes with its rows of digits and their true boxes, and `score_rows` says which rows a reader got
exactly right (every digit, in order, nothing extra).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from workbench.core.data import synth
from workbench.core.data.pen_digits import pen_digit

Box = tuple[int, int, int, int]  # x, y, w, h
KINDS = ("paper", "lined", "squared", "board")
FONT_NAMES = ("Humor-Sans", "Rufscript010", "breipfont", "FreeSans", "LiberationSans-Regular")
_FONT_ROOTS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts"))


@dataclass(frozen=True)
class PageSample:
    jpeg: bytes  # the photo as a phone would save it
    rows: tuple[tuple[int, ...], ...]  # the digits of every row, top to bottom
    boxes: tuple[tuple[Box, ...], ...]  # the true ink box of every digit, row by row
    kind: str  # one of KINDS
    effects: tuple[str, ...]  # what else happened to the photo ("tilt 7°", "shadow", ...)
    size: tuple[int, int]  # width, height in pixels

    def describe(self) -> str:
        digits = sum(len(r) for r in self.rows)
        width, height = self.size
        extra = ", ".join(self.effects)
        return f"{self.kind} {width}×{height}, {len(self.rows)} rows, {digits} digits; {extra}"


FONT_PACKAGES = "fonts-humor-sans fonts-rufscript fonts-breip fonts-freefont-ttf fonts-liberation"


def page_fonts() -> list[str | None]:
    """Handwriting-like and plain fonts found here (the pen digits need none). The set's pages
    depend on them: another machine draws the same set only with the same FONT_NAMES found
    (Debian: FONT_PACKAGES)."""
    found = list(_found_fonts().values())
    return found or synth.available_fonts()[:1]


def missing_fonts() -> list[str]:
    """The FONT_NAMES not found here (their pages are drawn with the others instead)."""
    found = _found_fonts()
    return [name for name in FONT_NAMES if name not in found]


def _found_fonts() -> dict[str, str]:
    found = {}
    for name in FONT_NAMES:
        for root in _FONT_ROOTS:
            hits = sorted(root.glob(f"**/{name}.ttf")) if root.is_dir() else []
            if hits:
                found[name] = str(hits[0])
                break
    return found


def page_set(count: int = 40, seed: int = 15, big_every: int = 12) -> list[PageSample]:
    """A reproducible mix of `count` pages; every `big_every`-th is a 12 MP photo of 100 digits."""
    rng = np.random.default_rng(seed)
    fonts = page_fonts()
    pages = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        if big_every and index % big_every == big_every - 1:
            pages.append(make_page(rng, kind, fonts, (4000, 3000), rows=10, per_row=(10, 10)))
            continue
        megapixels = rng.choice([0.5, 1.0, 2.0, 3.0])
        aspect = rng.uniform(1.2, 1.6)
        width = int(math.sqrt(megapixels * 1e6 * aspect))
        size = (width, int(width / aspect)) if rng.random() < 0.7 else (int(width / aspect), width)
        rows = int(rng.integers(1, 6))
        pages.append(make_page(rng, kind, fonts, size, rows=rows, per_row=(3, 8)))
    return pages


def make_page(
    rng: np.random.Generator,
    kind: str,
    fonts: list[str | None],
    size: tuple[int, int],
    rows: int,
    per_row: tuple[int, int],
) -> PageSample:
    """One photographed page: `rows` rows of per_row[0]..per_row[1] digits across a sheet."""
    width, height = size
    tilt = float(rng.uniform(-10, 10)) if rng.random() < 0.6 else 0.0
    counts = [int(rng.integers(per_row[0], per_row[1] + 1)) for _ in range(rows)]
    # Digit height: the rows (and the widest row) fit with room to spare, whatever the tilt.
    spacing_factor = float(rng.uniform(1.8, 2.6))
    fit_h = 0.8 * height / (rows * spacing_factor + 0.5)
    fit_w = 0.75 * width / (max(counts) * 1.15 + 1)
    digit_h = max(18.0, min(fit_h, fit_w) * rng.uniform(0.6, 1.0))
    spacing = digit_h * spacing_factor
    cx, cy = width / 2, height / 2
    block_h = spacing * (rows - 1) + digit_h
    top = cy - block_h / 2
    coverage = np.zeros((height, width), np.float32)
    all_rows, all_boxes, effects = [], [], []
    touching = two_piece = 0
    for r, count in enumerate(counts):
        digits = tuple(int(d) for d in rng.integers(0, 10, count))
        base = top + r * spacing + digit_h  # the baseline, before tilt
        x = cx - count * digit_h * 0.55 + rng.uniform(-0.1, 0.1) * width
        x = max(x, 0.05 * width)
        wander = digit_h * rng.uniform(0.0, 0.25)  # heights wander by up to half a digit
        phase, period = rng.uniform(0, 2 * np.pi), rng.uniform(3, 8) * digit_h
        row_boxes = []
        for digit in digits:
            h = digit_h * rng.uniform(0.85, 1.15)
            pieces = 2 if rng.random() < 0.08 else 1
            two_piece += pieces == 2
            glyph = _glyph(digit, h, fonts, rng, pieces)
            glyph = _rotated(glyph, tilt)
            # the glyph's bottom centre on the wandering baseline, then the page's tilt
            bx = x + glyph.shape[1] / 2
            by = base + wander * math.sin(phase + 2 * np.pi * x / period)
            px, py = _rotate_point(bx, by, cx, cy, tilt)
            left, up = int(round(px - glyph.shape[1] / 2)), int(round(py - glyph.shape[0]))
            box = _paste(coverage, glyph, left, up)
            if box is not None:
                row_boxes.append(box)
            gap = digit_h * rng.uniform(0.2, 0.6)
            if rng.random() < 0.08:  # touching or nearly touching the next digit
                gap = -digit_h * rng.uniform(0.0, 0.06)
                touching += 1
            x += glyph.shape[1] + gap
        if len(row_boxes) == len(digits):  # a row that ran off the photo is left out
            all_rows.append(digits)
            all_boxes.append(tuple(row_boxes))
    if tilt:
        effects.append(f"tilt {tilt:+.0f}°")
    if touching:
        effects.append(f"{touching} touching")
    if two_piece:
        effects.append(f"{two_piece} in two pieces")
    first_base = top + digit_h - cy  # ruled lines run under the rows, as people write
    grey = _photograph(coverage, kind, digit_h, spacing, first_base, tilt, rng, effects)
    return PageSample(
        _jpeg(grey, kind, rng, effects),
        tuple(all_rows),
        tuple(all_boxes),
        kind,
        tuple(effects),
        size,
    )


def _glyph(
    digit: int, height: float, fonts: list[str | None], rng: np.random.Generator, pieces: int
) -> np.ndarray:
    if rng.random() < 0.6 or not fonts:
        return pen_digit(digit, max(8, round(height)), rng, pieces=pieces)
    font = fonts[int(rng.integers(len(fonts)))]
    glyph = synth.glyph_mask(digit, font, max(8, round(height)), float(rng.uniform(-6, 6)))
    if pieces > 1:  # a broken stroke: a thin band across the glyph without ink
        band = max(2, round(0.06 * glyph.shape[0]))
        start = int(rng.integers(glyph.shape[0] // 4, 3 * glyph.shape[0] // 4))
        glyph = glyph.copy()
        glyph[start : start + band] = 0
    return glyph


def _rotated(glyph: np.ndarray, degrees: float) -> np.ndarray:
    if not degrees:
        return glyph
    image = Image.fromarray(glyph).rotate(degrees, Image.Resampling.BILINEAR, expand=True)
    return np.asarray(image)


def _rotate_point(x: float, y: float, cx: float, cy: float, degrees: float) -> tuple[float, float]:
    """Where (x, y) goes when the page turns counter-clockwise by `degrees` about (cx, cy)."""
    a = math.radians(degrees)
    dx, dy = x - cx, y - cy
    return cx + dx * math.cos(a) + dy * math.sin(a), cy - dx * math.sin(a) + dy * math.cos(a)


def _paste(canvas: np.ndarray, glyph: np.ndarray, left: int, top: int) -> Box | None:
    """Draw the glyph (max with what is there); its true ink box, or None if it is cut off."""
    height, width = canvas.shape
    h, w = glyph.shape
    if left < 0 or top < 0 or left + w > width or top + h > height:
        return None
    view = canvas[top : top + h, left : left + w]
    np.maximum(view, glyph, out=view)
    rows = np.flatnonzero(glyph.max(axis=1) > 0.25)
    cols = np.flatnonzero(glyph.max(axis=0) > 0.25)
    if rows.size == 0:
        return None
    return (
        left + int(cols[0]),
        top + int(rows[0]),
        int(cols[-1] - cols[0] + 1),
        int(rows[-1] - rows[0] + 1),
    )


def _photograph(
    coverage: np.ndarray,
    kind: str,
    digit_h: float,
    spacing: float,
    first_base: float,
    tilt: float,
    rng: np.random.Generator,
    effects: list[str],
) -> np.ndarray:
    """Ink coverage → grey photo in 0..1: paper or board, ruling, light, shadow, blur, noise."""
    height, width = coverage.shape
    if kind == "board":
        paper, ink = rng.uniform(0.12, 0.3), rng.uniform(0.7, 0.92)
        grain = rng.random((height, width), dtype=np.float32)
        coverage = coverage * (0.55 + 0.45 * grain)  # chalk leaves gaps in its stroke
    else:
        paper, ink = rng.uniform(0.75, 0.95), rng.uniform(0.05, 0.4)
    grey = np.full((height, width), paper, np.float32)
    if kind in ("lined", "squared"):
        lines = _ruling(kind, (height, width), digit_h, spacing, first_base, tilt, rng)
        grey -= lines * (paper * rng.uniform(0.2, 0.45))
    grey += (ink - grey) * coverage
    light = _light(height, width, kind, rng, effects)
    grey *= light
    return grey


def _ruling(
    kind: str,
    shape: tuple[int, int],
    digit_h: float,
    spacing: float,
    first_base: float,
    tilt: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Printed lines (0..1): rules under the rows (and between), or squares of ~0.6 digit."""
    height, width = shape
    if kind == "lined":
        pitch = spacing / max(1, round(spacing / (1.25 * digit_h)))
        offset = -first_base + digit_h * rng.uniform(-0.05, 0.1)
    else:
        pitch = digit_h * rng.uniform(0.45, 0.7)
        offset = rng.uniform(0, pitch)
    thick = max(1.0, digit_h * rng.uniform(0.015, 0.04))
    a = math.radians(tilt)
    yy = np.arange(height, dtype=np.float32)[:, None] - height / 2
    xx = np.arange(width, dtype=np.float32)[None, :] - width / 2
    across = (xx * math.sin(a) + yy * math.cos(a) + offset) % pitch  # distance down the page
    lines = np.clip(thick / 2 + 0.5 - np.minimum(across, pitch - across), 0, 1)
    if kind == "squared":
        along = (xx * math.cos(a) - yy * math.sin(a) + offset) % pitch
        lines = np.maximum(lines, np.clip(thick / 2 + 0.5 - np.minimum(along, pitch - along), 0, 1))
    return lines


def _light(
    height: int, width: int, kind: str, rng: np.random.Generator, effects: list[str]
) -> np.ndarray:
    """Light falling off to one side (strongly on a board), a vignette and maybe a shadow."""
    small_w, small_h = max(2, width // 8), max(2, height // 8)
    yy, xx = np.mgrid[:small_h, :small_w].astype(np.float32)
    yy, xx = yy / (small_h - 1), xx / (small_w - 1)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xx + np.sin(angle) * yy
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    fall = rng.uniform(0.35, 0.65) if kind == "board" else rng.uniform(0.0, 0.35)
    light = 1.0 - fall * ramp - rng.uniform(0, 0.2) * np.hypot(xx - 0.5, yy - 0.5)
    if fall > 0.2:
        effects.append(f"light falls off {fall:.0%}")
    if rng.random() < 0.35:  # the phone's or a hand's shadow: a soft-edged half plane
        a = rng.uniform(0, 2 * np.pi)
        edge = (xx - rng.uniform(0.3, 0.7)) * np.cos(a) + (yy - rng.uniform(0.3, 0.7)) * np.sin(a)
        softness = rng.uniform(0.02, 0.08)
        depth = rng.uniform(0.3, 0.55)
        light *= 1.0 - depth / (1.0 + np.exp(-edge / softness))
        effects.append(f"shadow {depth:.0%}")
    image = Image.fromarray(light.astype(np.float32))
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))


def _jpeg(grey: np.ndarray, kind: str, rng: np.random.Generator, effects: list[str]) -> bytes:
    """Camera blur, sensor noise and a phone's JPEG (in colour: a tinted sheet or board)."""
    image = Image.fromarray(np.clip(grey * 255.0, 0, 255).astype(np.uint8))
    blur = rng.uniform(0.3, 1.2) * max(1.0, max(grey.shape) / 2000)
    image = image.filter(ImageFilter.GaussianBlur(blur))
    noise = rng.uniform(0.01, 0.04)
    values = np.asarray(image, np.int16) + (
        rng.standard_normal(grey.shape, np.float32) * 255 * noise
    ).astype(np.int16)
    grey8 = np.clip(values, 0, 255).astype(np.uint8)
    tint = (0.93, 1.05, 0.98) if kind == "board" else (1.04, 1.0, 0.9)
    rgb = np.stack([np.clip(grey8 * t, 0, 255).astype(np.uint8) for t in tint], axis=-1)
    quality = int(rng.integers(55, 93))
    effects.append(f"noise {noise:.2f}, JPEG {quality}")
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def score_rows(page: PageSample, boxes: list[Box], digits: list[int]) -> list[bool]:
    """For every true row: did the reader give exactly its digits, in order, and together?

    Each box read belongs to the row of the nearest true box, so a fragment or a speck read as
    a digit spoils the row it lies in, and a row split in two or read out of order fails.
    """
    truth = [(r, b) for r, row in enumerate(page.boxes) for b in row]
    assigned: list[list[int]] = [[] for _ in page.rows]
    for index, box in enumerate(boxes):
        x, y = box[0] + box[2] / 2, box[1] + box[3] / 2
        row, _ = min(truth, key=lambda t: _distance(x, y, t[1]))
        assigned[row].append(index)
    exact = []
    for row, indices in zip(page.rows, assigned, strict=True):
        together = not indices or indices[-1] - indices[0] + 1 == len(indices)
        exact.append(together and [digits[i] for i in indices] == list(row))
    return exact


def _distance(x: float, y: float, box: Box) -> float:
    dx = max(box[0] - x, 0.0, x - box[0] - box[2])
    dy = max(box[1] - y, 0.0, y - box[1] - box[3])
    return math.hypot(dx, dy)
