"""The history writer: a run's history.json, kept current while it trains (torch-free).

Written atomically at the start, after every epoch and at the end, so a run stopped or killed
at any moment leaves a history that agrees with its checkpoints. `runs.read_history` reads it.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from workbench import __version__
from workbench.core.fileio import write_json_atomic
from workbench.core.model.spec import ModelSpec
from workbench.core.training.config import TrainConfig
from workbench.core.training.events import BatchDone, EpochDone
from workbench.core.training.runs import HISTORY_NAME

BATCH_EVERY = 10  # the history keeps every 10th batch (and each epoch's last): the batch curve
EPOCH_KEYS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "learning_rate",
    "seconds",
)


def is_recorded(event: BatchDone) -> bool:
    """Whether the history (and so the batch curve) keeps this batch."""
    return (event.batch - 1) % BATCH_EVERY == 0 or event.batch == event.batches


def batch_row(event: BatchDone) -> list[float]:
    """[x in epochs, loss, accuracy], rounded as history.json stores them."""
    return [round(event.x, 4), round(event.loss, 5), round(event.accuracy, 4)]


class RunHistory:
    """The history of one run (`data`), written to `run_dir` if there is one."""

    def __init__(self, data: dict[str, Any], run_dir: Path | None):
        self.data = data
        self.run_dir = run_dir
        self._seconds_before = float(data.get("seconds", 0.0))
        self._started = time.perf_counter()

    @classmethod
    def begin(
        cls,
        run_dir: str | Path | None,
        config: TrainConfig,
        spec: ModelSpec,
        n_train: int,
        n_val: int,
        extra: dict[str, Any] | None = None,
    ) -> RunHistory:
        data = {
            "format": "workbench-run-1",
            "version": __version__,
            "config": dataclasses.asdict(config),
            "spec": spec.to_dict(),
            "state": "running",
            "reason": "",
            "epochs": [],
            "batches": [],
            "n_train": n_train,
            "n_val": n_val,
            "seconds": 0.0,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **(extra or {}),
        }
        return cls(data, Path(run_dir) if run_dir else None)

    @property
    def epochs_done(self) -> int:
        return len(self.data["epochs"])

    def elapsed(self) -> float:
        """Seconds since this run (or resume) started."""
        return time.perf_counter() - self._started

    def seconds(self) -> float:
        """Seconds of training in all, earlier sessions of a resumed run included."""
        return self._seconds_before + self.elapsed()

    def add_batch(self, event: BatchDone) -> None:
        if is_recorded(event):
            self.data["batches"].append(batch_row(event))

    def add_epoch(self, event: EpochDone) -> None:
        self.data["epochs"].append({key: getattr(event, key) for key in EPOCH_KEYS})
        self.save()

    def end(self, state: str, reason: str) -> None:
        self.data["state"], self.data["reason"] = state, reason
        self.data["ended_epoch"] = self.epochs_done
        self.save()

    def save(self) -> None:
        self.data["seconds"] = self.seconds()
        if self.run_dir is not None:
            write_json_atomic(self.run_dir / HISTORY_NAME, self.data)
