"""A sheet photographed on a darker table: found, and the table painted the sheet's paper."""

from __future__ import annotations

import numpy as np
from PIL import Image

from workbench.core.recognition import imageops

SHEET_SHARE = 0.2  # light ink in one blob this big is a sheet on a darker table


def sheet_on_table(residual: np.ndarray) -> np.ndarray | None:
    """The sheet, at the `residual` sample's size, when its light side (Otsu's split) is one
    blob of a fifth of the photo or more that reaches two of its edges at most (holes filled:
    the strokes on it); None otherwise."""
    light = residual > _otsu(residual)
    parts = imageops.components(light)
    if parts.count == 0:
        return None
    sizes = np.bincount(parts.labels.ravel())[1:]
    if sizes.max() < SHEET_SHARE * light.size:
        return None
    biggest = int(sizes.argmax()) + 1
    if imageops.border_touches(parts.labels, parts.count)[biggest] > 2:
        return None  # a light wall or table around a dark board: a ring, not a sheet
    sheet = parts.labels == biggest
    outside = imageops.components(~sheet)
    open_air = np.flatnonzero(imageops.border_touches(outside.labels, outside.count) > 0)
    return np.isin(outside.labels, open_air, invert=True)  # the sheet with its holes filled


def _otsu(values: np.ndarray) -> float:
    """The level that splits `values` into two classes of the least spread (Otsu)."""
    counts, edges = np.histogram(values, bins=128)
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts)
    mass = np.cumsum(counts * centres)
    total, whole = weight[-1], mass[-1]
    below, above = weight[:-1], total - weight[:-1]
    between = (mass[:-1] * total - whole * below) ** 2 / np.maximum(below * above, 1)
    return float(edges[1 + int(np.argmax(between))])


def covered_by_sheet(grey: np.ndarray, sheet: np.ndarray) -> np.ndarray:
    """`grey` with everything off the `sheet` (a mask of a reduced copy), and a rim inside the
    sheet's edge, painted the sheet's paper brightness."""
    inner = imageops.erode(sheet, 2)
    image = Image.fromarray(inner.astype(np.uint8) * 255).resize(grey.shape[::-1])
    on_sheet = np.asarray(image) > 127
    if not on_sheet.any():
        return grey
    return np.where(on_sheet, grey, np.float32(imageops.median(grey[on_sheet]))).astype(np.float32)
