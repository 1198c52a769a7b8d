"""Loading photos: a box per digit in reading order; delete, merge and drawn boxes update it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QGuiApplication

from workbench.core.data import synth
from workbench.gui.widgets.qt_numpy import qimage_from_grey

DIGITS = [3, 7, 4, 0, 5]


def font(name: str = "DejaVuSans") -> str | None:
    return next((p for p in synth.available_fonts() if p and p.endswith(f"/{name}.ttf")), None)


@pytest.fixture
def row_photo(tmp_path):
    grey, boxes = synth.render_row(
        DIGITS, font(), 56, np.random.default_rng(4), uneven=True, noise=0.02
    )
    path = tmp_path / "row.png"
    Image.fromarray(grey).save(path)
    return path, boxes


def load(window, qtbot, path) -> None:
    with qtbot.waitSignal(window.load_view.page_loaded, timeout=20_000):
        assert window.open_image(path)


def test_a_generated_row_gives_one_box_per_digit_in_order(window, qtbot, row_photo):
    path, true_boxes = row_photo
    load(window, qtbot, path)
    view = window.load_view
    assert window.tabs.currentWidget() is view
    digits = view.page.digits
    assert len(digits) == len(DIGITS)
    assert view.page.labels() == DIGITS
    assert all(len(d.top) == 2 for d in digits)
    for digit, (x, y, w, h) in zip(digits, true_boxes, strict=True):
        bx, by, bw, bh = digit.box
        assert abs((bx + bw / 2) - (x + w / 2)) < w / 2 and abs((by + bh / 2) - (y + h / 2)) < h / 2
    assert view.strip.tile_count() == len(DIGITS)
    assert "37405" in view.reading.text()
    # The first digit is selected and is the current input of the feature maps.
    assert view.current_index() == 0
    image, prediction = window.current_input()
    assert image is digits[0].image and prediction.top(1)[0][0][0] == 3


def test_delete_and_merge_update_the_strip(window, qtbot, row_photo):
    load(window, qtbot, row_photo[0])
    view = window.load_view
    view.select(1)
    view.delete_selected()
    assert view.strip.tile_count() == 4 and view.page.labels() == [3, 4, 0, 5]
    first, second = view.page.digits[0].box, view.page.digits[1].box
    view.select(0)
    view.select(1, add=True)
    assert view.merge_button.isEnabled()
    view.merge_selected()
    assert view.strip.tile_count() == 3
    merged = view.page.digits[0].box
    assert merged[0] == first[0] and merged[0] + merged[2] == second[0] + second[2]
    assert view.current_index() == 0  # the merged box is the current input
    assert window.current_input()[0] is view.page.digits[0].image
    assert view.undo() and view.strip.tile_count() == 4
    window.undo_action.trigger()
    assert view.page.labels() == DIGITS


def test_clicking_boxes_and_drawing_a_box(window, qtbot, row_photo):
    load(window, qtbot, row_photo[0])
    view = window.load_view
    photo = view.photo
    third = photo.box_rect(view.page.digits[2].box).center().toPoint()
    qtbot.mouseClick(photo, Qt.MouseButton.LeftButton, pos=third)
    assert view.current_index() == 2
    assert window.draw_view.panel.state() == "empty"  # the drawing is a separate input
    assert view.panel.top_digit() == DIGITS[2]
    box = view.page.digits[2].box
    view.delete_selected()
    assert view.strip.tile_count() == 4
    view.draw_button.setChecked(True)
    start = photo.box_rect((box[0] - 4, box[1] - 4, 0, 0)).topLeft().toPoint()
    end = photo.box_rect((box[0] + box[2] + 4, box[1] + box[3] + 4, 0, 0)).topLeft().toPoint()
    qtbot.mousePress(photo, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(photo, (start + end) / 2)
    qtbot.mouseRelease(photo, Qt.MouseButton.LeftButton, pos=end)
    assert view.strip.tile_count() == 5
    assert view.page.labels() == DIGITS
    assert view.current_index() == 2


def test_threshold_and_invert_resplit_and_auto_restores(window, qtbot, row_photo):
    load(window, qtbot, row_photo[0])
    view = window.load_view
    view.level.setValue(40)
    qtbot.waitUntil(lambda: view.page.threshold == pytest.approx(0.4), timeout=3000)
    assert view.page.labels() == DIGITS
    view.invert_box.setChecked(True)
    assert view.page.invert
    assert view.page.labels() != DIGITS  # the paper is now the "ink": no digits read right
    view.auto_button.click()
    assert view.page.labels() == DIGITS and view.page.threshold is None


def test_paste_and_drop_load_an_image(window, qtbot, row_photo):
    grey = np.asarray(Image.open(row_photo[0]), np.float32) / 255
    QGuiApplication.clipboard().setImage(qimage_from_grey(grey))
    with qtbot.waitSignal(window.load_view.page_loaded, timeout=20_000):
        window.tabs.setCurrentIndex(0)
        window._on_paste_triggered()
    assert window.tabs.currentWidget() is window.load_view
    assert window.load_view.page.labels() == DIGITS
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(row_photo[0]))])
    with qtbot.waitSignal(window.load_view.page_loaded, timeout=20_000):
        assert window.load_view.open_mime(mime)
    assert window.load_view.page.name == "row.png"


def test_a_file_that_is_no_image_shows_an_error(window, qtbot, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    with qtbot.waitSignal(window.load_view.load_failed, timeout=20_000):
        window.open_image(bad)
    assert "notes.png" in window.notice.text() and window.notice.kind == "error"


def test_samples_are_offered_and_read(window, qtbot):
    from workbench.gui.menus import sample_files

    samples = sample_files()
    if not samples:
        pytest.skip("assets/samples is empty: run scripts/make_assets.py")
    assert len(window.sample_menu.actions()) == len(samples)
    with qtbot.waitSignal(window.load_view.page_loaded, timeout=20_000):
        window.sample_menu.actions()[0].trigger()
    assert len(window.load_view.page.digits) >= 3


def test_clear_closes_the_photo(window, qtbot, row_photo):
    load(window, qtbot, row_photo[0])
    window.clear_action.trigger()
    assert window.load_view.page is None and window.load_view.strip.tile_count() == 0
    assert window.load_view.panel.state() == "empty"
    assert window.feature_view.hint.isVisibleTo(window.feature_view)
