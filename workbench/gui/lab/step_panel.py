"""A sliding-window computation cell by cell: grid, kernel, output, the sum written out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.core.lab.sliding import Sliding
from workbench.gui.lab.inputs import fixed_font
from workbench.gui.lab.matrix_grid import MatrixGrid

PLAY_MS = 700


@dataclass(frozen=True)
class Names:
    """What the three grids hold in this computation, and what an output cell is called."""

    grid: str = "padded input"
    kernel: str = "kernel"
    output: str = "output"
    cell: str = "out"


class StepPanel(QWidget):
    """Steps through a `Sliding`: the window on the grid, the output cell, its arithmetic."""

    step_changed = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.walk: Sliding | None = None
        self.names = Names()
        self.index = 0
        self.grid, self.kernel, self.output = MatrixGrid(), MatrixGrid(), MatrixGrid()
        # The kernel is small and shown whole; the grid and the output scroll when space runs out.
        self.kernel.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.grid_title, self.kernel_title, self.output_title = QLabel(), QLabel(), QLabel()
        grids = QGridLayout()
        for column, (title, grid) in enumerate(
            ((self.grid_title, self.grid), (self.kernel_title, self.kernel),
             (self.output_title, self.output))
        ):  # fmt: skip
            grids.addWidget(title, 0, column)
            grids.addWidget(grid, 1, column, Qt.AlignmentFlag.AlignTop)
        grids.setColumnStretch(3, 1)
        grids.setHorizontalSpacing(16)
        self.output.cellClicked.connect(self._on_output_cellClicked)

        self.previous_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.position = QLabel()
        self.previous_button.clicked.connect(lambda: self.show_step(self.index - 1))
        self.next_button.clicked.connect(lambda: self.show_step(self.index + 1))
        self.play_button.toggled.connect(self._on_play_toggled)
        controls = QHBoxLayout()
        for widget in (self.previous_button, self.next_button, self.play_button, self.position):
            controls.addWidget(widget)
        hint = QLabel("or click an output cell")
        hint.setStyleSheet("color: #666;")
        controls.addWidget(hint)
        controls.addStretch(1)

        self.arithmetic = QPlainTextEdit()
        self.arithmetic.setReadOnly(True)
        self.arithmetic.setFont(fixed_font())
        self.arithmetic.setFixedHeight(self.arithmetic.fontMetrics().lineSpacing() * 3 + 14)
        self.arithmetic.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.timer = QTimer(self)
        self.timer.setInterval(PLAY_MS)
        self.timer.timeout.connect(self._on_timer_timeout)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grids)
        layout.addLayout(controls)
        layout.addWidget(self.arithmetic)

    def set_walk(self, walk: Sliding | None, names: Names | None = None) -> None:
        """Show a computation from its first cell (None clears the panel)."""
        self.play_button.setChecked(False)
        self.walk = walk
        self.names = names or Names()
        if walk is None:
            for grid in (self.grid, self.kernel, self.output):
                grid.set_matrix(np.zeros((0, 0)))
            self.arithmetic.clear()
            self.position.clear()
            self._enable(False)
            return
        n = self.names
        unread = np.zeros(walk.grid.shape, bool)
        unread[walk.grid.shape[0] - walk.rows.dropped :, :] = True
        unread[:, walk.grid.shape[1] - walk.cols.dropped :] = True
        self.grid.set_matrix(walk.grid, walk.filler, unread)
        grid_name = n.grid
        if grid_name == Names.grid and not walk.filler.any():
            grid_name = "input"
        self.grid_title.setText(f"{grid_name} ({_shape(walk.grid)})")
        self.grid.setToolTip(
            "amber: the cells the window reads; grey: added zeros; "
            "pink: cells the floor leaves unread"
        )
        pooling = walk.kernel is None
        self.kernel.setVisible(not pooling)
        if pooling:
            size = walk.kernel_shape[0]
            self.kernel_title.setText(f"{walk.mode} of each {size}×{size} window")
        else:
            self.kernel.set_matrix(walk.kernel)
            self.kernel_title.setText(f"{n.kernel} ({_shape(walk.kernel)})")
        self.output.set_matrix(walk.output)
        self.output_title.setText(f"{n.output} ({_shape(walk.output)})")
        self._enable(True)
        self.show_step(0)

    def show_step(self, index: int) -> None:
        if self.walk is None or not self.walk.steps:
            return
        self.index = max(0, min(index, len(self.walk.steps) - 1))
        walk, step = self.walk, self.walk.steps[self.index]
        taps = walk.cells(step)
        span = (*taps[0], *taps[-1])
        picked = None
        if walk.mode == "max":
            flat = int(np.argmax(step.window))
            picked = taps[flat]
        self.grid.highlight(taps, span, picked)
        self.output.highlight([(step.row, step.col)])
        self.arithmetic.setPlainText(walk.explain(step, self.names.cell))
        total = len(walk.steps)
        self.position.setText(f"cell {self.index + 1} of {total}: [{step.row},{step.col}]")
        self.previous_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < total - 1)
        self.step_changed.emit(self.index)

    def _enable(self, on: bool) -> None:
        for button in (self.previous_button, self.next_button, self.play_button):
            button.setEnabled(on)

    def _on_output_cellClicked(self, row: int, col: int) -> None:  # noqa: N802
        if self.walk is not None:
            self.show_step(row * self.walk.output.shape[1] + col)

    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on and self.walk is not None and self.index == len(self.walk.steps) - 1:
            self.show_step(0)
        if on:
            self.timer.start()
        else:
            self.timer.stop()

    def _on_timer_timeout(self) -> None:
        if self.walk is None or self.index >= len(self.walk.steps) - 1:
            self.play_button.setChecked(False)
            return
        self.show_step(self.index + 1)


def _shape(matrix: np.ndarray) -> str:
    return f"{matrix.shape[0]}×{matrix.shape[1]}"
