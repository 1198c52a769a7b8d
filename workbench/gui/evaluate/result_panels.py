"""The two halves of an evaluation's result: the confusion matrix with its tools, and per digit."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.evaluation.evaluation import EvalResult
from workbench.core.evaluation.exports import write_confusion_csv
from workbench.gui.evaluate.confusion_plot import ConfusionPlot, render_confusion_png


class MatrixPanel(QWidget):
    """The confusion matrix, counts or row-normalised, and the buttons that save it."""

    cell_clicked = Signal(int, int)  # (true digit, predicted digit)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._matrix: np.ndarray | None = None
        self._title = ""
        self.normalised_box = QCheckBox("Row-normalised rates")
        self.normalised_box.setToolTip(
            "Each row as percentages of its true digit: the recall "
            "on the diagonal, the confusion rates off it"
        )
        self.normalised_box.toggled.connect(self._on_normalised_box_toggled)
        self.csv_button = QPushButton("Save CSV…")
        self.csv_button.clicked.connect(self._on_csv_button_clicked)
        self.png_button = QPushButton("Save PNG…")
        self.png_button.clicked.connect(self._on_png_button_clicked)
        for button in (self.csv_button, self.png_button):
            button.setEnabled(False)  # nothing to save before the first result
        self.plot = ConfusionPlot()
        self.plot.setMinimumSize(380, 340)
        self.plot.cell_clicked.connect(self.cell_clicked)
        tools = QHBoxLayout()
        tools.addWidget(self.normalised_box)
        tools.addStretch(1)
        tools.addWidget(self.csv_button)
        tools.addWidget(self.png_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(tools)
        column.addWidget(self.plot, 1)

    def set_matrix(self, matrix: np.ndarray | None, title: str = "") -> None:
        """A result's matrix and the title its PNG gets (None: an empty 10×10, nothing to save)."""
        self._matrix, self._title = matrix, title
        self.plot.set_selected(None)
        if matrix is None:
            self.plot.set_matrix(np.zeros((10, 10), dtype=np.int64))
        else:
            self.plot.set_matrix(matrix, self.normalised_box.isChecked())
        for button in (self.csv_button, self.png_button):
            button.setEnabled(matrix is not None)

    def is_normalised(self) -> bool:
        return self.normalised_box.isChecked()

    def save_csv(self, path: str | os.PathLike) -> Path:
        """The matrix as shown (counts or row-normalised rates) as CSV."""
        if self._matrix is None:
            raise ValueError("no evaluation to save")
        return write_confusion_csv(self._matrix, path, self.is_normalised())

    def save_png(self, path: str | os.PathLike) -> Path:
        if self._matrix is None:
            raise ValueError("no evaluation to save")
        return render_confusion_png(self._matrix, path, self.is_normalised(), self._title)

    def _on_normalised_box_toggled(self, checked: bool) -> None:
        if self._matrix is not None:
            self.plot.set_matrix(self._matrix, checked)

    def _on_csv_button_clicked(self) -> None:
        self._ask_and_save(
            "Save the confusion matrix as CSV", "confusion.csv", "CSV (*.csv)", self.save_csv
        )

    def _on_png_button_clicked(self) -> None:
        self._ask_and_save(
            "Save the confusion matrix as PNG", "confusion.png", "PNG image (*.png)", self.save_png
        )

    def _ask_and_save(self, caption: str, name: str, filter_: str, save) -> None:
        start = str(Path.home() / name)
        chosen, _ = QFileDialog.getSaveFileName(self, caption, start, filter_)
        if not chosen:
            return
        try:
            save(chosen)
        except OSError as exc:
            QMessageBox.warning(self, caption, str(exc))


class PerDigitPanel(QWidget):
    """Precision, recall and F1 per digit, and the most confused pairs (click one to see it)."""

    pair_clicked = Signal(int, int)  # (true digit, predicted digit)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["digit", "precision", "recall", "F1", "images"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.pairs = QListWidget()
        self.pairs.itemClicked.connect(self._on_pairs_item_clicked)
        per_digit = QLabel("<b>Per digit</b>")
        per_digit.setToolTip(
            "precision: of the images read as the digit, the share that is it\n"
            "recall: of the images of the digit, the share read as it\n"
            "F1: their harmonic mean"
        )
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(per_digit)
        column.addWidget(self.table, 3)
        column.addWidget(QLabel("<b>Most confused</b> (click to see the images)"))
        column.addWidget(self.pairs, 2)

    def set_result(self, result: EvalResult | None) -> None:
        """Fill both lists from `result` (None: empty them)."""
        self.pairs.clear()
        if result is None:
            self.table.setRowCount(0)
            return
        self.table.setRowCount(len(result.per_class))
        for row, metrics in enumerate(result.per_class):
            cells = [
                str(metrics.digit),
                f"{metrics.precision:.3f}",
                f"{metrics.recall:.3f}",
                f"{metrics.f1:.3f}",
                f"{metrics.support:,}",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        for pair in result.top_confused:
            item = QListWidgetItem(pair.describe())
            item.setData(Qt.ItemDataRole.UserRole, (pair.true, pair.pred))
            self.pairs.addItem(item)

    def _on_pairs_item_clicked(self, item: QListWidgetItem) -> None:
        self.pair_clicked.emit(*item.data(Qt.ItemDataRole.UserRole))


def summary_text(result: EvalResult | None, stored: bool, has_model: bool) -> str:
    """The Evaluate view's headline: accuracy, images read right, and where it comes from."""
    if result is None:
        return "No evaluation yet." if has_model else "No model loaded."
    correct = int(np.trace(result.confusion))
    where = "CUDA" if result.provider.startswith("CUDA") else "CPU"
    timing = (
        " · <i>stored in the model card</i>"
        if stored
        else f" · {result.seconds:.3f} s of inference on {where}"
    )
    return (
        f"Accuracy <b>{result.accuracy:.2%}</b>: {correct:,} of "
        f"{result.n:,} test images read right{timing}"
    )
