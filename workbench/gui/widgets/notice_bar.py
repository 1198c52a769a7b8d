"""A dismissable line at the top of the window for errors and notices (never a blocking dialog)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

STYLES = {
    "error": "background: #fde2e1; border: 1px solid #e0a09c; color: #5a1410;",
    "info": "background: #fff4d6; border: 1px solid #e5c77a; color: #4a3a08;",
}


class NoticeBar(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.kind = "info"
        self.hide()

    def show_notice(self, text: str, kind: str = "info") -> None:
        self.kind = kind
        self.setStyleSheet(f"NoticeBar {{ {STYLES.get(kind, STYLES['info'])} }}")
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()
