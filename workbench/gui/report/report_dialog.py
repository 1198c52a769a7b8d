"""File → Export report…: pick the sections, the runs to show and where to write the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import paths
from workbench.core.data.mnist import TEST_IMAGES, TEST_LABELS
from workbench.core.evaluation.evaluation import EvalResult
from workbench.core.report.document import build_report, run_curves
from workbench.core.report.html import report_html
from workbench.core.report.sections import SECTION_TITLES, SECTIONS, InputLog
from workbench.core.training.experiment_notes import note_for_runs
from workbench.core.training.runs import list_summaries, read_history


def has_test_set(folder: Path) -> bool:
    return (folder / TEST_IMAGES).is_file() and (folder / TEST_LABELS).is_file()


class ReportDialog(QDialog):
    """Builds the report with the core builder; `report_written(html path)` when it is done."""

    report_written = Signal(Path)

    def __init__(
        self,
        predictor,
        input_log: InputLog | None = None,
        evaluation: EvalResult | None = None,
        test_images: np.ndarray | None = None,
        chosen_input: np.ndarray | None = None,
        folder: Path | None = None,
        parent: QWidget | None = None,
        data_folder: Path | None = None,
        verify: bool = True,
    ):
        super().__init__(parent)
        self.setWindowTitle("Export report")
        self._predictor = predictor
        self._log = input_log or InputLog()
        self._evaluation, self._stored = evaluation, False
        # Without a result from the Evaluate view: the configured test set, evaluated on saving;
        # the model card's stored evaluation only where that test set is missing.
        self._data_folder = paths.data_dir() if data_folder is None else Path(data_folder)
        self._verify = verify  # MD5-check the test files, as the Evaluate view does
        self._evaluate_now = evaluation is None and has_test_set(self._data_folder)
        if evaluation is None and not self._evaluate_now and predictor.model_card().get("test"):
            from workbench.core.evaluation.exports import stored_result

            self._evaluation, self._stored = stored_result(predictor.model_card()["test"]), True
        self._images = test_images
        self._chosen = chosen_input
        self.checks: dict[str, QCheckBox] = {}
        sections = QVBoxLayout()
        for name in SECTIONS:
            box = QCheckBox(SECTION_TITLES[name])
            box.setChecked(True)
            sections.addWidget(box)
            self.checks[name] = box
        if not len(self._log):
            self.checks["inputs"].setText("Your own inputs (none classified yet)")
        self.runs = QListWidget()
        self.runs.setSelectionMode(QListWidget.SelectionMode.MultiSelection)
        for summary in list_summaries():
            if summary.state == "damaged":
                continue
            item = QListWidgetItem(f"{summary.name} — {summary.state} — {summary.settings}")
            item.setData(Qt.ItemDataRole.UserRole, str(summary.path))
            self.runs.addItem(item)
        self.path = QLineEdit(str((folder or Path.home()) / "workbench-report.html"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        self.pdf = QCheckBox("Also print a PDF beside it")
        self.pdf.setChecked(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        buttons.accepted.connect(self.export)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Sections", sections)
        note = "" if self.runs.count() else " (no saved runs: the model's own training)"
        form.addRow(f"Runs to show{note}", self.runs)
        form.addRow("Save as", where)
        form.addRow("", self.pdf)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.status.setText(self._evaluation_note())

    def _evaluation_note(self) -> str:
        if self._evaluate_now:
            return f"The evaluation is computed on the test set in {self._data_folder} on saving."
        if self._stored:
            return (
                f"No test set in {self._data_folder}: the evaluation is the one stored with "
                "the model."
            )
        return ""

    def _evaluate_test_set(self) -> None:
        """Evaluate on the configured test set once (a few seconds), for this and later saves."""
        from workbench.core.data.mnist import load_split
        from workbench.core.evaluation.evaluation import evaluate

        self.status.setText(f"Evaluating on the test set in {self._data_folder}…")
        QApplication.processEvents()
        images, labels = load_split(self._data_folder, "test", verify=self._verify)
        self._evaluation, self._images = evaluate(self._predictor, images, labels), images
        self._evaluate_now = False

    def chosen_sections(self) -> list[str]:
        return [name for name, box in self.checks.items() if box.isChecked()]

    def chosen_runs(self) -> list[Path]:
        return [Path(item.data(Qt.ItemDataRole.UserRole)) for item in self.runs.selectedItems()]

    def export(self) -> Path | None:
        """Build and write the report (HTML, and PDF when asked); None if it failed."""
        from workbench.gui.report.report_figures import pdf_supported, qt_figures, write_pdf

        target = Path(self.path.text()).expanduser()
        if target.suffix.lower() not in (".html", ".htm"):
            target = target.with_suffix(".html")
        try:
            if self._evaluate_now and "evaluation" in self.chosen_sections():
                self._evaluate_test_set()
            runs = [run_curves(read_history(path), path.name) for path in self.chosen_runs()]
            chosen = self.chosen_runs()
            experiment = note_for_runs(chosen) if len(chosen) > 1 else None
            report = build_report(
                self._predictor,
                self.chosen_sections(),
                runs=runs,
                evaluation=self._evaluation,
                stored=self._stored,
                test_images=self._images,
                chosen_input=self._chosen,
                inputs=self._log.items(),
                figures=qt_figures(),
                experiment=experiment,
            )
            html = report_html(report)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
            written = [target.name]
            if self.pdf.isChecked():
                if pdf_supported():
                    written.append(write_pdf(html, target.with_suffix(".pdf")).name)
                else:
                    written.append("no PDF: this Qt cannot print one")
        except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: test set gone
            self.status.setText(f"Could not write the report: {exc}")
            return None
        self.status.setText(f"Wrote {', '.join(written)} in {target.parent}")
        self.report_written.emit(target)
        return target

    def _on_browse_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save report", self.path.text(), "HTML page (*.html)"
        )
        if name:
            self.path.setText(name)
