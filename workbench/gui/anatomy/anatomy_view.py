"""The Anatomy view: per layer the numbers students compute by hand, for any spec; conv filters."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QPixmap
from PySide6.QtWidgets import (
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

from workbench.core.colours import DIVERGING, colourise
from workbench.core.model.spec import PRESETS, Anatomy, LayerAnatomy, ModelSpec, SpecError, anatomy
from workbench.core.model.spec import anatomy_table as anatomy_text
from workbench.gui.widgets.qt_numpy import qimage_from_rgb

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
ERROR_STYLE = "color: #a61b12;"
TILE_PX = 40  # a filter is drawn about this large
SMALL_TILE_PX = 24  # in a layer of many filters
GAP_PX = 2
MAX_TILES = 64  # per side of a layer's filter grid

# Homework-style specs: each one is a model the builder accepts (it ends in a classifier).
EXAMPLES: dict[str, dict[str, Any]] = {
    "LeNet-5 as in 1998 (32×32, tanh, average pooling)": {
        "name": "lenet5-1998",
        "input_shape": [1, 32, 32],
        "activation": "tanh",
        "pooling": "avg",
        "layers": [
            {"kind": "conv", "name": "C1", "channels": 6, "kernel": 5},
            {"kind": "pool", "name": "S2", "kernel": 2},
            {"kind": "conv", "name": "C3", "channels": 16, "kernel": 5},
            {"kind": "pool", "name": "S4", "kernel": 2},
            {"kind": "fc", "name": "C5", "units": 120},
            {"kind": "fc", "name": "F6", "units": 84},
            {"kind": "fc", "name": "output", "units": 10},
        ],
    },
    "AlexNet's CONV1 on 227×227×3": {
        "name": "alexnet-conv1",
        "input_shape": [3, 227, 227],
        "layers": [
            {
                "kind": "conv",
                "name": "conv1",
                "channels": 96,
                "kernel": 11,
                "stride": 4,
                "padding": 0,
            },
            {"kind": "fc", "name": "fc", "units": 10},
        ],
    },
    "Conv3-10, Pool2, Conv3-10, Pool2, FC-3 on 28×28×1": {
        "name": "small-cnn",
        "input_shape": [1, 28, 28],
        "classes": 3,
        "layers": [
            {"kind": "conv", "name": "conv1", "channels": 10, "kernel": 3, "padding": 1},
            {"kind": "pool", "name": "pool1", "kernel": 2},
            {"kind": "conv", "name": "conv2", "channels": 10, "kernel": 3, "padding": 1},
            {"kind": "pool", "name": "pool2", "kernel": 2},
            {"kind": "fc", "name": "fc", "units": 3},
        ],
    },
    "2×2 kernel, dilation 4, stride 2, pad 1 on 16×16": {
        "name": "dilated",
        "input_shape": [1, 16, 16],
        "layers": [
            {
                "kind": "conv",
                "name": "conv1",
                "channels": 1,
                "kernel": 2,
                "dilation": 4,
                "stride": 2,
                "padding": 1,
            },
            {"kind": "fc", "name": "fc", "units": 10},
        ],
    },
}


def spec_text(spec: ModelSpec) -> str:
    """The spec as JSON for editing: one line per layer, the defaults left out."""
    data = spec.to_dict()
    if tuple(data["normalize"]) == ModelSpec.__dataclass_fields__["normalize"].default:
        del data["normalize"]
    layers = [_brief(layer) for layer in data.pop("layers")]
    head = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in data.items()]
    body = [f"    {json.dumps(layer)}" for layer in layers]
    return "{\n" + ",\n".join(head) + ',\n  "layers": [\n' + ",\n".join(body) + "\n  ]\n}\n"


def _brief(layer: dict[str, Any]) -> dict[str, Any]:
    """A layer without the settings that do not apply to it or that are at their default."""
    unused = (
        {"kernel": 1, "padding": 0, "dilation": 1} if layer["kind"] == "fc" else {"dilation": 1}
    )
    return {k: v for k, v in layer.items() if k not in unused or unused[k] != v}


def shape_text(shape: tuple[int, ...]) -> str:
    """(C, H, W) → `H×W×C` (as a student writes it); (units,) → `units`."""
    return f"{shape[1]}×{shape[2]}×{shape[0]}" if len(shape) == 3 else f"{shape[0]}"


def type_text(row: LayerAnatomy) -> str:
    kind = {"conv": "conv", "pool": f"{row.pooling or 'max'} pool", "fc": "fully connected"}
    activation = "" if row.activation == "none" else f" + {row.activation}"
    return kind.get(row.kind, row.kind) + activation


def _optional(value: int | None) -> str:
    return "" if value is None else str(value)


def table_rows(table: Anatomy) -> list[tuple[str, ...]]:
    """The rows the view shows: the input, one per layer (and the flattening), the totals."""
    c, h, w = table.input_shape
    rows = [("input", "", "", "", "", "", f"{h}×{w}×{c}", "", "", "1×1")]
    previous: tuple[int, ...] = (c, h, w)
    for r in table.layers:
        if r.kind == "fc" and len(previous) == 3:
            flat = f"{previous[0] * previous[1] * previous[2]:,}"
            rows.append(("flatten", "flatten", "", "", "", "", flat, "0", "0", ""))
        previous = r.output_shape
        rows.append(
            (
                r.name,
                type_text(r),
                "" if r.kernel is None else f"{r.kernel}×{r.kernel}",
                _optional(r.stride),
                _optional(r.padding),
                _optional(r.dilation),
                shape_text(r.output_shape),
                f"{r.parameters:,}",
                f"{r.macs:,}",
                f"{r.receptive_field}×{r.receptive_field}",
            )
        )
    rows.append(("total", "", "", "", "", "", "", f"{table.parameters:,}", f"{table.macs:,}", ""))
    return rows


def filter_layout(out: int, inputs: int) -> tuple[int, int, str]:
    """Grid rows and columns for a layer's filters, and how to read it."""
    if inputs == 1:  # one channel in: the filters side by side in a near-square grid
        cols = math.ceil(math.sqrt(out))
        return math.ceil(out / cols), cols, "one tile per filter"
    return out, inputs, "a row per filter, a column per input channel"


def filter_mosaic(weights: np.ndarray) -> np.ndarray:
    """RGB image of a conv layer's filters [out, in, kh, kw] (see `filter_layout`), on one
    blue (negative) – white (0) – red (positive) scale for the whole layer."""
    weights = np.asarray(weights, dtype=np.float32)[:MAX_TILES, :MAX_TILES]
    out, inputs, kh, kw = weights.shape
    rows, cols, _ = filter_layout(out, inputs)
    bound = max(float(np.abs(weights).max()), 1e-12)
    zoom = max(1, (TILE_PX if rows * cols <= 32 else SMALL_TILE_PX) // max(kh, kw))
    tiles = colourise(weights, -bound, bound, DIVERGING)  # [out, in, kh, kw, 3]
    tiles = tiles.repeat(zoom, axis=2).repeat(zoom, axis=3)
    th, tw = kh * zoom, kw * zoom
    mosaic = np.full(
        (rows * (th + GAP_PX) - GAP_PX, cols * (tw + GAP_PX) - GAP_PX, 3), 200, dtype=np.uint8
    )
    for o in range(out):
        for i in range(inputs):
            r, c = divmod(o, cols) if inputs == 1 else (o, i)
            top, left = r * (th + GAP_PX), c * (tw + GAP_PX)
            mosaic[top : top + th, left : left + tw] = tiles[o, i]
    return mosaic


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
        lower.addWidget(filters_scroll)
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
        text = "" if self._anatomy is None else anatomy_text(self._anatomy)
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
            image = QLabel()
            image.setPixmap(QPixmap.fromImage(qimage_from_rgb(filter_mosaic(weights))))
            image.setAlignment(Qt.AlignmentFlag.AlignLeft)
            self.filters_layout.addWidget(title)
            self.filters_layout.addWidget(image)
            self._filter_names.append(name)

    def _on_source_box_changed(self, index: int) -> None:
        key = self.source_box.itemData(index)
        if key is None:
            return
        self.set_spec(self._spec_for(key))

    def _on_editor_text_changed(self) -> None:
        self._edit_timer.start()

    def _on_edit_timer_timeout(self) -> None:
        self._update_from_text()
