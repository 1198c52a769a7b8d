"""One side of the padded input drawn as a strip, with every window position as a bar below it."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from workbench.core.lab.sliding import SizeReport

CELL_ROW_PX, LANE_PX, MAX_LANES, LABEL_PX = 18, 7, 8, 18
INPUT, PADDING, UNREAD = QColor("#d9e6f5"), QColor("#ececec"), QColor("#f3b7b7")
WINDOW = QColor("#e8a31c")


class AxisStrip(QWidget):
    """N + 2P cells in a row (padding grey, cells no window reaches pink), windows as bars."""

    def __init__(self) -> None:
        super().__init__()
        self.report: SizeReport | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(200)

    def set_report(self, report: SizeReport | None) -> None:
        self.report = report
        self.updateGeometry()
        self.update()

    def lanes(self) -> int:
        if self.report is None:
            return 1
        return max(1, min(MAX_LANES, math.ceil(self.report.extent / self.report.stride)))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(600, CELL_ROW_PX + 6 + self.lanes() * LANE_PX + 2 * LABEL_PX)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(200, self.sizeHint().height())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        r = self.report
        if r is None or r.out < 1:
            return
        cells = r.n + 2 * r.padding
        scale = (self.width() - 2) / cells
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        grid_pen = QPen(QColor("#9aa7b5")) if scale >= 4 else Qt.PenStyle.NoPen
        painter.setPen(grid_pen)
        for c in range(cells):
            if c >= cells - r.dropped:
                colour = UNREAD
            elif c < r.padding or c >= r.padding + r.n:
                colour = PADDING
            else:
                colour = INPUT
            painter.setBrush(colour)
            painter.drawRect(QRectF(1 + c * scale, 0, max(scale, 1.0), CELL_ROW_PX))
        lanes = self.lanes()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(WINDOW)
        top = CELL_ROW_PX + 6
        for k in range(r.out):
            start = k * r.stride
            y = top + (k % lanes) * LANE_PX
            painter.drawRect(QRectF(1 + start * scale, y, r.extent * scale, LANE_PX - 2))
        painter.setPen(QColor("#333333"))
        text_y = top + lanes * LANE_PX + LABEL_PX - 4
        last = (r.out - 1) * r.stride
        painter.drawText(
            2, text_y,
            f"{r.out} windows of {r.extent} cells, {r.stride} apart: the first covers cells "
            f"0–{r.extent - 1}, the last {last}–{last + r.extent - 1} of 0–{cells - 1}",
        )  # fmt: skip
        if r.dropped:
            painter.drawText(2, text_y + LABEL_PX, f"pink: the {r.dropped} cell(s) no window reads")
        painter.end()
