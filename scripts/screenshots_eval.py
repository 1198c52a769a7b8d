"""Render the Evaluate and Anatomy views headless to docs/screenshots/{evaluate,anatomy}.png.

    python scripts/screenshots_eval.py [--model PATH] [--data-dir DIR] [--out docs/screenshots]

The model is --model, else the shipped models/lenet5.onnx, else a LeNet-5 built and exported
here with its initial weights (its matrix then shows an untrained network). The test set is
--data-dir, else /work/shared/data/mnist when it holds the files, else the user's data folder;
without it the Evaluate view shows the matrix stored in the model card. Runs offscreen.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
SHARED_DATA = Path("/work/shared/data/mnist")


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def pick_model(explicit: Path | None) -> Path:
    from workbench.core import paths

    if explicit is not None:
        return explicit
    if paths.SHIPPED_MODEL.is_file():
        return paths.SHIPPED_MODEL
    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import build_network
    from workbench.core.model.spec import PRESETS

    path = Path(tempfile.mkdtemp(prefix="workbench-shots-")) / "lenet5-untrained.onnx"
    export_onnx(build_network(PRESETS["lenet5"], seed=0), path)
    print(f"note: {paths.SHIPPED_MODEL.name} is missing; using an untrained LeNet-5 ({path})")
    return path


def pick_data(explicit: Path | None) -> Path:
    from workbench.core import paths
    from workbench.core.data.mnist import TEST_IMAGES

    if explicit is not None:
        return explicit
    if (SHARED_DATA / TEST_IMAGES).is_file():
        return SHARED_DATA
    return paths.data_dir()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    os.environ["WORKBENCH_HOME"] = tempfile.mkdtemp(prefix="workbench-shots-")

    from PySide6.QtWidgets import QApplication

    from workbench.core.recognition.predictor import Predictor
    from workbench.gui.anatomy.anatomy_view import AnatomyView
    from workbench.gui.evaluate.evaluate_view import EvaluateView
    from workbench.gui.widgets.export_image import save_widget_png

    app = QApplication([])
    predictor = Predictor(pick_model(args.model), device="cpu")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    shots = []

    evaluate = EvaluateView()
    evaluate.set_data_folder(pick_data(args.data_dir))
    evaluate.set_predictor(predictor)
    evaluate.resize(1180, 860)
    finished = []
    evaluate.evaluation_finished.connect(finished.append)
    evaluate.show()
    deadline = time.monotonic() + 120
    while evaluate.is_busy() and time.monotonic() < deadline:
        settle(app, 0.05)
    result = evaluate.result()
    if result is None:
        print("error: no evaluation to show (no test data and no stored matrix)")
        return 1
    if result.top_confused:  # open the gallery of the most confused pair
        pair = result.top_confused[0]
        evaluate.show_cell(pair.true, pair.pred)
    settle(app)
    shots.append(save_widget_png(evaluate, out / "evaluate.png"))
    where = "stored in the model card" if evaluate.is_stored() else "computed now"
    print(f"evaluate: accuracy {result.accuracy:.2%} ({where}), {result.seconds:.3f} s inference")
    evaluate.shutdown()

    anatomy = AnatomyView()
    anatomy.set_predictor(predictor)
    anatomy.resize(1180, 760)
    anatomy.show()
    settle(app)
    shots.append(save_widget_png(anatomy, out / "anatomy.png"))
    for path in shots:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"{shown}: {path.stat().st_size / 1000:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
