"""Image loading: every Pillow mode, EXIF orientation, alpha, 16-bit, and broken files."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from workbench.core.recognition.images import ImageLoadError, grey_from_array, load_grey


def _save(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


def _marked(mode: str = "L", size=(40, 30)) -> Image.Image:
    """White image with a black square in the top-left corner (to check orientation)."""
    image = Image.new("L", size, 255)
    image.paste(0, (0, 0, 10, 10))
    return image.convert(mode)


def test_grey_png_is_luminance_zero_black_one_white(tmp_path):
    grey = load_grey(_save(_marked(), tmp_path / "a.png"))
    assert grey.dtype == np.float32 and grey.shape == (30, 40)
    assert grey[0, 0] == 0.0 and grey[-1, -1] == 1.0


def test_rgb_uses_luminance_weights(tmp_path):
    image = Image.new("RGB", (4, 4), (255, 0, 0))
    grey = load_grey(_save(image, tmp_path / "red.png"))
    assert grey[0, 0] == pytest.approx(0.299, abs=0.01)


def test_sixteen_bit_is_scaled_to_unit_range(tmp_path):
    values = np.array([[0, 32768, 65535]], dtype=np.uint16)
    image = Image.fromarray(values)
    assert image.mode.startswith("I;16")
    grey = load_grey(_save(image, tmp_path / "deep.png"))
    np.testing.assert_allclose(grey, [[0.0, 0.5, 1.0]], atol=1e-3)


def test_thirty_two_bit_integer_tiff(tmp_path):
    image = Image.fromarray(np.array([[0, 65535]], dtype=np.int32), mode="I")
    grey = load_grey(_save(image, tmp_path / "wide.tif"))
    np.testing.assert_allclose(grey, [[0.0, 1.0]], atol=1e-4)


def test_float_tiff(tmp_path):
    image = Image.fromarray(np.array([[0.0, 0.25, 1.0]], dtype=np.float32))
    grey = load_grey(_save(image, tmp_path / "float.tif"))
    np.testing.assert_allclose(grey, [[0.0, 0.25, 1.0]], atol=1e-6)


def test_cmyk_jpeg(tmp_path):
    image = Image.new("CMYK", (16, 16), (0, 0, 0, 0))  # no ink: white
    image.paste((0, 0, 0, 255), (0, 0, 8, 16))  # full black on the left half
    grey = load_grey(_save(image, tmp_path / "print.jpg", quality=95))
    assert grey[8, 2] < 0.1 and grey[8, 13] > 0.9


def test_one_bit(tmp_path):
    grey = load_grey(_save(_marked("1"), tmp_path / "bits.png"))
    assert set(np.unique(grey)) == {0.0, 1.0}
    assert grey[0, 0] == 0.0


def test_palette_with_transparency_is_on_white(tmp_path):
    image = Image.new("P", (8, 8), 0)
    image.putpalette([0, 0, 0, 20, 20, 20] + [0] * 762)
    image.paste(1, (0, 0, 4, 8))
    image.info["transparency"] = 0  # index 0 (black) is transparent
    grey = load_grey(_save(image, tmp_path / "pal.png", transparency=0))
    assert grey[4, 6] == pytest.approx(1.0)  # transparent black → white paper
    assert grey[4, 1] < 0.15  # opaque dark grey stays dark


@pytest.mark.parametrize("mode", ["LA", "RGBA"])
def test_alpha_is_composited_onto_white(tmp_path, mode):
    image = Image.new(mode, (8, 8), (0,) * len(mode))  # fully transparent black
    image.paste((0,) * (len(mode) - 1) + (255,), (0, 0, 4, 8))  # opaque black on the left
    grey = load_grey(_save(image, tmp_path / f"{mode}.png"))
    assert grey[4, 1] == pytest.approx(0.0) and grey[4, 6] == pytest.approx(1.0)


def test_animated_gif_gives_first_frame(tmp_path):
    first, second = _marked(), Image.new("L", (40, 30), 0)
    path = tmp_path / "anim.gif"
    first.save(path, save_all=True, append_images=[second], duration=100, loop=0)
    grey = load_grey(path)
    assert grey[0, 0] < 0.1 and grey[-1, -1] > 0.9


def test_multipage_tiff_gives_first_page(tmp_path):
    path = tmp_path / "pages.tif"
    _marked().save(path, save_all=True, append_images=[Image.new("L", (40, 30), 0)])
    assert load_grey(path)[-1, -1] > 0.9


def test_exif_rotated_jpeg_comes_out_as_displayed(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = _save(_marked("RGB", (40, 30)), tmp_path / "phone.jpg", exif=exif, quality=95)
    grey = load_grey(path)
    assert grey.shape == (40, 30)  # displayed portrait
    assert grey[2, -3] < 0.2  # the top-left mark is now top-right
    assert grey[2, 2] > 0.8


def test_bytes_source_and_one_pixel(tmp_path):
    buffer = io.BytesIO()
    Image.new("L", (1, 1), 128).save(buffer, format="PNG")
    grey = load_grey(buffer.getvalue())
    assert grey.shape == (1, 1) and grey[0, 0] == pytest.approx(128 / 255)


def test_empty_file_names_the_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty.png.*empty"):
        load_grey(path)


def test_random_bytes_are_not_an_image(tmp_path):
    path = tmp_path / "noise.jpg"
    path.write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(ImageLoadError, match="noise.jpg.*not an image"):
        load_grey(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImageLoadError, match="nowhere.png"):
        load_grey(tmp_path / "nowhere.png")


def test_truncated_png(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64), np.uint8)).save(
        buffer, format="PNG"
    )
    path = tmp_path / "cut.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageLoadError, match="cut.png.*truncated"):
        load_grey(path)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size (1-bit grey) with a tiny data stream: costs nothing."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(30000, 30000))
    with pytest.raises(ImageLoadError, match="bomb.png.*decompression bomb"):
        load_grey(path)


def test_pillow_bomb_warning_is_an_error(tmp_path, monkeypatch):
    """Below our own limit, Pillow's warning (not just its error) still refuses the file."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    path = _save(Image.new("L", (12, 12), 255), tmp_path / "warn.png")
    with pytest.raises(ImageLoadError, match="warn.png.*bomb"):
        load_grey(path)


def test_grey_from_array_shapes_and_types():
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)  # transparent black
    np.testing.assert_allclose(grey_from_array(rgba), 1.0)
    assert grey_from_array(np.full((2, 2), 65535, np.uint16))[0, 0] == pytest.approx(1.0)
    assert grey_from_array(np.array([[True, False]])).tolist() == [[1.0, 0.0]]
    with pytest.raises(ValueError):
        grey_from_array(np.zeros((2, 2, 5)))


def test_grey_png_with_a_transparent_grey_level(tmp_path):
    image = Image.new("L", (8, 8), 0)
    image.paste(90, (0, 0, 4, 8))
    grey = load_grey(_save(image, tmp_path / "trns.png", transparency=0))
    assert grey[4, 6] == pytest.approx(1.0) and grey[4, 1] == pytest.approx(90 / 255, abs=1e-3)


def test_a_colour_jpeg_reads_as_its_luminance():
    """JPEGs are decoded to their luminance channel directly (fast); it is ITU-R 601 luma."""
    import io

    import numpy as np
    from PIL import Image

    from workbench.core.recognition.images import load_grey

    colours = np.zeros((64, 96, 3), np.uint8)
    colours[:, :32] = (200, 30, 30)
    colours[:, 32:64] = (30, 160, 40)
    colours[:, 64:] = (20, 40, 220)
    buffer = io.BytesIO()
    Image.fromarray(colours).save(buffer, "JPEG", quality=95)
    grey = load_grey(buffer.getvalue())
    decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), np.float32)
    luma = decoded @ np.array([0.299, 0.587, 0.114], np.float32) / 255.0
    assert grey.shape == (64, 96)
    assert np.abs(grey[:, 4:28] - luma[:, 4:28]).max() < 0.02  # away from the colour edges
    assert np.abs(grey[:, 36:60] - luma[:, 36:60]).max() < 0.02
    assert np.abs(grey[:, 68:92] - luma[:, 68:92]).max() < 0.02


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_big_jpeg_decodes_smaller_but_keeps_its_own_size(tmp_path, orientation):
    """`load_photo(at_most=…)` reads a big JPEG at about the pixels asked for (decoded at 1/2
    here, 1/4 would go below them, then averaged down); the photo still reports the size as
    displayed."""
    from workbench.core.recognition.images import load_photo

    exif = Image.Exif()
    exif[0x0112] = orientation
    image = _marked("RGB", (3000, 2000)).resize((3000, 2000))
    image.paste((0, 0, 0), (0, 0, 300, 300))
    path = _save(image, tmp_path / "page.jpg", exif=exif, quality=90)
    full = load_photo(path)
    small = load_photo(path, at_most=1_000_000)
    displayed = (3000, 2000) if orientation == 1 else (2000, 3000)
    assert full.size == small.size == displayed
    assert full.grey.shape == displayed[::-1]
    scale = (1_000_000 / 6_000_000) ** 0.5
    assert small.grey.shape == (int(displayed[1] * scale), int(displayed[0] * scale))
    assert small.grey.dtype == np.float32
    assert small.grey.min() >= 0.0 and small.grey.max() <= 1.0
    corner = (
        (slice(0, 100), slice(0, 100)) if orientation == 1 else (slice(0, 100), slice(-100, None))
    )
    assert small.grey[corner].max() < 0.2  # the mark is where it is displayed
    assert load_photo(_save(_marked("L", (64, 48)), tmp_path / "a.png"), at_most=100).size == (
        64,
        48,
    )


@pytest.mark.parametrize(
    "size", [(4000, 3000), (3000, 4000), (1733, 1155), (5472, 3648), (40000, 60)]
)
def test_a_reduced_size_never_exceeds_the_pixels_asked_for(size):
    """A 12 MP photo reduced for the split must fit WORK_PIXELS: a rounding up by a few pixels
    (1633×1225 = 2,000,425) once made the split label its ink at a quarter of its pixels,
    halving every digit (a 1 touching a 9 could no longer be cut off)."""
    from workbench.core.recognition.images import reduced_size
    from workbench.core.recognition.segmentation import LABEL_PIXELS, WORK_PIXELS

    width, height = reduced_size(*size, WORK_PIXELS)
    assert width * height <= WORK_PIXELS <= LABEL_PIXELS
    assert width * height >= 0.98 * WORK_PIXELS
    assert abs(width / height - size[0] / size[1]) < 0.02 * size[0] / size[1]


def test_boxes_of_a_smaller_decode_are_in_the_files_pixels(tmp_path):
    """`read_photo` reads a big JPEG from its reduced decode; the boxes still land on the digits
    in the file's own pixels (a 6 MP page of three printed digits)."""
    from PIL import ImageDraw, ImageFont

    from workbench.core import paths
    from workbench.core.data import synth
    from workbench.core.recognition.predictor import Predictor
    from workbench.core.recognition.reading import read_digits, read_photo

    fonts = synth.available_fonts()
    if not fonts:
        pytest.skip("no TrueType font here")
    page = Image.new("L", (3000, 2000), 235)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(fonts[0], 400)
    lefts = (400, 1300, 2200)
    for left, digit in zip(lefts, "274", strict=True):
        draw.text((left, 700), digit, fill=20, font=font)
    path = _save(page, tmp_path / "page.jpg", quality=90)
    predictor = Predictor(paths.SHIPPED_MODEL)
    readings = read_photo(path, predictor)
    assert [r.top[0][0] for r in readings] == [2, 7, 4]
    full = read_digits(load_grey(path), predictor)  # the whole file decoded
    for reading, whole, left in zip(readings, full, lefts, strict=True):
        assert np.abs(np.subtract(reading.box, whole.box)).max() <= 2
        x, y, w, h = reading.box
        assert left <= x <= left + 100 and 700 <= y <= 850 and w > 150 and h > 250
