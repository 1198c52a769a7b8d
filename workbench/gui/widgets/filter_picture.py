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
        self._picture = QPixmap()
        self._zoom = 1

    def set_weights(self, weights: np.ndarray) -> None:
        self._tiles = filter_tile_count(weights)
        self._scale = filter_scale(weights)
        self._picture = QPixmap.fromImage(qimage_from_rgb(filter_mosaic(weights)))
        self.set_zoom(self._zoom)

    def set_zoom(self, factor: int) -> None:
        """Draw the picture `factor` times as large, each weight a sharp square (for slides)."""
        self._zoom = max(1, int(factor))
        if self._picture.isNull():
            return
        size = self._picture.size() * self._zoom
        self.setPixmap(
            self._picture.scaled(
                size,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.FastTransformation,  # nearest: no blurred weights
            )
        )

    def zoom(self) -> int:
        return self._zoom

    def tile_count(self) -> int:
        """The kernels drawn (one tile each)."""
        return self._tiles

    def scale(self) -> tuple[float, float, np.ndarray] | None:
        """(low, high, LUT) of the last weights, for a colour bar beside the picture."""
        return self._scale
