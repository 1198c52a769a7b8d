"""The window's pixel conversions, now in the core: floats to bytes, ink to paper, digit to page."""

from __future__ import annotations

import numpy as np

from workbench.core.recognition.conversions import (
    PAGE_MARGIN,
    PAGE_SCALE,
    as_bytes,
    page_from_digit,
    paper_from_ink,
)


def test_as_bytes_rounds_and_clips_floats_and_keeps_bytes():
    values = np.array([-0.5, 0.0, 0.5, 1 / 255 * 7.4, 1.0, 2.0], np.float32)
    assert as_bytes(values).tolist() == [0, 0, 128, 7, 255, 255]
    raw = np.array([[3, 250]], np.uint8)
    assert as_bytes(raw) is raw


def test_paper_from_ink_is_dark_ink_on_white():
    ink = np.array([[0.0, 1.0], [0.25, 0.5]], np.float32)
    assert paper_from_ink(ink).tolist() == [[255, 0], [191, 128]]


def test_page_from_digit_enlarges_inverts_and_adds_a_margin():
    digit = np.zeros((28, 28), np.float32)
    digit[10, 12] = 1.0
    page = page_from_digit(digit)
    side = 28 * PAGE_SCALE + 2 * PAGE_MARGIN
    assert page.shape == (side, side) and page.dtype == np.float32
    top, left = PAGE_MARGIN + 10 * PAGE_SCALE, PAGE_MARGIN + 12 * PAGE_SCALE
    assert (page[top : top + PAGE_SCALE, left : left + PAGE_SCALE] == 0.0).all()
    assert page.sum() == side * side - PAGE_SCALE * PAGE_SCALE  # white everywhere else
