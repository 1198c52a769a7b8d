"""The whole window: starts without torch; menus, shortcuts, settings, export, lazy tabs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication, QImage, QKeySequence

from workbench.core import paths
from workbench.gui.widgets.export_image import copy_widget, save_widget_png

ROOT = Path(__file__).resolve().parents[2]

STARTUP = """
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from workbench.gui.main_window import app_settings
if sys.argv[1]:
    app_settings().setValue("model/source", sys.argv[1])
from workbench.gui.app import create_window
window = create_window()
window.show()
app.processEvents()
window.draw_view.canvas.draw_stroke([(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])
print(json.dumps({"torch": "torch" in sys.modules, "model": window.model_label.text(),
                  "verdict": window.draw_view.panel.verdict(), "notice": window.notice.text()}))
window.close()
"""


def start_window(tmp_path: Path, model: str) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WORKBENCH_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", STARTUP, model],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_window_opens_and_predicts_without_importing_torch(tmp_path, model_path):
    source = "" if model_path == paths.SHIPPED_MODEL else str(model_path)
    result = start_window(tmp_path, source)
    assert result["torch"] is False
    assert result["model"].startswith(f"Model: {model_path.name}")
    assert result["verdict"].startswith("a 7") or result["verdict"].startswith("not sure")


def test_a_missing_last_model_falls_back_with_a_notice(tmp_path):
    result = start_window(tmp_path, str(tmp_path / "gone.onnx"))
    assert result["torch"] is False
    assert "gone.onnx" in result["notice"]
    if paths.SHIPPED_MODEL.is_file():
        assert "lenet5.onnx" in result["model"]
    else:
        assert "No model" in result["model"]


def test_menus_have_the_usual_shortcuts(window):
    shortcuts = {
        a.text().replace("&", ""): a.shortcut()
        for menu in window.menuBar().actions()
        for a in menu.menu().actions()
    }
    assert shortcuts["Open image…"] == QKeySequence(QKeySequence.StandardKey.Open)
    assert shortcuts["Paste image"] == QKeySequence(QKeySequence.StandardKey.Paste)
    assert shortcuts["Undo"] == QKeySequence(QKeySequence.StandardKey.Undo)
    assert shortcuts["Quit"] == QKeySequence(QKeySequence.StandardKey.Quit)
    assert not shortcuts["Clear"].isEmpty()
    assert "Model:" in window.model_label.text() and "runs on" in window.model_label.text()


def test_train_evaluate_and_anatomy_tabs_are_built_when_first_shown(window, qtbot):
    from workbench.gui.anatomy.anatomy_view import AnatomyView
    from workbench.gui.evaluate.evaluate_view import EvaluateView
    from workbench.gui.lab.lab_view import LabView
    from workbench.gui.train.train_view import TrainView

    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs == ["Draw", "Load", "Train", "Evaluate", "Anatomy", "Lab"]
    assert window.train_view is None and window.evaluate_view is None
    window.tabs.setCurrentIndex(4)
    assert isinstance(window.tabs.widget(4), AnatomyView)
    assert window.anatomy_view.current_anatomy().parameters == 61_706
    window.tabs.setCurrentIndex(2)
    assert isinstance(window.tabs.widget(2), TrainView)
    assert window.tabs.currentIndex() == 2
    evaluate = window.lazy_view(3)
    assert isinstance(evaluate, EvaluateView) and window.tabs.widget(3) is evaluate
    assert window.tabs.currentIndex() == 2
    window.tabs.setCurrentIndex(5)
    assert isinstance(window.tabs.widget(5), LabView) and window.lab_view is window.tabs.widget(5)


def test_window_state_and_choices_are_remembered(window, qtbot, predictor, model_path):
    from workbench.gui.main_window import MainWindow

    window.resize(1111, 777)
    window.feature_dock.hide()
    window.tabs.setCurrentIndex(1)
    window.set_why(True)
    window.close()
    assert Path(window.settings.fileName()).parent == paths.home_dir()
    again = MainWindow(predictor, model_path)
    qtbot.addWidget(again)
    assert again.tabs.currentIndex() == 1
    assert again.why_action.isChecked()
    assert again.feature_dock.isHidden()  # dock layout restored
    # The geometry too (the offscreen screen is 800×800: Qt fits the width into it).
    assert abs(again.height() - 777) < 30
    again.close()


@pytest.mark.parametrize("view", ["draw_view", "load_view", "feature_view"])
def test_every_view_can_be_copied_and_saved_as_png(window, qtbot, tmp_path, view, draw_digit):
    draw_digit(window.draw_view.canvas, 7)
    widget = getattr(window, view)
    if view == "feature_view":
        widget = widget.export_widget()
    saved = save_widget_png(widget, tmp_path / f"{view}.pdf")
    assert saved.suffix == ".png"
    image = QImage(str(saved))
    assert not image.isNull() and image.width() > 200 and image.height() > 200
    copy_widget(widget)
    assert not QGuiApplication.clipboard().image().isNull()


def test_a_long_drawing_session_does_not_exhaust_none(tmp_path):
    """PySide6 6.12 on CPython 3.11 drops a reference to None per void call; the guard holds."""
    code = (
        "import workbench.gui\n"
        "from PySide6.QtWidgets import QApplication, QWidget\n"
        "app = QApplication([])\n"
        "widget = QWidget()\n"
        "for _ in range(50_000):\n"
        "    widget.update()\n"
        "print('alive')\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WORKBENCH_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "alive"


def test_an_image_chosen_in_the_evaluate_gallery_becomes_the_current_input(window, qtbot):
    from workbench.core.data.synth import available_fonts, render_digit
    from workbench.core.recognition.preprocessing import ink_from_grey, to_mnist

    grey = render_digit(7, available_fonts()[0], 64).astype(np.float32) / 255
    digit = to_mnist(ink_from_grey(grey))
    evaluate = window.lazy_view(3)
    evaluate.input_chosen.emit(digit)
    qtbot.waitUntil(lambda: window.current_input()[1] is not None, timeout=10_000)
    image, prediction = window.current_input()
    assert window.tabs.currentIndex() == 1
    assert prediction.top(1)[0][0][0] == 7
    assert np.abs(image - digit).mean() < 0.05  # the same digit, re-centred


def test_drawings_and_photos_are_logged_for_the_report(window, qtbot):
    canvas = window.draw_view.canvas
    canvas.draw_stroke([(0.25, 0.2), (0.75, 0.2)])
    canvas.draw_stroke([(0.75, 0.2), (0.45, 0.85)])
    items = window.input_log.items()
    assert [(i.kind, i.name) for i in items] == [("drawing", "drawing 1")]
    assert items[0].top[0][0][0] == 7
    canvas.clear()
    canvas.draw_stroke([(0.5, 0.15), (0.5, 0.85)])
    window.open_image(sorted((paths.ASSETS_DIR / "samples").glob("row-*"))[0])
    qtbot.waitUntil(
        lambda: any(i.kind == "photo" for i in window.input_log.items()), timeout=10_000
    )
    kinds = [(i.kind, i.name) for i in window.input_log.items()]
    assert kinds[:2] == [("drawing", "drawing 1"), ("drawing", "drawing 2")]
    photo = window.input_log.items()[-1]
    assert len(photo.boxes) == len(photo.top) >= 3
