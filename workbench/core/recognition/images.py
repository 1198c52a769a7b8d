"""Load any image file as the grey luminance a person sees: EXIF turn, alpha, 16-bit, bombs."""

from __future__ import annotations

import io
import math
import os
import re
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 64_000_000
"""Refuse larger images: a crafted header can ask for gigabytes (a decompression bomb)."""
MAX_FILE_BYTES = 200 * 1024 * 1024
"""Refuse larger files before reading them (a photo of a page is a few MB); only regular files
are read at all: a device such as /dev/zero never ends, a named pipe can block for ever."""

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as Pillow's convert("L")


class ImageLoadError(ValueError):
    """The source is not an image this workbench can read; the message names the file."""


@dataclass(frozen=True)
class Photo:
    """An image to read: its grey luminance (perhaps decoded at a reduced scale) and the size of
    the image itself, as displayed, whose pixels the digits' boxes are given in."""

    grey: np.ndarray  # float32 (h, w), 0 black, 1 white
    size: tuple[int, int]  # width, height


def load_grey(source: str | os.PathLike | bytes) -> np.ndarray:
    """Read `source` (a path or the file's bytes) as float32 (H, W) luminance, 0 black, 1 white.

    The image comes out as displayed: EXIF orientation applied, transparent parts on white paper,
    first frame of an animation.
    """
    return load_photo(source).grey


def load_photo(source: str | os.PathLike | bytes, at_most: int | None = None) -> Photo:
    """`load_grey`, reduced to about `at_most` pixels when larger (`reduced_size`): a JPEG is
    decoded at 1/2, 1/4 or 1/8 of its size (the decoder's own scaling, far faster) but not
    below that, then averaged down; `size` stays the image's own."""
    name, data = _read_source(source)
    if not data:
        raise ImageLoadError(f"{name}: the file is empty (0 bytes)")
    with warnings.catch_warnings():
        # Pillow only warns about bombs below twice its limit; a warning is an error here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        # Pillow's other warnings are about damage it works around ("Tag data larger than
        # file"): the image either decodes or fails below, a warning must not escape.
        warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageLoadError(_bomb_message(name, f"{width}×{height}"))
                if width == 0 or height == 0:
                    raise ImageLoadError(f"{name}: the image has no pixels")
                image.seek(0)
                if image.format == "JPEG" and image.mode in ("RGB", "L"):
                    # Decode the luminance alone: a JPEG stores it as such (Y = ITU-R 601, the
                    # weights below), and a 12 MP photo decodes four times faster.
                    scale = math.sqrt(min(1.0, (at_most or math.inf) / (width * height)))
                    image.draft("L", (math.ceil(width * scale), math.ceil(height * scale)))
                image.load()
                upright = _upright(image)
                turned = upright.size != image.size
                size = (height, width) if turned else (width, height)
                return Photo(_grey_at_most(upright, at_most), size)
        except ImageLoadError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            # Pillow refuses in Image.open, before the size is ours to see: its text gives the count
            found = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = f"{int(found.group(1)):,}" if found else "too many"
            raise ImageLoadError(_bomb_message(name, pixels)) from exc
        except UnidentifiedImageError as exc:
            raise ImageLoadError(f"{name}: not an image (or a format Pillow cannot read)") from exc
        except (OSError, SyntaxError, EOFError, ValueError, IndexError, TypeError) as exc:
            raise ImageLoadError(f"{name}: damaged or truncated image ({exc})") from exc


def reduced_size(width: int, height: int, pixels: int) -> tuple[int, int]:
    """(width, height) scaled to at most `pixels` pixels, aspect kept; unchanged when smaller.

    Never over `pixels`: a rounding up would make the ink map's labelling block-reduce it
    (`segmentation.LABEL_PIXELS`), halving every digit for the split.
    """
    scale = min(1.0, math.sqrt(pixels / max(width * height, 1)))
    if scale == 1.0:
        return width, height
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def area_reduced(grey: np.ndarray, pixels: int) -> np.ndarray:
    """A float32 grey (H, W) averaged down to about `pixels` pixels (itself when smaller)."""
    height, width = grey.shape
    size = reduced_size(width, height, pixels)
    if size == (width, height):
        return grey
    image = Image.fromarray(np.ascontiguousarray(grey, dtype=np.float32))
    return np.asarray(image.resize(size, Image.Resampling.BOX))


def _grey_at_most(image: Image.Image, pixels: int | None) -> np.ndarray:
    """`grey_from_image`, averaged down to about `pixels`; an 8-bit grey (a JPEG's luminance)
    is reduced by Pillow before the float copy of all its pixels is made."""
    if pixels is None:
        return grey_from_image(image)
    size = reduced_size(*image.size, pixels)
    if image.mode == "L" and "transparency" not in image.info and size != image.size:
        # averaged in 8 bits (a third of the time of floats; the rounding, half a level, is
        # far under a photo's noise), then made float
        reduced = image.resize(size, Image.Resampling.BOX)
        return np.asarray(reduced, dtype=np.float32) / np.float32(255.0)
    return area_reduced(grey_from_image(image), pixels)


def grey_from_image(image: Image.Image) -> np.ndarray:
    """Convert a Pillow image of any mode to float32 luminance in [0, 1], alpha over white."""
    mode = image.mode
    if "transparency" in image.info and mode in ("1", "L", "P", "RGB"):
        image, mode = image.convert("RGBA"), "RGBA"  # a transparent colour (tRNS, GIF)
    if mode == "1":
        return np.asarray(image, dtype=np.float32)
    if mode == "L":
        return np.asarray(image, dtype=np.float32) / 255.0
    if mode.startswith("I;16"):
        return np.asarray(image).astype(np.float32) / 65535.0
    if mode == "I":
        values = np.asarray(image).astype(np.float64)
        # 16-bit PNG/TIFF decode to "I" in 0..65535; anything wider is stretched to its own range.
        if values.size and (values.min() < 0 or values.max() > 65535):
            return _stretch(values)
        return (values / 65535.0).astype(np.float32)
    if mode == "F":
        return _float_grey(np.asarray(image, dtype=np.float64))
    if mode == "P":
        image = image.convert("RGB")
    elif mode in ("LA", "La", "PA", "RGBa"):
        image = image.convert("RGBA")
    elif mode not in ("RGB", "RGBA"):
        try:  # CMYK, YCbCr, LAB, HSV, RGBX, ...
            image = image.convert("RGB")
        except (ValueError, OSError) as exc:
            raise ImageLoadError(f"unsupported image mode {mode!r}") from exc
    return grey_from_array(np.asarray(image))


def grey_from_array(array: np.ndarray) -> np.ndarray:
    """Grey luminance from an array: (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA (e.g. a canvas).

    Integers are scaled by their type's range (uint8, uint16); floats are taken as 0..1.
    """
    array = np.asarray(array)
    if array.dtype == bool:
        values = array.astype(np.float32)
    elif array.dtype == np.uint8:
        values = array.astype(np.float32) / 255.0
    elif array.dtype == np.uint16:
        values = array.astype(np.float32) / 65535.0
    elif np.issubdtype(array.dtype, np.floating):
        values = np.nan_to_num(array.astype(np.float32), nan=1.0)
    else:
        raise ValueError(f"unsupported array type {array.dtype}")
    if values.ndim == 3 and values.shape[2] == 1:
        values = values[:, :, 0]
    if values.ndim == 2:
        return np.clip(values, 0.0, 1.0)
    if values.ndim != 3 or values.shape[2] not in (2, 3, 4):
        raise ValueError(f"expected (H, W), (H, W, 3) or (H, W, 4), got {array.shape}")
    channels = values.shape[2]
    colour = values[:, :, :3] if channels >= 3 else values[:, :, :1]
    grey = colour @ _LUMA if channels >= 3 else colour[:, :, 0]
    if channels in (2, 4):  # composite onto white paper: transparent means background
        alpha = values[:, :, -1]
        grey = grey * alpha + (1.0 - alpha)
    return np.clip(grey, 0.0, 1.0).astype(np.float32)


def _bomb_message(name: str, pixels: str) -> str:
    return (
        f"{name}: {pixels} pixels is more than the {MAX_PIXELS // 1_000_000} MP limit "
        "(possible decompression bomb)"
    )


def _read_source(source: str | os.PathLike | bytes) -> tuple[str, bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<image bytes>", bytes(source)
    path = Path(source)
    try:
        mode = os.stat(path).st_mode  # before opening: opening a FIFO blocks
        if stat.S_ISDIR(mode):
            raise ImageLoadError(f"{path}: a folder, not an image file")
        if not stat.S_ISREG(mode):
            raise ImageLoadError(f"{path}: not a regular file (a device, pipe or socket)")
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(MAX_FILE_BYTES + 1) if size <= MAX_FILE_BYTES else b""
        if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
            raise ImageLoadError(
                f"{path}: {max(size, len(data)) / 2**20:,.0f} MB is more than the "
                f"{MAX_FILE_BYTES // 2**20} MB limit for an image file"
            )
        return str(path), data
    except OSError as exc:
        raise ImageLoadError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a broken EXIF block is ignored rather than fatal."""
    try:
        return ImageOps.exif_transpose(image)
    except (ValueError, OSError, SyntaxError, KeyError, TypeError):
        return image


def _float_grey(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    values = np.nan_to_num(values, nan=1.0, posinf=1.0, neginf=0.0)
    if finite.size == 0 or (finite.min() >= 0 and finite.max() <= 1):
        return np.clip(values, 0, 1).astype(np.float32)
    if finite.min() >= 0 and finite.max() <= 255:
        return (values / 255.0).astype(np.float32)
    return _stretch(values)


def _stretch(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.ones(values.shape, np.float32)
    return ((values - low) / (high - low)).astype(np.float32)
