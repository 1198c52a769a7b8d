"""A photo scaled to fit, a labelled box over every digit; click to select, drag to add a box."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from workbench.core.recognition.page import PageDigit
from workbench.core.recognition.reading import reading_text

SURE = QColor(20, 140, 70)
UNSURE = QColor(215, 120, 20)
SELECTED = QColor(33, 102, 172)


class PhotoView(QWidget):
    """Shows boxes and labels; reports clicks and drawn boxes in photo pixels."""

    box_clicked = Signal(int, bool)  # index (-1: none), add to the selection
    box_drawn = Signal(tuple)  # (x, y, w, h) in photo pixels

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image = QImage()
        self._scaled = QPixmap()
        self._digits: list[PageDigit] = []
        self._selected: set[int] = set()
        self._threshold = 0.6
        self._draw_mode = False
        self._drag: tuple[QPointF, QPointF] | None = None
        self.empty_text = (
            "Open an image (Ctrl+O), drop one here or paste one (Ctrl+V).\n"
            "New here? Try File → Open sample."
        )
        self.setMinimumSize(320, 200)
        self.setMouseTracking(True)  # the runner-up of the box under the pointer, as a tooltip
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # -- setters --------------------------------------------------------------------------------

    def set_image(self, image: QImage) -> None:
        self._image = image
        self._scaled = QPixmap()
        self.update()

    def set_digits(self, digits: list[PageDigit], selected: set[int]) -> None:
        self._digits = list(digits)
        self._selected = set(selected)
        self.update()

    def set_threshold(self, threshold: float) -> None:
        self._threshold = threshold
        self.update()

    def set_draw_mode(self, on: bool) -> None:
        self._draw_mode = on
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    # -- geometry -------------------------------------------------------------------------------

    def image_rect(self) -> QRectF:
        if self._image.isNull():
            return QRectF()
        scale = min(self.width() / self._image.width(), self.height() / self._image.height())
        w, h = self._image.width() * scale, self._image.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def box_rect(self, box: tuple[int, int, int, int]) -> QRectF:
        """Where a photo box appears in the widget."""
        rect = self.image_rect()
        scale = rect.width() / max(self._image.width(), 1)
        return QRectF(
            rect.x() + box[0] * scale, rect.y() + box[1] * scale, box[2] * scale, box[3] * scale
        )

    def to_photo(self, point: QPointF) -> QPointF:
        rect = self.image_rect()
        scale = self._image.width() / max(rect.width(), 1e-6)
        return QPointF((point.x() - rect.x()) * scale, (point.y() - rect.y()) * scale)

    def box_at(self, point: QPointF) -> int:
        hits = [i for i, d in enumerate(self._digits) if self.box_rect(d.box).contains(point)]
        if not hits:
            return -1
        return min(hits, key=lambda i: self._digits[i].box[2] * self._digits[i].box[3])

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    # -- events ---------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._image.isNull():
            return super().mousePressEvent(event)
        if self._draw_mode:
            self._drag = (event.position(), event.position())
            return
        add = bool(
            event.modifiers()
            & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        )
        self.box_clicked.emit(self.box_at(event.position()), add)

    def mouseMoveEvent(self, event) -> None:
        if self._drag is not None:
            self._drag = (self._drag[0], event.position())
            self.update()
            return
        index = self.box_at(event.position()) if not self._image.isNull() else -1
        if index < 0:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), hover_text(self._digits[index]), self)

    def mouseReleaseEvent(self, event) -> None:
        if self._drag is None:
            return super().mouseReleaseEvent(event)
        start, end = self.to_photo(self._drag[0]), self.to_photo(event.position())
        self._drag = None
        self.update()
        x0, x1 = sorted((start.x(), end.x()))
        y0, y1 = sorted((start.y(), end.y()))
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            self.box_drawn.emit((round(x0), round(y0), round(x1 - x0), round(y1 - y0)))

    def resizeEvent(self, event) -> None:
        self._scaled = QPixmap()
        super().resizeEvent(event)

    def _room_right(self, index: int, box: QRectF) -> float:
        """Where the next box to the right in the same row begins (the tag stops short of it)."""
        lefts = [
            other.left()
            for j, digit in enumerate(self._digits)
            if j != index
            and (other := self.box_rect(digit.box)).left() > box.left()
            and _overlap_rows(box, other)
        ]
        return min(lefts, default=float("inf"))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(225, 226, 230))
        if self._image.isNull():
            painter.setPen(QColor(90, 90, 100))
            font = QFont(painter.font())
            font.setPointSizeF(12)
            painter.setFont(font)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            painter.end()
            return
        rect = self.image_rect()
        if self._scaled.isNull() or self._scaled.size() != rect.size().toSize():
            self._scaled = QPixmap.fromImage(
                self._image.scaled(
                    rect.size().toSize(),
                    Qt.AspectRatioMode.IgnoreAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        painter.drawPixmap(rect.topLeft(), self._scaled)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(painter.font())
        font.setPointSizeF(9.5)
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for index, digit in enumerate(self._digits):
            box = self.box_rect(digit.box).adjusted(-2, -2, 2, 2)
            sure = bool(digit.top) and digit.top[0][1] >= self._threshold
            colour = SELECTED if index in self._selected else (SURE if sure else UNSURE)
            painter.setPen(QPen(colour, 3 if index in self._selected else 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(box)
            room = min(  # the tag may reach past a narrow box (a '1'), not over the next one
                box.width() * 1.8 + 8, self._room_right(index, box) - box.left() - 2
            )
            label = next(
                (text for text in box_labels(digit) if metrics.horizontalAdvance(text) + 8 <= room),
                box_labels(digit)[-1],
            )
            width = metrics.horizontalAdvance(label) + 8
            tag = QRectF(box.left(), box.top() - metrics.height() - 2, width, metrics.height() + 2)
            if tag.top() < 0:
                tag.moveTop(box.bottom())
            painter.fillRect(tag, colour)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
        if self._drag is not None:
            painter.setPen(QPen(SELECTED, 2, Qt.PenStyle.DashLine))
            painter.drawRect(QRectF(self._drag[0], self._drag[1]).normalized())
        if self._digits:
            self._paint_legend(painter)
        painter.end()

    def _paint_legend(self, painter: QPainter) -> None:
        """What a box label says, in the corner: digit · confidence, colours, hover."""
        font = QFont(painter.font())
        font.setPointSizeF(8.5)
        font.setBold(False)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        entries = [
            (SURE, f"7 · 98 %  digit · confidence (≥ {self._threshold:.0%})"),
            (UNSURE, "not sure (below the threshold)"),
            (None, "hover a box for the runner-up"),
        ]
        line = metrics.height() + 2
        width = max(metrics.horizontalAdvance(text) for _, text in entries) + 26
        box = QRectF(6, self.height() - 6 - line * len(entries) - 6, width, line * len(entries) + 6)
        painter.fillRect(box, QColor(255, 255, 255, 215))
        for row, (colour, text) in enumerate(entries):
            top = box.top() + 3 + row * line
            if colour is not None:
                painter.fillRect(QRectF(box.left() + 5, top + 3, 12, line - 6), colour)
            painter.setPen(QColor(30, 30, 40))
            painter.drawText(
                QRectF(box.left() + 22, top, width, line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )


def _overlap_rows(a: QRectF, b: QRectF) -> bool:
    return min(a.bottom(), b.bottom()) - max(a.top(), b.top()) > 0


def box_labels(digit: PageDigit) -> list[str]:
    """A box's label, longest first: `7 · 98 %`, then `7` where the box is too narrow."""
    if not digit.top:
        return ["no ink" if digit.image is None else "?"]
    first, p_first = digit.top[0]
    return [reading_text(first, p_first), str(first)]


def hover_text(digit: PageDigit) -> str:
    """The tooltip of a box: its reading and the runner-up, in the labels' format."""
    if not digit.top:
        return "no ink in this box" if digit.image is None else "not read yet"
    first, p_first = digit.top[0]
    text = reading_text(first, p_first)
    if len(digit.top) > 1:
        text += f"   runner-up {reading_text(*digit.top[1])}"
    return text
