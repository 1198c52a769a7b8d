"""The report's Qt figures (curves, confusion matrix) drawn offscreen; the PDF is report_pdf's."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QIODevice, QPoint
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget

from workbench.core.report.document import FigureRenderer
from workbench.core.report.sections import Figure, RunCurves
from workbench.core.training.curve import curve_data
from workbench.gui.evaluate.confusion_plot import _application, render_confusion_png
from workbench.gui.report.report_pdf import first_page_png, write_pdf
from workbench.gui.train.curves import CurvesPanel

__all__ = ["curves_figures", "confusion_figure", "first_page_png", "qt_figures", "write_pdf"]
PLOT_SIZE = (330, 270)  # each curve plot as the report shows it, drawn at twice the pixels


def pdf_supported() -> bool:
    """QPdfWriter ships with QtGui (also in PySide6-Essentials); say so rather than assume."""
    try:
        from PySide6.QtGui import QPdfWriter  # noqa: F401
    except ImportError:
        return False
    return True


def _png(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("cannot encode the figure as PNG")
    return bytes(buffer.data())


def _render(widget: QWidget, scale: float = 2.0) -> QImage:
    """The widget painted at `scale` times its size: sharp text when printed at 1×."""
    image = QImage(
        round(widget.width() * scale), round(widget.height() * scale), QImage.Format.Format_RGB32
    )
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(scale, scale)
        QWidget.render(widget, painter, QPoint(0, 0))  # QGraphicsView's own draws the scene only
    finally:
        painter.end()
    return image


def curves_figures(runs: list[RunCurves], labels: list[str]) -> list[Figure]:
    """The Training view's loss and accuracy plots, one run in detail or several overlaid."""
    app = _application()
    panel = CurvesPanel()
    try:
        shown = []
        for run, label in zip(runs, labels, strict=True):
            ended = len(run.epochs)
            history = {
                "epochs": run.epochs,
                "batches": run.batches,  # the per-batch curve, not only the epoch points
                "state": run.state,
                "ended_epoch": ended,
            }
            shown.append((run.name, label or run.name, curve_data(history)))
        panel.show_runs(shown)
        panel.title.hide()
        panel.legend.hide()  # the report names the runs in its own table
        panel.loss_plot.getPlotItem().getAxis("left").enableAutoSIPrefix(False)  # log axis
        panel.resize(2 * PLOT_SIZE[0], PLOT_SIZE[1])  # two plots side by side
        panel.layout().activate()
        app.processEvents()
        figures = []
        for title, plot in (("Loss", panel.loss_plot), ("Accuracy", panel.accuracy_plot)):
            figures.append(Figure(title, _png(_render(plot)), _legend(runs, labels)))
        return figures
    finally:
        panel.deleteLater()
        app.processEvents()


def _legend(runs: list[RunCurves], labels: list[str]) -> str:
    if len(runs) == 1:
        batches = "light blue: training, smoothed per batch · " if runs[0].batches else ""
        return f"{batches}blue dots: training, epoch mean · orange squares: validation"
    from workbench.gui.train.curves import PALETTE

    names = ["blue", "vermillion", "green", "pink", "orange", "sky blue", "black"]
    colours = dict(zip(PALETTE, names, strict=True))
    return (
        " · ".join(
            f"{colours[PALETTE[i % len(PALETTE)]]}: {label or run.name}"
            for i, (run, label) in enumerate(zip(runs, labels, strict=True))
        )
        + " (solid validation, dashed training)"
    )


def confusion_figure(matrix: np.ndarray, title: str) -> bytes:
    """The Evaluate view's matrix as PNG bytes (drawn by `render_confusion_png`)."""
    with tempfile.TemporaryDirectory(prefix="workbench-report-") as folder:
        path = render_confusion_png(matrix, Path(folder) / "confusion.png", title=title)
        return path.read_bytes()


def qt_figures() -> FigureRenderer:
    """The report's renderer with the views' own plots (needs a QApplication; makes one)."""
    _application()
    return FigureRenderer(curves=curves_figures, confusion=confusion_figure)
