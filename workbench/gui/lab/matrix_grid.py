"""A matrix as a grid of numbers, with padding greyed and a window's cells highlighted."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
)

from workbench.core.lab.matrices import fmt

ROW_PX = 28
MIN_COL_PX = 34
PLAIN, FILLER, UNREAD = QColor("#ffffff"), QColor("#ececec"), QColor("#f8dcdc")
TAP, SPAN, PICKED = QColor("#ffc94d"), QColor("#fff1c7"), QColor("#e8892b")
FILLER_TEXT, TEXT = QColor("#8a8a8a"), QColor("#1a1a1a")
MAX_VISIBLE = (11, 12)  # rows, columns shown before the grid scrolls


class MatrixGrid(QTableWidget):
    """Read-only numbers; `highlight` marks the cells a window reads (taps) and its span."""

    def __init__(self) -> None:
        super().__init__()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.setFont(font)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setMinimumSectionSize(10)
            header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verticalHeader().setDefaultSectionSize(ROW_PX)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._values = np.zeros((0, 0))
        self._filler = np.zeros((0, 0), bool)
        self._unread = np.zeros((0, 0), bool)
        self._marked: list[tuple[int, int]] = []

    def set_matrix(
        self,
        values: np.ndarray,
        filler: np.ndarray | None = None,
        unread: np.ndarray | None = None,
    ) -> None:
        """Numbers; filler cells (added zeros) grey, unread cells (dropped by the floor) pink."""
        values = np.atleast_2d(np.asarray(values, np.float64))
        self._values = values
        self._filler = np.zeros(values.shape, bool) if filler is None else filler
        self._unread = np.zeros(values.shape, bool) if unread is None else unread
        self._marked = []
        self.setRowCount(values.shape[0])
        self.setColumnCount(values.shape[1])
        self.setHorizontalHeaderLabels([str(j) for j in range(values.shape[1])])
        self.setVerticalHeaderLabels([str(i) for i in range(values.shape[0])])
        texts = [[fmt(v) for v in row] for row in values]
        width = max((len(t) for row in texts for t in row), default=1)
        col_px = max(MIN_COL_PX, self.fontMetrics().horizontalAdvance("8" * width) + 12)
        self.horizontalHeader().setDefaultSectionSize(col_px)
        for j in range(values.shape[1]):
            self.setColumnWidth(j, col_px)
        for i in range(values.shape[0]):
            self.setRowHeight(i, ROW_PX)
        # Scroll bars only where the grid is cut to MAX_VISIBLE: AsNeeded decides too late.
        as_needed, off = Qt.ScrollBarPolicy.ScrollBarAsNeeded, Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        self.setVerticalScrollBarPolicy(as_needed if values.shape[0] > MAX_VISIBLE[0] else off)
        self.setHorizontalScrollBarPolicy(as_needed if values.shape[1] > MAX_VISIBLE[1] else off)
        for i, row in enumerate(texts):
            for j, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.setItem(i, j, item)
                self._paint(i, j, None)
        self.updateGeometry()

    def text_at(self, row: int, col: int) -> str:
        return self.item(row, col).text()

    def colour_at(self, row: int, col: int) -> str:
        return self.item(row, col).background().color().name()

    def highlight(
        self,
        taps: list[tuple[int, int]],
        span: tuple[int, int, int, int] | None = None,
        picked: tuple[int, int] | None = None,
    ) -> None:
        """Taps in amber, the rest of the (dilated) window's span pale, one picked cell darker."""
        for i, j in self._marked:
            self._paint(i, j, None)
        marked = []
        if span is not None:
            top, left, bottom, right = span
            for i in range(top, bottom + 1):
                for j in range(left, right + 1):
                    self._paint(i, j, SPAN)
                    marked.append((i, j))
        for i, j in taps:
            self._paint(i, j, TAP)
            marked.append((i, j))
        if picked is not None:
            self._paint(*picked, PICKED, bold=True)
            marked.append(picked)
        self._marked = marked
        if taps:
            self.scrollToItem(self.item(*taps[0]))
            self.scrollToItem(self.item(*taps[-1]))

    def _paint(self, i: int, j: int, colour: QColor | None, bold: bool = False) -> None:
        item = self.item(i, j)
        if item is None:
            return
        filler = bool(self._filler[i, j])
        rest = UNREAD if self._unread[i, j] else FILLER if filler else PLAIN
        item.setBackground(QBrush(colour or rest))
        item.setForeground(QBrush(FILLER_TEXT if filler and colour is None else TEXT))
        font = QFont(self.font())
        font.setBold(bold)
        item.setFont(font)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """The whole grid, or MAX_VISIBLE rows and columns of it with scroll bars."""
        rows, cols = self.rowCount(), self.columnCount()
        shown_rows, shown_cols = min(rows, MAX_VISIBLE[0]), min(cols, MAX_VISIBLE[1])
        frame = 2 * self.frameWidth()
        width = self.verticalHeader().sizeHint().width() + frame
        width += sum(self.columnWidth(j) for j in range(shown_cols))
        height = self.horizontalHeader().sizeHint().height() + frame
        height += sum(self.rowHeight(i) for i in range(shown_rows))
        if shown_cols < cols:
            height += self.horizontalScrollBar().sizeHint().height()
        if shown_rows < rows:
            width += self.verticalScrollBar().sizeHint().width()
        return QSize(width, height)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(60, 60)
