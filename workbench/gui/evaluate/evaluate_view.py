"""The Evaluate view: the model on the MNIST test set, its confusion matrix and its mistakes."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.core import paths
from workbench.core.data import mnist
from workbench.core.data.mnist import DataCorrupt, DataUnavailable, DownloadProgress
from workbench.core.evaluation.evaluation import (
    EvalProgress,
    EvalResult,
    TestSetLoaded,
    evaluation_events,
)
from workbench.core.evaluation.exports import stored_result
from workbench.core.evaluation.nonmnist_score import NonMnistScore, stored_score
from workbench.gui.evaluate.calibration_panel import CalibrationPanel
from workbench.gui.evaluate.gallery import Gallery
from workbench.gui.evaluate.result_panels import MatrixPanel, PerDigitPanel, summary_text
from workbench.gui.jobs.stream_worker import StreamJob

TEST_FILES = (mnist.TEST_IMAGES, mnist.TEST_LABELS)
STORED_STYLE = "background: #fff4d6; border: 1px solid #e5c77a; color: #4a3a08; padding: 4px;"
ERROR_STYLE = "background: #fde2e1; border: 1px solid #e0a09c; color: #5a1410; padding: 4px;"


class EvaluateView(QWidget):
    """Setters: `set_predictor`, `set_data_folder`, `set_result`. Signals: `evaluation_finished`
    (EvalResult), `evaluation_failed` (message), `input_chosen` (a test image, 28×28 float32
    ink in 0…1)."""

    evaluation_finished = Signal(object)
    non_mnist_scored = Signal(object)  # NonMnistScore of the same model, after the test set
    non_mnist_count = 1000  # digits of the non-MNIST set scored after each evaluation (0: none)
    evaluation_failed = Signal(str)  # what went wrong, also shown in the view
    input_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._predictor = None
        self._folder: Path | None = None  # None: paths.data_dir() when it is needed
        self._verify = True
        self._result: EvalResult | None = None
        self._stored = False
        self._fallback: EvalResult | None = None  # the card's, shown only if the data is missing
        self._images: np.ndarray | None = None  # the images of the live result
        self._predictions = np.empty(0, dtype=np.int64)
        self._cell: tuple[int, int] | None = None
        self._pending_images: np.ndarray | None = None  # read by the running job
        self._job_predictor = None  # the model the running evaluation is for
        self._error = ""
        self._offer_fetch = False  # after a checksum failure: download the files again
        self._job = StreamJob(lambda e: isinstance(e, EvalProgress | DownloadProgress), parent=self)
        self._job_kind = ""
        self._job.event_received.connect(self._on_job_event_received)
        self._job.job_ended.connect(self._on_job_job_ended)
        self._job.job_failed.connect(self._on_job_job_failed)

        self.run_button = QPushButton("Evaluate on the test set")
        self.run_button.setToolTip("Run the current model over the MNIST test set again")
        self.run_button.clicked.connect(self.evaluate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.summary = QLabel()
        font = QFont(self.summary.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.summary.setFont(font)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.fetch_button = QPushButton("Download the test set and recompute")
        self.fetch_button.clicked.connect(self.fetch_and_evaluate)
        self.matrix = MatrixPanel()
        self.matrix.cell_clicked.connect(self.show_cell)
        self.plot, self.normalised_box = self.matrix.plot, self.matrix.normalised_box
        self.per_digit = PerDigitPanel()
        self.per_digit.pair_clicked.connect(self.show_cell)
        self.table, self.pairs = self.per_digit.table, self.per_digit.pairs
        self.calibration = CalibrationPanel()
        self.gallery = Gallery()
        self.gallery.image_clicked.connect(self._on_gallery_image_clicked)

        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.progress, 1)
        top.addStretch(0)
        notice_row = QHBoxLayout()
        notice_row.addWidget(self.notice, 1)
        notice_row.addWidget(self.fetch_button)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.matrix)
        upper.addWidget(self.per_digit)
        upper.addWidget(self.calibration)
        for index, stretch in enumerate((3, 2, 2)):
            upper.setStretchFactor(index, stretch)
        upper.setSizes([520, 380, 340])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(upper)
        body.addWidget(self.gallery)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)
        body.setSizes([520, 240])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addLayout(notice_row)
        layout.addWidget(body, 1)
        self._show_state()

    # -- setters --------------------------------------------------------------------------------

    def set_predictor(self, predictor) -> None:
        """A new current model: its stored evaluation at once, a live one when the data is here."""
        self.cancel()
        self._predictor, self._fallback = predictor, None
        self._clear_result()
        card = predictor.model_card() if predictor is not None else {}
        if isinstance(card.get("test"), dict):
            with contextlib.suppress(KeyError, TypeError, ValueError):  # damaged: show nothing
                self._fallback = stored_result(card["test"])
        if self._fallback is not None and not self.has_test_data():
            self.set_result(self._fallback, stored=True)  # while the data is here: read it
        with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
            score = stored_score(card["non_mnist"])
            self.calibration.set_non_mnist(score, "stored in the model card")
        self._show_state()
        if self.isVisible():
            self._evaluate_if_possible()

    def set_data_folder(self, folder: str | os.PathLike | None, verify: bool = True) -> None:
        """Where the MNIST test files are (None: the user's data folder); `verify` checks MD5."""
        self._folder = Path(folder) if folder is not None else None
        self._verify = verify
        self.set_predictor(self._predictor)  # what was shown came from the other folder

    def set_result(
        self, result: EvalResult, stored: bool = False, images: np.ndarray | None = None
    ) -> None:
        """Show an evaluation; `stored`: read from the model card, without per-image answers."""
        self._result, self._stored = result, stored
        self._images = None if stored else images
        self._predictions = (
            result.probabilities.argmax(axis=1)
            if len(result.probabilities)
            else np.empty(0, dtype=np.int64)
        )
        self._cell = None
        self.matrix.set_matrix(result.confusion, self._title())
        self.per_digit.set_result(result)
        self.calibration.set_result(result)
        self.gallery.show_message(
            "The matrix stored in the model card has no images: download the test set to see them."
            if stored
            else "Click a cell of the matrix to see its images."
        )
        self._show_state()

    # -- actions --------------------------------------------------------------------------------

    def data_folder(self) -> Path:
        return self._folder if self._folder is not None else paths.data_dir()

    def has_test_data(self) -> bool:
        folder = self.data_folder()
        return all((folder / name).is_file() for name in TEST_FILES)

    def evaluate(self) -> bool:
        """Start evaluating the current model in the background; False when it cannot start."""
        if self._predictor is None or self._job.is_busy():
            return False
        if not self.has_test_data():
            self._show_state()
            return False
        predictor, folder, verify = self._predictor, self.data_folder(), self._verify
        count = self.non_mnist_count
        started = self._job.start(lambda: evaluation_events(predictor, folder, verify, count))
        if started:
            self._job_kind = "evaluate"
            self._job_predictor = predictor
            self._pending_images = None
            self._reset_progress()  # text, not a busy bar: no big blue block while reading
            self.progress.setFormat("reading the test set…")
            self._show_state()
        return started

    def fetch_and_evaluate(self) -> bool:
        """Download the two test-set files into the data folder, then evaluate."""
        if self._job.is_busy():
            return False
        folder = self.data_folder()
        checksums = mnist.OFFICIAL_MD5 if self._verify else None
        started = self._job.start(
            lambda: mnist.iter_fetch(folder, files=TEST_FILES, checksums=checksums)
        )
        if started:
            self._job_kind = "fetch"
            self.progress.setRange(0, 0)
            self.progress.setFormat("downloading…")
            self._show_state()
        return started

    def cancel(self) -> None:
        self._job.cancel()

    def shutdown(self) -> None:
        """Cancel and wait for the background job (the main window calls this when it closes)."""
        self._job.wait()

    def is_busy(self) -> bool:
        return self._job.is_busy()

    def result(self) -> EvalResult | None:
        return self._result

    def test_images(self) -> np.ndarray | None:
        """The images behind the shown result (None for a result stored in the model card)."""
        return self._images

    def is_stored(self) -> bool:
        return self._stored

    def show_cell(self, true: int, pred: int) -> None:
        """Open the gallery of the test images of cell (true digit, predicted digit)."""
        if self._result is None:
            return
        self._cell = (true, pred)
        self.plot.set_selected(self._cell)
        what = self.plot.describe_cell(true, pred)
        if self._images is None:
            self.gallery.show_message(
                f"{what}. The test images are not on this computer: "
                "download the test set to see them."
            )
            return
        indices = np.flatnonzero((self._result.labels == true) & (self._predictions == pred))
        self.gallery.set_images(
            f"<b>{what}</b> · click an image to make it the current input (Load tab, feature maps)",
            indices,
            self._images[indices],
            self._result.probabilities[indices],
        )

    def save_csv(self, path: str | os.PathLike) -> Path:
        """The matrix as shown (counts or row-normalised rates) as CSV."""
        return self.matrix.save_csv(path)

    def save_png(self, path: str | os.PathLike) -> Path:
        return self.matrix.save_png(path)

    # -- display --------------------------------------------------------------------------------

    def _title(self) -> str:
        name = self._predictor.path.name if self._predictor is not None else "model"
        stored = " (stored in the model card)" if self._stored else ""
        accuracy = f", accuracy {self._result.accuracy:.2%}" if self._result else ""
        return f"{name} on {self._result.n if self._result else 0:,} test images{accuracy}{stored}"

    def _clear_result(self) -> None:
        self._result, self._stored, self._images = None, False, None
        self._predictions = np.empty(0, dtype=np.int64)
        self._cell = None
        self.matrix.set_matrix(None)
        self.per_digit.set_result(None)
        self.calibration.set_result(None)
        self.calibration.set_non_mnist(None)
        self.gallery.show_message("Click a cell of the matrix to see its images.")

    def _show_state(self) -> None:
        busy = self._job.is_busy()
        result = self._result
        has_data = self.has_test_data()
        self.run_button.setEnabled(self._predictor is not None and not busy and has_data)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy)
        self.summary.setText(summary_text(result, self._stored, self._predictor is not None))
        missing = not has_data and not (busy and self._job_kind == "fetch")
        if self._error:
            self._set_notice(self._error, ERROR_STYLE)
        elif result is None and has_data and self._predictor is not None:  # no banner yet
            self._set_notice(f"Reading the MNIST test set in {self.data_folder()}…", "")
            self.gallery.show_message("The test images appear here once they are read.")
        elif self._stored:
            where = f" The MNIST test set is not in {self.data_folder()}." if missing else ""
            self._set_notice(
                "Stored in the model card: the test-set evaluation made when the "
                f"model was saved.{where}",
                STORED_STYLE,
            )
        elif missing and self._predictor is not None:
            self._set_notice(f"The MNIST test set is not in {self.data_folder()}.", STORED_STYLE)
        else:
            self._set_notice("", "")
        offer = (missing or self._offer_fetch) and self._predictor is not None
        self.fetch_button.setVisible(offer)
        self.fetch_button.setEnabled(not busy)

    def _set_notice(self, text: str, style: str) -> None:
        self.notice.setText(text)
        self.notice.setStyleSheet(style)
        self.notice.setVisible(bool(text))

    # -- slots ----------------------------------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._evaluate_if_possible()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def _evaluate_if_possible(self) -> None:
        """Evaluate once per model when the view is seen and the data is here (under a second)."""
        live = self._result is not None and not self._stored
        if self._predictor is not None and not live and self.has_test_data():
            self.evaluate()

    def _on_job_event_received(self, item) -> None:
        if isinstance(item, TestSetLoaded):
            self._error, self._offer_fetch = "", False
            self._pending_images = item.images
            self.progress.setRange(0, len(item.images))
            self.progress.setFormat(f"evaluating %v of {len(item.images):,} images")
        elif isinstance(item, EvalProgress):
            self.progress.setRange(0, item.total)
            self.progress.setValue(item.done)
        elif isinstance(item, DownloadProgress):
            if item.total:
                self.progress.setRange(0, item.total)
                self.progress.setValue(item.done)
            self.progress.setFormat(f"downloading {item.file}: %p%")
        elif isinstance(item, EvalResult):
            if self._job_predictor is not self._predictor:
                return  # sent before a cancel: the model has changed since
            self._error = ""
            self.set_result(item, stored=False, images=self._pending_images)
            if self.non_mnist_count:
                self.calibration.set_non_mnist_pending()
            self.evaluation_finished.emit(item)
        elif isinstance(item, NonMnistScore) and self._job_predictor is self._predictor:
            self.calibration.set_non_mnist(item)
            self.non_mnist_scored.emit(item)

    def _on_job_job_ended(self, cancelled: bool) -> None:
        kind, self._job_kind = self._job_kind, ""
        self._reset_progress()
        self.calibration.end_pending()
        if kind == "fetch" and not cancelled:
            self._error = ""
            self.evaluate()
        elif cancelled and self._job_predictor is not self._predictor and self.isVisible():
            self._evaluate_if_possible()  # a new model came while the old one was evaluated
        self._show_fallback()

    def _on_job_job_failed(self, error: Exception) -> None:
        kind, self._job_kind = self._job_kind, ""
        self._reset_progress()
        self.calibration.end_pending()
        self._offer_fetch = isinstance(error, DataCorrupt)
        if isinstance(error, DataUnavailable):
            self._error = str(error)
        else:
            action = "download the test set" if kind == "fetch" else "evaluate"
            self._error = f"Could not {action}: {error}"
        self._show_fallback()
        self.evaluation_failed.emit(self._error)

    def _show_fallback(self) -> None:  # no live result after all: the model card's, if any
        if self._result is None and self._fallback is not None and not self._job.is_busy():
            self.set_result(self._fallback, stored=True)
        self._show_state()

    def _reset_progress(self) -> None:
        """Leave the busy animation (range 0…0) when no job runs: no style animation keeps going."""
        self.progress.setRange(0, 1)
        self.progress.setValue(0)

    def _on_gallery_image_clicked(self, index: int) -> None:
        if self._images is not None:
            self.input_chosen.emit(self._images[index].astype(np.float32) * np.float32(1 / 255))
