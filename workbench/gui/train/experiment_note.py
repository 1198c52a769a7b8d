"""The note under the curves once an experiment's arms have run: what their numbers showed."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from workbench.core.training.experiment_notes import TITLES, arm_from_run, experiment_note


class ExperimentNote(QLabel):
    """Hidden until `show_runs` is given an experiment and its finished runs."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet(
            "ExperimentNote { background: #f3f6fb; border: 1px solid #c5d3e8; padding: 6px; }"
        )
        self.note = ""
        self.hide()

    def show_runs(self, experiment: str, run_dirs: Sequence[Path]) -> str:
        """Write and show the note of `experiment` from these runs; returns it."""
        try:
            arms = [arm_from_run(path) for path in run_dirs]
        except (KeyError, TypeError, ValueError, OSError) as exc:
            self.note = f"No note: a run of the experiment cannot be read ({exc})."
        else:
            self.note = experiment_note(experiment, arms)
        title = html.escape(TITLES.get(experiment, experiment))
        self.setText(f"<b>What to look for — {title}</b><br>{html.escape(self.note)}")
        self.show()
        return self.note

    def clear_note(self) -> None:
        self.note = ""
        self.hide()
