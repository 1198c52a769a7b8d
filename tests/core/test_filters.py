"""The one filter picture (Anatomy view, epoch scrubber, report) and the one colourise."""

from __future__ import annotations

import numpy as np

from workbench.core.colours import DIVERGING, VIRIDIS, colourise, layer_scale
from workbench.core.model.filters import (
    MAX_TILES,
    filter_layout,
    filter_mosaic,
    filter_scale,
    filter_tile_count,
)
from workbench.core.report.images import filter_image


def test_filter_mosaic_layout_and_colours():
    weights = np.zeros((16, 6, 5, 5), np.float32)
    weights[3, 2] = 1.0  # filter 3, input channel 2: all positive (red)
    weights[0, 0] = -1.0
    mosaic = filter_mosaic(weights)
    tile, gap = 24 // 5 * 5, 2
    assert mosaic.shape == (16 * (tile + gap) - gap, 6 * (tile + gap) - gap, 3)
    red = mosaic[3 * (tile + gap) + 1, 2 * (tile + gap) + 1]
    blue = mosaic[1, 1]
    white = mosaic[1 * (tile + gap) + 1, 1]
    assert red[0] > red[2] and blue[2] > blue[0] and white.min() > 230
    single = filter_mosaic(np.ones((6, 1, 5, 5), np.float32))
    assert single.shape == (2 * 42 - 2, 3 * 42 - 2, 3)  # one channel in: a 2×3 grid of 40 px


def test_filter_layout_reads_one_input_as_a_grid_and_many_as_rows():
    assert filter_layout(6, 1) == (2, 3, "one tile per filter")
    assert filter_layout(32, 1)[:2] == (6, 6)
    assert filter_layout(16, 6) == (16, 6, "a row per filter, a column per input channel")


def test_filter_scale_is_symmetric_and_diverging():
    weights = np.array([[[[-0.5, 2.0]]]], np.float32)
    low, high, lut = filter_scale(weights)
    assert (low, high) == (-2.0, 2.0) and lut is DIVERGING
    assert filter_scale(np.zeros((2, 1, 3, 3)))[1] > 0  # all-zero filters: still a scale


def test_filter_tile_count_caps_each_side():
    assert filter_tile_count(np.zeros((6, 1, 5, 5))) == 6
    assert filter_tile_count(np.zeros((100, 3, 3, 3))) == MAX_TILES * 3


def test_the_report_draws_the_same_filter_picture():
    weights = np.random.default_rng(0).normal(size=(8, 2, 3, 3)).astype(np.float32)
    picture = filter_image(weights)
    assert np.array_equal(np.asarray(picture), filter_mosaic(weights))


def test_colourise_without_a_scale_uses_the_layer_scale():
    maps = np.array([[0.0, 1.0], [2.0, 4.0]], np.float32)
    assert np.array_equal(colourise(maps), colourise(maps, *layer_scale(maps)))
    assert np.array_equal(colourise(maps)[1, 1], VIRIDIS[255])
    signed = np.array([-1.0, 0.0, 1.0], np.float32)
    rgb = colourise(signed)
    assert np.array_equal(rgb[0], DIVERGING[0]) and np.array_equal(rgb[2], DIVERGING[255])
    assert rgb[1].min() > 230  # zero is white on the diverging scale
