"""The confusion matrix as a heatmap: ImageItem, ColorBarItem, digit ticks, a number per cell.

Built like pyqtgraph's MatrixDisplayExample. The same widget draws the matrix in the Evaluate
view and, offscreen, the PNG that `workbench eval --png` writes (`render_confusion_png`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPen, QTransform
from PySide6.QtWidgets import QApplication, QGraphicsRectItem, QWidget

from workbench.core.evaluation.metrics import row_normalised

# ColorBrewer "Blues": white for none, dark blue for many; prints well, keeps black text readable.
BLUES = pg.ColorMap(
    np.linspace(0.0, 1.0, 9),
    [
        "#f7fbff",
        "#deebf7",
        "#c6dbef",
        "#9ecae1",
        "#6baed6",
        "#4292c6",
        "#2171b5",
        "#08519c",
        "#08306b",
    ],
)
INK = "#202020"
HIGHLIGHT = "#ff7f0e"
DARK_FROM = 0.5  # cells whose colour is past this share of the scale get white numbers


def cell_text(value: float, normalised: bool) -> str:
    """What a cell shows: a count, or the percentage of its row with one decimal."""
    if not normalised:
        return f"{int(value)}"
    if value == 0 or value == 100:
        return f"{value:.0f}"
    return f"{value:.1f}"


class ConfusionPlot(pg.GraphicsLayoutWidget):
    """Rows are the true digit, columns the predicted one; click a cell for `cell_clicked`."""

    cell_clicked = Signal(int, int)  # true digit, predicted digit

    def __init__(self, parent: QWidget | None = None, font_size: int = 10):
        super().__init__(parent)
        self.setBackground("w")
        self._matrix = np.zeros((10, 10), dtype=np.int64)
        self._values = np.zeros((10, 10))
        self._normalised = False
        self._font = QFont()
        self._font.setPointSize(font_size)
        self.plot = self.addPlot()
        self.plot.invertY(True)
        self.plot.setDefaultPadding(0.0)
        self.plot.setMouseEnabled(False, False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setTransform(QTransform().translate(-0.5, -0.5))  # cell (r, c) centred on (c, r)
        self.plot.addItem(self.image)
        self.plot.showAxes(True, showValues=(True, False, False, True))
        label_style = {"color": INK, "font-size": f"{font_size + 2}pt"}
        self.plot.setLabel("left", "true digit", **label_style)
        self.plot.setLabel("bottom", "predicted digit", **label_style)
        for side in ("left", "bottom", "top", "right"):
            axis = self.plot.getAxis(side)
            axis.setPen(pg.mkPen(INK))
            axis.setTextPen(pg.mkPen(INK))
            axis.setStyle(tickFont=self._font, tickLength=0)
        self.bar = pg.ColorBarItem(
            values=(0, 1), colorMap=BLUES, interactive=False, pen=INK, colorMapMenu=False
        )
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self.bar.axis.setPen(pg.mkPen(INK))
        self.bar.axis.setTextPen(pg.mkPen(INK))
        self.bar.axis.setStyle(tickFont=self._font)
        self.bar.axis.setLabel("images", **label_style)
        self.bar.axis.setWidth(None)  # room for the label beside the tick values
        self._texts: list[list[pg.TextItem]] = []
        self._selection = QGraphicsRectItem(-0.5, -0.5, 1, 1)
        pen = QPen(QColor(HIGHLIGHT), 3)
        pen.setCosmetic(True)
        self._selection.setPen(pen)
        self._selection.setZValue(10)
        self._selection.hide()
        self.plot.addItem(self._selection)
        self._build_cells(10)
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)
        self.set_matrix(self._matrix)

    # -- setters --------------------------------------------------------------------------------

    def set_matrix(self, matrix: np.ndarray, normalised: bool = False) -> None:
        """Counts [true, predicted]; with `normalised` the cells show each row's percentages."""
        matrix = np.asarray(matrix)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"a confusion matrix must be square, got {matrix.shape}")
        if matrix.shape[0] != len(self._texts):
            self._build_cells(matrix.shape[0])
        self._matrix, self._normalised = matrix, normalised
        self._values = row_normalised(matrix) * 100.0 if normalised else matrix.astype(float)
        high = 100.0 if normalised else max(float(self._values.max()), 1.0)
        self.image.setImage(self._values, levels=(0.0, high))
        self.bar.setLevels((0.0, high))
        self.bar.axis.setLabel("% of the true digit" if normalised else "images")
        for row in range(len(self._texts)):
            for col in range(len(self._texts)):
                value = self._values[row, col]
                item = self._texts[row][col]
                item.setText(cell_text(value, normalised))
                dark = value > DARK_FROM * high
                item.setColor(QColor("white" if dark else INK if value else "#a0a0a0"))

    def set_selected(self, cell: tuple[int, int] | None) -> None:
        """Outline one cell (true, predicted), or none."""
        if cell is None:
            self._selection.hide()
            return
        true, pred = cell
        self._selection.setRect(pred - 0.5, true - 0.5, 1, 1)
        self._selection.show()

    # -- what it shows (for tests and export) ---------------------------------------------------

    def matrix(self) -> np.ndarray:
        return self._matrix

    def is_normalised(self) -> bool:
        return self._normalised

    def cell_label(self, true: int, pred: int) -> str:
        return self._texts[true][pred].toPlainText()

    def cell_center(self, true: int, pred: int) -> QPoint:
        """Where cell (true, predicted) is, in this widget's coordinates."""
        scene = self.plot.vb.mapViewToScene(QPointF(pred, true))
        return self.mapFromScene(scene)

    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        if not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.plot.vb.mapSceneToView(scene_pos)
        true, pred = round(point.y()), round(point.x())
        size = len(self._texts)
        return (true, pred) if 0 <= true < size and 0 <= pred < size else None

    def describe_cell(self, true: int, pred: int) -> str:
        count = int(self._matrix[true, pred])
        total = int(self._matrix[true].sum())
        share = f" ({count / total:.1%} of the {total} {true}s)" if total else ""
        if true == pred:
            return f"{true} read correctly: {count}{share}"
        return f"{true} read as {pred}: {count}{share}"

    # -- internals ------------------------------------------------------------------------------

    def _build_cells(self, size: int) -> None:
        for row in self._texts:
            for item in row:
                self.plot.removeItem(item)
        self._texts = []
        for true in range(size):
            row = []
            for pred in range(size):
                item = pg.TextItem("", color=INK, anchor=(0.5, 0.5))
                item.setFont(self._font)
                item.setPos(pred, true)
                item.setZValue(5)
                self.plot.addItem(item)
                row.append(item)
            self._texts.append(row)
        ticks = [(i, str(i)) for i in range(size)]
        for side in ("left", "bottom", "top", "right"):
            self.plot.getAxis(side).setTicks([ticks, []])
        self.plot.setXRange(-0.5, size - 0.5, padding=0)
        self.plot.setYRange(-0.5, size - 0.5, padding=0)

    def _on_scene_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(event.scenePos())
        if cell is not None:
            event.accept()
            self.cell_clicked.emit(*cell)

    def _on_scene_mouse_moved(self, scene_pos: QPointF) -> None:
        cell = self.cell_at(scene_pos)
        self.setToolTip(self.describe_cell(*cell) if cell is not None else "")


def _application() -> QApplication:
    """The running QApplication, or a new offscreen one for a command-line render."""
    app = QApplication.instance()
    if app is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QApplication([])
        _KEEP.append(app)
    return app


_KEEP: list[QApplication] = []


def render_confusion_png(
    matrix: np.ndarray,
    path: str | os.PathLike,
    normalised: bool = False,
    title: str = "",
    size: tuple[int, int] = (760, 660),
) -> Path:
    """Draw the matrix (as the Evaluate view does) into a PNG file; raises OSError on failure."""
    app = _application()
    path = Path(path)
    plot = ConfusionPlot(font_size=11)
    try:
        if title:
            plot.plot.setTitle(title, color=INK, size="13pt")
        plot.set_matrix(matrix, normalised)
        plot.resize(*size)
        app.processEvents()
        pixmap = plot.grab()
        if not pixmap.save(str(path), "PNG"):
            raise OSError(f"cannot write {path}")
    finally:
        plot.deleteLater()
        app.processEvents()
    return path
