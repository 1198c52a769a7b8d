"""`workbench bench` measures what it says: a quick run of its core on small data."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench.core import bench, paths
from workbench.core.model.quantize import int8_path

pytestmark = pytest.mark.skipif(not paths.SHIPPED_MODEL.is_file(), reason="no shipped model")


def test_inference_figures_are_measured_and_printed(pattern_data):
    images, labels = pattern_data[0][:300], pattern_data[1][:300]
    report = bench.bench_inference(paths.SHIPPED_MODEL, "cpu", 2, images, labels, runs=20)
    figures = report.figures
    assert figures["parity_max_abs_difference"] < 1e-4  # the same weights in both runtimes
    single = figures["single_digit"]
    for runtime in ("onnxruntime", "torch"):
        assert 0 < single[runtime]["median_ms"] <= single[runtime]["p95_ms"]
        assert single[runtime]["runs"] == 20
    assert single["speedup_float"] == pytest.approx(
        single["torch"]["median_ms"] / single["onnxruntime"]["median_ms"]
    )
    assert single["speedup_median"] == pytest.approx(
        single["torch"]["median_ms"] / single[single["fastest"]]["median_ms"]
    )
    assert figures["draw_to_prediction"]["median_ms"] > 0
    assert figures["test_set"]["n"] == 300 and figures["test_set"]["onnxruntime_seconds"] > 0
    assert report.machine["cores"] >= 1 and report.machine["provider"] == "CPUExecutionProvider"
    text = bench.format_report(report)
    assert "single-digit inference" in text and "300 test images" in text
    assert f"{figures['test_set']['speedup']:.1f} × torch" in text


def test_the_int8_twin_is_timed_beside_the_float_model(pattern_data, tmp_path):
    from workbench.core.model.quantize import calibration_images, quantize_model

    images, labels = pattern_data[0][:300], pattern_data[1][:300]
    twin = quantize_model(
        paths.SHIPPED_MODEL, calibration_images(pattern_data[0][600:], 100), tmp_path / "t.onnx"
    ).path
    report = bench.bench_inference(
        paths.SHIPPED_MODEL, "cpu", 2, images, labels, runs=20, int8_model=twin
    )
    single, test_set = report.figures["single_digit"], report.figures["test_set"]
    assert single["onnxruntime_int8"]["runs"] == 20
    assert single["fastest"] in ("onnxruntime", "onnxruntime_int8")
    assert test_set["int8_seconds"] > 0
    assert abs(test_set["int8_accuracy"] - test_set["accuracy"]) <= 0.05
    seconds = {"float": test_set["onnxruntime_seconds"], "int8": test_set["int8_seconds"]}
    assert test_set["fastest"] == min(seconds, key=seconds.__getitem__)
    assert test_set["speedup"] == pytest.approx(
        test_set["torch_seconds"] / seconds[test_set["fastest"]]
    )
    text = bench.format_report(report)
    assert "onnxruntime int8" in text and "onnxruntime float" in text


def test_without_pyside6_the_window_figures_say_why(monkeypatch):
    assert bench.window_unavailable() is None  # this environment has the GUI
    monkeypatch.setitem(sys.modules, "PySide6", None)
    assert "PySide6 cannot be imported" in bench.window_unavailable()


def test_bench_without_pyside6_skips_the_window_and_says_so(real_mnist_dir, tmp_path):
    """The whole command in a Python where PySide6 cannot be imported."""
    script = (
        "import sys; sys.modules['PySide6'] = None\n"
        "from workbench.cli import main\n"
        f"sys.exit(main(['bench', '--data-dir', {str(real_mnist_dir)!r}, '--skip-training', "
        "'--runs', '5']))"
    )
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "skipping the window figures: PySide6 cannot be imported" in done.stderr
    assert "window figures skipped: PySide6" in done.stdout
    assert "10,000 test images" in done.stdout
    if int8_path(paths.SHIPPED_MODEL).is_file():
        assert "onnxruntime int8" in done.stdout and "int8 model: accuracy" in done.stdout


def test_non_mnist_figure_is_the_models_accuracy_on_the_set():
    from workbench.core.data.nonmnist import identity, non_mnist_set
    from workbench.core.recognition.predictor import Predictor

    figure = bench.bench_non_mnist(paths.SHIPPED_MODEL, "cpu", 2, count=60)
    digits = non_mnist_set(60, 14)
    answers = Predictor(paths.SHIPPED_MODEL, "cpu").predict(digits.images, activations=False)
    right = answers.probabilities.argmax(axis=1) == digits.labels
    assert figure["accuracy"] == float(right.mean()) and figure["n"] == 60
    assert figure["correct"] == int(right.sum())
    assert figure["identity"] == identity(60, 14)
    assert sum(row["n"] for row in figure["by_source"].values()) == 60
    report = bench.BenchReport(
        machine={
            "workbench": "x",
            "cores": 2,
            "cpu": "cpu",
            "onnxruntime": "1",
            "provider": "CPU",
            "threads": 2,
        },
        figures={
            "single_digit": {
                "threads": 1,
                "onnxruntime": {"median_ms": 1.0, "p95_ms": 2.0},
                "torch": {"median_ms": 1.0, "p95_ms": 2.0},
                "speedup_median": 1.0,
            },
            "draw_to_prediction": {"median_ms": 1.0, "p95_ms": 2.0},
            "non_mnist": figure,
        },
    )
    text = bench.format_report(report)
    version, digest = figure["identity"]["version"], figure["identity"]["fonts_digest"]
    expected = f"non-MNIST digits: accuracy {right.mean():.2%} of 60 (non-mnist v{version}, seed 14"
    assert expected in text and f"fonts {digest})" in text
