"""Copy a view to the clipboard or save it as PNG (for slides); the context menu offering it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget


def render_widget(widget: QWidget) -> QPixmap:
    """The widget as it looks (all of it, also the parts scrolled out of sight)."""
    return widget.grab()


def copy_widget(widget: QWidget) -> QPixmap:
    pixmap = render_widget(widget)
    QGuiApplication.clipboard().setPixmap(pixmap)
    return pixmap


def save_widget_png(widget: QWidget, path: str | Path) -> Path:
    """Write the widget to `path` as PNG; raises OSError when it cannot be written."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        path = path.with_suffix(".png")
    if not render_widget(widget).save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path


def ask_png_path(parent: QWidget, suggested: str | Path) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(
        parent, "Save view as PNG", str(suggested), "PNG image (*.png)"
    )
    return Path(name) if name else None


def add_export_menu(
    view: QWidget,
    target: Callable[[], QWidget],
    name: str,
    on_saved: Callable[[Path], None] | None = None,
    folder: Callable[[], str] | None = None,
) -> None:
    """Right-click on `view` offers Copy image / Save as PNG of `target()`."""

    def show_menu(position: QPoint) -> None:
        menu = QMenu(view)
        menu.addAction("Copy image", lambda: copy_widget(target()))
        menu.addAction("Save as PNG…", save)
        menu.exec(view.mapToGlobal(position))

    def save() -> None:
        start = Path(folder() if folder else ".") / f"{name}.png"
        path = ask_png_path(view, start)
        if path is None:
            return
        try:
            saved = save_widget_png(target(), path)
        except OSError as exc:
            QMessageBox.warning(view, "Save as PNG", str(exc))
            return
        if on_saved is not None:
            on_saved(saved)

    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    view.customContextMenuRequested.connect(show_menu)
