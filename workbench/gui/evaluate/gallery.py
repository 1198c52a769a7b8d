"""A gallery of test images, each with the model's top two digits, sortable by confidence."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.recognition.predictor import Prediction
from workbench.core.recognition.reading import percent_text
from workbench.gui.widgets.qt_numpy import qimage_from_grey

TILE = 56  # 28×28 pixels shown twice as large
MAX_SHOWN = 1500  # a cell of the diagonal holds about 1,000 images; more is not worth the wait
SORTS = ("least confident first", "most confident first", "test-set order")
INDEX_ROLE = Qt.ItemDataRole.UserRole


def sort_order(indices: np.ndarray, confidence: np.ndarray, sort: str) -> np.ndarray:
    """Positions into `indices` in the chosen order; ties keep test-set order."""
    if sort == SORTS[2]:
        return np.argsort(indices, kind="stable")
    key = confidence if sort == SORTS[0] else -confidence
    return np.lexsort((indices, key))


class Gallery(QWidget):
    """`set_images(...)` fills it; clicking an image emits `image_clicked(test-set index)`."""

    image_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._indices = np.empty(0, dtype=np.int64)
        self._images = np.empty((0, 28, 28), dtype=np.uint8)
        self._top: list[list[tuple[int, float]]] = []  # per image, its top-2 (digit, probability)
        self.title = QLabel("Click a cell of the matrix to see its images.")
        self.title.setWordWrap(True)
        self.sort_box = QComboBox()
        self.sort_box.addItems(SORTS)
        self.sort_box.setToolTip("Confidence: the probability the model gave its answer")
        self.sort_box.currentTextChanged.connect(self._on_sort_box_changed)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(TILE, TILE))
        self.list.setGridSize(QSize(TILE + 28, TILE + 44))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.list.itemClicked.connect(self._on_list_item_clicked)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(QLabel("Sort:"))
        head.addWidget(self.sort_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.list, 1)

    def set_images(
        self, title: str, indices: np.ndarray, images: np.ndarray, probabilities: np.ndarray
    ) -> None:
        """Test-set `indices`, their uint8 `images` [n, 28, 28] and the model's probabilities."""
        self._indices = np.asarray(indices, dtype=np.int64)
        self._images = np.asarray(images)
        self._top = Prediction(np.asarray(probabilities)).top(2)
        shown = min(len(self._indices), MAX_SHOWN)
        more = f" (the first {shown} shown)" if shown < len(self._indices) else ""
        self.title.setText(f"{title}{more}")
        self._fill()

    def show_message(self, text: str) -> None:
        """No images, only a line of text (e.g. when the test set is not on this computer)."""
        self._indices = np.empty(0, dtype=np.int64)
        self.title.setText(text)
        self.list.clear()

    def indices(self) -> list[int]:
        """The test-set indices shown, in display order."""
        return [int(self.list.item(row).data(INDEX_ROLE)) for row in range(self.list.count())]

    def item_for(self, index: int) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            if self.list.item(row).data(INDEX_ROLE) == index:
                return self.list.item(row)
        return None

    def _fill(self) -> None:
        self.list.clear()
        if not len(self._indices):
            return
        first = np.array([top[0][1] for top in self._top], dtype=np.float64)
        order = sort_order(self._indices, first, self.sort_box.currentText())
        self.list.setUpdatesEnabled(False)
        for position in order[:MAX_SHOWN]:
            index = int(self._indices[position])
            (d1, p1), (d2, p2) = self._top[position]
            pixmap = QPixmap.fromImage(
                qimage_from_grey(self._images[position]).scaled(
                    TILE,
                    TILE,
                    Qt.AspectRatioMode.IgnoreAspectRatio,
                    Qt.TransformationMode.FastTransformation,
                )
            )
            label = f"{d1}: {percent_text(p1)}\n{d2}: {percent_text(p2)}"
            item = QListWidgetItem(QIcon(pixmap), label)
            item.setData(INDEX_ROLE, index)
            item.setToolTip(
                f"test image #{index}: {d1} ({percent_text(p1, 1)}), "
                f"then {d2} ({percent_text(p2, 1)})"
                "\nclick to make it the current input"
            )
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.list.addItem(item)
        self.list.setUpdatesEnabled(True)

    def _on_sort_box_changed(self, _text: str) -> None:
        self._fill()

    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        self.image_clicked.emit(int(item.data(INDEX_ROLE)))
