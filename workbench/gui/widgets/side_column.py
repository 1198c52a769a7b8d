"""A fixed-width side column that scrolls, rather than heightening the window on a small screen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


def scrolling_column(widget: QWidget, width: int) -> QScrollArea:
    """`widget` at `width` pixels in a frameless area with a vertical scroll bar when needed."""
    widget.setFixedWidth(width)
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFixedWidth(width + area.verticalScrollBar().sizeHint().width())
    return area
