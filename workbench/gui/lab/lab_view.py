"""The Lab tab: the course's hand computations, each checked by the same code the CLI runs."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from workbench.core.lab.examples import EXAMPLES, Example
from workbench.gui.lab.grad_page import GradPage
from workbench.gui.lab.net_page import NetPage
from workbench.gui.lab.sliding_pages import ConvPage, PoolPage, SizePage

PAGES = (
    ("conv", "Convolution"),
    ("pool", "Pooling"),
    ("size", "Output size"),
    ("grad", "Conv gradients"),
    ("net", "Sigmoid network"),
)
CHOOSE = "Load a worked example…"


class LabView(QWidget):
    """Convolution, pooling, output size, conv gradients and a scalar network, step by step."""

    example_loaded = Signal(str)  # the example's title

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conv_page, self.pool_page, self.size_page = ConvPage(), PoolPage(), SizePage()
        self.grad_page, self.net_page = GradPage(), NetPage()
        self.pages = {
            "conv": self.conv_page,
            "pool": self.pool_page,
            "size": self.size_page,
            "grad": self.grad_page,
            "net": self.net_page,
        }
        self.tabs = QTabWidget()
        for key, title in PAGES:
            self.tabs.addTab(self.pages[key], title)
        self.examples = QComboBox()
        self.examples.addItem(CHOOSE)
        for example in EXAMPLES:
            self.examples.addItem(example.title)
        self.examples.activated.connect(self._on_examples_activated)
        top = QHBoxLayout()
        top.addWidget(QLabel("Hand computations, worked by the same code as `workbench lab`:"))
        top.addWidget(self.examples)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        # Every page opens on its first worked example, so nothing starts empty.
        for example in reversed(EXAMPLES):
            self.pages[example.kind].load(example.params)

    def load_example(self, example: Example | str) -> None:
        """Fill the example's page with its numbers and show that page."""
        if isinstance(example, str):
            example = next(e for e in EXAMPLES if e.title == example)
        page = self.pages[example.kind]
        page.load(example.params)
        self.tabs.setCurrentWidget(page)
        self.examples.setCurrentText(example.title)
        self.example_loaded.emit(example.title)

    def _on_examples_activated(self, index: int) -> None:
        if index > 0:
            self.load_example(EXAMPLES[index - 1])
