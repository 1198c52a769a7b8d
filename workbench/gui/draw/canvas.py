"""The drawing canvas: a square sheet of paper with round anti-aliased strokes, undo per stroke."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from workbench.gui.widgets.qt_numpy import ink_from_qimage

MODEL_SIDE = 280  # the image the network's input is made from: 10× MNIST, plenty for 20 px
DEFAULT_BRUSH = 0.08  # stroke width as a share of the side: MNIST pens are ~1/8 of the digit
INK = QColor(20, 20, 28)
PAPER = QColor(255, 255, 255)


@dataclass
class Stroke:
    width: float  # share of the canvas side
    points: list[QPointF] = field(default_factory=list)  # in [0, 1] canvas units


class DrawingCanvas(QWidget):
    """Draw with mouse, pen or touch (Qt turns pen and touch into mouse events for a widget).

    `drawing_changed` fires while drawing, coalesced to at most once per event-loop turn, so a
    slow listener never makes the strokes lag; `stroke_finished` when a stroke ends; `cleared`
    after clear(). Strokes live as vectors: the screen copy is redrawn crisply at any size and
    the network's copy is a fixed MODEL_SIDE² grey image.
    """

    drawing_changed = Signal()
    stroke_finished = Signal()
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Draw one digit, big and centred. Ctrl+Z undoes a stroke.")
        self._strokes: list[Stroke] = []
        self._current: Stroke | None = None
        self._brush = DEFAULT_BRUSH
        self._model_image = QImage(MODEL_SIDE, MODEL_SIDE, QImage.Format.Format_Grayscale8)
        self._model_image.fill(PAPER)
        self._screen = QImage()
        self._notify = QTimer(self, singleShot=True, interval=0)
        self._notify.timeout.connect(self.drawing_changed)

    # -- what the rest of the window asks -------------------------------------------------------

    def ink(self) -> np.ndarray:
        """The drawing as float32 (MODEL_SIDE, MODEL_SIDE) ink: 1.0 full ink on 0.0 paper."""
        return ink_from_qimage(self._model_image)

    def is_empty(self) -> bool:
        return not self._strokes and self._current is None

    def stroke_count(self) -> int:
        return len(self._strokes)

    def brush_width(self) -> float:
        return self._brush

    def set_brush_width(self, share: float) -> None:
        """Width of the next strokes, as a share of the canvas side (0.01 … 0.3)."""
        self._brush = float(min(max(share, 0.01), 0.3))

    def undo(self) -> bool:
        """Remove the last stroke; False when there was none."""
        if not self._strokes:
            return False
        self._strokes.pop()
        self._redraw_all()
        self.drawing_changed.emit()
        if not self._strokes:
            self.cleared.emit()
        return True

    def clear(self) -> None:
        self._strokes.clear()
        self._current = None
        self._redraw_all()
        self.drawing_changed.emit()
        self.cleared.emit()

    def draw_stroke(
        self, points: Sequence[tuple[float, float]], width: float | None = None
    ) -> None:
        """Add one whole stroke through `points` in [0, 1] canvas units (for tests and demos)."""
        if not points:
            return
        stroke = Stroke(self._brush if width is None else width)
        self._begin(stroke, QPointF(*points[0]))
        for x, y in points[1:]:
            self._extend(QPointF(x, y))
        self._finish()

    # -- mouse, pen and touch -------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._begin(Stroke(self._brush), self._to_canvas(event.position()))
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        # Not event.buttons(): some platforms and test drivers send moves without button state.
        if self._current is None:
            return super().mouseMoveEvent(event)
        self._extend(self._to_canvas(event.position()))
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self._current is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        self._extend(self._to_canvas(event.position()))
        self._finish()
        event.accept()

    # -- drawing --------------------------------------------------------------------------------

    def _begin(self, stroke: Stroke, point: QPointF) -> None:
        was_empty = self.is_empty()
        self._current = stroke
        stroke.points.append(point)
        self._paint_segment(stroke, point, point)
        if was_empty:
            self.update()  # the whole sheet: the "draw a digit here" placeholder goes at once

    def _extend(self, point: QPointF) -> None:
        stroke = self._current
        if stroke is None:
            return
        last = stroke.points[-1]
        if abs(last.x() - point.x()) + abs(last.y() - point.y()) < 1e-4:
            return
        stroke.points.append(point)
        self._paint_segment(stroke, last, point)

    def _finish(self) -> None:
        if self._current is None:
            return
        self._strokes.append(self._current)
        self._current = None
        self._notify.stop()
        self.drawing_changed.emit()
        self.stroke_finished.emit()

    def _paint_segment(self, stroke: Stroke, start: QPointF, end: QPointF) -> None:
        """Paint one segment on the network's image and the screen copy; repaint only that bit."""
        _paint_line(self._model_image, MODEL_SIDE, stroke.width, start, end)
        if not self._screen.isNull():
            side = self._screen.width()
            _paint_line(self._screen, side, stroke.width, start, end)
        rect = self._paper_rect()
        half = stroke.width * rect.width() / 2 + 2
        x0, x1 = sorted((start.x(), end.x()))
        y0, y1 = sorted((start.y(), end.y()))
        dirty = QRectF(
            rect.x() + x0 * rect.width() - half,
            rect.y() + y0 * rect.height() - half,
            (x1 - x0) * rect.width() + 2 * half,
            (y1 - y0) * rect.height() + 2 * half,
        )
        self.update(dirty.toAlignedRect())
        if not self._notify.isActive():
            self._notify.start()

    def _redraw_all(self) -> None:
        self._model_image.fill(PAPER)
        _paint_strokes(self._model_image, MODEL_SIDE, self._strokes)
        self._render_screen()
        self.update()

    def _render_screen(self) -> None:
        rect = self._paper_rect()
        ratio = self.devicePixelRatioF()
        side = max(1, round(rect.width() * ratio))
        self._screen = QImage(side, side, QImage.Format.Format_RGB32)
        self._screen.fill(PAPER)
        strokes = self._strokes + ([self._current] if self._current else [])
        _paint_strokes(self._screen, side, strokes)

    def _paper_rect(self) -> QRectF:
        """The largest centred square in the widget: the canvas scales with the window."""
        side = max(1, min(self.width(), self.height()) - 2)
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_canvas(self, position: QPointF) -> QPointF:
        rect = self._paper_rect()
        return QPointF(
            (position.x() - rect.x()) / rect.width(), (position.y() - rect.y()) / rect.height()
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._render_screen()
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(480, 480)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        rect = self._paper_rect()
        if self._screen.isNull() or self._screen.width() != round(
            rect.width() * self.devicePixelRatioF()
        ):
            self._render_screen()
        painter.drawImage(rect, self._screen)
        painter.setPen(QPen(QColor(150, 150, 160), 1))
        painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
        if self.is_empty():
            painter.setPen(QColor(160, 160, 170))
            font = painter.font()
            font.setPointSizeF(max(11.0, rect.width() / 22))
            painter.setFont(font)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "draw a digit here")
        painter.end()


def _pen(side: int, width: float) -> QPen:
    pen = QPen(INK, max(1.0, width * side))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _paint_line(image: QImage, side: int, width: float, start: QPointF, end: QPointF) -> None:
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(_pen(side, width))
    painter.drawLine(start * side, end * side)
    painter.end()


def _paint_strokes(image: QImage, side: int, strokes: Sequence[Stroke]) -> None:
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for stroke in strokes:
        painter.setPen(_pen(side, stroke.width))
        points = [p * side for p in stroke.points]
        if len(points) == 1:
            painter.drawPoint(points[0])
        else:
            painter.drawPolyline(points)
    painter.end()
