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

from workbench.core.colours import layer_scale
from workbench.core.training.runs import checkpoints, read_history
from workbench.gui.jobs.stream_worker import StreamJob
from workbench.gui.maps.feature_maps import ColourBar, FeatureMapsView, LayerInfo, MapGrid

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


def _describe(spec, name: str, shape: tuple[int, ...]) -> str:
    layer = next((la for la in spec.layers if la.name == name), None)
    size = f"{shape[0]} maps of {shape[1]}×{shape[2]}" if len(shape) == 3 else f"{shape[0]} units"
    if layer is None:
        return size
    if layer.kind == "conv":
        return f"{size} · {layer.kernel}×{layer.kernel} convolution, {spec.layer_activation(layer)}"
    if layer.kind == "pool":
        return f"{size} · {layer.kernel}×{layer.kernel} {spec.layer_pooling(layer)} pooling"
    return f"{size} · fully connected, {spec.layer_activation(layer)}"


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
        self.filters_grid: MapGrid | None = None
        self._filters_key: tuple[int, int, int] | None = None
        self._filters_box = QVBoxLayout()
        self._filters_box.addWidget(self.filters_title)
        self._filters_box.addWidget(self.filters_note)
        self._filters_box.addWidget(self.filters_bar)
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
        import torch

        from workbench.core.recognition.predictor import Prediction, softmax

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
        with torch.inference_mode():
            image = torch.from_numpy(self.input).reshape(1, 1, 28, 28)
            logits, hidden = net.forward_layers(image)
            first = next(m for m in net.modules() if isinstance(m, torch.nn.Conv2d))
            weights = first.weight.detach().numpy()
        activations = {
            name: out.numpy() for name, out in zip(net.hidden_layer_names(), hidden, strict=True)
        }
        if self._layers_of != self.run_dir:
            infos = [LayerInfo("input", (1, 28, 28), "28×28 pixels, ink 1 on paper 0")]
            infos += [
                LayerInfo(name, tuple(v.shape[1:]), _describe(net.spec, name, tuple(v.shape[1:])))
                for name, v in activations.items()
            ]
            infos.append(
                LayerInfo("output", (logits.shape[1],), "softmax probability of each digit")
            )
            self.maps.set_layers(infos)
            self._layers_of = self.run_dir
        self._show_filters(weights)
        prediction = Prediction(softmax(logits.numpy()), activations)
        self.maps.set_input(self.input, prediction)
        self.epoch_shown.emit(epoch)

    def _show_filters(self, weights: np.ndarray) -> None:
        """Kernels of the first conv layer [out, in, k, k]; several input channels: their mean."""
        kernels = weights.mean(axis=1)
        count, height, width = kernels.shape
        if self._filters_key != (count, height, width):
            if self.filters_grid is not None:
                self.filters_grid.setParent(None)
                self.filters_grid.deleteLater()
            self.filters_grid = MapGrid(count, height, width)
            self._filters_key = (count, height, width)
            self._filters_box.insertWidget(3, self.filters_grid)
        low, high, lut = layer_scale(np.concatenate([kernels.ravel(), -kernels.ravel()]))
        self.filters_bar.set_scale(low, high, lut)
        self.filters_grid.set_maps(kernels, low, high, lut)

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
            self.epoch_label.setText("loading torch…")
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
