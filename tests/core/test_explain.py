"""Occlusion map: one batched call, and covering the hottest region lowers the top-1 digit."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from workbench.core import paths
from workbench.core.recognition.explanation import occluded_copies, occlusion_map
from workbench.core.recognition.predictor import Predictor
from workbench.core.recognition.preprocessing import to_mnist

EARLY_MODEL = Path(__file__).resolve().parents[2] / "scratch" / "early.onnx"


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    for path in (paths.SHIPPED_MODEL, EARLY_MODEL):
        if path.is_file():
            return Predictor(path, device="cpu")
    pytest.skip("no model file: neither models/lenet5.onnx nor scratch/early.onnx")


def seven() -> np.ndarray:
    """A 7 drawn with thick numpy strokes on a large sheet, then made MNIST-like."""
    sheet = np.zeros((200, 200), np.float32)
    sheet[30:52, 40:160] = 1.0  # the bar
    for y in range(52, 180):  # the stem, slanting left as it falls
        x = int(150 - (y - 52) * 0.55)
        sheet[y, x - 11 : x + 11] = 1.0
    image = to_mnist(sheet)
    assert image is not None
    return image


class CountingPredictor:
    def __init__(self, inner: Predictor):
        self.inner, self.calls, self.batch = inner, 0, 0

    def predict(self, images, activations=True):
        self.calls += 1
        self.batch = len(images)
        return self.inner.predict(images, activations=activations)


def test_covering_the_hottest_region_lowers_the_top1_probability(predictor):
    image = seven()
    result = occlusion_map(image, predictor)
    assert result.first == 7
    assert result.support.shape == result.favour_second.shape == (28, 28)
    top, left, bottom, right = result.hottest_box()
    covered = image.copy()
    covered[top:bottom, left:right] = 0.0
    after = predictor.predict(covered[None], activations=False).probabilities[0, result.first]
    # A confident model stays near 1.0 in probability; the evidence (log-odds) must clearly drop.
    def log_odds(p: float) -> float:
        p = min(max(float(p), 1e-12), 1 - 1e-12)
        return math.log(p / (1 - p))

    assert after < result.p_first
    assert log_odds(result.p_first) - log_odds(after) > 1.0
    # The hottest pixel is on or next to the ink: blank paper far from it carries no evidence.
    row, col = result.hottest()
    assert image[max(row - 3, 0) : row + 4, max(col - 3, 0) : col + 4].max() > 0.5


def test_all_occluded_copies_go_through_one_batched_call(predictor):
    counting = CountingPredictor(predictor)
    result = occlusion_map(seven(), counting, patch=6, stride=2)
    assert counting.calls == 1
    assert counting.batch == 1 + ((28 + 5 + 1) // 2) ** 2  # the original + every window
    top2 = predictor.predict(seven()[None], activations=False).top(2)[0]
    assert (result.first, result.second) == (top2[0][0], top2[1][0])
    assert result.p_first == pytest.approx(top2[0][1], abs=1e-6)


def test_blank_paper_far_from_the_ink_scores_zero(predictor):
    image = np.zeros((28, 28), np.float32)
    image[10:18, 12:16] = 1.0  # a short bar in the middle
    result = occlusion_map(image, predictor, patch=4, stride=1)
    assert np.all(result.support[:3, :] == 0) and np.all(result.favour_second[:, :3] == 0)


def test_every_pixel_is_covered_equally_often():
    image = np.ones((28, 28), np.float32)
    copies, corners = occluded_copies(image, patch=5, stride=1, fill=0.0)
    assert len(copies) == len(corners) == (28 + 4) ** 2
    covered = (copies == 0).sum(axis=0)
    assert covered.min() == covered.max() == 25


def test_bad_arguments_are_refused(predictor):
    with pytest.raises(ValueError):
        occlusion_map(np.zeros((2, 28, 28), np.float32), predictor)
    with pytest.raises(ValueError):
        occlusion_map(np.zeros((28, 28), np.float32), predictor, patch=0)
