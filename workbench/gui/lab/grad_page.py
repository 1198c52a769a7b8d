"""The Lab page for a conv layer's backward pass: dW, dX, one SGD step, each walked cell by cell."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton

from workbench.core.lab.gradients import ConvGradients, conv_gradients
from workbench.core.lab.matrices import LabError, fmt
from workbench.core.lab.sliding import conv2d
from workbench.gui.lab.inputs import MatrixEdit, int_spin, real_spin, show_error
from workbench.gui.lab.matrix_grid import MatrixGrid
from workbench.gui.lab.sliding_pages import WalkPage, check_fits
from workbench.gui.lab.step_panel import Names

NOTE = (
    "Forward: Y = X ⋆ W (cross-correlation, as in every framework). Given the upstream gradient "
    "dY = ∂L/∂Y: dW = X ⋆ dY (valid cross-correlation), dX = the full cross-correlation of dY "
    "with the kernel rotated by 180°, and one SGD step W − λ·dW."
)
WALKS = ("dW = X ⋆ dY", "dX = full dY ⋆ rot180(W)")


class GradPage(WalkPage):
    def __init__(self) -> None:
        super().__init__(NOTE)
        self.gradients: ConvGradients | None = None
        self.input_edit = MatrixEdit("X", 5)
        self.kernel_edit = MatrixEdit("W", 3)
        self.upstream_edit = MatrixEdit("dY", 3)
        self.ones_button = QPushButton("dY = ones of Y's shape")
        self.ones_button.clicked.connect(self._on_ones_clicked)
        self.stride = int_spin(1, 10, 1, "S: stride of the forward convolution")
        self.padding = int_spin(0, 10, 0, "P: padding of the forward convolution")
        self.dilation = int_spin(1, 10, 1, "D: dilation of the forward convolution")
        self.lr = real_spin(0.1, "λ: the learning rate of the SGD step", 0.0, 100.0)
        for label, widget in (("Input X", self.input_edit), ("Kernel W", self.kernel_edit),
                              ("Upstream dY", self.upstream_edit), ("", self.ones_button),
                              ("Stride S", self.stride), ("Padding P", self.padding),
                              ("Dilation D", self.dilation),
                              ("Learning rate λ", self.lr)):  # fmt: skip
            self.form.addRow(label, widget)
        for edit in (self.input_edit, self.kernel_edit, self.upstream_edit):
            edit.matrix_edited.connect(self.schedule)
        for spin in (self.stride, self.padding, self.dilation, self.lr):
            spin.valueChanged.connect(self.schedule)

        self.results = {key: MatrixGrid() for key in ("y", "dw", "dx", "w_new")}
        self.result_titles = {key: QLabel() for key in self.results}
        grid = QGridLayout()
        for column, key in enumerate(self.results):
            grid.addWidget(self.result_titles[key], 0, column)
            grid.addWidget(self.results[key], 1, column, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(4, 1)
        grid.setHorizontalSpacing(16)
        self.walk_choice = QComboBox()
        self.walk_choice.addItems(WALKS)
        self.walk_choice.currentIndexChanged.connect(self._show_walk)
        stack = self.steps.parentWidget().layout()
        at = stack.indexOf(self.steps)
        stack.insertLayout(at, grid)
        stack.insertWidget(at + 1, self.walk_choice, 0, Qt.AlignmentFlag.AlignLeft)

    def load(self, params: dict[str, Any]) -> None:
        self.input_edit.set_matrix(params["input"])
        self.kernel_edit.set_matrix(params["kernel"])
        self.upstream_edit.set_matrix(params["upstream"])
        self.stride.setValue(params.get("stride", 1))
        self.padding.setValue(params.get("padding", 0))
        self.dilation.setValue(params.get("dilation", 1))
        self.lr.setValue(params.get("lr", 0.1))
        self.compute()

    def compute(self) -> None:
        self._debounce.stop()
        try:
            x, p = self.input_edit.matrix(), self.padding.value()
            check_fits(x.shape[0] + 2 * p, x.shape[1] + 2 * p)
            g = conv_gradients(
                x, self.kernel_edit.matrix(), self.upstream_edit.matrix(),
                self.stride.value(), self.padding.value(), self.dilation.value(), self.lr.value(),
            )  # fmt: skip
            check_fits(*g.dx_walk.grid.shape)  # dY padded in full can outgrow X
        except LabError as exc:
            show_error(self.error, str(exc))
            self.gradients = None
            self.formula.clear()
            self.steps.set_walk(None)
            for grid in self.results.values():
                grid.set_matrix(np.zeros((0, 0)))
            return
        show_error(self.error, "")
        self.gradients = g
        self.formula.setText("\n".join(g.notes()))
        lr = fmt(g.lr)
        for key, matrix, title in (
            ("y", g.forward.output, "Y = X ⋆ W"),
            ("dw", g.dw, "dW"),
            ("dx", g.dx, "dX"),
            ("w_new", g.w_new, f"W − {lr}·dW"),
        ):
            self.results[key].set_matrix(matrix)
            self.result_titles[key].setText(f"{title} ({matrix.shape[0]}×{matrix.shape[1]})")
        self._show_walk()

    def _show_walk(self) -> None:
        g = self.gradients
        if g is None:
            return
        if self.walk_choice.currentIndex() == 0:
            names = Names("padded input X", "upstream dY", "dW", "dW")
            self.steps.set_walk(g.dw_walk, names)
        else:
            gaps = (
                f", {g.forward.stride - 1} zero(s) between entries" if g.forward.stride > 1 else ""
            )
            names = Names(f"dY padded in full{gaps}", "W rotated 180°", "dX of padded X", "dXpad")
            self.steps.set_walk(g.dx_walk, names)

    def _on_ones_clicked(self) -> None:
        try:
            forward = conv2d(
                self.input_edit.matrix(), self.kernel_edit.matrix(),
                self.stride.value(), self.padding.value(), self.dilation.value(),
            )  # fmt: skip
        except LabError as exc:
            show_error(self.error, str(exc))
            return
        self.upstream_edit.set_matrix(np.ones(forward.output.shape))
        self.compute()
