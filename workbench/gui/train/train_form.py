"""The settings of a new run (architecture, optimizer, …), Start/Stop, and the comparisons."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core.training.comparisons import (
    COMPARISONS,
    comparison_settings,
    describe_difference,
    number,
)
from workbench.core.training.config import MAX_STRENGTH, TrainConfig, upgraded

CHOICES = {
    "preset": [
        ("LeNet-5", "lenet5"),
        ("1 conv layer", "conv1"),
        ("2 conv layers", "conv2"),
        ("MLP 784-300-100-10", "mlp"),
    ],
    "activation": [("ReLU", "relu"), ("tanh", "tanh"), ("sigmoid", "sigmoid"), ("none", "none")],
    "pooling": [("max", "max"), ("average", "avg")],
    "optimizer": [("Adam", "adam"), ("SGD", "sgd")],
    "schedule": [("constant", "constant"), ("cosine decay", "cosine"), ("one-cycle", "onecycle")],
}
# The augmentation families, as the form names them, with what each does.
FAMILY_TITLES = {
    "affine": ("shape", "Rotation, shift, scale, shear, stroke width and blur"),
    "stretch": (
        "stretch",
        "Independent width and height: thin and wide digits, digits filling a box",
    ),
    "elastic": ("wobble", "A smooth random displacement, like an unsteady hand"),
    "lowres": ("low-res", "Down to 7-14 pixels and back up, like a blurry scan"),
}
TITLES = {"cnn vs mlp": "CNN vs MLP"}
RATES = ["1", "0.1", "0.01", "0.008", "0.003", "0.001", "0.0001", "1e-5"]


class TrainForm(QWidget):
    """Emits `start_requested`, `stop_requested` and `comparison_requested(name)`."""

    start_requested = Signal()
    stop_requested = Signal()
    comparison_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # The settings without a widget (val_size, weight_decay, …): the core's default recipe
        # (LeNet-5, 99 % validation in 5 epochs) unless a script or test sets them.
        self._base = TrainConfig()
        self.name = QLineEdit()
        self.name.setPlaceholderText("automatic")
        self.combos: dict[str, QComboBox] = {}
        for key, items in CHOICES.items():
            combo = QComboBox()
            for text, value in items:
                combo.addItem(text, value)
            self.combos[key] = combo
        self.learning_rate = QComboBox()
        self.learning_rate.setEditable(True)
        self.learning_rate.addItems(RATES)  # any number may be typed: TrainConfig judges it
        self.momentum = QDoubleSpinBox()
        self.momentum.setRange(0.0, 0.999)
        self.momentum.setDecimals(3)
        self.momentum.setSingleStep(0.1)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 8192)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.strengths: dict[str, QDoubleSpinBox] = {}
        augmentation = QWidget()  # the four strengths in two readable rows of two
        grid = QGridLayout(augmentation)
        grid.setContentsMargins(0, 0, 0, 0)
        for index, (family, (text, tip)) in enumerate(FAMILY_TITLES.items()):
            spin = QDoubleSpinBox()
            spin.setRange(0.0, MAX_STRENGTH)
            spin.setDecimals(1)
            spin.setSingleStep(0.5)
            spin.setToolTip(f"{tip}: 0 off, 1 recommended, up to {MAX_STRENGTH:g}")
            grid.addWidget(QLabel(text), index // 2, (index % 2) * 2)
            grid.addWidget(spin, index // 2, (index % 2) * 2 + 1)
            self.strengths[family] = spin
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Architecture", self.combos["preset"])
        form.addRow("Activation", self.combos["activation"])
        form.addRow("Pooling", self.combos["pooling"])
        form.addRow("Optimizer", self.combos["optimizer"])
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Momentum", self.momentum)
        form.addRow("Schedule", self.combos["schedule"])
        form.addRow("Batch size", self.batch_size)
        form.addRow("Epochs", self.epochs)
        form.addRow("Augmentation", augmentation)
        form.addRow("Seed", self.seed)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.setToolTip("Stop now; the last finished epoch's checkpoint is kept")
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        new_run = QGroupBox("New run")
        column = QVBoxLayout(new_run)
        column.addLayout(form)
        column.addLayout(buttons)

        compare = QGroupBox("Compare (queues runs: same seed, split and epochs)")
        grid = QGridLayout(compare)
        self.comparison_buttons: dict[str, QPushButton] = {}
        for index, name in enumerate(COMPARISONS):
            button = QPushButton(TITLES.get(name, name.capitalize()))
            button.setToolTip(comparison_tooltip(name))
            button.clicked.connect(lambda _=False, n=name: self.comparison_requested.emit(n))
            grid.addWidget(button, index // 2, index % 2)
            self.comparison_buttons[name] = button
        # The initialisation experiment's constant (every weight; biases 0).
        self.init_constant = QDoubleSpinBox()
        self.init_constant.setRange(-10.0, 10.0)
        self.init_constant.setDecimals(4)
        self.init_constant.setSingleStep(0.01)
        self.init_constant.setToolTip(
            "Every weight's value in the initialisation experiment's constant run"
        )
        constant = QFormLayout()
        constant.addRow("Constant init", self.init_constant)
        grid.addLayout(constant, (len(COMPARISONS) + 1) // 2, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(new_run)
        layout.addWidget(compare)
        layout.addStretch(1)
        self.combos["optimizer"].currentIndexChanged.connect(self._on_optimizer_changed)
        self.start_button.clicked.connect(self.start_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.set_settings(self._base.to_dict())

    # -- values -------------------------------------------------------------------------------

    def config(self) -> TrainConfig:
        """The run's config, validated (raises ValueError naming what is wrong)."""
        text = self.learning_rate.currentText().strip()
        try:
            rate = float(text)
        except ValueError:
            raise ValueError(f"learning rate {text!r} is not a number") from None
        config = dataclasses.replace(
            self._base,
            **{key: combo.currentData() for key, combo in self.combos.items()},
            learning_rate=rate,
            momentum=round(self.momentum.value(), 3),
            batch_size=self.batch_size.value(),
            epochs=self.epochs.value(),
            **{family: round(spin.value(), 1) for family, spin in self.strengths.items()},
            seed=self.seed.value(),
            init_constant=round(self.init_constant.value(), 4),
        )
        config.validate()
        return config

    def set_settings(self, values: Mapping[str, Any]) -> None:
        """Show `values` (any subset of TrainConfig's fields; those without a widget are kept)."""
        try:
            current = self.config().to_dict()
        except ValueError:
            current = self._base.to_dict()
        merged = {**current, **upgraded(values)}
        self._base = TrainConfig.from_dict(merged)
        for key, combo in self.combos.items():
            index = combo.findData(merged[key])
            if index >= 0:
                combo.setCurrentIndex(index)
        self.learning_rate.setCurrentText(number(float(merged["learning_rate"])))
        self.momentum.setValue(float(merged["momentum"]))
        self.batch_size.setValue(int(merged["batch_size"]))
        self.epochs.setValue(int(merged["epochs"]))
        for family, spin in self.strengths.items():
            spin.setValue(float(merged[family]))
        self.seed.setValue(int(merged["seed"]))
        self.init_constant.setValue(float(merged.get("init_constant", 0.1)))
        self._on_optimizer_changed()

    def run_name(self) -> str:
        return self.name.text().strip()

    def set_running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)

    def _on_optimizer_changed(self, _index: int = 0) -> None:
        sgd = self.combos["optimizer"].currentData() == "sgd"
        self.momentum.setEnabled(sgd)
        self.momentum.setToolTip("" if sgd else "Adam has no momentum setting")


def comparison_tooltip(name: str) -> str:
    base = TrainConfig().to_dict()
    runs = comparison_settings(name, base)
    labels = describe_difference([settings for _, settings in runs])
    tip = f"Queue {len(labels)} runs: " + " vs ".join(labels)
    own = runs[0][1]
    if own.get("train_size") or own["epochs"] != base["epochs"]:  # a budget of its own
        size = f" on {own['train_size']:,} images" if own.get("train_size") else ""
        tip += f" ({own['epochs']} epochs each{size})"
    return tip
