"""One feature map, large, with its value written in every cell."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QDialog, QLabel, QToolTip, QVBoxLayout, QWidget

from workbench.core.colours import VIRIDIS, colourise
from workbench.gui.widgets.qt_numpy import qimage_from_rgb

MIN_CELL_FOR_TEXT = 22


class MapDetail(QWidget):
    """A 2-D map drawn as coloured cells with the values printed where the cells are big enough."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._values: np.ndarray | None = None
        self._colours: np.ndarray | None = None
        self._image = None
        self.setMinimumSize(280, 280)
        self.setMouseTracking(True)

    def set_map(
        self, values: np.ndarray | None, low: float, high: float, lut: np.ndarray = VIRIDIS
    ) -> None:
        self._values = values
        if values is None:
            self._colours = self._image = None
        else:
            self._colours = colourise(values, low, high, lut)
            self._image = qimage_from_rgb(self._colours)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(640, 640)

    def _grid_rect(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        rect = self._grid_rect()
        if self._values is None or self._image is None:
            painter.fillRect(rect, QColor(235, 235, 240))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "no input")
            painter.end()
            return
        painter.drawImage(rect, self._image)
        rows, cols = self._values.shape
        cell = rect.width() / cols
        if cell >= MIN_CELL_FOR_TEXT:
            font = QFont(painter.font())
            font.setPointSizeF(max(6.0, min(11.0, cell / 4.2)))
            painter.setFont(font)
            for r in range(rows):
                for c in range(cols):
                    red, green, blue = (int(v) for v in self._colours[r, c])
                    light = 0.299 * red + 0.587 * green + 0.114 * blue > 140
                    painter.setPen(QColor(0, 0, 0) if light else QColor(255, 255, 255))
                    box = QRectF(rect.left() + c * cell, rect.top() + r * cell, cell, cell)
                    painter.drawText(
                        box, Qt.AlignmentFlag.AlignCenter, _short(float(self._values[r, c]))
                    )
        painter.setPen(QPen(QColor(90, 90, 100), 1))
        painter.drawRect(rect)
        painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self._values is not None:
            rect = self._grid_rect()
            rows, cols = self._values.shape
            position = QPointF(event.pos())
            if rect.contains(position):
                c = min(int((position.x() - rect.left()) / rect.width() * cols), cols - 1)
                r = min(int((position.y() - rect.top()) / rect.height() * rows), rows - 1)
                value = float(self._values[r, c])
                QToolTip.showText(event.globalPos(), f"row {r}, column {c}: {value:.5g}", self)
            return True
        return super().event(event)


def _short(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 10:
        return f"{value:.0f}"
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.2f}".replace("0.", ".", 1)


class MapDetailDialog(QDialog):
    """A window beside the main one; it follows the current input while open."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Feature map")
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 13pt;")
        self.stats = QLabel()
        self.stats.setStyleSheet("color: #444;")
        self.detail = MapDetail()
        layout.addWidget(self.title)
        layout.addWidget(self.stats)
        layout.addWidget(self.detail, 1)
        self.resize(680, 740)

    def set_map(
        self,
        title: str,
        values: np.ndarray | None,
        low: float,
        high: float,
        lut: np.ndarray = VIRIDIS,
    ) -> None:
        self.title.setText(title)
        self.setWindowTitle(f"Feature map — {title}")
        if values is None:
            self.stats.setText("no input")
        else:
            self.stats.setText(
                f"{values.shape[0]}×{values.shape[1]} · min {values.min():.4g} · "
                f"max {values.max():.4g} · mean {values.mean():.4g} · "
                f"layer colour scale {low:.3g} → {high:.3g}"
            )
        self.detail.set_map(values, low, high, lut)
