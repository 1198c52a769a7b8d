"""Why this digit: the occlusion map over the 28×28 preview, on demand, for the current input."""

from __future__ import annotations

import numpy as np


def test_why_shows_the_occlusion_map_and_covering_its_hottest_region_lowers_top1(
    window, qtbot, predictor, draw_digit
):
    panel = window.draw_view.panel
    draw_digit(window.draw_view.canvas, 7)
    assert window.last_occlusion is None and not panel.legend.isVisibleTo(panel)
    panel.why_button.click()
    assert window.why_action.isChecked() and window.load_view.panel.why_button.isChecked()
    qtbot.waitUntil(lambda: window.last_occlusion is not None, timeout=5000)
    occlusion = window.last_occlusion
    assert occlusion.first == 7
    assert panel.legend.isVisibleTo(panel) and "evidence for 7" in panel.legend.text()
    image = window.current_input()[0]
    top, left, bottom, right = occlusion.hottest_box()
    covered = image.copy()
    covered[top:bottom, left:right] = 0.0
    after = predictor.predict(covered[None], activations=False).probabilities[0, 7]
    assert after < occlusion.p_first
    # The preview shows the map: colour where there was only grey.
    preview = panel.preview.image()
    assert preview.format() != preview.Format.Format_Grayscale8


def test_the_map_follows_new_strokes_and_hides_when_toggled_off(window, qtbot, draw_digit):
    window.set_why(True)
    draw_digit(window.draw_view.canvas, 1)
    qtbot.waitUntil(
        lambda: window.last_occlusion is not None and window.last_occlusion.first == 1, timeout=5000
    )
    first = window.last_occlusion
    window.draw_view.canvas.draw_stroke([(0.3, 0.25), (0.5, 0.15)])  # a flag on the 1
    qtbot.waitUntil(lambda: window.last_occlusion is not first, timeout=5000)
    assert not np.array_equal(first.support, window.last_occlusion.support)
    window.why_action.trigger()
    assert not window.draw_view.panel.why_button.isChecked()
    panel = window.draw_view.panel
    assert not panel.legend.isVisibleTo(panel)
