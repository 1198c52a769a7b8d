"""Pixel conversions the window needs: floats to bytes, ink to paper, a test digit as a page."""

from __future__ import annotations

import numpy as np

PAGE_SCALE = 6  # a 28×28 digit opened as a page is drawn this many times larger
PAGE_MARGIN = 20  # pixels of white paper around it


def as_bytes(values: np.ndarray) -> np.ndarray:
    """uint8 pixels 0…255 of floats 0…1 (rounded, clipped); uint8 pixels come back as they are."""
    array = np.asarray(values)
    if array.dtype == np.uint8:
        return array
    return np.clip(np.round(array.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)


def paper_from_ink(ink: np.ndarray) -> np.ndarray:
    """uint8 grey picture of a drawing: ink (floats, 1 full ink) dark on white paper."""
    return as_bytes(1.0 - np.asarray(ink, np.float64))


def page_from_digit(image: np.ndarray) -> np.ndarray:
    """float32 grey page (0 black, 1 white) of a network input (28×28, ink 1 on paper 0):
    enlarged PAGE_SCALE times, dark on white, with a white margin, ready to be read again."""
    block = np.ones((PAGE_SCALE, PAGE_SCALE), np.float32)
    page = 1.0 - np.kron(np.asarray(image, dtype=np.float32), block)
    return np.pad(page, PAGE_MARGIN, constant_values=1.0)
