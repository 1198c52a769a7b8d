"""Train the default LeNet-5 in the Train view on real MNIST (offscreen): time, accuracy, stalls.

    python scripts/train_view_real.py [--data /work/shared/data/mnist] [--screenshot PNG]
    python scripts/train_view_real.py --compare "learning rate" --epochs 1 --screenshot PNG

Runs go to a temporary user folder unless --home is given. The stall probe ticks every 5 ms on
the window's event loop for the whole run; "during epochs" starts at the first batch (so it
leaves out torch's one-time import when the first run starts).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data/mnist")
    parser.add_argument("--home", help="user data folder for the runs (default: a temporary one)")
    parser.add_argument("--epochs", type=int, help="override the view's default epochs")
    parser.add_argument("--compare", help="queue a ready-made comparison instead of one run")
    parser.add_argument("--screenshot", help="save the view as PNG at the end")
    parser.add_argument("--epochs-screenshot", help="save the 'Across epochs' tab as PNG too")
    parser.add_argument("--no-verify", action="store_true", help="skip the MNIST MD5 check")
    args = parser.parse_args()
    os.environ["WORKBENCH_HOME"] = args.home or tempfile.mkdtemp(prefix="workbench-home-")

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.gui.jobs.stall_probe import StallProbe
    from workbench.gui.train.train_view import TrainView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = TrainView(data_folder=Path(args.data), verify=not args.no_verify)
    view.resize(1280, 820)
    view.show()
    if args.epochs:
        view.form.set_settings({"epochs": args.epochs})
    config = view.form.config()
    whole, during = StallProbe(), StallProbe()
    boundaries: list[float] = []  # when an epoch ended, or a run started or ended
    for signal in (view.trainer.epoch_done, view.run_started, view.run_finished):
        signal.connect(lambda *_args: boundaries.append(time.perf_counter()))
    loop = QEventLoop()
    finished: list[tuple[Path, str]] = []
    view.run_finished.connect(lambda run, state: finished.append((run, state)))
    view.training_changed.connect(lambda busy: None if busy else loop.quit())
    view.trainer.batch_done.connect(lambda _e: None if during.is_running() else during.start())

    collections: list[tuple[int, float]] = []  # (generation, ms) of the window's collections
    collecting: dict[str, float] = {}

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            collecting["t"] = time.perf_counter()
        elif "t" in collecting:
            collections.append((info["generation"], 1000 * (time.perf_counter() - collecting["t"])))

    gc.callbacks.append(on_gc)
    whole.start()
    started = time.perf_counter()
    if args.compare:
        view.queue_comparison(args.compare)
    else:
        view.start()
    QTimer.singleShot(4 * 3600 * 1000, loop.quit)
    loop.exec()
    wall = time.perf_counter() - started
    whole.stop()
    during.stop()

    from workbench.core.training.runs import read_history

    print(f"config: {config.to_dict()}")
    for run, state in finished:
        history = read_history(run)
        rows = history["epochs"]
        final = rows[-1]["val_accuracy"] if rows else None
        best = max((r["val_accuracy"] for r in rows), default=None)
        reach = next((r for r in rows if r["val_accuracy"] >= 0.99), None)
        print(
            f"run {run.name}: {state} ({history.get('reason', '')}), {len(rows)} epochs, "
            f"training {history['seconds']:.0f} s, torch threads "
            f"{history['config'].get('threads')}"
        )
        if final is not None:
            print(
                f"  validation accuracy: final {final:.2%}, best {best:.2%}"
                + (
                    f"; 99 % first reached after epoch {reach['epoch']} at {reach['seconds']:.0f} s"
                    if reach
                    else "; 99 % not reached"
                )
            )
    gc.callbacks.remove(on_gc)
    full = [ms for generation, ms in collections if generation == 2]
    print(
        f"window's garbage collections: {len(collections)}, of which {len(full)} full, "
        f"longest {max((ms for _, ms in collections), default=0):.0f} ms"
    )
    print(f"wall time from Start to the end: {wall:.0f} s")
    print(f"whole job:     {whole.report()}")
    print(f"from the first batch on: {during.report()}")
    # A tick late within a second of a boundary (an epoch's results, a run starting or ending)
    # is counted there; the others came while an epoch trained.
    worst, over = during.worst_ms_away_from(boundaries, margin=1.0)
    print(
        f"while epochs trained (over 1 s from a boundary): worst stall {worst:.0f} ms, "
        f"{over} over 50 ms"
    )
    near = [gap for at, gap in during.samples if any(abs(at - b) <= 1.0 for b in boundaries)]
    print(
        f"at boundaries: worst stall {max(near, default=0):.0f} ms, "
        f"{sum(gap > 50 for gap in near)} over 50 ms"
    )
    if args.screenshot:
        view.tabs.setCurrentWidget(view.curves)
        app.processEvents()
        Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
        view.grab().save(args.screenshot)
        print(f"screenshot: {args.screenshot}")
    if args.epochs_screenshot and finished:
        view.tabs.setCurrentWidget(view.scrubber)
        view.scrubber.set_run(finished[-1][0])
        app.processEvents()
        view.scrubber.show_epoch(view.scrubber.epochs[-1][0])
        app.processEvents()
        view.grab().save(args.epochs_screenshot)
        print(f"screenshot: {args.epochs_screenshot}")
    view.shutdown()
    return 0 if finished and all(state != "failed" for _, state in finished) else 1


if __name__ == "__main__":
    sys.exit(main())
