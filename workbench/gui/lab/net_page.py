"""The Lab page for the two-parameter sigmoid network: forward, chain rule, one SGD step."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.lab.matrices import LabError, fmt
from workbench.core.lab.scalar_net import FUNCTION, HALF_NOTE, LOSS, Line, ScalarNet, scalar_net
from workbench.gui.lab.inputs import error_label, real_spin, show_error
from workbench.gui.lab.sliding_pages import FORM_PX, text_label

GRAPH = "x₁, w₁ → a = x₁ + w₁ → h = σ(a) → z = h·w₂ + x₂ → f = σ(z) → L = ½(f − y)²"
SIGMA_NOTE = "σ(v) = 1/(1 + e^(−v)); σ′(v) = σ(v)(1 − σ(v)), taken at the node's own input."
SECTION = QColor("#e9eef5")


class NetPage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.net: ScalarNet | None = None
        self.x1, self.x2 = real_spin(1.0, "x₁"), real_spin(0.0, "x₂")
        self.w1, self.w2 = real_spin(0.0, "w₁"), real_spin(0.0, "w₂")
        self.y = real_spin(5.0, "y: the target")
        self.lr = real_spin(0.5, "λ: the learning rate", 0.0, 100.0)
        form = QFormLayout()
        for label, spin in (("x₁", self.x1), ("x₂", self.x2), ("w₁", self.w1), ("w₂", self.w2),
                            ("target y", self.y), ("learning rate λ", self.lr)):  # fmt: skip
            form.addRow(label, spin)
            spin.valueChanged.connect(self.compute)
        self.error = error_label()
        left = QWidget()
        left.setFixedWidth(FORM_PX)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 6, 0)
        column.addLayout(form)
        column.addWidget(self.error)
        column.addStretch(1)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["quantity", "rule", "with the numbers", "value"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        for col, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents,) * 2
                                   + (QHeaderView.ResizeMode.Stretch,
                                      QHeaderView.ResizeMode.ResizeToContents)):  # fmt: skip
            header.setSectionResizeMode(col, mode)
        right = QVBoxLayout()
        right.addWidget(text_label(f"{FUNCTION} with the loss {LOSS}.  {HALF_NOTE}"))
        right.addWidget(text_label(f"{GRAPH}\n{SIGMA_NOTE}"))
        right.addWidget(self.table, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addLayout(right, 1)
        self.compute()

    def load(self, params: dict[str, Any]) -> None:
        values = (*params["x"], *params["w"], params["y"], params["lr"])
        spins = (self.x1, self.x2, self.w1, self.w2, self.y, self.lr)
        for spin, value in zip(spins, values, strict=True):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self.compute()

    def compute(self) -> None:
        try:
            self.net = scalar_net(*(s.value() for s in (self.x1, self.x2, self.w1, self.w2,
                                                        self.y, self.lr)))  # fmt: skip
        except LabError as exc:
            show_error(self.error, str(exc))
            self.table.setRowCount(0)
            return
        show_error(self.error, "")
        rows: list[Line | str] = ["forward", *self.net.forward_lines(),
                                  "backward: the chain rule, from L back to each w",
                                  *self.net.backward_lines(), "one SGD step: w − λ·∂L/∂w",
                                  *self.net.step_lines(),
                                  "without the ½, L = (f − y)²: every gradient doubles",
                                  *self.net.unhalved_lines()]  # fmt: skip
        self.table.clearSpans()
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            if isinstance(row, str):
                self.table.setSpan(i, 0, 1, 4)
                self._put(i, 0, row, bold=True, background=SECTION)
                continue
            for col, text in enumerate((row.name, row.rule, row.numbers, fmt(row.value))):
                self._put(i, col, text, bold=col == 3)
        self.table.resizeRowsToContents()

    def value_of(self, name: str) -> str:
        """The value shown for one quantity ('∂L/∂w₂'), as the student reads it."""
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            if item is not None and item.text() == name and self.table.item(i, 3) is not None:
                return self.table.item(i, 3).text()
        raise KeyError(name)

    def _put(self, row: int, col: int, text: str, bold: bool = False, background=None) -> None:
        item = QTableWidgetItem(text)
        if col == 3:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if bold:
            font = QFont(self.table.font())
            font.setBold(True)
            item.setFont(font)
        if background is not None:
            item.setBackground(QBrush(background))
        self.table.setItem(row, col, item)
