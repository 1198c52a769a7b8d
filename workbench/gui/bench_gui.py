"""Window figures for `workbench bench`: launch to first paint, and UI stalls while training."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_FIRST_PAINT = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from workbench.gui.app import create_window

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            print(f"{time.time():.6f}", flush=True)
            QTimer.singleShot(0, QApplication.instance().quit)
            watched.removeEventFilter(self)
        return False

app = QApplication(sys.argv[:1])
window = create_window()
probe = FirstPaint()
window.installEventFilter(probe)
window.show()
app.exec()
print("torch" in sys.modules)
"""


def first_paint_seconds(runs: int = 3) -> dict[str, Any]:
    """Seconds from starting a fresh Python process to the window's first paint (offscreen)."""
    times, torch_loaded = [], False
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_HOME": home}
            start = time.time()
            done = subprocess.run(
                [sys.executable, "-c", _FIRST_PAINT],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            )
            painted, torch_line = done.stdout.split()[:2]
            times.append(float(painted) - start)
            torch_loaded |= torch_line == "True"
    return {
        "first_paint_seconds": min(times),
        "first_paint_runs": times,
        "torch_imported_at_start": torch_loaded,
    }


def training_stall(data_dir: Path, epochs: int = 1) -> dict[str, Any]:
    """The largest event-loop gap while the Train view trains the default LeNet-5 for an epoch.

    The run goes to a temporary user folder, so the benchmark leaves no run in the user's list.
    """
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.gui.jobs.stall_probe import StallProbe
    from workbench.gui.train.train_view import TrainView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    home = os.environ.get("WORKBENCH_HOME")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["WORKBENCH_HOME"] = scratch
        try:
            view = TrainView()
            view.resize(1200, 800)
            view.show()
            app.processEvents()
            loop = QEventLoop()
            view.training_changed.connect(lambda busy: None if busy else loop.quit())
            QTimer.singleShot(20 * 60_000, loop.quit)  # a safety net, far beyond one epoch
            probe = StallProbe()
            probe.start()
            started = time.perf_counter()
            view.start_default_run(data_dir, epochs=epochs)
            if view.is_training():
                loop.exec()
            seconds = time.perf_counter() - started
            probe.stop()
            view.shutdown()
            view.close()
        finally:
            if home is None:
                os.environ.pop("WORKBENCH_HOME", None)
            else:
                os.environ["WORKBENCH_HOME"] = home
    return {
        "worst_stall_ms": probe.worst_ms,
        "stalls_over_50ms": probe.stalls,
        "p99_gap_ms": probe.percentile_ms(99),
        "training_seconds": seconds,
    }


def bench_window(data_dir: Path) -> dict[str, Any]:
    """Both window figures, with Qt offscreen (a benchmark needs no screen and shows nothing)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return {**first_paint_seconds(), **training_stall(data_dir)}
