"""Run folders: summaries for the runs table, rename, delete, checkpoints; listed without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core import paths
from workbench.core.training.loop import TrainConfig, train
from workbench.core.training.runs import (
    HISTORY_NAME,
    checkpoints,
    delete_run,
    list_summaries,
    new_run_dir,
    rename_run,
    summarise,
)

ROOT = Path(__file__).resolve().parents[2]
FAST = dict(batch_size=50, val_size=200, seed=3)


@pytest.fixture(scope="module")
def trained_run(pattern_data, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "two-epochs"
    for _ in train(
        TrainConfig(epochs=2, learning_rate=1e-3, augment=False, schedule="constant", **FAST),
        *pattern_data,
        run_dir=run_dir,
    ):
        pass
    return run_dir


def test_a_summary_has_what_the_table_shows(trained_run):
    summary = summarise(trained_run)
    assert summary.name == "two-epochs" and summary.state == "finished"
    assert summary.epochs_done == summary.epochs_planned == 2
    history = json.loads((trained_run / HISTORY_NAME).read_text())
    best = max(history["epochs"], key=lambda row: row["val_accuracy"])
    assert summary.best_val_accuracy == best["val_accuracy"]
    assert summary.best_epoch == best["epoch"]
    assert summary.seconds > 0 and summary.started
    assert summary.settings.startswith("LeNet-5 · ReLU · max pool · Adam lr 0.001")
    assert not summary.can_resume()
    assert [epoch for epoch, _ in checkpoints(trained_run)] == [1, 2]
    assert (trained_run / HISTORY_NAME).is_file()  # the name training writes is the one read


def test_a_stopped_run_can_resume(pattern_data, tmp_path):
    events = train(TrainConfig(epochs=3, **FAST), *pattern_data, run_dir=tmp_path / "stopped")
    for event in events:
        if getattr(event, "epoch", 0) == 2:
            events.close()
    summary = summarise(tmp_path / "stopped")
    assert summary.state == "stopped" and summary.epochs_done == 1 and summary.can_resume()


def test_listing_renaming_and_deleting(trained_run, tmp_path):
    root = tmp_path / "runs"
    first = new_run_dir("a run", root)
    assert first.name == "a-run"
    (first / HISTORY_NAME).write_text((trained_run / HISTORY_NAME).read_text())
    damaged = new_run_dir("damaged", root)
    (damaged / HISTORY_NAME).write_text("{not json")
    new_run_dir("no history yet", root)  # not a run until training writes its history
    summaries = list_summaries(root)
    assert [s.name for s in summaries] == ["damaged", "a-run"]
    assert summaries[0].state == "damaged" and "cannot read" in summaries[0].reason

    renamed = rename_run(first, "lecture: lr 0.01")
    assert renamed.name == "lecture-lr-0.01" and not first.exists()
    assert rename_run(renamed, "lecture-lr-0.01") == renamed
    with pytest.raises(FileExistsError):
        rename_run(renamed, "damaged")

    with pytest.raises(ValueError, match="not a run folder"):
        delete_run(root / "no-history-yet")
    assert (root / "no-history-yet").is_dir()
    delete_run(renamed)
    assert not renamed.exists()
    assert [s.name for s in list_summaries(root)] == ["damaged"]


def test_listing_runs_never_imports_torch(tmp_path):
    code = (
        "import sys\nfrom workbench.core.training.runs import list_summaries\n"
        "from workbench.core.training.comparisons import describe_difference, comparison_settings\n"
        "list_summaries()\nprint('torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WORKBENCH_HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert paths.runs_dir()  # the autouse private home is in place
