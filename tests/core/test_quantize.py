"""The int8 twin: agrees with the float model, is smaller, carries its metadata and temperature;
the logits-only session gives the full session's logits."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from workbench.cli import main
from workbench.core import paths
from workbench.core.model.onnx_wire import WireError, keep_outputs
from workbench.core.model.quantize import (
    QuantizeError,
    calibration_images,
    file_sha256,
    float_path_of,
    int8_info,
    int8_path,
    int8_sibling,
    quantize_model,
)
from workbench.core.recognition.predictor import Predictor, as_batch

pytestmark = pytest.mark.skipif(not paths.SHIPPED_MODEL.is_file(), reason="no shipped model")


@pytest.fixture(scope="module")
def float_and_int8(tmp_path_factory, pattern_data):
    folder = tmp_path_factory.mktemp("int8")
    float_model = folder / "net.onnx"
    shutil.copyfile(paths.SHIPPED_MODEL, float_model)
    report = quantize_model(float_model, calibration_images(pattern_data[0], 200))
    return float_model, report


def test_the_int8_twin_agrees_with_the_float_model_and_is_smaller(float_and_int8, pattern_data):
    float_model, report = float_and_int8
    assert report.path == float_model.with_name("net.int8.onnx") == int8_path(float_model)
    assert report.n_calibration == 200 and report.int8_bytes == report.path.stat().st_size
    assert report.int8_bytes < 0.5 * report.float_bytes
    images = pattern_data[0][600:900].astype(np.float32) / 255  # not the calibration images
    full, quantised = Predictor(float_model, "cpu"), Predictor(report.path, "cpu")
    p = full.predict(images, activations=False).probabilities
    q = quantised.predict(images, activations=False).probabilities
    assert (p.argmax(1) == q.argmax(1)).mean() >= 0.95
    assert np.abs(p - q).mean() < 0.02


def test_the_int8_file_carries_the_spec_layers_card_and_its_source(float_and_int8):
    float_model, report = float_and_int8
    full, quantised = Predictor(float_model, "cpu"), Predictor(report.path, "cpu")
    assert quantised.spec == full.spec and quantised.layer_names == full.layer_names
    assert quantised.model_card() == full.model_card()
    info = int8_info(quantised.metadata)
    assert info is not None and int8_info(full.metadata) is None
    assert info["source"] == "net.onnx" and info["source_sha256"] == file_sha256(float_model)
    assert info["calibration_images"] == 200
    # the window's feature maps still come from every layer, in float
    outputs = quantised.predict(np.zeros((2, 28, 28), np.float32)).activations
    assert {name: a.dtype for name, a in outputs.items()} == dict.fromkeys(
        full.layer_names, np.float32
    )
    assert int8_sibling(float_model) == report.path and int8_sibling(report.path) == float_model
    assert float_path_of(report.path) == float_model
    with pytest.raises(QuantizeError, match="already an int8 model"):
        quantize_model(report.path, np.zeros((4, 28, 28), np.float32))


def test_a_temperature_on_the_logits_stays_a_float_division(tmp_path, pattern_data):
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(paths.SHIPPED_MODEL))
    last = next(node for node in model.graph.node if "logits" in node.output)
    last.output[0] = "raw_logits"
    model.graph.initializer.append(numpy_helper.from_array(np.array(2.5, np.float32), "temp"))
    model.graph.node.append(helper.make_node("Div", ["raw_logits", "temp"], ["logits"]))
    calibrated = tmp_path / "calibrated.onnx"
    onnx.save(model, str(calibrated))
    report = quantize_model(calibrated, calibration_images(pattern_data[0], 200))

    quantised = onnx.load(str(report.path))
    divide = next(node for node in quantised.graph.node if node.output[0] == "logits")
    assert divide.op_type == "Div"
    divisor = {i.name: numpy_helper.to_array(i) for i in quantised.graph.initializer}
    assert float(divisor[divide.input[1]]) == 2.5
    images = pattern_data[0][600:700].astype(np.float32) / 255
    plain = Predictor(paths.SHIPPED_MODEL, "cpu").run_logits(images)
    tempered = Predictor(report.path, "cpu").run_logits(images)
    assert np.abs(tempered - plain / 2.5).max() < 0.05 * np.abs(plain / 2.5).max()


def test_the_logits_only_session_matches_the_full_one_without_copying_ready_input():
    predictor = Predictor(paths.SHIPPED_MODEL, "cpu")
    assert [o.name for o in predictor.lean_session.get_outputs()] == ["logits"]
    assert len(predictor.session.get_outputs()) == 1 + len(predictor.layer_names)
    batch = np.random.default_rng(3).random((5, 1, 28, 28), dtype=np.float32)
    assert as_batch(batch) is batch
    assert as_batch(batch[:, :, :, ::-1]) is not batch  # not contiguous: copied
    assert as_batch(batch[:, 0]).shape == (5, 1, 28, 28)
    np.testing.assert_array_equal(predictor.run_logits(batch), predictor.run_raw(batch)[0])
    with pytest.raises(WireError):
        keep_outputs(paths.SHIPPED_MODEL.read_bytes(), {"no such output"})


def test_export_int8_from_onnx_writes_the_twin_and_its_card(tmp_path, tiny_mnist_dir, capsys):
    float_model = tmp_path / "mine.onnx"
    shutil.copyfile(paths.SHIPPED_MODEL, float_model)
    args = ["export", "--int8", "--from-onnx", str(float_model), "--data-dir", str(tiny_mnist_dir)]
    args.append("--no-verify")  # the tiny set is not MNIST: no official checksums
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "mine.int8.onnx" in out and "calibrated on 500 training images" in out
    card = json.loads((tmp_path / "mine.int8.json").read_text())
    predictor = Predictor(tmp_path / "mine.int8.onnx", "cpu")
    assert predictor.model_card() == card
    assert card["int8"]["n_test"] == 300 == card["test"]["n"]
    assert card["int8"]["test_accuracy"] == card["test"]["accuracy"]
    assert f"test accuracy {card['int8']['test_accuracy']:.2%}" in out
    assert main(["export", "--from-onnx", str(float_model)]) == 2  # --from-onnx needs --int8
    assert "goes with --int8" in capsys.readouterr().err


def test_the_shipped_int8_twin_belongs_to_the_shipped_float_model():
    twin = int8_path(paths.SHIPPED_MODEL)
    if not twin.is_file():
        pytest.skip("no int8 model shipped")
    info = int8_info(Predictor(twin, "cpu").metadata)
    assert info is not None and info["source_sha256"] == file_sha256(paths.SHIPPED_MODEL), (
        "models/lenet5.int8.onnx is stale: workbench export --int8 --from-onnx models/lenet5.onnx"
    )
    assert twin.with_suffix(".json").is_file()


def test_int8_accuracy_within_a_fifth_of_a_point_on_mnist_and_non_mnist(real_mnist_dir, tmp_path):
    from workbench.core.data.mnist import load_split
    from workbench.core.data.nonmnist import non_mnist_set
    from workbench.core.evaluation.evaluation import evaluate

    train_images, _ = load_split(real_mnist_dir, "train")
    test_images, test_labels = load_split(real_mnist_dir, "test")
    report = quantize_model(
        paths.SHIPPED_MODEL, calibration_images(train_images), tmp_path / "lenet5.int8.onnx"
    )
    full, quantised = Predictor(paths.SHIPPED_MODEL, "cpu"), Predictor(report.path, "cpu")
    reference = evaluate(full, test_images, test_labels).accuracy
    assert evaluate(quantised, test_images, test_labels).accuracy >= reference - 0.002
    other = non_mnist_set(1000, seed=14)
    scores = [
        float(
            (
                p.predict(other.images, activations=False).probabilities.argmax(1) == other.labels
            ).mean()
        )
        for p in (full, quantised)
    ]
    assert scores[1] >= scores[0] - 0.002
