"""Hardening in the window: two runs started at once are queued, never run side by side."""

from __future__ import annotations

from pathlib import Path

from workbench.core import paths
from workbench.core.training.runs import read_history

ONE_EPOCH = {
    "epochs": 1,
    "batch_size": 50,
    "val_size": 200,
    "augment": False,
    "schedule": "constant",
    "optimizer": "adam",
    "learning_rate": 1e-3,
    "seed": 3,
}


def test_two_runs_started_at_once_are_queued_one_after_another(qtbot, tiny_mnist_dir: Path):
    from workbench.gui.train.train_view import TrainView

    view = TrainView(data_folder=tiny_mnist_dir, verify=False)
    qtbot.addWidget(view)
    view.show()
    try:
        qtbot.waitUntil(view.data_panel.is_ready, timeout=10_000)
        view.form.set_settings(ONE_EPOCH)
        settings = view.form.config()
        with qtbot.waitSignal(
            view.training_changed, timeout=120_000, check_params_cb=lambda busy: not busy
        ):
            assert view.start(settings, "twice")
            assert view.start(settings, "twice")  # a double click, or Start pressed again
            assert view.trainer.is_training()
            assert [name for name, _ in view.trainer.pending] == ["twice"]
            assert [p.name for p in paths.runs_dir().iterdir()] == ["twice"]  # one at a time
        names = sorted(p.name for p in paths.runs_dir().iterdir())
        assert names == ["twice", "twice-2"]  # the second never overwrote the first
        for name in names:
            history = read_history(paths.runs_dir() / name)
            assert history["state"] == "finished" and len(history["epochs"]) == 1
    finally:
        view.shutdown()
