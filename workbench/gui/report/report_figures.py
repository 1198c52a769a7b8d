"""The report's Qt figures (curves, confusion matrix) drawn offscreen; its PDF and first page."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QRectF, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

from workbench.core.report.document import FigureRenderer
from workbench.core.report.sections import Figure, RunCurves
from workbench.core.training.curve import curve_data
from workbench.gui.evaluate.confusion_plot import _application, render_confusion_png
from workbench.gui.train.curves import CurvesPanel

PAGE_WIDTH_PX = 794  # A4 at 96 dpi: the width QTextDocument lays a page out at
PAGE_HEIGHT_PX = 1123
_SCRIPTS = re.compile(r"<script.*?</script>", re.DOTALL)


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


def curves_figures(runs: list[RunCurves], labels: list[str]) -> list[Figure]:
    """The Training view's loss and accuracy plots, one run in detail or several overlaid."""
    app = _application()
    panel = CurvesPanel()
    try:
        shown = []
        for run, label in zip(runs, labels, strict=True):
            ended = len(run.epochs)
            history = {"epochs": run.epochs, "state": run.state, "ended_epoch": ended}
            shown.append((run.name, label or run.name, curve_data(history)))
        panel.show_runs(shown)
        panel.title.hide()
        panel.legend.hide()  # the report names the runs in its own table
        panel.resize(1060, 380)  # two plots side by side, each about 530 × 380
        panel.layout().activate()
        app.processEvents()
        figures = []
        for title, plot in (("Loss", panel.loss_plot), ("Accuracy", panel.accuracy_plot)):
            figures.append(Figure(title, _png(plot.grab().toImage()), _legend(runs, labels)))
        return figures
    finally:
        panel.deleteLater()
        app.processEvents()


def _legend(runs: list[RunCurves], labels: list[str]) -> str:
    if len(runs) == 1:
        return "blue: training · orange: validation"
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


def _document(html: str) -> QTextDocument:
    document = QTextDocument()
    document.setHtml(_SCRIPTS.sub("", html))  # the JSON block is for scripts, not for print
    return document


def write_pdf(html: str, path: str | Path) -> Path:
    """Print the report HTML to an A4 PDF with QPdfWriter; raises OSError when it cannot."""
    _application()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(300)
    writer.setTitle("Workbench report")
    document = _document(html)
    document.print_(writer)
    del writer  # the file is complete once the writer is gone
    if not path.is_file() or path.stat().st_size == 0:
        raise OSError(f"cannot write {path}")
    return path


def first_page_png(html: str, path: str | Path, scale: float = 1.5) -> Path:
    """The report's first A4 page as laid out by QTextDocument (the PDF's layout), as PNG."""
    _application()
    document = _document(html)
    margin = 40
    document.setPageSize(QSizeF(PAGE_WIDTH_PX, PAGE_HEIGHT_PX))
    document.setDocumentMargin(margin)
    image = QImage(
        round(PAGE_WIDTH_PX * scale), round(PAGE_HEIGHT_PX * scale), QImage.Format.Format_RGB32
    )
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.scale(scale, scale)
    document.drawContents(painter, QRectF(0, 0, PAGE_WIDTH_PX, PAGE_HEIGHT_PX - margin))
    painter.end()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path
