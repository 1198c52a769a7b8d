"""Views and plots saved for slides: PNG at twice the pixels, SVG that parses, plots alone."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.gui.widgets.export_image import (
    _plot_at,
    render_widget,
    save_plot,
    save_widget_png,
)


def _view(qtbot) -> tuple[QWidget, pg.PlotWidget]:
    view = QWidget()
    qtbot.addWidget(view)
    plot = pg.PlotWidget(background="w")
    plot.plot(np.arange(10.0), np.arange(10.0) ** 2, pen=pg.mkPen("#0072B2", width=2))
    plot.getPlotItem().setTitle("Loss")
    layout = QVBoxLayout(view)
    layout.addWidget(QLabel("A view with a title and a plot"))
    layout.addWidget(plot)
    view.resize(420, 300)
    view.show()
    qtbot.waitExposed(view)
    return view, plot


def _svg_root(path) -> ET.Element:
    root = ET.parse(path).getroot()  # raises on anything that is not well-formed XML
    assert root.tag.endswith("svg")
    return root


def test_a_view_saves_at_twice_its_size_and_as_svg(qtbot, tmp_path):
    view, _ = _view(qtbot)
    plain = QImage(str(save_widget_png(view, tmp_path / "view.png")))
    double = save_widget_png(view, tmp_path / "view@2x.png")
    image = QImage(str(double))
    assert (plain.width(), plain.height()) == (view.width(), view.height())
    assert (image.width(), image.height()) == (2 * view.width(), 2 * view.height())
    # Painted again at 2×, not the 1× picture blown up: the two differ (sharper text, lines).
    blown_up = render_widget(view).toImage().scaled(image.size())  # nearest pixels
    assert image.convertToFormat(blown_up.format()) != blown_up
    svg = save_widget_png(view, tmp_path / "view.svg")
    assert svg.suffix == ".svg"
    root = _svg_root(svg)
    drawn = [e for e in root.iter() if e.tag.split("}")[-1] in ("path", "polyline", "text")]
    assert drawn  # vectors and text, not an empty drawing


def test_a_plot_alone_saves_with_pyqtgraphs_exporters(qtbot, tmp_path):
    view, plot = _view(qtbot)
    png = save_plot(plot, tmp_path / "plot@2x.png", scale=2.0)
    image = QImage(str(png))
    width = plot.getPlotItem().sceneBoundingRect().width()
    assert abs(image.width() - 2 * width) <= 2
    root = _svg_root(save_plot(plot, tmp_path / "plot.svg"))
    assert any(e.tag.split("}")[-1] == "path" for e in root.iter())
    centre = plot.mapTo(view, plot.rect().center())
    assert _plot_at(view, centre) is plot  # the context menu finds the plot under the mouse
    assert _plot_at(view, view.rect().topLeft()) is None


def test_the_save_dialog_names_the_file_by_its_kind(qtbot, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    from workbench.gui.widgets.export_image import FILTERS, ask_png_path

    parent = QWidget()
    qtbot.addWidget(parent)
    answers = {}
    for kind in FILTERS:
        monkeypatch.setattr(
            QFileDialog, "getSaveFileName", lambda *a, kind=kind: (str(tmp_path / "v.png"), kind)
        )
        answers[kind] = ask_png_path(parent, tmp_path / "v.png").name
    assert sorted(answers.values()) == ["v.png", "v.svg", "v@2x.png"]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: ("", ""))
    assert ask_png_path(parent, tmp_path / "v.png") is None  # cancelled
