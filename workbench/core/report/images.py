"""The report's figures drawn with Pillow only: map grids, filters, digits, boxes, plain charts."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from workbench.core.colours import colourise, grid_shape, lut_from_hex
from workbench.core.model.filters import filter_mosaic
from workbench.core.recognition.conversions import as_bytes

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
INK, GRID, BOX = (32, 32, 32), (220, 220, 220), (230, 90, 0)


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def tile_grid(maps: np.ndarray, tile: int = 64, gap: int = 4) -> Image.Image:
    """Maps [count, h, w] as tiles on one colour scale, laid out as `grid_shape(count)`."""
    maps = np.asarray(maps)
    rows, cols = grid_shape(len(maps))
    rgb = colourise(maps)
    sheet = Image.new(
        "RGB", (cols * tile + (cols - 1) * gap, rows * tile + (rows - 1) * gap), "white"
    )
    for index, tile_rgb in enumerate(rgb):
        image = Image.fromarray(tile_rgb, "RGB").resize((tile, tile), Image.Resampling.NEAREST)
        sheet.paste(image, ((index % cols) * (tile + gap), (index // cols) * (tile + gap)))
    return sheet


def filter_image(weights: np.ndarray, fit: tuple[int, int] | None = None) -> Image.Image:
    """Conv weights [out, in, k, k] as the one filter picture the Anatomy view shows too; with
    `fit` (width, height), enlarged by a whole factor (up to 3×, sharp pixels) to about fill it."""
    picture = Image.fromarray(filter_mosaic(weights), "RGB")
    if fit is None:
        return picture
    scale = max(1, min(3, fit[0] // picture.width, fit[1] // picture.height))
    size = (picture.width * scale, picture.height * scale)
    return picture.resize(size, Image.Resampling.NEAREST) if scale > 1 else picture


def unit_bars(values: np.ndarray, width: int = 560, height: int = 70) -> Image.Image:
    """A fully connected layer's units as coloured bars on the layer's scale."""
    values = np.asarray(values, np.float64).ravel()
    rgb = colourise(values[None])[0]
    span = max(float(np.abs(values).max(initial=0.0)), 1e-9)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    step = width / max(len(values), 1)
    base = height // 2 if values.min(initial=0.0) < 0 else height - 1
    for i, (value, colour) in enumerate(zip(values, rgb, strict=True)):
        top = base - value / span * (base if base else height)
        x0, x1 = i * step, max(i * step + 1, (i + 1) * step - 1)
        draw.rectangle([x0, min(top, base), x1, max(top, base)], fill=tuple(int(c) for c in colour))
    draw.line([0, base, width, base], fill=GRID)
    return image


def digit_image(image: np.ndarray, scale: int = 3) -> Image.Image:
    """A 28×28 input (floats 0…1 or uint8, ink bright) as a large greyscale picture."""
    picture = Image.fromarray(as_bytes(image), "L")
    return picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)


def boxed_image(
    image: Image.Image,
    boxes: Sequence[tuple[int, int, int, int]],
    labels: Sequence[str],
    max_side: int = 360,
) -> Image.Image:
    """A drawing or photo with each digit's box (x, y, w, h) and its label, fitted in max_side."""
    picture = image.convert("RGB")
    scale = min(1.0, max_side / max(picture.width, picture.height, 1))
    if scale < 1.0:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=14)
    for (x, y, w, h), label in zip(boxes, labels, strict=True):
        rect = [x * scale, y * scale, (x + w) * scale, (y + h) * scale]
        draw.rectangle(rect, outline=BOX, width=2)
        draw.text((rect[0] + 2, max(0, rect[1] - 16)), label, fill=BOX, font=font)
    return picture


def line_chart(
    title: str,
    series: Sequence[tuple[str, Sequence[float], Sequence[float], str]],
    y_label: str,
    log_y: bool = False,
    size: tuple[int, int] = (520, 340),
) -> Image.Image:
    """A plain chart of (label, x, y, colour) series with axes and a legend, for headless use."""
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font, small = ImageFont.load_default(size=15), ImageFont.load_default(size=12)
    left, right, top, bottom = 62, width - 14, 30, height - 70
    draw.text((4, 6), title, fill=INK, font=font)
    # The y axis' name beside the title, not under it (it used to overlap the title).
    draw.text((14 + draw.textlength(title, font=font), 9), y_label, fill=INK, font=small)

    def transform(v: float) -> float:
        return math.log10(max(v, 1e-4)) if log_y else v

    points = [
        (x, transform(y))
        for _, xs, ys, _ in series
        for x, y in zip(xs, ys, strict=True)
        if y is not None and math.isfinite(y)
    ]
    if not points:
        draw.text((left, top + 20), "no data", fill=INK, font=font)
        return image
    x_low, x_high = 0.0, max(max(p[0] for p in points), 1.0)
    y_low, y_high = min(p[1] for p in points), max(p[1] for p in points)
    if y_high - y_low < 1e-9:
        y_low, y_high = y_low - 0.5, y_high + 0.5
    pad = (y_high - y_low) * 0.05
    y_low, y_high = y_low - pad, y_high + pad

    def to_pixel(x: float, y: float) -> tuple[float, float]:
        px = left + (x - x_low) / (x_high - x_low) * (right - left)
        return px, bottom - (y - y_low) / (y_high - y_low) * (bottom - top)

    draw.rectangle([left, top, right, bottom], outline=INK)
    for y in _y_ticks(y_low, y_high, log_y):
        _, py = to_pixel(0, y)
        draw.line([left, py, right, py], fill=GRID)
        text = f"{10**y:g}" if log_y else f"{y:.3g}"
        draw.text((4, py - 7), text, fill=INK, font=small)
    for k in range(int(x_high) + 1):
        if x_high > 12 and k % max(1, round(x_high / 8)):
            continue
        px, _ = to_pixel(k, y_low)
        draw.text((px - 3, bottom + 3), str(k), fill=INK, font=small)
    draw.text(((left + right) // 2 - 18, bottom + 18), "epoch", fill=INK, font=small)
    legend_x, legend_y = left, bottom + 36
    for label, xs, ys, colour in series:
        line = [
            to_pixel(x, transform(y))
            for x, y in zip(xs, ys, strict=True)
            if y is not None and math.isfinite(y)
        ]
        if len(line) > 1:
            draw.line(line, fill=colour, width=2)
        for px, py in line:
            draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=colour)
        draw.line([legend_x, legend_y + 7, legend_x + 20, legend_y + 7], fill=colour, width=3)
        draw.text((legend_x + 24, legend_y), label, fill=INK, font=small)
        legend_x += 34 + int(draw.textlength(label, font=small))
        if legend_x > width - 120:
            legend_x, legend_y = left, legend_y + 16
    return image


def _y_ticks(low: float, high: float, log_y: bool) -> list[float]:
    """Five even ticks; on a log axis (values are log10) the round ones, 1, 2, 5 × 10ᵏ."""
    if log_y:
        for multiples in ((1, 2, 5), (1, 2, 3, 5), (1, 1.5, 2, 3, 5, 7)):
            ticks = [
                math.log10(m * 10.0**k)
                for k in range(math.floor(low) - 1, math.ceil(high) + 1)
                for m in multiples
            ]
            inside = [t for t in ticks if low <= t <= high]
            if len(inside) >= 3:
                return inside[:: max(1, math.ceil(len(inside) / 6))]
    return [low + (high - low) * k / 4 for k in range(5)]


def confusion_image(matrix: np.ndarray, cell: int = 40) -> Image.Image:
    """The confusion matrix as a white-to-blue heatmap with its counts (headless fallback)."""
    matrix = np.asarray(matrix)
    size = len(matrix)
    margin = 36
    image = Image.new("RGB", (margin + size * cell + 4, margin + size * cell + 4), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    high = max(int(matrix.max(initial=0)), 1)
    blues = lut_from_hex(["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"])
    for t in range(size):
        draw.text((10, margin + t * cell + cell // 2 - 7), str(t), fill=INK, font=font)
        draw.text((margin + t * cell + cell // 2 - 4, 12), str(t), fill=INK, font=font)
        for p in range(size):
            value = int(matrix[t, p])
            colour = tuple(int(c) for c in blues[round(value / high * 255)])
            x, y = margin + p * cell, margin + t * cell
            draw.rectangle([x, y, x + cell, y + cell], fill=colour, outline=GRID)
            ink = "white" if value > high / 2 else INK if value else (160, 160, 160)
            draw.text((x + cell / 2, y + cell / 2), str(value), fill=ink, font=font, anchor="mm")
    return image
