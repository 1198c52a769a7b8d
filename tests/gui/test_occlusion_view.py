"""Why this digit: the occlusion map over the 28×28 preview, on demand, for the current input."""

from __future__ import annotations

import re

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
    assert panel.legend.isVisibleTo(panel) and "ink for 7" in panel.legend.text()
    # The strength on a scale a student reads: a band and bits, never a twelve-digit factor.
    lost = occlusion.evidence_for_first()
    assert f"{lost.band}, odds" in panel.legend.text() and "bits" in panel.legend.text()
    shown = re.sub(r"<[^>]+>", "", panel.legend.text())  # the words, not the markup
    numbers = re.findall(r"\d[\d,]*", shown)
    assert numbers and all(int(n.replace(",", "")) <= 1000 for n in numbers), shown
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


def test_one_click_on_the_panel_switches_the_map_off_and_the_setting_is_kept(
    window, qtbot, draw_digit
):
    panel = window.draw_view.panel
    draw_digit(window.draw_view.canvas, 7)
    assert "Show" in panel.why_button.text()
    panel.why_button.click()
    qtbot.waitUntil(lambda: panel.legend.isVisibleTo(panel), timeout=5000)
    assert "Hide" in panel.why_button.text()
    assert window.settings.value("view/why") in (True, "true")
    panel.why_button.click()  # the same button, once more: off
    assert not panel.legend.isVisibleTo(panel) and "Show" in panel.why_button.text()
    assert not window.why_action.isChecked() and not window.load_view.panel.why_button.isChecked()
    assert window.settings.value("view/why") in (False, "false")
    preview = panel.preview.image()
    assert preview.format() == preview.Format.Format_Grayscale8  # the plain input again
    window.why_action.trigger()  # the menu switch keeps the panel's button in step
    assert panel.why_button.isChecked() and "Hide" in panel.why_button.text()
