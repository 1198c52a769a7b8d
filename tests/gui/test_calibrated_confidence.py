"""A temperature in the ONNX graph reaches the "not sure" verdict and the occlusion view: both
read the Predictor's probabilities, nothing recomputes a softmax from raw logits."""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from workbench.core.evaluation.calibration import softmax
from workbench.core.recognition.predictor import Predictor
from workbench.core.recognition.preprocessing import to_mnist
from workbench.core.recognition.reading import percent_text

TEMPERATURE = 3.0


def tempered_copy(source, target, temperature: float):
    """`source` with its `logits` output divided by `temperature` inside the graph."""
    model = onnx.load(str(source))
    node = next(n for n in model.graph.node if "logits" in n.output)
    node.output[list(node.output).index("logits")] = "raw_logits"
    value = np.array(temperature, np.float32)
    model.graph.initializer.append(numpy_helper.from_array(value, "temperature"))
    model.graph.node.append(helper.make_node("Div", ["raw_logits", "temperature"], ["logits"]))
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    return target


@pytest.fixture
def tempered_window(qtbot, model_path, tmp_path):
    from workbench.gui.main_window import MainWindow

    path = tempered_copy(model_path, tmp_path / "tempered.onnx", TEMPERATURE)
    win = MainWindow(Predictor(path, device="cpu"), path)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def test_not_sure_and_occlusion_use_the_graphs_calibrated_probabilities(
    qtbot, tempered_window, predictor, draw_digit
):
    window = tempered_window
    draw_digit(window.draw_view.canvas, 7)
    image = to_mnist(window.draw_view.canvas.ink())
    raw_logits = predictor.run_raw(image[None], ["logits"])[0]
    raw = softmax(raw_logits)[0]
    calibrated = softmax(raw_logits, TEMPERATURE)[0]
    digit = int(np.argmax(raw))
    assert calibrated[digit] < raw[digit] - 0.01  # the temperature makes it less sure
    panel = window.draw_view.panel
    qtbot.waitUntil(lambda: panel.top_digit() == digit, timeout=5000)
    # a threshold between the calibrated and the raw confidence: only calibrated is "not sure"
    threshold = math.floor(calibrated[digit] * 100) + 1
    assert threshold <= math.floor(raw[digit] * 100)
    window.draw_view.set_threshold(threshold / 100)
    assert panel.state() == "unsure"
    assert f"only {percent_text(calibrated[digit])} for {digit}" in panel.verdict()
    window.set_why(True)
    qtbot.waitUntil(lambda: window.last_occlusion is not None, timeout=5000)
    occlusion = window.last_occlusion
    assert occlusion.first == digit
    assert occlusion.p_first == pytest.approx(calibrated[digit], abs=1e-5)
