"""A conv layer's filters shown as the core's one filter picture (Anatomy view, epoch scrubber)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QWidget

from workbench.core.model.filters import filter_mosaic, filter_scale, filter_tile_count
from workbench.gui.widgets.qt_numpy import qimage_from_rgb


class FilterPicture(QLabel):
    """`set_weights(weights [out, in, kh, kw])` draws them on the layer's blue–white–red scale."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._tiles = 0
        self._scale: tuple[float, float, np.ndarray] | None = None

    def set_weights(self, weights: np.ndarray) -> None:
        self._tiles = filter_tile_count(weights)
        self._scale = filter_scale(weights)
        self.setPixmap(QPixmap.fromImage(qimage_from_rgb(filter_mosaic(weights))))

    def tile_count(self) -> int:
        """The kernels drawn (one tile each)."""
        return self._tiles

    def scale(self) -> tuple[float, float, np.ndarray] | None:
        """(low, high, LUT) of the last weights, for a colour bar beside the picture."""
        return self._scale
