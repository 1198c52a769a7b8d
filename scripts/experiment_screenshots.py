"""Screenshots of the course experiments in the Train view (offscreen, 1366×768), from runs that
`workbench compare` left in a user data folder, and each experiment's note printed.

    WORKBENCH_HOME=H workbench compare cnn-vs-mlp --epochs 2   # … and the other three
    python scripts/experiment_screenshots.py --home H [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

RUNS = {
    "cnn vs mlp": ["arch-lenet5", "arch-mlp"],
    "activation": ["activation-relu", "activation-sigmoid", "activation-tanh", "activation-none"],
    "initialisation": ["init-default", "init-zeros", "init-constant"],
    "overfitting": [
        "overfit-none",
        "overfit-dropout",
        "overfit-weight-decay",
        "overfit-augmentation",
        "overfit-early-stop",
    ],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, help="the user data folder holding runs/")
    parser.add_argument("--data", default="/work/shared/data/mnist")
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()
    os.environ["WORKBENCH_HOME"] = args.home

    from PySide6.QtWidgets import QApplication

    from workbench.core import paths
    from workbench.gui.train.train_view import TrainView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = TrainView(data_folder=Path(args.data), verify=True)
    view.resize(1366, 768)
    view.show()
    deadline = time.monotonic() + 120
    while not view.data_panel.is_ready() and time.monotonic() < deadline:  # the MD5 check
        app.processEvents()
        time.sleep(0.05)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for experiment, names in RUNS.items():
        runs = [paths.runs_dir() / name for name in names]
        if not all(run.is_dir() for run in runs):
            print(f"{experiment}: runs missing, skipped")
            continue
        view.tabs.setCurrentWidget(view.curves)
        view.runs.select_paths(runs)
        note = view.note.show_runs(experiment, runs)
        app.processEvents()
        target = out / f"experiment-{experiment.replace(' ', '-')}.png"
        view.grab().save(str(target))
        print(f"{target}\n  {note}\n")
        if experiment == "initialisation":  # the filters: all alike with a constant (zeros: blank)
            for run in runs[2:]:
                view.tabs.setCurrentWidget(view.scrubber)
                view.scrubber.set_run(run)
                app.processEvents()
                if not view.scrubber.epochs:
                    continue  # diverged before its first checkpoint
                view.scrubber.show_epoch(view.scrubber.epochs[-1][0])
                app.processEvents()
                target = out / f"experiment-{run.name}-filters.png"
                view.grab().save(str(target))
                print(target)
    view.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
