"""Where the window keeps its settings, and how it restores and saves them (QSettings)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from workbench.core import paths
from workbench.gui.menus import DRAW, LOAD


def app_settings() -> QSettings:
    """Settings in the user data folder (so tests, with their own folder, never share them)."""
    return QSettings(str(paths.home_dir() / "workbench-gui.ini"), QSettings.Format.IniFormat)


def restore_settings(window) -> None:
    """Geometry, docks, brush, threshold, tab and the occlusion switch of a MainWindow."""
    s = window.settings
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
    else:
        window.resize(1280, 800)
    state = s.value("window/state")
    if isinstance(state, QByteArray) and not state.isEmpty():
        window.restoreState(state)
    draw_view = window.draw_view
    draw_view.set_brush_width(float(s.value("draw/brush", draw_view.canvas.brush_width())))
    threshold = float(s.value("draw/threshold", draw_view.threshold_value()))
    draw_view.set_threshold(threshold)
    window.load_view.set_threshold(threshold)
    tab = int(s.value("window/tab", DRAW))
    window.tabs.setCurrentIndex(tab if tab in (DRAW, LOAD) else DRAW)
    window.set_why(str(s.value("view/why", "false")).lower() == "true")


def save_settings(window) -> None:
    """What `restore_settings` reads back next time (brush and threshold are saved as they move)."""
    s = window.settings
    s.setValue("window/geometry", window.saveGeometry())
    s.setValue("window/state", window.saveState())
    s.setValue("window/tab", window.tabs.currentIndex())
    s.sync()
