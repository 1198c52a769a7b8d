"""The runs table: every saved run with its settings, best validation accuracy, time and state."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.training.runs import RunSummary

COLUMNS = ("Name", "Settings", "Best val. acc.", "Time", "State")
NAME, SETTINGS, BEST, TIME, STATE = range(len(COLUMNS))
STATE_COLOURS = {
    "running": "#dbe9f8",
    "queued": "#f0f0f0",
    "finished": "#e3f1e3",
    "stopped": "#ececec",
    "diverged": "#f8d7d5",
    "stalled": "#fbeccb",
    "damaged": "#f8d7d5",
}
PATH_ROLE = Qt.ItemDataRole.UserRole


def duration(seconds: float) -> str:
    """45 s, 3 min 05 s, 1 h 02 min."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def state_text(summary: RunSummary, active: bool = False) -> tuple[str, str]:
    """(cell text, colour key): "diverged in epoch 3", "running · epoch 2 of 5", …

    The state is the reader's (`runs.read_history`): "running" only while a process holds the
    run's lock (this window's or another, a CLI run too); "interrupted" when that process is
    gone (killed, crashed): resumable, with the reason in the tooltip.
    """
    state = summary.state
    if state == "running":
        where = "" if active else " (another process)"
        epoch = min(summary.epochs_done + 1, summary.epochs_planned)
        return f"running · epoch {epoch} of {summary.epochs_planned}{where}", state
    if state == "interrupted":
        return f"interrupted after epoch {summary.epochs_done}", "stopped"
    if state == "diverged":
        return f"diverged in epoch {summary.epochs_done + 1}", state
    if state in ("stalled", "stopped"):
        return f"{state} after epoch {summary.epochs_done}", state
    return state, state


class RunsPanel(QWidget):
    """Select runs (several to overlay them); resume, rename, delete or use the selected run."""

    selection_changed = Signal(list)  # [Path] of the selected saved runs
    resume_requested = Signal(Path)
    rename_requested = Signal(Path, str)
    delete_requested = Signal(list)
    use_requested = Signal(Path)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(SETTINGS, QHeaderView.ResizeMode.Stretch)
        for column in (BEST, TIME, STATE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(NAME, 200)
        self.table.setToolTip(
            "Select several runs (Ctrl or Shift) to overlay their curves; "
            "double-click a name to rename the run"
        )
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue a stopped run from its last checkpoint")
        self.rename_button = QPushButton("Rename")
        self.delete_button = QPushButton("Delete")
        self.use_button = QPushButton("Use this model")
        self.use_button.setToolTip("Export the run to ONNX and use it in the Draw and Load views")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.resume_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._summaries: dict[Path, RunSummary] = {}
        self._active: Path | None = None
        self._busy: set[Path] = set()
        self.table.itemSelectionChanged.connect(self._on_table_item_selection_changed)
        self.table.itemChanged.connect(self._on_table_item_changed)
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        self.rename_button.clicked.connect(self._on_rename_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.use_button.clicked.connect(self._on_use_button_clicked)
        self._update_buttons()

    # -- setters ------------------------------------------------------------------------------

    def set_runs(
        self,
        summaries: list[RunSummary],
        active: Path | None = None,
        queued: list[str] | None = None,
    ) -> None:
        """All rows, newest first; queued runs (not started yet) on top. Keeps the selection."""
        selected = self.selected_paths()
        self._summaries = {s.path: s for s in summaries}
        self._active = active
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for name in reversed(queued or []):
            self._append_row(None, name, "", "", "", ("queued", "queued"))
        for summary in reversed(summaries):
            self._append_row(
                summary.path,
                summary.name,
                summary.settings,
                _best(summary),
                duration(summary.seconds),
                state_text(summary, summary.path == active),
                summary.reason,
            )
        self.table.blockSignals(False)
        self.select_paths([p for p in selected if p in self._summaries], emit=False)
        self._update_buttons()

    def update_run(self, summary: RunSummary) -> None:
        """Refresh one run's row in place (the running one, at each epoch)."""
        self._summaries[summary.path] = summary
        row = self._row_of(summary.path)
        if row is None:
            return
        self.table.blockSignals(True)
        for column, text in (
            (SETTINGS, summary.settings),
            (BEST, _best(summary)),
            (TIME, duration(summary.seconds)),
        ):
            self.table.item(row, column).setText(text)
        text, colour = state_text(summary, summary.path == self._active)
        self._set_state(row, text, colour, summary.reason)
        self.table.blockSignals(False)
        self._update_buttons()

    def set_busy_paths(self, paths: set[Path]) -> None:
        """Runs that a job uses now: they cannot be renamed, deleted or resumed."""
        self._busy = set(paths)
        self._update_buttons()

    def select_paths(self, paths: list[Path], emit: bool = True) -> None:
        self.table.blockSignals(True)
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for path in paths:
            row = self._row_of(path)
            if row is not None:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)
        self.table.blockSignals(False)
        self._update_buttons()
        if emit:
            self.selection_changed.emit(self.selected_paths())

    # -- queries ------------------------------------------------------------------------------

    def selected_paths(self) -> list[Path]:
        """The selected saved runs, oldest first (the table lists the newest first)."""
        rows = sorted(
            {index.row() for index in self.table.selectionModel().selectedRows()}, reverse=True
        )
        found = [self.table.item(row, NAME).data(PATH_ROLE) for row in rows]
        return [Path(p) for p in found if p]

    def summary(self, path: Path) -> RunSummary | None:
        return self._summaries.get(path)

    def row_texts(self) -> list[list[str]]:
        return [
            [self.table.item(r, c).text() for c in range(len(COLUMNS))]
            for r in range(self.table.rowCount())
        ]

    # -- internals ----------------------------------------------------------------------------

    def _append_row(
        self,
        path: Path | None,
        name: str,
        settings: str,
        best: str,
        time: str,
        state: tuple[str, str],
        reason: str = "",
    ) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in ((NAME, name), (SETTINGS, settings), (BEST, best), (TIME, time)):
            item = QTableWidgetItem(text)
            flags = Qt.ItemFlag.ItemIsEnabled
            if path is not None:
                flags |= Qt.ItemFlag.ItemIsSelectable
                if column == NAME:
                    flags |= Qt.ItemFlag.ItemIsEditable
            item.setFlags(flags)
            if column in (BEST, TIME):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if column == SETTINGS:
                item.setToolTip(settings)
            self.table.setItem(row, column, item)
        self.table.item(row, NAME).setData(PATH_ROLE, str(path) if path else "")
        state_item = QTableWidgetItem()
        state_item.setFlags(self.table.item(row, NAME).flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, STATE, state_item)
        self._set_state(row, *state, reason)

    def _set_state(self, row: int, text: str, colour: str, reason: str) -> None:
        item = self.table.item(row, STATE)
        item.setText(text)
        item.setBackground(QBrush(QColor(STATE_COLOURS.get(colour, "#ffffff"))))
        item.setToolTip(reason or text)

    def _row_of(self, path: Path) -> int | None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, NAME).data(PATH_ROLE) == str(path):
                return row
        return None

    def _update_buttons(self) -> None:
        chosen = self.selected_paths()
        one = chosen[0] if len(chosen) == 1 else None
        summary = self._summaries.get(one) if one else None
        free = one is not None and one not in self._busy
        self.resume_button.setEnabled(bool(free and summary and summary.can_resume()))
        self.rename_button.setEnabled(free)
        self.delete_button.setEnabled(bool(chosen) and not (set(chosen) & self._busy))
        self.use_button.setEnabled(bool(free and summary and summary.epochs_done > 0))

    def _on_table_item_selection_changed(self) -> None:
        self._update_buttons()
        self.selection_changed.emit(self.selected_paths())

    def _on_table_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != NAME or not item.data(PATH_ROLE):
            return
        path = Path(item.data(PATH_ROLE))
        new_name = item.text().strip()
        if new_name and new_name != path.name:
            self.rename_requested.emit(path, new_name)
        else:
            self.table.blockSignals(True)
            item.setText(path.name)
            self.table.blockSignals(False)

    def _on_resume_button_clicked(self) -> None:
        chosen = self.selected_paths()
        if len(chosen) == 1:
            self.resume_requested.emit(chosen[0])

    def _on_rename_button_clicked(self) -> None:
        chosen = self.selected_paths()
        row = self._row_of(chosen[0]) if len(chosen) == 1 else None
        if row is not None:
            self.table.editItem(self.table.item(row, NAME))

    def _on_delete_button_clicked(self) -> None:
        chosen = self.selected_paths()
        if chosen:
            self.delete_requested.emit(chosen)

    def _on_use_button_clicked(self) -> None:
        chosen = self.selected_paths()
        if len(chosen) == 1:
            self.use_requested.emit(chosen[0])


def _best(summary: RunSummary) -> str:
    if summary.best_val_accuracy is None:
        return ""
    return f"{summary.best_val_accuracy:.2%} (ep {summary.best_epoch})"
