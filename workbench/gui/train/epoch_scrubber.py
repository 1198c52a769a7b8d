"""Scrub through a run's per-epoch checkpoints: its first-layer filters and feature maps form.

The checkpoints run with torch in the window's process: a network is a few hundred kilobytes and
one image takes a millisecond, so that runs on the window's thread, with a cache. Only torch's
import (seconds) is done on a background thread, the first time the view is shown.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from workbench.core.training.runs import checkpoints, read_history
from workbench.gui.jobs.stream_worker import StreamJob
from workbench.gui.maps.feature_maps import ColourBar, FeatureMapsView, describe_layers
from workbench.gui.widgets.filter_picture import FilterPicture

CACHE_SIZE = 48
_torch_loaded = False  # set on the window's thread once the background import has finished


def _import_torch():
    import torch  # noqa: F401

    from workbench.core.model import checkpoint  # noqa: F401

    yield True


def sample_digit() -> np.ndarray:
    """A hand-drawn-looking 7 (28×28, ink 1 on paper 0) until the window gives a real input."""
    image = Image.new("L", (112, 112), 0)
    draw = ImageDraw.Draw(image)
    draw.line([(30, 26), (82, 26), (50, 92)], fill=255, width=11, joint="curve")
    image = image.filter(ImageFilter.GaussianBlur(2)).resize((28, 28), Image.Resampling.LANCZOS)
    return np.asarray(image, np.float32) / 255.0


class EpochScrubber(QWidget):
    """A slider over a run's epochs, the first conv layer's filters and the feature maps."""

    epoch_shown = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.run_dir: Path | None = None
        self.epochs: list[tuple[int, Path]] = []
        self.input = sample_digit()
        self._input_given = False
        self._cache: OrderedDict[Path, object] = OrderedDict()
        self._val_accuracy: dict[int, float] = {}
        self._layers_of: Path | None = None
        self._stale = False  # an update waits for the view to be shown
        self._refresh_timer = QTimer(self, singleShot=True, interval=0)  # coalesce slider moves
        self._refresh_timer.timeout.connect(self._on_refresh_timer_timeout)
        self._loader = StreamJob(parent=self)
        self._loader.job_ended.connect(self._on_loader_job_ended)
        self._loader.job_failed.connect(self._on_loader_job_failed)

        self.heading = QLabel("Select a run with checkpoints to watch its filters form.")
        self.heading.setStyleSheet("font-size: 12pt;")
        self.heading.setWordWrap(True)  # a long run name must not widen the window
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimum(1)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.epoch_label = QLabel("")
        self.epoch_label.setMinimumWidth(260)
        self.epoch_label.setStyleSheet("font-size: 12pt;")
        row = QHBoxLayout()
        row.addWidget(QLabel("Epoch"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.epoch_label)

        self.filters_title = QLabel("<b>First-layer filters</b>")
        self.filters_note = QLabel("weights of each kernel; blue negative, white 0, red positive")
        self.filters_note.setWordWrap(True)
        self.filters_note.setStyleSheet("color: #555;")
        self.filters_bar = ColourBar()
        self.filters_grid = FilterPicture()
        self._filters_box = QVBoxLayout()
        self._filters_box.addWidget(self.filters_title)
        self._filters_box.addWidget(self.filters_note)
        self._filters_box.addWidget(self.filters_bar)
        self._filters_box.addWidget(self.filters_grid)
        self._filters_box.addStretch(1)
        filters = QWidget()
        filters.setLayout(self._filters_box)
        filters.setFixedWidth(300)
        self.maps = FeatureMapsView()
        body = QHBoxLayout()
        body.addWidget(filters)
        body.addWidget(self.maps, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(row)
        layout.addLayout(body, 1)

    # -- setters ------------------------------------------------------------------------------

    def set_run(self, run_dir: Path | None) -> None:
        """Show `run_dir`'s checkpoints (None: nothing); starts at its last epoch."""
        if run_dir != self.run_dir:
            self._cache.clear()
        self.run_dir = Path(run_dir) if run_dir else None
        self.refresh_epochs(follow=True)

    def refresh_epochs(self, follow: bool = False) -> None:
        """Re-read the run's checkpoints (a new epoch was saved); follow the newest if asked."""
        at_end = self.slider.value() == self.slider.maximum()
        self.epochs = checkpoints(self.run_dir) if self.run_dir else []
        self._val_accuracy = {}
        if self.run_dir is not None:
            try:
                rows = read_history(self.run_dir).get("epochs", [])
                self._val_accuracy = {
                    int(r["epoch"]): r["val_accuracy"]
                    for r in rows
                    if r.get("val_accuracy") is not None
                }
            except ValueError:
                pass
        if not self.epochs:
            self.slider.setEnabled(False)
            name = self.run_dir.name if self.run_dir else ""
            self.heading.setText(
                f"{name}: no checkpoint yet (one is saved after each epoch)."
                if name
                else "Select a run with checkpoints to watch its filters form."
            )
            self.epoch_label.setText("")
            return
        self.heading.setText(
            f"<b>{self.run_dir.name}</b>: drag the slider to watch the "
            "filters and feature maps form, epoch by epoch."
        )
        self.slider.blockSignals(True)
        self.slider.setEnabled(True)
        self.slider.setMaximum(len(self.epochs))
        if follow or at_end:
            self.slider.setValue(len(self.epochs))
        self.slider.blockSignals(False)
        self._refresh_timer.start()

    def set_input(self, image: np.ndarray | None) -> None:
        """The digit whose feature maps are shown (28×28, ink 1 on paper 0)."""
        self._input_given = image is not None
        self.input = sample_digit() if image is None else np.asarray(image, np.float32)
        if self.epochs:
            self._refresh_timer.start()

    def show_epoch(self, epoch: int) -> None:
        """Move the slider to `epoch` (1-based) and show it now (tests, scripts)."""
        index = next((i for i, (e, _) in enumerate(self.epochs) if e == epoch), None)
        if index is not None:
            self.slider.setValue(index + 1)
            self._refresh_timer.stop()
            self._show(index)

    def current_epoch(self) -> int | None:
        return self.epochs[self.slider.value() - 1][0] if self.epochs else None

    # -- internals ----------------------------------------------------------------------------

    def _network(self, path: Path):
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        from workbench.core.model.checkpoint import load_network

        net, _ = load_network(path)
        self._cache[path] = net
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return net

    def _show(self, index: int) -> None:
        from workbench.core.model.network import look_inside
        from workbench.core.recognition.predictor import Prediction

        epoch, path = self.epochs[index]
        try:
            net = self._network(path)
        except (OSError, ValueError) as exc:
            self.epoch_label.setText(f"epoch {epoch}: {exc}")
            return
        accuracy = self._val_accuracy.get(epoch)
        self.epoch_label.setText(
            f"{epoch} of {self.epochs[-1][0]}"
            + (f" · validation {accuracy:.1%}" if accuracy is not None else "")
        )
        probabilities, activations, weights = look_inside(net, self.input[None])
        prediction = Prediction(probabilities, activations)
        if self._layers_of != self.run_dir:
            self.maps.set_layers(describe_layers(net.spec, prediction))
            self._layers_of = self.run_dir
        if weights is not None:
            self._show_filters(weights)
        self.maps.set_input(self.input, prediction)
        self.epoch_shown.emit(epoch)

    def _show_filters(self, weights: np.ndarray) -> None:
        """The first conv layer's kernels [out, in, k, k], as the Anatomy view draws them."""
        self.filters_grid.set_weights(weights)
        self.filters_bar.set_scale(*self.filters_grid.scale())

    def _on_slider_value_changed(self, _value: int) -> None:
        self._refresh_timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._refresh_timer.start()

    def _on_refresh_timer_timeout(self) -> None:
        # Hidden (another tab): load nothing now; showing the view catches up.
        self._stale = not self.isVisible()
        if self.epochs and not self._stale and self._torch_ready():
            self._show(self.slider.value() - 1)

    def _torch_ready(self) -> bool:
        """True once torch is imported; else start importing it off the window's thread."""
        if _torch_loaded:
            return True
        if not self._loader.is_busy():
            self.epoch_label.setText("loading torch to read the checkpoints (a few seconds, once)…")
            self._loader.start(_import_torch)
        return False

    def _on_loader_job_ended(self, _cancelled: bool) -> None:
        global _torch_loaded
        _torch_loaded = True
        self._refresh_timer.start()

    def _on_loader_job_failed(self, exc: Exception) -> None:
        self.epoch_label.setText(f"torch could not be loaded: {exc}")

    def shutdown(self) -> None:
        self._loader.wait()
