"""GUI fixtures: the model to test with, a main window, and strokes shaped like digits."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from workbench.core import paths

EARLY_MODEL = Path(__file__).resolve().parents[2] / "scratch" / "early.onnx"

# Strokes in canvas units (0..1), as a person draws them.
SEVEN = [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]
ONE = [[(0.5, 0.15), (0.5, 0.85)]]
ZERO = [
    [
        (0.5 + 0.22 * math.sin(t / 24 * 2 * math.pi), 0.5 - 0.32 * math.cos(t / 24 * 2 * math.pi))
        for t in range(25)
    ]
]
DIGIT_STROKES = {7: SEVEN, 0: ZERO, 1: ONE}


def find_model_path() -> Path:
    """The shipped model, or (while it is being trained) the early one with the same interface."""
    for path in (paths.SHIPPED_MODEL, EARLY_MODEL):
        if path.is_file():
            return path
    pytest.skip("no model file: neither models/lenet5.onnx nor scratch/early.onnx")


@pytest.fixture(scope="session")
def model_path() -> Path:
    return find_model_path()


@pytest.fixture(scope="session")
def predictor(model_path):
    from workbench.core.recognition.predictor import Predictor

    return Predictor(model_path, device="cpu")


@pytest.fixture
def window(qtbot, predictor, model_path):
    from workbench.gui.main_window import MainWindow

    win = MainWindow(predictor, model_path)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()  # stops the timers and waits for background jobs


@pytest.fixture
def draw_digit():
    """draw_digit(canvas, 7) draws strokes shaped like that digit (7, 0 or 1)."""

    def draw(canvas, digit: int) -> None:
        for stroke in DIGIT_STROKES[digit]:
            canvas.draw_stroke(stroke)

    return draw
