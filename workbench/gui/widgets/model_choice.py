"""The Model menu: open another model file, go back to the shipped one, switch to its int8 twin,
choose CPU / CUDA / auto."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from workbench.core.model.files import FILE_FILTER
from workbench.core.model.quantize import int8_info, int8_sibling, is_int8_path

DEVICE_LABELS = {"auto": "Auto (CUDA if available)", "cpu": "CPU", "cuda": "CUDA"}


class ModelMenu(QMenu):
    """Asks which model and device; the main window loads them and reports back."""

    open_requested = Signal()
    shipped_requested = Signal()
    int8_toggled = Signal(bool)  # True: run the int8 twin of the current model; False: the float
    device_chosen = Signal(str)
    about_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("&Model", parent)
        self.open_action = self.addAction("&Open model…")
        self.open_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_action.setStatusTip(
            "Open an ONNX model exported by the workbench, or a checkpoint it saved (.safetensors)"
        )
        self.open_action.triggered.connect(self.open_requested)
        self.shipped_action = self.addAction("Use the &shipped LeNet-5")
        self.shipped_action.triggered.connect(self.shipped_requested)
        self.int8_action = self.addAction("Use the &int8 model")
        self.int8_action.setCheckable(True)
        self.int8_action.setEnabled(False)
        self._int8_available = False
        self.int8_action.setStatusTip(
            "Run the int8 twin of this model (NAME.int8.onnx beside it): smaller, about as "
            "accurate; the float model stays the default"
        )
        self.int8_action.triggered.connect(self.int8_toggled)
        self.addSeparator()
        devices = self.addMenu("&Device")
        self._device_group = QActionGroup(self)
        self.device_actions: dict[str, QAction] = {}
        for device, label in DEVICE_LABELS.items():
            action = devices.addAction(label)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, d=device: self.device_chosen.emit(d))
            self._device_group.addAction(action)
            self.device_actions[device] = action
        self.addSeparator()
        self.about_action = self.addAction("About this &model…")
        self.about_action.triggered.connect(self.about_requested)

    def set_device(self, device: str) -> None:
        self.device_actions[device].setChecked(True)

    def set_model(self, path: Path | None) -> None:
        """Offer the int8 switch when the model file has a twin; tick it when it is the int8."""
        self._int8_available = path is not None and int8_sibling(path) is not None
        self.int8_action.setEnabled(self._int8_available)
        self.int8_action.setChecked(path is not None and is_int8_path(path))

    def set_busy(self, busy: bool) -> None:
        for action in (self.open_action, self.shipped_action, *self.device_actions.values()):
            action.setEnabled(not busy)
        self.int8_action.setEnabled(not busy and self._int8_available)


def ask_model_path(parent: QWidget, folder: str) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(
        parent, "Open model", folder, f"{FILE_FILTER};;All files (*)"
    )
    return Path(name) if name else None


def model_status(predictor, source: Path | None) -> tuple[str, str]:
    """The status bar's model line and its tooltip."""
    if predictor is None:
        return "No model loaded: Model → Open model…", ""
    name = source.name if source else predictor.path.name
    where = "CUDA" if predictor.provider.startswith("CUDA") else "CPU"
    spec = f" ({predictor.spec.name})" if predictor.spec else ""
    tip = (
        f"{predictor.path}\nonnxruntime provider: {predictor.provider}"
        f"\ndevice asked for: {predictor.device_requested}"
    )
    return f"Model: {name}{spec} · runs on {where}", tip


def describe_model(predictor) -> str:
    """A few lines for the About-this-model box: file, runtime, layers, training summary."""
    spec = predictor.spec
    lines = [
        f"<b>{predictor.path.name}</b>",
        f"runs on {predictor.describe().split(' on ')[-1]} ({predictor.provider})",
    ]
    if spec is not None:
        lines.append(
            f"network: {spec.name}, layers {', '.join(l.name for l in spec.layers)}, "
            f"activation {spec.activation}, pooling {spec.pooling}"
        )
    card = predictor.model_card()
    accuracy = (card.get("test") or {}).get("accuracy") if isinstance(card, dict) else None
    if accuracy is not None:
        lines.append(f"test accuracy {accuracy:.2%}")
    if isinstance(card, dict) and isinstance(card.get("n_train"), int):
        lines.append(_training_data(card))
    int8 = int8_info(predictor.metadata)
    if int8 is not None:
        float_accuracy = int8.get("float_test_accuracy")
        versus = f" (float model {float_accuracy:.2%})" if float_accuracy is not None else ""
        lines.append(
            f"int8 twin of {int8.get('source', 'a float model')}, calibrated on "
            f"{int8.get('calibration_images', '?')} training images{versus}"
        )
    if predictor.notice:
        lines.append(f"<i>{predictor.notice}</i>")
    return "<br>".join(lines)


def _training_data(card: dict) -> str:
    """`trained on 55,000 MNIST images + 10,000 digits stroked by code, 5,000 held out`."""
    extra = card.get("extra_training") if isinstance(card.get("extra_training"), dict) else {}
    added = extra.get("count") if isinstance(extra.get("count"), int) else 0
    text = f"trained on {card['n_train'] - added:,} MNIST images"
    if added:
        text += f" + {added:,} digits stroked by code"
    if isinstance(card.get("n_val"), int) and card["n_val"]:
        text += f", {card['n_val']:,} held out"
    temperature = (card.get("calibration") or {}).get("temperature")
    if isinstance(temperature, (int, float)):
        text += f" (calibration temperature {temperature:.2f})"
    return text
