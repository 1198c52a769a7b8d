"""Feature maps: every layer's activations for the current input, one colour scale per layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.core.colours import GREYS, VIRIDIS, grid_shape, layer_scale
from workbench.core.model.anatomy import INPUT_DESCRIPTION, OUTPUT_DESCRIPTION, describe_layer
from workbench.gui.maps.layer_tiles import ColourBar, MapGrid, UnitBars
from workbench.gui.maps.map_detail import MapDetailDialog

__all__ = [
    "ColourBar",
    "FeatureMapsView",
    "LayerInfo",
    "LayerSection",
    "MapGrid",
    "UnitBars",
    "describe_layers",
    "grid_shape",
    "layer_infos",
]

PRESENTATION_ZOOM = 3  # maps about 100 px become about 300 px: a projector's size
EMPTY_TEXT = "Draw or load a digit to see every layer's activations."


@dataclass(frozen=True)
class LayerInfo:
    """One row of the view: a layer's name, per-image output shape and a one-line description."""

    name: str
    shape: tuple[int, ...]  # (C, H, W) for maps, (units,) for fully connected layers
    description: str = ""

    @property
    def is_maps(self) -> bool:
        return len(self.shape) == 3


def layer_infos(predictor) -> list[LayerInfo]:
    """The input, every layer the model reports, and its softmax output, with their shapes."""
    prediction = predictor.predict(np.zeros((1, 28, 28), np.float32))
    return describe_layers(predictor.spec, prediction)


def describe_layers(spec, prediction) -> list[LayerInfo]:
    """One LayerInfo per shown row, from the spec and a Prediction of any one input."""
    infos = [LayerInfo("input", (1, 28, 28), INPUT_DESCRIPTION)]
    for name, values in prediction.activations.items():
        shape = tuple(int(v) for v in values.shape[1:])
        infos.append(LayerInfo(name, shape, describe_layer(spec, name, shape)))
    classes = prediction.probabilities.shape[1]
    infos.append(LayerInfo("output", (classes,), OUTPUT_DESCRIPTION))
    return infos


class LayerSection(QFrame):
    """Title, shape, colour bar and the layer's tiles or bars."""

    def __init__(self, info: LayerInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.info = info
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 4, 6)
        layout.setSpacing(3)
        shape = "×".join(str(v) for v in info.shape)
        title = QLabel(f"<b>{info.name}</b> &nbsp;<span style='color:#555'>{shape}</span>")
        layout.addWidget(title)
        if info.description:
            note = QLabel(info.description)
            note.setStyleSheet("color: #555;")
            layout.addWidget(note)
        self.colour_bar = ColourBar()
        layout.addWidget(self.colour_bar)
        if info.is_maps:
            self.body: MapGrid | UnitBars = MapGrid(*info.shape)
        elif info.name == "output":
            self.body = UnitBars(info.shape[0], labels=[str(d) for d in range(info.shape[0])])
        else:
            self.body = UnitBars(info.shape[0])
        layout.addWidget(self.body)
        self._font_points = self.font().pointSizeF()
        self.values: np.ndarray | None = None
        self.scale = (0.0, 1.0, VIRIDIS)

    def set_zoom(self, zoom: int) -> None:
        """Maps `zoom` times larger (at most), unit bars taller: presentation size."""
        if isinstance(self.body, MapGrid):
            self.body.set_zoom(zoom)
        else:
            self.body.setMinimumHeight(self.body.base_height * zoom)
        for label in self.findChildren(QLabel):
            font = label.font()
            font.setPointSizeF(self._font_points * (1.5 if zoom > 1 else 1.0))
            label.setFont(font)

    def set_values(self, values: np.ndarray | None) -> None:
        self.values = values
        if values is None:
            self.colour_bar.clear()
            if isinstance(self.body, MapGrid):
                self.body.set_maps(None)
            else:
                self.body.set_values(None)
            return
        if self.info.name == "output":
            self.scale = (0.0, 1.0, VIRIDIS)  # probabilities: a fixed 0 → 1 scale
        elif self.info.name == "input":
            self.scale = (0.0, 1.0, GREYS)
        else:
            self.scale = layer_scale(values)
        self.colour_bar.set_scale(*self.scale)
        if isinstance(self.body, MapGrid):
            self.body.set_maps(values, *self.scale)
        else:
            self.body.set_values(values, *self.scale)


class FeatureMapsView(QWidget):
    """Every layer of the loaded model for the current input; click a map to enlarge it."""

    map_clicked = Signal(str, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.sections: dict[str, LayerSection] = {}
        self._pending: tuple[np.ndarray | None, object] | None = None
        self._detail: MapDetailDialog | None = None
        self._detail_target: tuple[str, int] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # Before any input: one clean line in place of empty frames (the maps come with a digit).
        self.hint = QLabel(EMPTY_TEXT)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setStyleSheet("color: #666; font-size: 11pt; padding: 24px;")
        outer.addWidget(self.hint, 1)
        self.presentation_box = QCheckBox(f"Presentation size ({PRESENTATION_ZOOM}× maps)")
        self.presentation_box.setToolTip(
            "Maps large enough to read on a projector, in a window of their own"
        )
        self.presentation_box.toggled.connect(self._on_presentation_toggled)
        self.presentation_box.setVisible(False)
        outer.addWidget(self.presentation_box)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.content = QWidget()
        self.content.setObjectName("featureMapsContent")
        self._layout = QVBoxLayout(self.content)
        self._layout.setContentsMargins(6, 0, 6, 6)
        self._layout.setSpacing(2)
        self._layout.addStretch(1)
        self.scroll.setWidget(self.content)
        self.scroll.setVisible(False)
        outer.addWidget(self.scroll, 1)

    # -- setters --------------------------------------------------------------------------------

    def set_layers(self, infos: list[LayerInfo]) -> None:
        """Build one section per layer: only when the model changes, never per prediction."""
        for section in self.sections.values():
            section.setParent(None)
            section.deleteLater()
        self.sections = {}
        for info in infos:
            section = LayerSection(info)
            if isinstance(section.body, MapGrid):
                section.body.tile_clicked.connect(
                    lambda index, name=info.name: self._on_grid_tile_clicked(name, index)
                )
            self._layout.insertWidget(self._layout.count() - 1, section)
            self.sections[info.name] = section
        self._apply_zoom()
        self._detail_target = None
        if self._detail is not None:
            self._detail.hide()

    def set_input(self, image: np.ndarray | None, prediction) -> None:
        """Show `image` (28×28) and its Prediction (with activations); None clears the maps."""
        if not self.isVisible():
            self._pending = (image, prediction)  # render when shown: drawing stays fast
            return
        self._pending = None
        self._render(image, prediction)

    # -- queries (tests, export) ----------------------------------------------------------------

    def layer_names(self) -> list[str]:
        return list(self.sections)

    def tile_count(self, name: str) -> int:
        return self.sections[name].body.tile_count()

    def grid(self, name: str) -> tuple[int, int]:
        body = self.sections[name].body
        return body.grid() if isinstance(body, MapGrid) else (1, body.tile_count())

    def detail_dialog(self) -> MapDetailDialog | None:
        return self._detail

    def export_widget(self) -> QWidget:
        return self.content

    # -- internals ------------------------------------------------------------------------------

    def _render(self, image: np.ndarray | None, prediction) -> None:
        empty = image is None or prediction is None
        self.hint.setVisible(empty)
        self.scroll.setVisible(not empty)
        self.presentation_box.setVisible(not empty)
        if image is None or prediction is None:
            for section in self.sections.values():
                section.set_values(None)
            self._refresh_detail()
            return
        for name, section in self.sections.items():
            if name == "input":
                section.set_values(np.asarray(image, np.float32)[None])
            elif name == "output":
                section.set_values(prediction.probabilities[0])
            elif name in prediction.activations:
                section.set_values(prediction.activations[name][0])
        self._refresh_detail()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._pending is not None:
            image, prediction = self._pending
            self._pending = None
            self._render(image, prediction)

    def _on_presentation_toggled(self, checked: bool) -> None:
        """Bigger maps; in the window's dock, the dock floats at most of the screen's size
        (and docks again when switched off)."""
        self._apply_zoom()
        dock = self.parentWidget()
        if not isinstance(dock, QDockWidget):
            return
        dock.setFloating(checked)
        if checked:
            screen = dock.screen().availableGeometry()
            dock.resize(int(screen.width() * 0.6), int(screen.height() * 0.9))
            dock.move(screen.center() - dock.rect().center())

    def _apply_zoom(self) -> None:
        zoom = PRESENTATION_ZOOM if self.presentation_box.isChecked() else 1
        for section in self.sections.values():
            section.set_zoom(zoom)

    def _on_grid_tile_clicked(self, name: str, index: int) -> None:
        self._detail_target = (name, index)
        if self._detail is None:
            self._detail = MapDetailDialog(self)
        self._refresh_detail()
        self._detail.show()
        self._detail.raise_()
        self.map_clicked.emit(name, index)

    def _refresh_detail(self) -> None:
        if self._detail is None or self._detail_target is None:
            return
        name, index = self._detail_target
        section = self.sections.get(name)
        if section is None:
            return
        count = section.info.shape[0]
        title = f"{name} · map {index + 1} of {count}"
        values = None if section.values is None else section.values[index]
        self._detail.set_map(title, values, *section.scale)
