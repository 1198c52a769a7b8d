"""The Anatomy view: per layer the numbers students compute by hand, for any spec; conv filters."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.model.anatomy import EXAMPLES, Anatomy, anatomy, anatomy_table, table_rows
from workbench.core.model.filters import filter_layout
from workbench.core.model.spec import PRESETS, ModelSpec, SpecError, spec_text
from workbench.gui.widgets.filter_picture import FilterPicture

COLUMNS = (
    "layer",
    "type",
    "kernel",
    "stride",
    "padding",
    "dilation",
    "output shape",
    "parameters",
    "MACs",
    "receptive field",
)
NUMERIC_FROM = 2  # columns from here on are right-aligned
CURRENT = "current"
PRESENTATION_ZOOM = 3  # filters about 100 px wide become about 300–400 px: a projector's size
ERROR_STYLE = "color: #a61b12;"


class AnatomyView(QWidget):
    """`set_predictor(p)` shows the model's spec and filters; any preset, example or edited
    JSON spec gets its table at once, or the SpecError that names the layer."""

    anatomy_updated = Signal(object)  # the Anatomy now shown

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._predictor = None
        self._filters: dict[str, np.ndarray] | None = None
        self._spec: ModelSpec | None = None
        self._anatomy: Anatomy | None = None
        self._error = ""
        self._filter_names: list[str] = []
        self._edit_timer = QTimer(self, singleShot=True, interval=300)
        self._edit_timer.timeout.connect(self._on_edit_timer_timeout)

        self.source_box = QComboBox()
        self.source_box.currentIndexChanged.connect(self._on_source_box_changed)
        self.copy_button = QPushButton("Copy table as text")
        self.copy_button.clicked.connect(self.copy_table)
        self.summary = QLabel()
        font = QFont(self.summary.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.summary.setFont(font)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.editor = QPlainTextEdit()
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setToolTip("Edit the spec: the table follows as you type")
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self.filters_box = QWidget()
        self.filters_layout = QVBoxLayout(self.filters_box)
        self.filters_layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        filters_scroll = QScrollArea()
        filters_scroll.setWidgetResizable(True)
        filters_scroll.setWidget(self.filters_box)
        self.presentation_box = QCheckBox(f"Presentation size ({PRESENTATION_ZOOM}×)")
        self.presentation_box.setToolTip("Filters large enough to read on a projector")
        self.presentation_box.toggled.connect(self._on_presentation_box_toggled)
        filters_column = QWidget()
        filters_rows = QVBoxLayout(filters_column)
        filters_rows.setContentsMargins(0, 0, 0, 0)
        filters_rows.addWidget(self.presentation_box)
        filters_rows.addWidget(filters_scroll, 1)

        top = QHBoxLayout()
        top.addWidget(QLabel("Spec:"))
        top.addWidget(self.source_box, 1)
        top.addWidget(self.copy_button)
        editor_box = QWidget()
        editor_column = QVBoxLayout(editor_box)
        editor_column.setContentsMargins(0, 0, 0, 0)
        editor_column.addWidget(QLabel("<b>Spec as JSON</b> (edit it, or paste your own)"))
        editor_column.addWidget(self.editor, 1)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(editor_box)
        lower.addWidget(filters_column)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 1)
        lower.setSizes([440, 520])
        body = self.body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(self.table)
        body.addWidget(lower)
        body.setStretchFactor(0, 0)
        body.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.error_label)
        layout.addWidget(body, 1)
        self._fill_sources()

    # -- setters --------------------------------------------------------------------------------

    def set_predictor(self, predictor) -> None:
        """The current model: its spec first in the list, and its conv filters."""
        self._predictor = predictor
        self._filters = None
        self._fill_sources()
        self.source_box.setCurrentIndex(0)
        self._on_source_box_changed(0)

    def set_spec(self, spec: ModelSpec) -> None:
        """Show a spec (built, not trained): its text goes into the editor, its table below."""
        self.set_spec_text(spec_text(spec))

    def set_spec_text(self, text: str) -> None:
        """Put JSON in the editor and compute the table now (no typing delay)."""
        self.editor.blockSignals(True)
        self.editor.setPlainText(text)
        self.editor.blockSignals(False)
        self._edit_timer.stop()
        self._update_from_text()

    # -- what it shows --------------------------------------------------------------------------

    def current_anatomy(self) -> Anatomy | None:
        return self._anatomy

    def error(self) -> str:
        return self._error

    def row_texts(self) -> list[list[str]]:
        return [
            [self.table.item(r, c).text() for c in range(self.table.columnCount())]
            for r in range(self.table.rowCount())
        ]

    def filter_layers(self) -> list[str]:
        """The conv layers whose filters are shown (empty for a spec that is not the model's)."""
        return list(self._filter_names)

    def copy_table(self) -> str:
        text = "" if self._anatomy is None else anatomy_table(self._anatomy)
        if text:
            QGuiApplication.clipboard().setText(text)
        return text

    # -- internals ------------------------------------------------------------------------------

    def _fill_sources(self) -> None:
        self.source_box.blockSignals(True)
        self.source_box.clear()
        if self._predictor is not None and self._predictor.spec is not None:
            self.source_box.addItem(f"Current model: {self._predictor.path.name}", CURRENT)
        for name in PRESETS:
            self.source_box.addItem(f"Preset: {name}", name)
        for title in EXAMPLES:
            self.source_box.addItem(f"Example: {title}", title)
        self.source_box.blockSignals(False)
        if self._predictor is None:
            self._on_source_box_changed(self.source_box.currentIndex())

    def _spec_for(self, key: str) -> ModelSpec:
        if key == CURRENT:
            return self._predictor.spec
        if key in PRESETS:
            return PRESETS[key]
        return ModelSpec.from_dict(EXAMPLES[key])

    def _update_from_text(self) -> None:
        text = self.editor.toPlainText()
        try:
            spec = ModelSpec.from_json(text)
            table = anatomy(spec)
        except (SpecError, TypeError, ValueError) as exc:
            self._error = str(exc)
            self.error_label.setText(self._error)
            self.error_label.show()
            self.table.setEnabled(False)  # the last good table stays, greyed
            return
        self._error = ""
        self.error_label.hide()
        self.table.setEnabled(True)
        self._spec, self._anatomy = spec, table
        self._fill_table(table)
        self.summary.setText(
            f"<b>{spec.name}</b>: {table.parameters:,} parameters, "
            f"{table.macs:,} multiply-accumulates per image"
        )
        self._show_filters(spec)
        self.anatomy_updated.emit(table)

    def _fill_table(self, table: Anatomy) -> None:
        rows = table_rows(table)
        self.table.setRowCount(len(rows))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c >= NUMERIC_FROM:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if r == len(rows) - 1:
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        for c in range(len(COLUMNS)):
            fit = c < NUMERIC_FROM
            header.setSectionResizeMode(
                c,
                QHeaderView.ResizeMode.ResizeToContents if fit else QHeaderView.ResizeMode.Stretch,
            )
        height = header.height() + sum(self.table.rowHeight(r) for r in range(len(rows))) + 4
        self.body.setSizes([height, max(self.body.height() - height, 200)])

    def _show_filters(self, spec: ModelSpec) -> None:
        while self.filters_layout.count():
            widget = self.filters_layout.takeAt(0).widget()
            if widget is not None:
                widget.hide()  # gone now, deleted when control returns to the event loop
                widget.deleteLater()
        self._filter_names = []
        predictor = self._predictor
        if predictor is None or predictor.spec != spec:
            self.filters_layout.addWidget(
                QLabel(
                    "Conv filters are shown for the current model. This spec is built, not "
                    "trained: it has no weights yet.",
                    wordWrap=True,
                )
            )
            return
        if self._filters is None:
            from workbench.core.evaluation.exports import conv_filters

            try:
                self._filters = conv_filters(predictor.path)
            except (OSError, ValueError) as exc:
                self._filters = {}
                self.filters_layout.addWidget(QLabel(f"Cannot read the filters: {exc}"))
        if not self._filters and predictor.spec is not None:
            self.filters_layout.addWidget(QLabel("This model has no convolutions."))
        for name, weights in self._filters.items():
            out, inputs, kh, kw = weights.shape
            _, _, reading = filter_layout(out, inputs)
            title = QLabel(
                f"<b>{name}</b>: {out} filters of {kh}×{kw}×{inputs} ({reading}; blue "
                f"negative, white 0, red positive, up to ±{np.abs(weights).max():.2f})"
            )
            title.setWordWrap(True)
            image = FilterPicture()
            image.set_zoom(self._filter_zoom())
            image.set_weights(weights)
            self.filters_layout.addWidget(title)
            self.filters_layout.addWidget(image)
            self._filter_names.append(name)

    def filter_pictures(self) -> list[FilterPicture]:
        items = (self.filters_layout.itemAt(i).widget() for i in range(self.filters_layout.count()))
        return [item for item in items if isinstance(item, FilterPicture) and not item.isHidden()]

    def _filter_zoom(self) -> int:
        return PRESENTATION_ZOOM if self.presentation_box.isChecked() else 1

    def _on_presentation_box_toggled(self, _checked: bool) -> None:
        for picture in self.filter_pictures():
            picture.set_zoom(self._filter_zoom())

    def _on_source_box_changed(self, index: int) -> None:
        key = self.source_box.itemData(index)
        if key is None:
            return
        self.set_spec(self._spec_for(key))

    def _on_editor_text_changed(self) -> None:
        self._edit_timer.start()

    def _on_edit_timer_timeout(self) -> None:
        self._update_from_text()
