"""Help → Guide (F1): a list of the views beside the page of the chosen one, all offline."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QListWidget, QTextBrowser, QWidget

from workbench.core.guide import PAGES, page


class GuideDialog(QDialog):
    """One page per view (what it shows, what to try, its homework question); not modal."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Guide to the workbench")
        self.views = QListWidget()
        self.views.addItems([entry.view for entry in PAGES])
        self.views.setSpacing(3)
        self.views.setFixedWidth(self.views.sizeHintForColumn(0) + 36)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        layout = QHBoxLayout(self)
        layout.addWidget(self.views)
        layout.addWidget(self.text, 1)
        self.views.currentTextChanged.connect(self._on_views_current_text_changed)
        self.views.setCurrentRow(0)
        self.resize(720, 480)

    def show_page(self, view: str) -> None:
        """Show the page of `view` (a tab title); an unknown view keeps the current page."""
        found = self.views.findItems(view, Qt.MatchFlag.MatchExactly)
        if found:
            self.views.setCurrentItem(found[0])

    def current_view(self) -> str:
        item = self.views.currentItem()
        return "" if item is None else item.text()

    def _on_views_current_text_changed(self, view: str) -> None:
        if view:
            self.text.setHtml(page(view).html())
