"""Occlusion map: one batched call, and covering the hottest region lowers the top-1 digit."""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from workbench.core import paths
from workbench.core.recognition.explanation import Evidence, occluded_copies, occlusion_map
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


class FixedOdds:
    """A predictor whose answers are set by the test: the original image, then every copy."""

    def __init__(self, original: list[float], occluded: list[float]):
        self.original, self.occluded = original, occluded

    def predict(self, images, activations=True):
        rows = [self.original] + [self.occluded] * (len(images) - 1)
        return SimpleNamespace(probabilities=np.array(rows, np.float32))


def test_evidence_is_the_predictors_odds_change_in_bits():
    # 7 at 90 % (odds 9 : 1), 1 at 6 %; every occluded copy: 7 at 50 %, 1 at 40 % (odds 2 : 3).
    original = [0.0] * 10
    original[7], original[1], original[0] = 0.9, 0.06, 0.04
    occluded = [0.0] * 10
    occluded[7], occluded[1], occluded[0] = 0.5, 0.4, 0.1
    result = occlusion_map(np.ones((28, 28), np.float32), FixedOdds(original, occluded))
    assert (result.first, result.second) == (7, 1)
    lost, gained = result.evidence_for_first(), result.evidence_for_second()
    assert lost.bits == pytest.approx(math.log2(9), abs=1e-4)  # odds 9 → 1
    assert lost.factor == pytest.approx(9, rel=1e-4) and lost.band == "some"
    assert gained.factor == pytest.approx((0.4 / 0.6) / (0.06 / 0.94), rel=1e-4)  # ≈ 10.4
    assert gained.text("higher") == "some, odds about 10× higher (3.4 bits)"


def test_evidence_bands_read_like_jeffreys_scale():
    def band(factor: float) -> str:
        return Evidence.from_log_odds(math.log(factor)).band

    assert [band(f) for f in (1.0, 2.9, 3.1, 29, 31, 999, 1001, 1e12)] == [
        "none",
        "none",
        "some",
        "some",
        "strong",
        "strong",
        "decisive",
        "decisive",
    ]
    assert Evidence.from_log_odds(math.log(2)).bits == pytest.approx(1.0)
    assert Evidence.from_log_odds(-3.0).bits == 0.0  # covering it helped: no evidence lost
    assert (
        Evidence.from_log_odds(math.log(2.5)).text("lower")
        == "none, odds under 3× lower (1.3 bits)"
    )
    huge = Evidence.from_log_odds(math.log(203_022_173_569))  # the number a student could not read
    assert huge.text("lower") == "decisive, odds over 1,000× lower (38 bits)"


def test_a_confident_digit_is_described_without_huge_numbers(predictor):
    result = occlusion_map(seven(), predictor)
    for evidence in (result.evidence_for_first(), result.evidence_for_second()):
        text = evidence.text("lower")
        assert text.startswith(evidence.band + ", odds ")
        numbers = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]
        assert all(n <= 1000 for n in numbers), text
    assert result.evidence_for_first().bits == pytest.approx(
        float(result.support.max()) / math.log(2), rel=1e-6
    )


def test_bad_arguments_are_refused(predictor):
    with pytest.raises(ValueError):
        occlusion_map(np.zeros((2, 28, 28), np.float32), predictor)
    with pytest.raises(ValueError):
        occlusion_map(np.zeros((28, 28), np.float32), predictor, patch=0)


@pytest.mark.parametrize(
    ("probability", "decimals", "text"),
    [
        (0.98, 0, "98 %"),
        (0.9996, 0, "> 99 %"),
        (0.9996, 1, "> 99.9 %"),
        (1.0, 0, "100 %"),
        (0.004, 0, "< 1 %"),
        (0.0, 0, "0 %"),
        (0.5, 1, "50.0 %"),
    ],
)
def test_percent_text_never_rounds_doubt_away(probability, decimals, text):
    from workbench.core.recognition.reading import percent_text, reading_text

    assert percent_text(probability, decimals) == text
    assert reading_text(7, probability) == f"7 · {percent_text(probability)}"
