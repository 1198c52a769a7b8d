"""Copy a view to the clipboard or save it for slides (PNG, PNG at 2×, SVG); the context menu."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QPainter, QPixmap
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

HIGH_RES = "@2x"  # "name@2x.png": the view at twice its pixels (Qt's and the web's own naming)
FILTERS = {  # the save dialog's file types, and how each is written
    "PNG image (*.png)": (".png", ""),
    "PNG at 2×, for slides (*.png)": (".png", HIGH_RES),
    "SVG drawing (*.svg)": (".svg", ""),
}


def render_widget(widget: QWidget, scale: float = 1.0) -> QPixmap:
    """The widget as it looks (all of it, also the parts scrolled out of sight); at `scale` > 1
    painted again at that many times the pixels, so text and lines stay sharp."""
    if scale == 1.0:
        return widget.grab()
    size = widget.size()
    pixmap = QPixmap(QSize(round(size.width() * scale), round(size.height() * scale)))
    pixmap.setDevicePixelRatio(scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    QWidget.render(widget, pixmap)  # QWidget's own: a plot's render draws its scene only
    return pixmap


def copy_widget(widget: QWidget) -> QPixmap:
    pixmap = render_widget(widget)
    QGuiApplication.clipboard().setPixmap(pixmap)
    return pixmap


def save_widget_svg(widget: QWidget, path: str | Path) -> Path:
    """The widget as an SVG drawing (lines and text stay vectors); raises OSError on failure."""
    from PySide6.QtSvg import QSvgGenerator  # in PySide6-Essentials; only needed here

    path = Path(path).with_suffix(".svg")
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(widget.size())
    generator.setViewBox(QRect(QPoint(0, 0), widget.size()))
    generator.setTitle(path.stem)
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError(f"cannot write {path}")
    try:
        QWidget.render(widget, painter, QPoint(0, 0))
    finally:
        painter.end()
    if not path.is_file() or path.stat().st_size == 0:
        raise OSError(f"cannot write {path}")
    return path


def save_widget_png(widget: QWidget, path: str | Path) -> Path:
    """Write the widget to `path`: SVG for a .svg name, PNG at twice the pixels for a name
    ending in @2x, else PNG (any other suffix becomes .png); raises OSError on failure."""
    path = Path(path)
    if path.suffix.lower() == ".svg":
        return save_widget_svg(widget, path)
    if path.suffix.lower() != ".png":
        path = path.with_suffix(".png")
    scale = 2.0 if path.stem.endswith(HIGH_RES) else 1.0
    if not render_widget(widget, scale).save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path


def save_plot(plot, path: str | Path, scale: float = 1.0) -> Path:
    """A pyqtgraph plot (PlotWidget or GraphicsLayoutWidget) alone: PNG at `scale` times its
    size with pyqtgraph's ImageExporter, or SVG for a .svg name; raises OSError on failure."""
    path = Path(path)
    if path.suffix.lower() == ".svg":
        # pyqtgraph's SVGExporter fails on the paths Qt 6.11 writes (pyqtgraph issue #3485:
        # "x,y = c.split(',')"); Qt's own SVG generator draws the plot as it looks.
        return save_widget_svg(plot, path)
    import pyqtgraph.exporters as exporters

    path = path.with_suffix(".png")
    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot.scene()
    try:
        exporter = exporters.ImageExporter(item)
        exporter.parameters()["width"] = round(exporter.getTargetRect().width() * scale)
        exporter.export(str(path))
    except (OSError, RuntimeError, ValueError) as exc:
        raise OSError(f"cannot write {path}: {exc}") from exc
    if not path.is_file():
        raise OSError(f"cannot write {path}")
    return path


def ask_png_path(parent: QWidget, suggested: str | Path) -> Path | None:
    """Where to save a view, and how: PNG, PNG at 2× (name@2x.png) or SVG (name.svg)."""
    name, chosen = QFileDialog.getSaveFileName(
        parent, "Save view", str(suggested), ";;".join(FILTERS)
    )
    if not name:
        return None
    suffix, tag = FILTERS.get(chosen, (".png", ""))
    path = Path(name)
    stem = path.stem.removesuffix(HIGH_RES)
    return path.with_name(f"{stem}{tag}{suffix}")


def _plot_at(view: QWidget, position: QPoint):
    """The pyqtgraph plot under `position` in `view`, if there is one."""
    from pyqtgraph import GraphicsView

    widget = view.childAt(position)
    while widget is not None and widget is not view:
        if isinstance(widget, GraphicsView):
            return widget
        widget = widget.parentWidget()
    return None


def add_export_menu(
    view: QWidget,
    target: Callable[[], QWidget],
    name: str,
    on_saved: Callable[[Path], None] | None = None,
    folder: Callable[[], str] | None = None,
) -> None:
    """Right-click on `view` offers Copy image and Save as PNG / at 2× / as SVG of `target()`,
    and over a plot, that plot alone at 2× or as SVG (pyqtgraph's exporters)."""

    def show_menu(position: QPoint) -> None:
        menu = QMenu(view)
        menu.addAction("Copy image", lambda: copy_widget(target()))
        menu.addAction("Save as PNG…", lambda: save(target, ".png"))
        menu.addAction("Save at 2× (PNG)…", lambda: save(target, f"{HIGH_RES}.png"))
        menu.addAction("Save as SVG…", lambda: save(target, ".svg"))
        plot = _plot_at(view, position)
        if plot is not None:
            menu.addSeparator()
            menu.addAction("Save this plot at 2× (PNG)…", lambda: save_one(plot, ".png"))
            menu.addAction("Save this plot as SVG…", lambda: save_one(plot, ".svg"))
        menu.exec(view.mapToGlobal(position))

    def ask(ending: str, title: str) -> Path | None:
        start = Path(folder() if folder else ".") / f"{name}{ending}"
        kind = "SVG drawing (*.svg)" if ending.endswith(".svg") else "PNG image (*.png)"
        chosen, _ = QFileDialog.getSaveFileName(view, title, str(start), kind)
        return Path(chosen) if chosen else None

    def done(write: Callable[[], Path], title: str) -> None:
        try:
            saved = write()
        except OSError as exc:
            QMessageBox.warning(view, title, str(exc))
            return
        if on_saved is not None:
            on_saved(saved)

    def save(widget: Callable[[], QWidget], ending: str) -> None:
        path = ask(ending, "Save view")
        if path is not None:  # the name says how: name.png, name@2x.png or name.svg
            stem, suffix = path.stem.removesuffix(HIGH_RES), Path(ending).suffix
            path = path.with_name(f"{stem}{HIGH_RES if HIGH_RES in ending else ''}{suffix}")
            done(lambda: save_widget_png(widget(), path), "Save view")

    def save_one(plot, ending: str) -> None:
        path = ask(f"-plot{HIGH_RES if ending == '.png' else ''}{ending}", "Save plot")
        if path is not None:
            done(lambda: save_plot(plot, path.with_suffix(ending), 2.0), "Save plot")

    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    view.customContextMenuRequested.connect(show_menu)
