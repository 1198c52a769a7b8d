"""The Lab's input fields: matrices typed as JSON or rows, small integer and real spin boxes."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QPlainTextEdit, QSpinBox

from workbench.core.lab.matrices import fmt, parse_matrix

ERROR_STYLE = "color: #a61b12;"
HINT = "rows of numbers (1 2 3 ⏎ 4 5 6, or 1 2 3; 4 5 6) or JSON [[1, 2, 3], [4, 5, 6]]"


def fixed_font():
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class MatrixEdit(QPlainTextEdit):
    """A matrix typed or pasted by the user; `matrix()` parses it (raising LabError)."""

    matrix_edited = Signal()

    def __init__(self, name: str, lines: int = 4) -> None:
        super().__init__()
        self.name = name
        self.setFont(fixed_font())
        self.setPlaceholderText(HINT)
        self.setToolTip(HINT)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabChangesFocus(True)
        height = self.fontMetrics().lineSpacing() * lines + 12
        self.setFixedHeight(height)
        self.textChanged.connect(self.matrix_edited)

    def matrix(self) -> np.ndarray:
        return parse_matrix(self.toPlainText(), self.name)

    def set_matrix(self, rows) -> None:
        """Rows of numbers, right-aligned in columns, as a student would type them."""
        cells = [[fmt(v) for v in row] for row in rows]
        width = max((len(c) for row in cells for c in row), default=1)
        self.setPlainText("\n".join(" ".join(c.rjust(width) for c in row) for row in cells))


def int_spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


def real_spin(value: float, tip: str, low: float = -1000.0, high: float = 1000.0) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setDecimals(4)
    spin.setRange(low, high)
    spin.setSingleStep(0.1)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


def error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


def show_error(label: QLabel, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))
