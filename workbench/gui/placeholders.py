"""Honest placeholders for the views of later versions, pointing at what works today."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class ComingLaterView(QWidget):
    def __init__(self, title: str, text: str, command: str, parent: QWidget | None = None):
        super().__init__(parent)
        label = QLabel(
            f"<h2>{title}</h2><p>{text}</p>"
            f"<p>This view comes in a later version of the workbench. Until then the command "
            f"line does it:</p><pre>{command}</pre>"
        )
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(label)
        layout.addStretch(2)


def train_placeholder() -> ComingLaterView:
    return ComingLaterView(
        "Train",
        "Train LeNet-5 (or your own network) on MNIST and watch the loss and accuracy.",
        "workbench train --epochs 5 --out my-model.onnx",
    )


def evaluate_placeholder() -> ComingLaterView:
    return ComingLaterView(
        "Evaluate",
        "Accuracy, per-digit precision and recall, the confusion matrix and the "
        "digits a model gets wrong.",
        "workbench eval --model my-model.onnx",
    )
