"""The Lab pages that slide a window: convolution, pooling, and the output-size formula alone."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.core.lab.matrices import LabError
from workbench.core.lab.sliding import Sliding, conv2d, layer_lines, output_size, pool2d
from workbench.gui.lab.axis_strip import AxisStrip
from workbench.gui.lab.inputs import MatrixEdit, error_label, fixed_font, int_spin, show_error
from workbench.gui.lab.step_panel import StepPanel

FORM_PX = 270
DEBOUNCE_MS = 150
MAX_GRID_SIDE = 40  # larger grids are for `workbench lab conv --json` or the size page
CROSS_NOTE = (
    "Cross-correlation, as in every deep-learning framework (torch, TensorFlow, JAX): the kernel "
    "slides over the input without being flipped. The window is amber, padding grey, and cells "
    "the floor leaves unread pink."
)
LEGEND = "N input side, F kernel side, S stride, P padding, D dilation"


def check_fits(rows: int, cols: int) -> None:
    """Refuse, before computing, a grid too large to step through on screen."""
    if max(rows, cols) > MAX_GRID_SIDE:
        raise LabError(
            f"the grid is {rows}×{cols}: too large to step through here (at most "
            f"{MAX_GRID_SIDE} a side); use the Output size page, or `workbench lab` on the "
            "command line"
        )


def text_label(text: str = "", fixed: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if fixed:
        label.setFont(fixed_font())
    return label


class WalkPage(QWidget):
    """A form on the left; on the right, a note, the formula and the step-through."""

    def __init__(self, note: str) -> None:
        super().__init__()
        self.form = QFormLayout()
        self.error = error_label()
        self.formula = text_label(fixed=True)
        self.steps = StepPanel()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.compute)

        left = QWidget()
        left.setFixedWidth(FORM_PX)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 6, 0)
        column.addLayout(self.form)
        column.addWidget(self.error)
        column.addStretch(1)
        right = QWidget()
        stack = QVBoxLayout(right)
        stack.addWidget(text_label(note))
        stack.addWidget(self.formula)
        stack.addWidget(self.steps)
        stack.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(right)
        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addWidget(scroll, 1)

    def schedule(self) -> None:
        self._debounce.start()

    def compute(self) -> None:
        self._debounce.stop()
        try:
            walk = self.make_walk()
        except LabError as exc:
            show_error(self.error, str(exc))
            self.formula.clear()
            self.steps.set_walk(None)
            return
        show_error(self.error, "")
        self.formula.setText("\n".join([*walk.formulas(), f"({LEGEND})"]))
        self.steps.set_walk(walk)

    def make_walk(self) -> Sliding:
        raise NotImplementedError


class ConvPage(WalkPage):
    def __init__(self) -> None:
        super().__init__(CROSS_NOTE)
        self.input_edit = MatrixEdit("input", 6)
        self.kernel_edit = MatrixEdit("kernel", 4)
        self.stride = int_spin(1, 10, 1, "S: how far the window moves each step")
        self.padding = int_spin(0, 10, 0, "P: rings of zeros added around the input")
        self.dilation = int_spin(1, 10, 1, "D: spacing of the kernel's taps (1 = adjacent)")
        self.form.addRow("Input", self.input_edit)
        self.form.addRow("Kernel", self.kernel_edit)
        self.form.addRow("Stride S", self.stride)
        self.form.addRow("Padding P", self.padding)
        self.form.addRow("Dilation D", self.dilation)
        for edit in (self.input_edit, self.kernel_edit):
            edit.matrix_edited.connect(self.schedule)
        for spin in (self.stride, self.padding, self.dilation):
            spin.valueChanged.connect(self.schedule)

    def load(self, params: dict[str, Any]) -> None:
        self.input_edit.set_matrix(params["input"])
        self.kernel_edit.set_matrix(params["kernel"])
        self.stride.setValue(params.get("stride", 1))
        self.padding.setValue(params.get("padding", 0))
        self.dilation.setValue(params.get("dilation", 1))
        self.compute()

    def make_walk(self) -> Sliding:
        x, kernel = self.input_edit.matrix(), self.kernel_edit.matrix()
        p = self.padding.value()
        check_fits(x.shape[0] + 2 * p, x.shape[1] + 2 * p)
        return conv2d(x, kernel, self.stride.value(), self.padding.value(), self.dilation.value())


class PoolPage(WalkPage):
    def __init__(self) -> None:
        super().__init__(
            "Max pooling keeps the largest value of each window (in orange); average pooling "
            "their mean. The output size follows the same formula with P = 0 and D = 1."
        )
        self.input_edit = MatrixEdit("input", 6)
        self.size = int_spin(1, 10, 2, "K: the window is K×K")
        self.stride = int_spin(1, 10, 2, "S: how far the window moves (usually K)")
        self.mode = QComboBox()
        self.mode.addItems(["max", "avg"])
        self.form.addRow("Input", self.input_edit)
        self.form.addRow("Mode", self.mode)
        self.form.addRow("Size K", self.size)
        self.form.addRow("Stride S", self.stride)
        self.input_edit.matrix_edited.connect(self.schedule)
        for spin in (self.size, self.stride):
            spin.valueChanged.connect(self.schedule)
        self.mode.currentTextChanged.connect(self.schedule)

    def load(self, params: dict[str, Any]) -> None:
        self.input_edit.set_matrix(params["input"])
        self.mode.setCurrentText(params.get("mode", "max"))
        self.size.setValue(params["size"])
        self.stride.setValue(params.get("stride") or params["size"])
        self.compute()

    def make_walk(self) -> Sliding:
        x = self.input_edit.matrix()
        check_fits(*x.shape)
        return pool2d(x, self.size.value(), self.stride.value(), self.mode.currentText())


class SizePage(QWidget):
    """⌊(N + 2P − D·(F−1) − 1)/S⌋ + 1 alone: for layers far too large to step through."""

    def __init__(self) -> None:
        super().__init__()
        self.n = int_spin(1, 100000, 227, "N: input side")
        self.f = int_spin(1, 1000, 11, "F: kernel side")
        self.stride = int_spin(1, 100, 4, "S: stride")
        self.padding = int_spin(0, 1000, 0, "P: padding on each side")
        self.dilation = int_spin(1, 100, 1, "D: dilation")
        self.channels = int_spin(1, 100000, 3, "input channels (3 for a colour image)")
        self.filters = int_spin(1, 100000, 96, "filters: each gives one output map")
        form = QFormLayout()
        for label, spin in (("Input side N", self.n), ("Kernel side F", self.f),
                            ("Stride S", self.stride), ("Padding P", self.padding),
                            ("Dilation D", self.dilation), ("Input channels", self.channels),
                            ("Filters", self.filters)):  # fmt: skip
            form.addRow(label, spin)
            spin.valueChanged.connect(self.compute)
        left = QWidget()
        left.setFixedWidth(FORM_PX)
        left.setLayout(form)
        self.result = text_label(fixed=True)
        font = self.result.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.result.setFont(font)
        self.remark = text_label()
        right = QVBoxLayout()
        right.addWidget(text_label("Output side = ⌊(N + 2P − D·(F−1) − 1)/S⌋ + 1, floored as "
                                   f"the frameworks do ({LEGEND})."))  # fmt: skip
        right.addWidget(self.result)
        self.strip = AxisStrip()
        right.addWidget(self.strip)
        right.addWidget(self.remark)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addWidget(left, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(right, 1)
        self.compute()

    def load(self, params: dict[str, Any]) -> None:
        for spin, key in ((self.n, "n"), (self.f, "f"), (self.stride, "stride"),
                          (self.padding, "padding"), (self.dilation, "dilation"),
                          (self.channels, "channels"), (self.filters, "filters")):  # fmt: skip
            spin.blockSignals(True)
            spin.setValue(params.get(key, spin.value()))
            spin.blockSignals(False)
        self.compute()

    def compute(self) -> None:
        n, f, s, p, d = (w.value() for w in (self.n, self.f, self.stride, self.padding,
                                             self.dilation))  # fmt: skip
        try:
            report = output_size(n, f, s, p, d)
        except LabError as exc:
            self.strip.set_report(None)
            self.result.setText("no output")
            self.remark.setText(str(exc))
            return
        self.result.setText(f"output side = {report.formula()}")
        self.strip.set_report(report)
        lines = [report.remark("row and column")] if report.dropped else [
            "The division is exact: every row and column of the padded input is read."
        ]  # fmt: skip
        if d * (f - 1) % 2 == 0:
            lines.append(f"At stride 1, P = D·(F−1)/2 = {d * (f - 1) // 2} keeps the size "
                         "(\"same\" padding).")  # fmt: skip
        lines += layer_lines(report, report, self.channels.value(), self.filters.value())
        self.remark.setText("\n".join(lines))
