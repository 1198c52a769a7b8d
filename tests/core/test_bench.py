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
