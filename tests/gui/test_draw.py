"""Drawing: digits drawn on the canvas come out as top-1, live, and undo/clear go back to empty."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, Qt

from workbench.gui.draw.canvas import MODEL_SIDE, DrawingCanvas, Stroke
from workbench.gui.draw.draw_view import DrawView


@pytest.mark.parametrize("digit", [7, 0, 1])
def test_drawn_digit_is_the_top1(window, qtbot, draw_digit, digit):
    draw_digit(window.draw_view.canvas, digit)
    panel = window.draw_view.panel
    qtbot.waitUntil(lambda: panel.top_digit() is not None)
    assert panel.top_digit() == digit
    assert panel.state() == "sure"
    assert panel.verdict().startswith(f"a {digit}")
    assert len(panel.bars._top) == 2


def test_real_mouse_strokes_draw_a_seven(window, qtbot):
    canvas = window.draw_view.canvas
    rect = canvas._paper_rect()

    def at(x: float, y: float) -> QPoint:
        return QPoint(round(rect.x() + x * rect.width()), round(rect.y() + y * rect.height()))

    points = [at(0.25 + 0.5 * t / 10, 0.2) for t in range(11)]
    points += [at(0.75 - 0.3 * t / 15, 0.2 + 0.65 * t / 15) for t in range(1, 16)]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=points[0])
    for point in points[1:]:
        qtbot.mouseMove(canvas, point)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=points[-1])
    assert canvas.stroke_count() == 1
    qtbot.waitUntil(lambda: window.draw_view.panel.top_digit() == 7)


def test_undo_and_clear_return_to_draw_a_digit(window, draw_digit):
    canvas, panel = window.draw_view.canvas, window.draw_view.panel
    assert panel.verdict() == "draw a digit" and panel.state() == "empty"
    draw_digit(canvas, 7)
    assert panel.state() == "sure"
    window.undo_action.trigger()  # Ctrl+Z
    assert canvas.is_empty()
    assert panel.verdict() == "draw a digit" and panel.state() == "empty"
    draw_digit(canvas, 0)
    draw_digit(canvas, 1)
    assert canvas.stroke_count() == 2
    canvas.undo()
    assert canvas.stroke_count() == 1 and panel.top_digit() == 0
    window.clear_action.trigger()
    assert canvas.is_empty() and panel.verdict() == "draw a digit"
    assert float(canvas.ink().max()) == 0.0


def test_unsure_below_the_threshold_instead_of_a_confident_digit(window):
    view = window.draw_view
    view.set_threshold(0.99)
    view.canvas.draw_stroke([(0.3, 0.3), (0.7, 0.35), (0.35, 0.6), (0.65, 0.7), (0.4, 0.45)])
    top = view.panel._top
    assert top is not None
    if top[0][1] >= 0.99:
        pytest.skip("the model is 99% sure of this scribble")
    assert view.panel.state() == "unsure"
    assert view.panel.verdict().startswith("not sure")
    assert view.panel.big.text() == "?"


def test_moves_are_coalesced_into_one_update_per_event_loop_turn(qtbot):
    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 300)
    updates = []
    canvas.drawing_changed.connect(lambda: updates.append(1))
    canvas._begin(Stroke(0.08), canvas._to_canvas(QPoint(50, 50).toPointF()))
    for x in range(51, 250, 2):
        canvas._extend(canvas._to_canvas(QPoint(x, 60).toPointF()))
    assert updates == []
    qtbot.waitUntil(lambda: len(updates) == 1)
    qtbot.wait(20)
    assert len(updates) == 1


def test_canvas_ink_is_ink_on_paper_and_brush_sets_the_width(qtbot):
    view = DrawView()
    qtbot.addWidget(view)
    canvas = view.canvas
    ink = canvas.ink()
    assert ink.shape == (MODEL_SIDE, MODEL_SIDE) and ink.dtype == np.float32 and ink.max() == 0
    view.set_brush_width(0.04)
    canvas.draw_stroke([(0.1, 0.5), (0.9, 0.5)])
    thin = int((canvas.ink()[:, MODEL_SIDE // 2] > 0.5).sum())
    canvas.clear()
    view.set_brush_width(0.16)
    canvas.draw_stroke([(0.1, 0.5), (0.9, 0.5)])
    bold = int((canvas.ink()[:, MODEL_SIDE // 2] > 0.5).sum())
    assert abs(thin - 0.04 * MODEL_SIDE) <= 2 and abs(bold - 0.16 * MODEL_SIDE) <= 2
    assert canvas.ink().max() > 0.9


def test_canvas_stays_square_as_the_window_scales(qtbot):
    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    for size in ((300, 500), (800, 400)):
        canvas.resize(*size)
        rect = canvas._paper_rect()
        assert rect.width() == rect.height() == min(size) - 2


def test_brush_and_threshold_are_remembered(window, qtbot, predictor, model_path):
    from workbench.gui.main_window import MainWindow

    window.draw_view.set_brush_width(0.12)
    window.draw_view.set_threshold(0.8)
    window.close()
    again = MainWindow(predictor, model_path)
    qtbot.addWidget(again)
    assert again.draw_view.canvas.brush_width() == pytest.approx(0.12)
    assert again.draw_view.threshold_value() == pytest.approx(0.8)
    again.close()


class PaintRects(QObject):
    """Records the region of every paint event a widget gets."""

    def __init__(self) -> None:
        super().__init__()
        self.rects = []

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.rect())
        return False


def test_first_stroke_after_clear_repaints_the_placeholder_away(qtbot):
    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.draw_stroke([(0.1, 0.1), (0.2, 0.1)])
    canvas.clear()
    qtbot.wait(30)
    spy = PaintRects()
    canvas.installEventFilter(spy)
    # a short stroke in a corner, far from the centred placeholder text
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    qtbot.waitUntil(lambda: spy.rects != [])
    assert any(r.contains(canvas.rect().center()) for r in spy.rects)
    qtbot.mouseMove(canvas, QPoint(30, 22))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(30, 22))
    canvas.removeEventFilter(spy)
