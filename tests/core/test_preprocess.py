"""Ink extraction and the MNIST-style 28×28 input, on generated digits only."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from workbench.core.data import synth
from workbench.core.recognition.preprocessing import ink_from_grey, to_mnist

FONTS = synth.available_fonts()


def _grey(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) / 255.0


def _mnist_of(image: np.ndarray) -> np.ndarray:
    out = to_mnist(ink_from_grey(_grey(image)))
    assert out is not None
    return out


def _check_mnist_like(out: np.ndarray) -> None:
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)
    centre = ndimage.center_of_mass(out)
    assert abs(centre[0] - 14) <= 0.75 and abs(centre[1] - 14) <= 0.75
    rows, cols = np.flatnonzero(out.max(axis=1) > 0), np.flatnonzero(out.max(axis=0) > 0)
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == 20


@pytest.mark.parametrize("digit", range(10))
@pytest.mark.parametrize("size", [14, 37, 200])
def test_output_is_mnist_shaped(digit, size):
    rng = np.random.default_rng(digit * 1000 + size)
    image = synth.render_digit(digit, FONTS[digit % len(FONTS)], size, rng)
    _check_mnist_like(_mnist_of(image))


@pytest.mark.parametrize("digit", [0, 2, 4, 7, 8])
def test_polarity_does_not_matter(digit):
    image = synth.render_digit(digit, FONTS[0], 60, np.random.default_rng(digit))
    dark_on_light = _mnist_of(image)
    chalk_on_board = _mnist_of(255 - image)
    assert np.abs(dark_on_light - chalk_on_board).mean() < 0.02


def test_uneven_light_gives_the_same_digit_as_even_light():
    image = synth.render_digit(3, FONTS[0], 80, np.random.default_rng(1)).astype(np.float32)
    height, width = image.shape
    light = (
        1.0 - 0.5 * np.linspace(0, 1, width)[None, :] - 0.15 * np.linspace(0, 1, height)[:, None]
    )
    even, uneven = _mnist_of(image), _mnist_of(image * light)
    _check_mnist_like(uneven)
    assert np.abs(even - uneven).mean() < 0.03


@pytest.mark.parametrize("invert", [False, True])
def test_noise_blur_and_light_still_give_a_clean_digit(invert):
    rng = np.random.default_rng(7)
    image = synth.render_digit(
        5, FONTS[0], 70, rng, invert=invert, noise=0.08, blur=2.0, uneven=True
    )
    clean = _mnist_of(synth.render_digit(5, FONTS[0], 70, np.random.default_rng(7)))
    noisy = _mnist_of(image)
    _check_mnist_like(noisy)
    assert np.abs(clean - noisy).mean() < 0.08


def test_distant_speck_does_not_move_the_digit():
    image = synth.render_digit(7, FONTS[0], 60, np.random.default_rng(2))
    with_speck = np.pad(image, ((0, 0), (0, 80)), constant_values=int(image[0, 0]))
    with_speck[3:5, -4:-2] = 0
    assert np.abs(_mnist_of(image) - _mnist_of(with_speck)).mean() < 0.01


@pytest.mark.parametrize(
    "blank",
    [
        np.ones((64, 64)),
        np.zeros((64, 64)),
        np.full((30, 50), 0.4),
        np.ones((1, 1)),
        np.tile(np.linspace(0.2, 1.0, 120), (90, 1)),  # a lighting gradient alone
        np.random.default_rng(0).random((100, 120)),  # pure uniform noise
        np.clip(0.7 + np.random.default_rng(1).normal(0, 0.1, (200, 150)), 0, 1),
    ],
    ids=["white", "black", "grey", "one-pixel", "gradient", "uniform-noise", "sensor-noise"],
)
def test_blank_images_are_no_digit(blank):
    ink = ink_from_grey(blank.astype(np.float32))
    assert ink.shape == blank.shape
    assert to_mnist(ink) is None


def test_blank_paper_photos_are_no_digit():
    rng = np.random.default_rng(5)
    for index in range(20):
        height, width = (int(v) for v in rng.integers(20, 400, 2))
        paper = synth.finish(
            np.zeros((height, width), np.float32),
            48,
            rng,
            invert=bool(index % 2),
            uneven=True,
            noise=float(rng.choice([0.0, 0.05])),
        )
        assert to_mnist(ink_from_grey(_grey(paper))) is None, index


def test_to_mnist_of_an_mnist_like_digit_keeps_it():
    canvas = np.zeros((28, 28), np.float32)
    canvas[4:24, 12:16] = 1.0  # a '1' already 20 px tall
    out = to_mnist(canvas)
    assert out is not None
    assert out.sum() == pytest.approx(canvas.sum(), rel=0.05)
    _check_mnist_like(out)


def test_to_mnist_keeps_the_aspect_ratio():
    canvas = np.zeros((280, 280), np.float32)
    canvas[40:240, 130:150] = 1.0  # 200 × 20: a tall thin bar
    out = to_mnist(canvas)
    rows, cols = np.flatnonzero(out.max(axis=1) > 0.5), np.flatnonzero(out.max(axis=0) > 0.5)
    assert len(rows) == 20 and len(cols) == 2


def test_to_mnist_rejects_almost_no_ink():
    canvas = np.zeros((280, 280), np.float32)
    assert to_mnist(canvas) is None
    canvas[100, 100] = 1.0
    assert to_mnist(canvas) is None


def test_ink_map_range_and_type():
    image = synth.render_digit(8, None, 40, np.random.default_rng(0), noise=0.05)
    ink = ink_from_grey(_grey(image))
    assert ink.dtype == np.float32 and ink.min() >= 0 and ink.max() <= 1
    assert ink[0, :].max() == 0  # the paper margin is clean


@settings(max_examples=60, deadline=None)
@given(
    height=st.integers(1, 120),
    width=st.integers(1, 120),
    strokes=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))),
    seed=st.integers(0, 2**16),
)
def test_to_mnist_is_none_or_mnist_shaped(height, width, strokes, seed):
    """Any ink at all (random boxes, random values) gives None or a proper 28×28 input."""
    rng = np.random.default_rng(seed)
    ink = np.zeros((height, width), np.float32)
    for y0, x0, y1, x1 in strokes:
        rows = sorted((int(y0 * height), int(y1 * height) + 1))
        cols = sorted((int(x0 * width), int(x1 * width) + 1))
        ink[rows[0] : rows[1], cols[0] : cols[1]] = rng.random()
    out = to_mnist(ink)
    if out is None:
        return
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    rows, cols = np.flatnonzero(out.max(axis=1) > 0), np.flatnonzero(out.max(axis=0) > 0)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) < 20
    centre = ndimage.center_of_mass(out)
    for axis, filled in ((0, rows), (1, cols)):  # centred, unless that would cut the digit
        assert abs(centre[axis] - 14) <= 0.501 or filled[0] == 0 or filled[-1] == 27
