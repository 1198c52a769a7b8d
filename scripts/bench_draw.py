"""Draw-to-prediction latency of the Draw view, headless.

    python scripts/bench_draw.py [--runs 2000] [--model PATH]

Measures, on a canvas with a drawn 7:
  prediction  canvas QImage → numpy ink → to_mnist → predict (with activations) → top-2
  maps        the feature-map view taking that prediction (colour scales, tile images)
  paint       painting the whole feature-map view once (what the screen update costs)
  slot        the whole window slot run per coalesced mouse move (prediction + every view)
and prints the median and 95th percentile of each in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def timed(call, runs: int) -> tuple[np.ndarray, float]:
    """Wall-clock milliseconds of each run, and the mean CPU milliseconds (all threads) per run.

    On a busy machine the wall clock includes waiting for a core; the CPU time does not.
    """
    for _ in range(min(50, runs)):  # warm up: first runs allocate
        call()
    times = np.empty(runs)
    cpu_start = time.process_time()
    for index in range(runs):
        start = time.perf_counter()
        call()
        times[index] = time.perf_counter() - start
    cpu = (time.process_time() - cpu_start) / runs
    return times * 1000.0, cpu * 1000.0


def report(name: str, measured: tuple[np.ndarray, float]) -> None:
    times, cpu = measured
    median, p95 = np.median(times), np.percentile(times, 95)
    print(
        f"{name:<11} median {median:6.3f} ms   p95 {p95:6.3f} ms   cpu {cpu:6.3f} ms/run"
        f"   ({len(times)} runs)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from workbench.core import paths
    from workbench.core.recognition.predictor import Predictor
    from workbench.core.recognition.preprocessing import to_mnist
    from workbench.gui.main_window import MainWindow

    model = args.model or paths.SHIPPED_MODEL
    if not model.is_file():
        model = ROOT / "scratch" / "early.onnx"
    app = QApplication([])
    predictor = Predictor(model, device="cpu")
    os.environ.setdefault("WORKBENCH_HOME", str(ROOT / "build" / "bench-home"))
    window = MainWindow(predictor, model)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    canvas = window.draw_view.canvas
    canvas.draw_stroke([(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])
    app.processEvents()

    def prediction():
        image = to_mnist(canvas.ink())
        result = predictor.predict(image[None])
        return result.top(2)

    image = to_mnist(canvas.ink())
    result = predictor.predict(image[None])
    view = window.feature_view
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    machine = platform.processor() or platform.machine()
    print(
        f"model {model.name} ({predictor.provider}), {machine}, {os.cpu_count()} cores, "
        f"load average {load:.1f}, top-2 {prediction()[0]}"
    )
    report("prediction", timed(prediction, args.runs))
    report("maps", timed(lambda: view.set_input(image, result), args.runs))
    report("paint", timed(lambda: view.content.repaint(), max(200, args.runs // 5)))
    report("slot", timed(window._on_canvas_drawing_changed, args.runs))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
