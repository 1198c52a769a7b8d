"""The digits of a photo in reading order: each 28×28 crop with its top-2, in one painted strip."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from workbench.core.recognition.page import PageDigit
from workbench.core.recognition.reading import reading_text
from workbench.gui.widgets.qt_numpy import qimage_from_grey

TILE = 84  # 3× the 28×28 input
GAP = 10
TEXT_H = 40
SELECTED = QColor(33, 102, 172)


EMPTY_TEXT = "The digits found appear here, in reading order."


class DigitStrip(QWidget):
    """Tiles left to right; a click selects (Ctrl/Shift adds to the selection)."""

    tile_clicked = Signal(int, bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._digits: list[PageDigit] = []
        self._images = []
        self._selected: set[int] = set()
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._resize()

    def set_digits(self, digits: list[PageDigit], selected: set[int]) -> None:
        self._digits = list(digits)
        self._images = [None if d.image is None else qimage_from_grey(d.image) for d in digits]
        self._selected = set(selected)
        self._resize()
        self.update()

    def set_selected(self, selected: set[int]) -> None:
        self._selected = set(selected)
        self.update()

    def tile_count(self) -> int:
        return len(self._digits)

    def tile_rect(self, index: int) -> QRectF:
        return QRectF(GAP + index * (TILE + GAP), GAP / 2, TILE, TILE)

    def _resize(self) -> None:
        width = GAP + max(len(self._digits), 1) * (TILE + GAP)
        if not self._digits:  # room for the whole placeholder sentence
            width = max(width, 2 * GAP + self.fontMetrics().horizontalAdvance(EMPTY_TEXT))
        self.setFixedSize(QSize(width, TILE + TEXT_H + GAP))

    def mousePressEvent(self, event) -> None:
        index = int((event.position().x() - GAP / 2) // (TILE + GAP))
        if 0 <= index < len(self._digits) and event.button() == Qt.MouseButton.LeftButton:
            add = bool(
                event.modifiers()
                & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
            )
            self.tile_clicked.emit(index, add)
            return
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if not self._digits:
            painter.setPen(QColor(110, 110, 120))
            painter.drawText(
                self.rect().adjusted(GAP, 0, 0, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                EMPTY_TEXT,
            )
            painter.end()
            return
        big = QFont(painter.font())
        big.setPointSizeF(12)
        big.setBold(True)
        small = QFont(painter.font())
        small.setPointSizeF(9)
        snug = QFont(big)  # the reading when "> 99 %" makes it wider than its tile
        snug.setPointSizeF(10)
        for index, (digit, image) in enumerate(zip(self._digits, self._images, strict=True)):
            rect = self.tile_rect(index)
            painter.fillRect(rect, QColor(0, 0, 0))
            if image is not None:
                painter.drawImage(rect, image)
            selected = index in self._selected
            painter.setPen(
                QPen(SELECTED if selected else QColor(120, 120, 130), 3 if selected else 1)
            )
            painter.drawRect(rect.adjusted(-1, -1, 1, 1))
            text = QRectF(rect.left() - GAP / 2, rect.bottom() + 2, TILE + GAP, 20)
            painter.setPen(QColor(20, 20, 30))
            first = reading_text(*digit.top[0]) if digit.top else "–"
            fits = QFontMetricsF(big).horizontalAdvance(first) <= text.width() - 6
            painter.setFont(big if fits else snug)
            painter.drawText(text, Qt.AlignmentFlag.AlignCenter, first)
            if len(digit.top) > 1:
                painter.setFont(small)
                painter.setPen(QColor(100, 100, 110))
                second = f"2nd: {reading_text(*digit.top[1])}"  # the runner-up
                painter.drawText(
                    text.translated(QPointF(0, 18)), Qt.AlignmentFlag.AlignCenter, second
                )
        painter.end()
