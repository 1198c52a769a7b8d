"""The pieces of a layer's row in the feature-map view: tiles, unit bars, the colour bar."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from workbench.core.colours import VIRIDIS, colourise, grid_shape, scale_index
from workbench.gui.widgets.qt_numpy import colour_table, qimage_from_indexed, qimage_from_rgb

GAP = 4
BAR_HEIGHT = 70


_TABLES: dict[int, list[int]] = {}


def _table(lut: np.ndarray) -> list[int]:
    """The QImage colour table of one of the module's LUTs, made once."""
    table = _TABLES.get(id(lut))
    if table is None:
        table = _TABLES[id(lut)] = colour_table(lut)
    return table


class MapGrid(QWidget):
    """A layer's maps as tiles on one shared colour scale; updated in place, never rebuilt."""

    tile_clicked = Signal(int)

    def __init__(self, count: int, height: int, width: int, parent: QWidget | None = None):
        super().__init__(parent)
        self._count, self._h, self._w = count, height, width
        self._rows, self._cols = grid_shape(count)
        self._base_tile = min(108.0, 12.0 * max(height, width))
        self._max_tile = self._base_tile
        self._image = QImage()
        self._maps: np.ndarray | None = None
        sp = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def tile_count(self) -> int:
        return self._count

    def set_zoom(self, zoom: float) -> None:
        """Tiles up to `zoom` times their usual largest size (presentation size)."""
        self._max_tile = self._base_tile * zoom
        self.updateGeometry()
        self.update()

    def tile_side(self) -> float:
        return self._tile_side()

    def grid(self) -> tuple[int, int]:
        return self._rows, self._cols

    def set_maps(
        self,
        maps: np.ndarray | None,
        low: float = 0.0,
        high: float = 1.0,
        lut: np.ndarray = VIRIDIS,
    ) -> None:
        """maps [count, h, w]; None blanks the tiles."""
        self._maps = maps
        if maps is None:
            self._image = QImage()
        else:
            rows, cols, h, w = self._rows, self._cols, self._h, self._w
            index = scale_index(maps, low, high)  # [n, h, w] positions on the LUT
            if rows * cols > self._count:
                blank = np.zeros((rows * cols - self._count, h, w), np.uint8)
                index = np.concatenate([index, blank])
            # Tiles side by side in one image: [rows, cols, h, w] → [rows·h, cols·w].
            mosaic = index.reshape(rows, cols, h, w).transpose(0, 2, 1, 3)
            self._image = qimage_from_indexed(mosaic.reshape(rows * h, cols * w), _table(lut))
        self.update()

    def _tile_side(self, width: float | None = None) -> float:
        width = self.width() if width is None else width
        fit = (width - (self._cols - 1) * GAP) / max(self._cols, 1)
        return max(8.0, min(self._max_tile, fit))

    def tile_rect(self, index: int) -> QRectF:
        side = self._tile_side()
        r, c = divmod(index, self._cols)
        left = (self.width() - (self._cols * side + (self._cols - 1) * GAP)) / 2
        aspect = self._h / max(self._w, 1)
        return QRectF(left + c * (side + GAP), r * (side * aspect + GAP), side, side * aspect)

    def tile_at(self, position: QPointF) -> int | None:
        for index in range(self._count):
            if self.tile_rect(index).contains(position):
                return index
        return None

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        side = self._tile_side(width) * self._h / max(self._w, 1)
        return math.ceil(self._rows * side + (self._rows - 1) * GAP)

    def sizeHint(self) -> QSize:
        width = round(self._cols * self._max_tile + (self._cols - 1) * GAP)
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        width = self._cols * 8 + (self._cols - 1) * GAP
        return QSize(width, self.heightForWidth(width))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        border = QPen(QColor(120, 120, 130), 1)
        for index in range(self._count):
            target = self.tile_rect(index)
            if self._image.isNull():
                painter.fillRect(target, QColor(235, 235, 240))
            else:
                r, c = divmod(index, self._cols)
                source = QRectF(c * self._w, r * self._h, self._w, self._h)
                painter.drawImage(target, self._image, source)
            painter.setPen(border)
            painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))
        painter.end()

    def mousePressEvent(self, event) -> None:
        index = self.tile_at(event.position())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self.tile_clicked.emit(index)
            event.accept()
            return
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            index = self.tile_at(QPointF(event.pos()))
            if index is None:
                QToolTip.hideText()
            else:
                text = f"map {index + 1} of {self._count}"
                if self._maps is not None:
                    tile = self._maps[index]
                    text += f"\nmax {tile.max():.3g}, mean {tile.mean():.3g}\nclick to enlarge"
                QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)


class UnitBars(QWidget):
    """A fully connected layer (or the output) as one bar per unit on the layer's scale."""

    def __init__(self, count: int, labels: list[str] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._count = count
        self._labels = labels
        self._values: np.ndarray | None = None
        self._low, self._high, self._lut = 0.0, 1.0, VIRIDIS
        self.base_height = BAR_HEIGHT + (18 if labels else 0)
        self.setMinimumHeight(self.base_height)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def tile_count(self) -> int:
        return self._count

    def set_values(
        self,
        values: np.ndarray | None,
        low: float = 0.0,
        high: float = 1.0,
        lut: np.ndarray = VIRIDIS,
    ) -> None:
        self._values = values
        self._low, self._high, self._lut = low, high, lut
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(360, self.minimumHeight())

    def _bar_area(self) -> QRectF:
        bottom = 18 if self._labels else 0
        return QRectF(0, 2, self.width(), self.height() - 4 - bottom)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        area = self._bar_area()
        painter.fillRect(area, QColor(245, 245, 248))
        step = area.width() / max(self._count, 1)
        span = max(self._high - self._low, 1e-12)
        zero_y = area.bottom() - (0 - self._low) / span * area.height()
        if self._values is not None:
            colours = colourise(self._values, self._low, self._high, self._lut)
            top_index = int(np.argmax(self._values)) if self._labels else -1
            for index, value in enumerate(self._values):
                y = area.bottom() - (float(value) - self._low) / span * area.height()
                rect = QRectF(
                    area.left() + index * step + (1 if step > 4 else 0),
                    min(y, zero_y),
                    max(step - (2 if step > 4 else 0), 1.0),
                    abs(zero_y - y),
                )
                colour = QColor(*colours[index])
                if self._labels and index != top_index:
                    colour = QColor(140, 160, 190)
                painter.fillRect(rect, colour)
        painter.setPen(QPen(QColor(120, 120, 130), 1))
        painter.drawLine(QPointF(area.left(), zero_y), QPointF(area.right(), zero_y))
        if self._labels:
            font = QFont(painter.font())
            font.setPointSizeF(9)
            painter.setFont(font)
            painter.setPen(QColor(40, 40, 50))
            for index, label in enumerate(self._labels):
                cell = QRectF(area.left() + index * step, area.bottom() + 2, step, 16)
                painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, label)
        painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            step = self.width() / max(self._count, 1)
            index = int(event.pos().x() // step)
            if 0 <= index < self._count:
                name = self._labels[index] if self._labels else f"unit {index + 1}"
                value = "" if self._values is None else f": {float(self._values[index]):.4g}"
                QToolTip.showText(event.globalPos(), f"{name}{value}", self)
            return True
        return super().event(event)


class ColourBar(QWidget):
    """The layer's colour scale with its end values."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._low, self._high, self._lut = 0.0, 1.0, VIRIDIS
        self._strip = qimage_from_rgb(VIRIDIS[None, :, :])
        self._known = False
        self.setFixedHeight(16)
        self.setMinimumWidth(150)

    def set_scale(self, low: float, high: float, lut: np.ndarray) -> None:
        if lut is not self._lut:
            self._strip = qimage_from_rgb(lut[None, :, :])
        self._low, self._high, self._lut, self._known = low, high, lut, True
        self.update()

    def clear(self) -> None:
        self._known = False
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        font = QFont(painter.font())
        font.setPointSizeF(8.5)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        low, high = (f"{self._low:.3g}", f"{self._high:.3g}") if self._known else ("", "")
        left_w = max(metrics.horizontalAdvance(low), 28) + 4
        right_w = max(metrics.horizontalAdvance(high), 28) + 4
        strip = QRectF(left_w, 3, self.width() - left_w - right_w, self.height() - 6)
        painter.setPen(QColor(60, 60, 70))
        painter.drawText(
            QRectF(0, 0, left_w - 3, self.height()),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            low,
        )
        painter.drawText(
            QRectF(strip.right() + 3, 0, right_w, self.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            high,
        )
        painter.setOpacity(1.0 if self._known else 0.25)
        painter.drawImage(strip, self._strip)
        painter.end()
