"""The Draw view: canvas on the left, the live top-2 answer and drawing controls on the right."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.draw.canvas import DEFAULT_BRUSH, DrawingCanvas
from workbench.gui.draw.prediction_panel import DEFAULT_THRESHOLD, PredictionPanel

PANEL_WIDTH = 300


class DrawView(QWidget):
    """Draw a digit; the main window feeds the prediction back through set_result()."""

    brush_changed = Signal(float)
    threshold_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.canvas = DrawingCanvas()
        self.panel = PredictionPanel("draw a digit")

        self.brush = QSlider(Qt.Orientation.Horizontal)
        self.brush.setRange(2, 20)
        self.brush.setToolTip("Stroke width as a share of the canvas; MNIST strokes are bold")
        self.brush_label = QLabel()
        self.threshold = QSpinBox()
        self.threshold.setRange(0, 99)
        self.threshold.setSuffix(" %")
        self.threshold.setToolTip("Below this top-1 probability the answer is 'not sure'")
        self.undo_button = QPushButton("Undo stroke")
        self.undo_button.setToolTip("Remove the last stroke (Ctrl+Z)")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Start again (Ctrl+L)")

        brush_row = QHBoxLayout()
        brush_row.addWidget(self.brush, 1)
        brush_row.addWidget(self.brush_label)
        form = QFormLayout()
        form.addRow("Brush", brush_row)
        form.addRow("Not sure below", self.threshold)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.clear_button)

        side = QWidget()
        side.setFixedWidth(PANEL_WIDTH)
        column = QVBoxLayout(side)
        column.setContentsMargins(8, 4, 4, 4)
        column.addWidget(self.panel)
        column.addSpacing(16)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addStretch(1)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(side)

        self.brush.valueChanged.connect(self._on_brush_value_changed)
        self.threshold.valueChanged.connect(self._on_threshold_value_changed)
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button.clicked.connect(self.canvas.clear)
        self.set_brush_width(DEFAULT_BRUSH)
        self.set_threshold(DEFAULT_THRESHOLD)

    # -- setters --------------------------------------------------------------------------------

    def set_result(self, image: np.ndarray | None, top: list[tuple[int, float]] | None) -> None:
        self.panel.set_result(image, top)

    def set_brush_width(self, share: float) -> None:
        self.brush.setValue(round(share * 100))
        self._on_brush_value_changed(self.brush.value())

    def set_threshold(self, threshold: float) -> None:
        self.threshold.setValue(round(threshold * 100))
        self.panel.set_threshold(self.threshold.value() / 100)

    def threshold_value(self) -> float:
        return self.threshold.value() / 100

    # -- slots ----------------------------------------------------------------------------------

    def _on_brush_value_changed(self, value: int) -> None:
        self.canvas.set_brush_width(value / 100)
        self.brush_label.setText(f"{value} %")
        self.brush_changed.emit(value / 100)

    def _on_threshold_value_changed(self, value: int) -> None:
        self.panel.set_threshold(value / 100)
        self.threshold_changed.emit(value / 100)
