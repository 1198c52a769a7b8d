"""Render every view of the window headless to docs/screenshots/*.png (for the README and slides).

    python scripts/screenshots.py [--model PATH] [--out docs/screenshots]

Runs offscreen (no display needed), with a private settings folder so your own window state
is neither used nor changed.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# A 7 as a hand draws it: a slightly rising bar, a stem that curves a little.
SEVEN = [
    [(0.24 + 0.5 * t / 12, 0.22 - 0.02 * math.sin(math.pi * t / 12)) for t in range(13)]
    + [
        (0.74 - 0.26 * t / 16 - 0.03 * math.sin(math.pi * t / 16), 0.22 + 0.62 * t / 16)
        for t in range(1, 17)
    ]
]


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    os.environ["WORKBENCH_HOME"] = tempfile.mkdtemp(prefix="workbench-shots-")

    from PySide6.QtWidgets import QApplication

    import workbench.gui  # noqa: F401 - its guard must run before Qt is used
    from workbench.core import paths
    from workbench.core.recognition.predictor import Predictor
    from workbench.gui.main_window import MainWindow
    from workbench.gui.menus import LOAD, sample_files
    from workbench.gui.widgets.export_image import save_widget_png

    model = args.model or paths.SHIPPED_MODEL
    if not model.is_file():
        model = ROOT / "scratch" / "early.onnx"
        print(f"note: {paths.SHIPPED_MODEL.name} is missing; using {model}")
    app = QApplication([])
    app.setApplicationDisplayName("LeNet digit workbench")
    window = MainWindow(Predictor(model, device="cpu"), model)
    window.resize(1360, 860)
    window.show()
    settle(app)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    shots = []

    def shot(widget, name: str) -> None:
        shots.append(save_widget_png(widget, out / f"{name}.png"))

    for stroke in SEVEN:
        window.draw_view.canvas.draw_stroke(stroke)
    settle(app)
    shot(window, "window")
    shot(window.draw_view, "draw")
    shot(window.feature_view.export_widget(), "feature-maps")
    conv1 = window.feature_view.sections["conv1"].body
    conv1.tile_clicked.emit(2)
    settle(app)
    dialog = window.feature_view.detail_dialog()
    if dialog is not None:
        dialog.resize(640, 700)
        settle(app)
        shot(dialog, "map-detail")
        dialog.hide()
    window.set_why(True)
    settle(app, 0.6)
    shot(window.draw_view.panel, "why")
    window.set_why(False)

    samples = [p for p in sample_files() if "page" in p.name] or sample_files()
    if samples:
        window.tabs.setCurrentIndex(LOAD)
        window.load_view.open_path(samples[0])
        while window.load_view.is_loading():
            settle(app, 0.05)
        settle(app)
        shot(window.load_view, "load")
    window.close()
    for path in shots:
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
            f"{path.stat().st_size / 1000:.0f} kB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
