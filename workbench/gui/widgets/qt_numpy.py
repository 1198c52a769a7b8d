"""The one place where QImage and numpy arrays turn into each other."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def grey_from_qimage(image: QImage) -> np.ndarray:
    """float32 (H, W) luminance in [0, 1] (0 black, 1 white) from any QImage; alpha over white."""
    if image.isNull():
        raise ValueError("the image is empty")
    if image.format() == QImage.Format.Format_Grayscale8:
        return _grey8_view(image).astype(np.float32) * np.float32(1 / 255)
    if image.hasAlphaChannel():
        rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
        array = _rgba_view(rgba).astype(np.float32) * np.float32(1 / 255)
        grey = array[:, :, :3] @ np.array([0.299, 0.587, 0.114], np.float32)
        alpha = array[:, :, 3]
        return np.clip(grey * alpha + (1.0 - alpha), 0.0, 1.0).astype(np.float32)
    grey8 = image.convertToFormat(QImage.Format.Format_Grayscale8)
    return _grey8_view(grey8).astype(np.float32) * np.float32(1 / 255)


def ink_from_qimage(image: QImage) -> np.ndarray:
    """float32 (H, W) ink in [0, 1] (1 full ink) from a Grayscale8 drawing of dark ink on white."""
    if image.format() != QImage.Format.Format_Grayscale8:
        image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    values = _grey8_view(image)
    return (255 - values).astype(np.float32) * np.float32(1 / 255)


def qimage_from_grey(grey: np.ndarray) -> QImage:
    """A Grayscale8 QImage (owning its pixels) from (H, W) floats in [0, 1] or uint8."""
    array = np.asarray(grey)
    if array.dtype != np.uint8:
        array = np.clip(np.round(array * 255.0), 0, 255).astype(np.uint8)
    array = np.ascontiguousarray(array)
    height, width = array.shape
    return QImage(array.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


def qimage_from_rgb(rgb: np.ndarray) -> QImage:
    """An RGB888 QImage (owning its pixels) from a (H, W, 3) uint8 array."""
    array = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width, channels = array.shape
    if channels != 3:
        raise ValueError(f"expected (H, W, 3), got {array.shape}")
    return QImage(array.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def qimage_from_rgba(rgba: np.ndarray) -> QImage:
    """An RGBA8888 QImage (owning its pixels) from a (H, W, 4) uint8 array, not premultiplied."""
    array = np.ascontiguousarray(rgba, dtype=np.uint8)
    height, width, channels = array.shape
    if channels != 4:
        raise ValueError(f"expected (H, W, 4), got {array.shape}")
    return QImage(array.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


def colour_table(lut: np.ndarray) -> list[int]:
    """A QImage colour table (0xAARRGGBB ints) from a (256, 3) uint8 LUT."""
    rgb = np.asarray(lut, dtype=np.uint32)
    return [int(v) for v in 0xFF000000 | rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2]]


def qimage_from_indexed(index: np.ndarray, table: list[int]) -> QImage:
    """An Indexed8 QImage (owning its pixels) of (H, W) uint8 LUT positions and a colour table.

    Cheaper than colouring in numpy: Qt looks the colours up when it paints.
    """
    array = np.ascontiguousarray(index, dtype=np.uint8)
    height, width = array.shape
    image = QImage(array.data, width, height, width, QImage.Format.Format_Indexed8).copy()
    image.setColorTable(table)
    return image


def _grey8_view(image: QImage) -> np.ndarray:
    """A read-only view of a Grayscale8 image's pixels (rows may be padded to 4 bytes)."""
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, :width]


def _rgba_view(image: QImage) -> np.ndarray:
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, : 4 * width].reshape(height, width, 4)
