"""`workbench bench` measures what it says: a quick run of its core on small data."""

from __future__ import annotations

import pytest

from workbench.core import bench, paths

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
    assert single["speedup_median"] == pytest.approx(
        single["torch"]["median_ms"] / single["onnxruntime"]["median_ms"]
    )
    assert figures["draw_to_prediction"]["median_ms"] > 0
    assert figures["test_set"]["n"] == 300 and figures["test_set"]["onnxruntime_seconds"] > 0
    assert report.machine["cores"] >= 1 and report.machine["provider"] == "CPUExecutionProvider"
    text = bench.format_report(report)
    assert "single-digit inference" in text and "300 test images" in text


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
