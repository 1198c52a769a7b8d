"""Splitting generated rows and pages of digits into boxes, in reading order."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from workbench.core.data import synth
from workbench.core.recognition.preprocessing import ink_from_grey
from workbench.core.recognition.segmentation import crop_to_mnist, find_digit_boxes, split_digits

FONTS = synth.available_fonts()


def _overlap(a, b) -> float:
    """Intersection over the smaller box."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / min(a[2] * a[3], b[2] * b[3])


def _assert_matches(found, truth):
    assert len(found) == len(truth)
    for box, true_box in zip(found, truth, strict=True):
        assert _overlap(box, true_box) > 0.8, (box, true_box)


@pytest.mark.parametrize("count", [3, 4, 5, 6, 7])
@pytest.mark.parametrize("invert", [False, True])
def test_row_of_digits_in_order(count, invert):
    rng = np.random.default_rng(count * 2 + invert)
    digits = list(rng.integers(0, 10, count))
    font = FONTS[(count * 3 + invert) % len(FONTS)]
    grey, truth = synth.render_row(
        digits,
        font,
        int(rng.integers(20, 90)),
        rng,
        invert=invert,
        rotate=8.0,
        noise=0.03,
        uneven=bool(count % 2),
    )
    crops = split_digits(grey / 255.0)
    _assert_matches([c.box for c in crops], truth)
    for crop in crops:
        assert crop.image.shape == (28, 28) and crop.image.dtype == np.float32


def test_broken_five_is_one_digit():
    """A '5' whose top bar is detached stays one box; a speck beside it is ignored."""
    image = Image.new("L", (200, 140), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(60, 20), (110, 20)], fill=0, width=8)  # the detached top bar
    draw.line([(60, 34), (58, 62)], fill=0, width=8)
    draw.arc([(45, 50), (115, 120)], start=-120, end=140, fill=0, width=8)
    draw.ellipse([(160, 60), (163, 63)], fill=0)  # a speck
    draw.line([(140, 30), (140, 110)], fill=0, width=7)  # a '1' beside it stays separate
    boxes = find_digit_boxes(ink_from_grey(np.asarray(image, np.float32) / 255))
    assert len(boxes) == 2
    x, y, w, h = boxes[0]
    assert x <= 60 and y <= 20 and y + h >= 115


@pytest.mark.parametrize("gap", [4, 6])
def test_a_broken_stroke_is_read_whole(gap):
    """A 1 whose stroke breaks (a pen skip, chalk on a rough board) is one digit, and the crop
    the network reads bridges the break: ink in every row from its top to its bottom, as in
    the crop of the same 1 unbroken."""

    def one(broken: bool) -> np.ndarray:
        image = Image.new("L", (300, 160), 255)
        draw = ImageDraw.Draw(image)
        draw.ellipse([(20, 20), (80, 130)], outline=0, width=8)  # a 0 and a 7 beside it
        draw.line([(42 + 90, 30), (60 + 90, 20), (60 + 90, 70)], fill=0, width=8)
        draw.line([(60 + 90, 70 + (gap if broken else 0)), (60 + 90, 130)], fill=0, width=8)
        draw.line([(200, 22), (260, 22), (220, 130)], fill=0, width=8)
        crops = split_digits(np.asarray(image, np.float32) / 255)
        assert len(crops) == 3
        return crops[1].image

    for image in (one(broken=True), one(broken=False)):
        rows = np.flatnonzero(image.max(axis=1) > 0.5)
        assert (image[rows[0] : rows[-1] + 1].max(axis=1) > 0.5).all()


def test_specks_are_ignored():
    rng = np.random.default_rng(11)
    grey, truth = synth.render_row([4, 0, 9, 2], FONTS[0], 50, rng, specks=15)
    _assert_matches(find_digit_boxes(ink_from_grey(grey / 255.0)), truth)


@pytest.mark.parametrize("invert", [False, True])
def test_fifty_digits_on_a_page(invert):
    rng = np.random.default_rng(50 + invert)
    rows = [list(rng.integers(0, 10, 10)) for _ in range(5)]
    grey, truth = synth.render_page(rows, FONTS[-2], 36, rng, invert=invert, specks=10, noise=0.03)
    crops = split_digits(grey / 255.0)
    _assert_matches([c.box for c in crops], truth)


def test_large_photo_is_quick_and_boxes_are_in_image_pixels():
    rng = np.random.default_rng(3)
    rows = [list(rng.integers(0, 10, 7)) for _ in range(3)]
    grey, truth = synth.render_page(rows, FONTS[0], 420, rng, uneven=True, noise=0.02)
    assert grey.size > 5_000_000
    start = time.perf_counter()
    crops = split_digits(grey / 255.0)
    assert time.perf_counter() - start < 10.0
    _assert_matches([c.box for c in crops], truth)


def test_blank_page_has_no_digits():
    rng = np.random.default_rng(0)
    assert split_digits(np.ones((300, 400), np.float32)) == []
    assert split_digits(rng.random((300, 400)).astype(np.float32)) == []


def test_crop_to_mnist_for_a_user_box():
    grey, truth = synth.render_row([1, 2, 3], FONTS[0], 60, np.random.default_rng(4))
    ink = ink_from_grey(grey / 255.0)
    x0 = truth[0][0]
    x1 = truth[1][0] + truth[1][2]
    merged = (x0, 0, x1 - x0, grey.shape[0])  # the user merged the first two boxes
    image = crop_to_mnist(ink, merged)
    assert image is not None and image.shape == (28, 28)
    assert crop_to_mnist(ink, (0, 0, 3, 3)) is None  # an empty box is no digit
    assert crop_to_mnist(ink, (-10, -10, 5, 5)) is None  # off the image
