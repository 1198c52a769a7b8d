"""The Load view's box labels: one format ("7 · 98 %") with a legend, the runner-up on hover."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage

from workbench.core.recognition.page import PageDigit
from workbench.gui.load.digit_strip import DigitStrip
from workbench.gui.load.photo_view import PhotoView, box_labels, hover_text

IMAGE = np.zeros((28, 28), np.float32)


def test_one_label_format_and_the_runner_up_on_hover():
    digit = PageDigit((10, 10, 40, 60), IMAGE, ((7, 0.981), (1, 0.012)))
    assert box_labels(digit) == ["7 · 98 %", "7"]
    assert hover_text(digit) == "7 · 98 %   runner-up 1 · 1 %"
    assert box_labels(PageDigit((0, 0, 5, 5), None)) == ["no ink"]
    assert hover_text(PageDigit((0, 0, 5, 5), None)) == "no ink in this box"


def test_photo_view_paints_labels_and_a_legend(qtbot):
    view = PhotoView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    image = QImage(200, 150, QImage.Format.Format_Grayscale8)
    image.fill(QColor(230, 230, 230))
    view.set_image(image)
    view.set_digits([PageDigit((40, 40, 30, 50), IMAGE, ((3, 0.9), (8, 0.05)))], set())
    view.show()
    qtbot.waitExposed(view)
    shot = view.grab().toImage()
    bottom_left = shot.pixelColor(12, shot.height() - 12)
    assert bottom_left.red() > 240  # the legend's white panel lies over the grey margin
    centre = view.box_rect((40, 40, 30, 50)).center()
    qtbot.mouseMove(view, QPoint(round(centre.x()), round(centre.y())))
    assert view.box_at(QPointF(centre)) == 0


def test_strip_shows_the_runner_up(qtbot):
    strip = DigitStrip()
    qtbot.addWidget(strip)
    strip.set_digits([PageDigit((0, 0, 5, 5), IMAGE, ((4, 0.7), (9, 0.3)))], set())
    strip.show()
    qtbot.waitExposed(strip)
    assert strip.tile_count() == 1
    image = strip.grab().toImage()
    text_row = [image.pixelColor(x, 84 + 30).lightness() for x in range(image.width())]
    assert min(text_row) < 200  # the runner-up line is painted under the tile
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(40, 40))


def test_the_empty_strip_has_room_for_its_whole_sentence(qtbot):
    from workbench.gui.load.digit_strip import EMPTY_TEXT, DigitStrip

    strip = DigitStrip()
    qtbot.addWidget(strip)
    assert strip.width() > strip.fontMetrics().horizontalAdvance(EMPTY_TEXT)
