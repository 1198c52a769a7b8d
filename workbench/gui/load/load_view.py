"""The Load view: a photo with a box per digit, the digits in reading order, fixes for the split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from workbench.core.recognition.images import load_grey
from workbench.core.recognition.page import AUTO_LEVEL, Page
from workbench.gui.draw.prediction_panel import PredictionPanel
from workbench.gui.jobs.stream_worker import StreamJob
from workbench.gui.load.digit_strip import TEXT_H, TILE, DigitStrip
from workbench.gui.load.photo_view import PhotoView
from workbench.gui.widgets.qt_numpy import grey_from_qimage, qimage_from_grey
from workbench.gui.widgets.side_column import scrolling_column

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
PANEL_WIDTH = 300


def sample_title(path: Path) -> str:
    """`chalkboard-row.jpg` → `Chalkboard row`."""
    return path.stem.replace("-", " ").replace("_", " ").capitalize()


def _read_page(source, name: str, predictor=None) -> Page:
    """Background job: read the file (or take the pixels) and split it, as `workbench predict`."""
    grey = load_grey(source) if isinstance(source, (str, Path, bytes)) else source
    page = Page(grey, name)
    page.split(predictor)
    return page


class LoadView(QWidget):
    """Open, drop or paste a photo; the main window gets `digit_selected` for the current input."""

    open_requested = Signal()
    paste_requested = Signal()
    page_loaded = Signal(str)
    load_failed = Signal(str)
    digits_changed = Signal()
    digit_selected = Signal(int)  # -1: no digit selected

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.page: Page | None = None
        self._predictor = None
        self._selected: set[int] = set()
        self._current = -1
        self._jobs = StreamJob(parent=self)
        self._jobs.job_finished.connect(self._on_jobs_job_finished)
        self._jobs.job_failed.connect(self._on_jobs_job_failed)
        self._threshold_timer = QTimer(self, singleShot=True, interval=120)
        self._threshold_timer.timeout.connect(self._on_threshold_timer_timeout)

        self.open_button = QPushButton("Open…")
        self.sample_button = QPushButton("Samples")
        self.paste_button = QPushButton("Paste")
        self.invert_box = QCheckBox("Invert")
        self.invert_box.setToolTip("Swap ink and paper, when the automatic choice got it wrong")
        self.level = QSlider(Qt.Orientation.Horizontal)
        self.level.setRange(5, 90)
        self.level.setToolTip("Ink threshold: lower finds faint strokes, higher drops smudges")
        self.level_label = QLabel()
        self.auto_button = QPushButton("Auto split")
        self.auto_button.setToolTip("Forget the fixes and split automatically again")
        self.draw_button = QPushButton("Draw box")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Drag on the photo to add a box around a digit it missed")
        self.merge_button = QPushButton("Merge")
        self.merge_button.setToolTip("One box around the selected boxes (Ctrl+click to select)")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Remove the selected boxes (Delete)")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Undo the last fix (Ctrl+Z)")

        bar = QHBoxLayout()
        for widget in (self.open_button, self.sample_button, self.paste_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        fixes = QGroupBox("Fix the boxes")
        grid = QGridLayout(fixes)
        grid.addWidget(self.invert_box, 0, 0)
        grid.addWidget(self.auto_button, 0, 1)
        level_row = QHBoxLayout()
        level_row.addWidget(QLabel("Ink threshold"))
        level_row.addWidget(self.level, 1)
        level_row.addWidget(self.level_label)
        grid.addLayout(level_row, 1, 0, 1, 2)
        grid.addWidget(self.draw_button, 2, 0)
        grid.addWidget(self.merge_button, 2, 1)
        grid.addWidget(self.delete_button, 3, 0)
        grid.addWidget(self.undo_button, 3, 1)
        hint = QLabel("Click a box to read it; Ctrl+click to select several.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        grid.addWidget(hint, 4, 0, 1, 2)

        self.photo = PhotoView()
        self.strip = DigitStrip()
        self.strip_area = QScrollArea()
        self.strip_area.setWidget(self.strip)
        self.strip_area.setFixedHeight(TILE + TEXT_H + 34)
        self.strip_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.reading = QLabel()
        self.reading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.panel = PredictionPanel("select a digit")

        left = QVBoxLayout()
        left.addLayout(bar)
        left.addWidget(self.photo, 1)
        left.addWidget(self.reading)
        left.addWidget(self.strip_area)
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(8, 4, 4, 4)
        column.addWidget(self.panel)
        column.addSpacing(12)
        column.addWidget(fixes)
        column.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(left, 1)
        layout.addWidget(scrolling_column(side, PANEL_WIDTH))  # fits a 720-pixel screen

        self.setAcceptDrops(True)
        self.open_button.setToolTip("Open a photo or scan (Ctrl+O)")
        self.paste_button.setToolTip("Paste an image from the clipboard (Ctrl+V)")
        self.open_button.clicked.connect(self.open_requested)
        self.paste_button.clicked.connect(self.paste_requested)
        self.invert_box.toggled.connect(self._on_invert_box_toggled)
        self.level.valueChanged.connect(self._on_level_value_changed)
        self.auto_button.clicked.connect(self._on_auto_button_clicked)
        self.draw_button.toggled.connect(self.photo.set_draw_mode)
        self.merge_button.clicked.connect(self.merge_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button.clicked.connect(self.undo)
        self.photo.box_clicked.connect(self._on_photo_box_clicked)
        self.photo.box_drawn.connect(self._on_photo_box_drawn)
        self.strip.tile_clicked.connect(self._on_photo_box_clicked)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self)
        delete.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        delete.activated.connect(self.delete_selected)
        self._set_level_quietly(AUTO_LEVEL)
        self._refresh()

    # -- setters and commands -------------------------------------------------------------------

    def set_predictor(self, predictor) -> None:
        self._predictor = predictor
        if self.page is not None:
            self.page.read(predictor)
            self._refresh()
            self.digit_selected.emit(self._current)

    def set_samples(self, samples: list[Path]) -> None:
        """The sample photos the Samples button offers."""
        menu = QMenu(self.sample_button)
        for path in samples:
            menu.addAction(sample_title(path), lambda p=path: self.open_path(p))
        self.sample_button.setMenu(menu)
        self.sample_button.setEnabled(bool(samples))

    def set_threshold(self, threshold: float) -> None:
        """The confidence below which a box is marked unsure (orange) and the panel says so."""
        self.photo.set_threshold(threshold)
        self.panel.set_threshold(threshold)

    def set_result(self, image: np.ndarray | None, top) -> None:
        self.panel.set_result(image, top)

    def open_path(self, path: str | Path) -> bool:
        """Read and split an image file in the background; False while another is loading."""
        path = Path(path)
        return self._start(lambda: _read_page(path, path.name, self._predictor))

    def open_qimage(self, image: QImage, name: str = "pasted image") -> bool:
        grey = grey_from_qimage(image)
        return self._start(lambda: _read_page(grey, name, self._predictor))

    def open_grey(self, grey: np.ndarray, name: str) -> bool:
        return self._start(lambda: _read_page(np.asarray(grey, np.float32), name, self._predictor))

    def is_loading(self) -> bool:
        return self._jobs.is_busy()

    def selected_image(self) -> np.ndarray | None:
        if self.page is None or not 0 <= self._current < len(self.page.digits):
            return None
        return self.page.digits[self._current].image

    def current_index(self) -> int:
        return self._current

    def select(self, index: int, add: bool = False) -> None:
        count = len(self.page.digits) if self.page else 0
        if not 0 <= index < count:
            self._selected, self._current = set(), -1
        elif add:
            self._selected ^= {index}
            self._current = index if index in self._selected else max(self._selected, default=-1)
        else:
            self._selected, self._current = {index}, index
        self._show_selection()
        self.digit_selected.emit(self._current)

    def delete_selected(self) -> None:
        if self.page is None or not self._selected:
            return
        self.page.delete(sorted(self._selected))
        self._after_edit(-1)

    def merge_selected(self) -> None:
        if self.page is None or len(self._selected) < 2:
            return
        self._after_edit(self.page.merge(sorted(self._selected)))

    def add_box(self, box: tuple[int, int, int, int]) -> None:
        if self.page is None:
            return
        self._after_edit(self.page.add_box(box))

    def undo(self) -> bool:
        if self.page is None or not self.page.undo():
            return False
        self.invert_box.blockSignals(True)
        self.invert_box.setChecked(self.page.invert)
        self.invert_box.blockSignals(False)
        self._set_level_quietly(self.page.threshold)
        self._after_edit(-1, read=True)
        return True

    def close_page(self) -> None:
        self.page = None
        self.photo.set_image(QImage())
        self._selected, self._current = set(), -1
        self._refresh()
        self.digits_changed.emit()
        self.digit_selected.emit(-1)

    def wait_for_jobs(self) -> None:
        self._jobs.wait()

    # -- internals ------------------------------------------------------------------------------

    def _start(self, call) -> bool:
        if not self._jobs.start_call(call):
            return False
        self.reading.setText("reading the image…")
        return True

    def _after_edit(self, select: int | None, read: bool = True) -> None:
        if read:
            self.page.read(self._predictor)
        self._refresh()
        self.digits_changed.emit()
        self.select(select if select is not None else -1)

    def _refresh(self) -> None:
        digits = self.page.digits if self.page else []
        count = len(digits)
        self._selected = {i for i in self._selected if i < count}
        if self._current >= count:
            self._current = -1
        self.photo.set_digits(digits, self._selected)
        self.strip.set_digits(digits, self._selected)
        if self.page is None:
            self.reading.setText("")
        else:
            text = "".join("?" if d is None else str(d) for d in self.page.labels())
            found = f"{count} digit{'s' if count != 1 else ''}"
            self.reading.setText(
                f"<b>{self.page.name}</b>: {found}"
                + (f", reads <b>{text}</b>" if text else " (none found)")
            )
        has_page = self.page is not None
        for widget in (self.invert_box, self.level, self.auto_button, self.draw_button):
            widget.setEnabled(has_page)
        self.merge_button.setEnabled(len(self._selected) >= 2)
        self.delete_button.setEnabled(bool(self._selected))
        self.undo_button.setEnabled(has_page and self.page.can_undo())

    def _show_selection(self) -> None:
        self.photo.set_digits(self.page.digits if self.page else [], self._selected)
        self.strip.set_selected(self._selected)
        self.merge_button.setEnabled(len(self._selected) >= 2)
        self.delete_button.setEnabled(bool(self._selected))
        if self._current >= 0:
            rect = self.strip.tile_rect(self._current).toAlignedRect()
            self.strip_area.ensureVisible(rect.center().x(), rect.center().y(), rect.width(), 0)

    def _set_level_quietly(self, level: float | None) -> None:
        self.level.blockSignals(True)
        self.level.setValue(round((AUTO_LEVEL if level is None else level) * 100))
        self.level.blockSignals(False)
        self.level_label.setText("auto" if level is None else f"{self.level.value()} %")

    def _on_jobs_job_finished(self, page: Page) -> None:
        page.read(self._predictor)
        self.page = page
        self.photo.set_image(qimage_from_grey(page.grey))
        self.invert_box.blockSignals(True)
        self.invert_box.setChecked(False)
        self.invert_box.blockSignals(False)
        self._set_level_quietly(None)
        self._selected, self._current = set(), -1
        self._refresh()
        self.page_loaded.emit(page.name)
        self.digits_changed.emit()
        self.select(0 if page.digits else -1)

    def _on_jobs_job_failed(self, error: Exception) -> None:
        self._refresh()
        self.load_failed.emit(str(error))

    def _on_invert_box_toggled(self, checked: bool) -> None:
        if self.page is not None:
            self.page.set_invert(checked)
            self._after_edit(0 if self.page.digits else -1)

    def _on_level_value_changed(self, value: int) -> None:
        self.level_label.setText(f"{value} %")
        self._threshold_timer.start()  # re-split once the slider rests, not on every step

    def _on_threshold_timer_timeout(self) -> None:
        if self.page is not None:
            self.page.set_threshold(self.level.value() / 100)
            self._after_edit(0 if self.page.digits else -1)

    def _on_auto_button_clicked(self) -> None:
        if self.page is None:
            return
        self.invert_box.blockSignals(True)
        self.invert_box.setChecked(False)
        self.invert_box.blockSignals(False)
        self.page.set_invert(False)
        self.page.set_threshold(None)
        self._set_level_quietly(None)
        self._after_edit(0 if self.page.digits else -1)

    def _on_photo_box_clicked(self, index: int, add: bool) -> None:
        self.select(index, add)

    def _on_photo_box_drawn(self, box: tuple) -> None:
        self.add_box(box)

    # -- drag and drop --------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasImage() or any(url.isLocalFile() for url in mime.urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        if self.open_mime(event.mimeData()):
            event.acceptProposedAction()

    def open_mime(self, mime) -> bool:
        """Open the first local file (or the image data) of a drop or the clipboard."""
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        if files:
            return self.open_path(files[0])
        if mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                return self.open_qimage(image)
        text = mime.text().strip() if mime.hasText() else ""
        if text and "\n" not in text and Path(text).is_file():
            return self.open_path(text)
        return False
