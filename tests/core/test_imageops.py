"""The numpy image operations of the reading path give what scipy.ndimage gives."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from workbench.core.recognition import imageops

SHAPES = [(1, 1), (1, 7), (9, 1), (13, 17), (64, 48), (97, 131)]


def _masks(seed: int):
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        for density in (0.0, 0.2, 0.5, 0.8, 1.0):
            yield rng.random(shape) < density
    # blobs, rings and a spiral: parts that wind and meet themselves
    yy, xx = np.mgrid[:120, :150]
    yield (np.hypot(yy - 60, xx - 75) % 14) < 3
    spiral = np.zeros((81, 81), bool)
    y = x = 40
    dy, dx, length = 0, 1, 1
    while 0 < y < 80 and 0 < x < 80:
        for _ in range(2):
            for _ in range(length):
                spiral[y, x] = True
                y, x = y + dy, x + dx
            dy, dx = dx, -dy
        length += 2
    yield spiral
    yield ndimage.gaussian_filter(rng.random((200, 300)), 2.0) > 0.52


@pytest.mark.parametrize("diagonal", [False, True])
def test_components_match_scipy_label_and_find_objects(diagonal):
    structure = np.ones((3, 3), bool) if diagonal else None
    for mask in _masks(1):
        expected, count = ndimage.label(mask, structure=structure)
        got = imageops.components(mask, diagonal=diagonal)
        assert got.count == count
        np.testing.assert_array_equal(got.labels, expected)
        assert got.labels.dtype == np.int32
        slices = ndimage.find_objects(expected)
        boxes = [(s[0].start, s[1].start, s[0].stop, s[1].stop) for s in slices]
        assert [tuple(b) for b in got.boxes.tolist()] == boxes


def test_binary_morphology_matches_scipy():
    for mask in _masks(2):
        for n in (1, 2):
            np.testing.assert_array_equal(
                imageops.dilate(mask, n), ndimage.binary_dilation(mask, iterations=n)
            )
            np.testing.assert_array_equal(
                imageops.close(mask, n), ndimage.binary_closing(mask, iterations=n)
            )
            square = np.ones((3, 3), bool)
            np.testing.assert_array_equal(
                imageops.dilate(mask, n, diagonal=True),
                ndimage.binary_dilation(mask, structure=square, iterations=n),
            )


@pytest.mark.parametrize("size", [1, 3, 5, 15])
def test_grey_filters_match_scipy(size):
    rng = np.random.default_rng(size)
    for shape in [(1, 1), (3, 9), (40, 64), (64, 23)]:
        values = rng.random(shape).astype(np.float32)
        np.testing.assert_array_equal(
            imageops.grey_closing(values, size),
            ndimage.grey_closing(values, size=size, mode="nearest"),
        )
        np.testing.assert_array_equal(
            imageops.grey_opening(values, size),
            ndimage.grey_opening(values, size=size, mode="nearest"),
        )
        np.testing.assert_allclose(
            imageops.uniform(values, size), ndimage.uniform_filter(values, size), atol=1e-6
        )


def test_median_and_gaussian_match_scipy():
    rng = np.random.default_rng(3)
    for shape in [(1, 1), (2, 5), (64, 48), (300, 200)]:
        values = rng.random(shape).astype(np.float32)
        np.testing.assert_array_equal(
            imageops.median3(values), ndimage.median_filter(values, size=3, mode="nearest")
        )
        for sigma in (0.5, 1.0):
            got = imageops.gaussian(values, sigma)
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, ndimage.gaussian_filter(values, sigma), atol=2e-6)


def test_distance_to_background_matches_scipy():
    for mask in _masks(4):
        if mask.all():  # no background at all: scipy's answer is not a distance
            assert np.isinf(imageops.distance_to_background(mask)).all()
            continue
        np.testing.assert_allclose(
            imageops.distance_to_background(mask), ndimage.distance_transform_edt(mask)
        )


def test_even_windows_are_refused():
    with pytest.raises(ValueError, match="odd"):
        imageops.uniform(np.zeros((4, 4), np.float32), 4)


@pytest.mark.parametrize("wanted", [[3], [1, 4], [7, 2, 9], [12]])
def test_any_of_matches_isin(wanted):
    labels = np.random.default_rng(3).integers(0, 10, (37, 41)).astype(np.int32)
    assert (imageops.any_of(labels, wanted) == np.isin(labels, wanted)).all()


@pytest.mark.parametrize("count", [1, 2, 7, 8, 250_001])
def test_median_matches_numpy(count):
    """`imageops.median` gives np.median's values (odd and even counts, floats and ints, along
    an axis) and nan for nothing, without importing numpy.ma on the reading path."""
    rng = np.random.default_rng(count)
    floats = rng.normal(size=count).astype(np.float32)
    ints = rng.integers(0, 50, count)
    for values in (floats, ints, list(ints)):
        assert imageops.median(values) == np.median(values)
    stack = rng.random((count % 9 + 1, 5, 6)).astype(np.float32)
    np.testing.assert_array_equal(imageops.median(stack, axis=0), np.median(stack, axis=0))
    assert np.isnan(imageops.median([]))


def test_the_reading_path_does_not_import_numpy_ma(tmp_path):
    import subprocess
    import sys

    from PIL import Image, ImageDraw

    image = Image.new("L", (200, 120), 255)
    ImageDraw.Draw(image).line([(90, 20), (100, 100)], fill=0, width=8)
    image.save(tmp_path / "one.png")
    code = (
        "import sys\n"
        "from workbench.core.recognition.segmentation import split_digits\n"
        "from workbench.core.recognition.images import load_grey\n"
        f"assert len(split_digits(load_grey({str(tmp_path / 'one.png')!r}))) == 1\n"
        "print('numpy.ma' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("q", [0, 2, 50, 75, 90, 99.5, 100])
def test_percentile_matches_numpy(q):
    rng = np.random.default_rng(int(q * 10))
    for values in (rng.normal(size=1001).astype(np.float32), rng.integers(0, 9, 40), [3.0]):
        assert imageops.percentile(values, q) == pytest.approx(np.percentile(values, q), abs=1e-6)


def test_gaussian_of_a_big_image_in_stripes_matches_scipy():
    """Past _PARALLEL_PIXELS the blur runs in stripes on two threads: the same values, the
    stripes' seams and the image's edges included."""
    values = np.random.default_rng(5).random((700, 501)).astype(np.float32)
    assert values.size >= imageops._PARALLEL_PIXELS and values.shape[0] > 2 * imageops._STRIPE
    for sigma in (1.0, 2.5):
        np.testing.assert_allclose(
            imageops.gaussian(values, sigma), ndimage.gaussian_filter(values, sigma), atol=2e-6
        )
