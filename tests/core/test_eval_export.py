"""Evaluation on a set with known labels and a model with known answers; its files; conv filters."""

from __future__ import annotations

import csv
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from oracle import oracle_images, write_oracle_model
from PIL import Image

from workbench.core.evaluation.evaluation import EvalProgress, EvalResult, evaluate, iter_evaluate
from workbench.core.evaluation.exports import (
    confusion_csv,
    conv_filters,
    misclassified_name,
    stored_result,
    write_confusion_csv,
    write_misclassified,
)
from workbench.core.recognition.predictor import Predictor

# Twelve test images: true labels and what the oracle is made to answer.
LABELS = np.array([7, 7, 7, 7, 2, 2, 1, 1, 1, 0, 3, 3])
ANSWERS = np.array([7, 2, 2, 1, 2, 7, 1, 1, 1, 0, 3, 8])


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    return Predictor(write_oracle_model(tmp_path_factory.mktemp("oracle") / "o.onnx"), "cpu")


def test_evaluation_with_known_answers_is_exact(oracle):
    events = list(iter_evaluate(oracle, oracle_images(ANSWERS), LABELS, batch_size=5))
    assert [(e.done, e.total) for e in events[:-1]] == [(5, 12), (10, 12), (12, 12)]
    assert all(isinstance(e, EvalProgress) for e in events[:-1])
    result = events[-1]
    assert isinstance(result, EvalResult)
    expected = np.zeros((10, 10), int)
    for true, pred in zip(LABELS, ANSWERS, strict=True):
        expected[true, pred] += 1
    np.testing.assert_array_equal(result.confusion, expected)
    assert result.n == 12 and result.accuracy == pytest.approx(7 / 12)  # 7s: 1, 2s: 1, 1s: 3, 0, 3
    rows = {row.digit: row for row in result.per_class}
    # 7: read as 7 twice (once right), four 7s. 2: read as 2 three times (once right), two 2s.
    assert (rows[7].precision, rows[7].recall) == (pytest.approx(1 / 2), pytest.approx(1 / 4))
    assert (rows[2].precision, rows[2].recall) == (pytest.approx(1 / 3), pytest.approx(1 / 2))
    assert rows[2].f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    # 3: both read (one as 3, one as 8); 8 never true, read once: precision 0.
    assert (rows[3].precision, rows[3].recall, rows[3].support) == (1.0, 0.5, 2)
    assert (rows[8].precision, rows[8].recall, rows[8].f1) == (0.0, 0.0, 0.0)
    assert [p.describe() for p in result.top_confused] == [
        "7 read as 2: 2",
        "2 read as 7: 1",
        "3 read as 8: 1",
        "7 read as 1: 1",
    ]
    np.testing.assert_array_equal(result.probabilities.argmax(axis=1), ANSWERS)
    assert result.to_json()["confusion"] == expected.tolist()
    assert evaluate(oracle, oracle_images(ANSWERS), LABELS).to_json()["accuracy"] == 7 / 12


def test_confusion_csv_round_trip(tmp_path):
    matrix = np.arange(100).reshape(10, 10)
    path = write_confusion_csv(matrix, tmp_path / "m.csv")
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["true\\predicted", *map(str, range(10))]
    assert [int(r[0]) for r in rows[1:]] == list(range(10))
    np.testing.assert_array_equal(np.array([r[1:] for r in rows[1:]], int), matrix)
    rates = list(csv.reader(confusion_csv(matrix, normalised=True).splitlines()))
    values = np.array([r[1:] for r in rates[1:]], float)
    np.testing.assert_allclose(values.sum(axis=1)[1:], 1.0, atol=1e-5)
    assert values[0].sum() == pytest.approx(1.0, abs=1e-5)
    assert values[2, 3] == pytest.approx(23 / 245, abs=1e-6)


def test_misclassified_images_are_written_with_labels_in_their_names(tmp_path, oracle):
    brightness = np.linspace(80, 255, len(ANSWERS)).astype(np.uint8)
    images = oracle_images(ANSWERS, brightness)
    images[:, 14, 14] = np.arange(len(ANSWERS)) * 10  # tell the files apart
    result = evaluate(oracle, images, LABELS)
    written = write_misclassified(tmp_path / "wrong", images, LABELS, result.probabilities)
    wrong = np.flatnonzero(LABELS != ANSWERS)
    expected = [
        misclassified_name(i, LABELS[i], ANSWERS[i], result.probabilities[i, ANSWERS[i]])
        for i in wrong
    ]
    assert sorted(p.name for p in (tmp_path / "wrong").iterdir()) == sorted(expected)
    assert [p.name for p in written] == expected
    assert expected[0].startswith("00001_true7_pred2_p0.")
    for index, path in zip(wrong, written, strict=True):
        with Image.open(path) as image:
            assert image.mode == "L"
            np.testing.assert_array_equal(np.asarray(image), images[index])
    assert misclassified_name(42, 7, 2, 0.934) == "00042_true7_pred2_p0.93.png"


def test_stored_result_reads_back_the_eval_json(oracle):
    result = evaluate(oracle, oracle_images(ANSWERS), LABELS)
    stored = stored_result(json.loads(json.dumps(result.to_json())))
    assert stored.to_json() == result.to_json()
    assert stored.probabilities.shape == (0, 10) and stored.labels.shape == (0,)
    with pytest.raises(ValueError):
        stored_result({**result.to_json(), "confusion": [[1, 2, 3]]})


def test_conv_filters_are_the_trained_weights_without_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS

    net = build_network(PRESETS["lenet5"], seed=3).eval()
    path = tmp_path / "lenet.onnx"
    export_onnx(net, path)
    filters = conv_filters(path)
    assert list(filters) == ["conv1", "conv2"]
    assert filters["conv1"].shape == (6, 1, 5, 5) and filters["conv2"].shape == (16, 6, 5, 5)
    with torch.no_grad():
        np.testing.assert_array_equal(filters["conv2"], net.blocks["conv2"][0].weight.numpy())


def test_conv_filters_of_a_foreign_file_are_named_by_their_weights(tmp_path):
    weights = np.random.default_rng(0).standard_normal((4, 1, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "stem.weight"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])],
        [helper.make_tensor("stem.weight", TensorProto.FLOAT, [4, 1, 3, 3], weights.ravel())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save_model(model, str(tmp_path / "f.onnx"))
    filters = conv_filters(tmp_path / "f.onnx")
    assert list(filters) == ["stem"]
    np.testing.assert_array_equal(filters["stem"], weights)


def oracle_confidence(brightness: np.ndarray) -> np.ndarray:
    """The oracle's top-1 probability for a lit pixel of `brightness`: softmax of one logit
    10·b/255 against nine zeros."""
    top = np.exp(10 * np.asarray(brightness, np.float64) / 255)
    return top / (top + 9)


def plain(bins) -> list[tuple]:
    """Bins comparable with ==: an empty bin's NaN means left out."""
    return [
        (b.low, b.high, b.count) + ((b.confidence, b.accuracy) if b.count else ()) for b in bins
    ]


def test_ece_and_reliability_bins_are_computed_by_hand(oracle):
    from workbench.core.evaluation.calibration import expected_calibration_error, reliability

    # two confidence levels: brightness 255 (p 0.99959, bin 15) and 90 (p 0.79120, bin 12)
    brightness = np.where(np.arange(len(ANSWERS)) % 2, 255, 90)
    result = evaluate(oracle, oracle_images(ANSWERS, brightness), LABELS)
    confidence = oracle_confidence(brightness)
    right = LABELS == ANSWERS
    high, low = brightness == 255, brightness == 90
    by_hand = (
        high.sum() * abs(right[high].mean() - confidence[high].mean())
        + low.sum() * abs(right[low].mean() - confidence[low].mean())
    ) / len(LABELS)
    assert result.ece == pytest.approx(by_hand, abs=1e-6)
    assert result.ece == expected_calibration_error(result.probabilities, LABELS)
    assert confidence[low][0] == pytest.approx(0.79120, abs=1e-5)
    assert [b.count for b in result.reliability] == [0] * 11 + [6, 0, 0, 6]
    assert plain(result.reliability) == plain(reliability(result.probabilities, LABELS))
    assert result.reliability[11].accuracy == pytest.approx(right[low].mean())
    assert result.reliability[14].confidence == pytest.approx(confidence[high].mean(), abs=1e-6)
    shown = json.loads(json.dumps(result.to_json(), allow_nan=False))  # empty bins: null
    assert shown["ece"] == pytest.approx(by_hand, abs=1e-6)
    assert shown["reliability"][0] == {
        "low": 0.0,
        "high": pytest.approx(1 / 15),
        "count": 0,
        "confidence": None,
        "accuracy": None,
    }
    stored = stored_result(shown)
    assert stored.ece == result.ece and plain(stored.reliability) == plain(result.reliability)


def test_ece_is_null_when_the_answers_hold_nan(oracle):
    from workbench.core.evaluation.evaluation import calibration_of

    probabilities = np.full((3, 10), 0.1)
    probabilities[1, 2] = np.nan
    ece, bins = calibration_of(probabilities, np.array([0, 1, 2]))
    assert np.isnan(ece) and bins == ()
    result = evaluate(oracle, oracle_images(ANSWERS), LABELS)
    card_without_ece = {
        k: v for k, v in result.to_json().items() if k not in ("ece", "reliability")
    }
    old = stored_result(card_without_ece)  # a card written before calibration was measured
    assert np.isnan(old.ece) and old.reliability == ()
    assert old.to_json()["ece"] is None
    json.dumps(old.to_json(), allow_nan=False)


def test_ece_of_the_shipped_model_on_real_digits(real_mnist_dir):
    from workbench.core import paths
    from workbench.core.data.mnist import load_split
    from workbench.core.evaluation.calibration import expected_calibration_error

    images, labels = load_split(real_mnist_dir, "test")
    images, labels = images[:2000], labels[:2000]
    predictor = Predictor(paths.SHIPPED_MODEL, "cpu")
    result = evaluate(predictor, images, labels)
    probabilities = predictor.predict(images.astype(np.float32) / 255, activations=False)
    expected = expected_calibration_error(probabilities.probabilities, labels)
    assert result.ece == pytest.approx(expected, abs=1e-6)  # float32 answers, other batches
    assert 0 <= result.ece < 0.05 and np.isfinite(result.ece)
    assert sum(b.count for b in result.reliability) == 2000
