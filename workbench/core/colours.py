"""How maps look, shared by the window and the report: colour scales (LUTs) and grid layout."""

from __future__ import annotations

import math

import numpy as np

# Nine evenly spaced samples of matplotlib's viridis: perceptually uniform, readable in grey print.
_VIRIDIS = [
    "#440154",
    "#472c7a",
    "#3b518b",
    "#2c718e",
    "#21908d",
    "#27ad81",
    "#5cc863",
    "#aadc32",
    "#fde725",
]
# Blue (negative) through white (zero) to red (positive), like ColorBrewer's RdBu reversed.
_DIVERGING = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]


def lut_from_hex(anchors: list[str]) -> np.ndarray:
    rgb = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in anchors], np.float64)
    where = np.linspace(0.0, 1.0, len(anchors))
    steps = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(steps, where, rgb[:, c]) for c in range(3)], axis=1)
    return np.round(table).astype(np.uint8)


VIRIDIS = lut_from_hex(_VIRIDIS)
GREYS = lut_from_hex(["#000000", "#ffffff"])  # the input itself: white ink on black, as MNIST
DIVERGING = lut_from_hex(_DIVERGING)


def layer_scale(values: np.ndarray) -> tuple[float, float, np.ndarray]:
    """One colour scale for a whole layer: (low, high, LUT).

    Non-negative layers (ReLU, pooling) run 0 → max on viridis; layers with negative values
    (tanh, fully connected before activation) run −m → +m on blue-white-red, so zero is white.
    """
    if values.size == 0:
        return 0.0, 1.0, VIRIDIS
    low, high = float(values.min()), float(values.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return 0.0, 1.0, VIRIDIS
        low, high = float(finite.min()), float(finite.max())
    if low < 0:
        bound = max(abs(low), abs(high), 1e-6)
        return -bound, bound, DIVERGING
    return 0.0, max(high, 1e-6), VIRIDIS


def scale_index(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """uint8 positions (0…255) of `values` on the scale low → high: indices into a LUT."""
    span = max(high - low, 1e-12)
    index = (np.asarray(values, np.float32) - np.float32(low)) * np.float32(255.0 / span)
    if not np.isfinite(index).all():
        index = np.nan_to_num(index, nan=0.0, posinf=255.0, neginf=0.0)
    np.clip(index, 0, 255, out=index)
    return index.astype(np.uint8)


def colourise(
    values: np.ndarray,
    low: float | None = None,
    high: float | None = None,
    lut: np.ndarray | None = None,
) -> np.ndarray:
    """uint8 RGB (…, 3) of `values` on the scale low → high of `lut`; without a scale, on the
    values' own `layer_scale` (as the Feature maps view colours a layer)."""
    if low is None or high is None or lut is None:
        low, high, lut = layer_scale(np.asarray(values))
    return lut[scale_index(values, low, high)]


def grid_shape(count: int) -> tuple[int, int]:
    """Rows × columns for `count` tiles, close to square, wider than tall: 20 → 4×5, 6 → 2×3."""
    if count <= 0:
        return 0, 0
    rows = max(r for r in range(1, math.isqrt(count) + 1) if count % r == 0)
    cols = count // rows
    if cols > 2 * rows + 1:  # a prime or awkward count: a nearly full near-square grid instead
        cols = math.ceil(math.sqrt(count))
        rows = math.ceil(count / cols)
    return rows, cols
