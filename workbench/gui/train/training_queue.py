"""Runs waiting to train and the one training now: one StreamJob, one run after another."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.core.training.config import TrainConfig
from workbench.core.training.curve import CurveData, curve_data
from workbench.core.training.events import (
    BatchDone,
    EpochDone,
    JobStarted,
    RunEnded,
    RunStarted,
    event_to_dict,
)
from workbench.core.training.history import batch_row, is_recorded
from workbench.core.training.job import DataHandOff, DataSource, is_progress, training_job
from workbench.core.training.runs import new_run_dir, read_history
from workbench.gui.jobs.stream_worker import StreamJob
from workbench.gui.train.runs_table import duration


class TrainingQueue(QObject):
    """Queue runs (new ones, or resumes) and train them in order; Stop drops the rest.

    `live` holds the curves of the run that trains now; the signals say when to redraw.
    """

    run_started = Signal(Path)
    batch_done = Signal(object)  # BatchDone: every one the curves keep, others ~10 a second
    epoch_done = Signal(Path)
    run_ended = Signal(Path, str, str)  # run folder, state, reason (also "stopped" by Stop)
    run_failed = Signal(object, object)  # run folder or None, exception
    message = Signal(str, bool)  # text, is it bad news
    busy_changed = Signal(bool)

    def __init__(self, runs_root: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.runs_root = runs_root
        self.pending: list[tuple[str, TrainConfig | Path]] = []  # (name, config | resume)
        self.active: Path | None = None
        self.active_config: TrainConfig | None = None
        self.live = CurveData()
        self.planned = (1, 0, 0)  # first epoch, epochs, batches per epoch
        self.last_batch: BatchDone | None = None
        self._started = 0.0
        self._job = StreamJob(is_progress=is_progress, parent=self)
        self._job.event_received.connect(self._on_job_event_received)
        self._job.job_ended.connect(self._on_job_job_ended)
        self._job.job_failed.connect(self._on_job_job_failed)

    # -- commands -----------------------------------------------------------------------------

    def add(self, name: str, config: TrainConfig) -> None:
        self.pending.append((name, config))

    def add_resume(self, run_dir: Path) -> None:
        self.pending.append((run_dir.name, Path(run_dir)))

    def start_next(self, source: DataSource, cache: DataHandOff) -> bool:
        """Start the next queued run unless one trains; True if one started."""
        if self._job.is_busy() or not self.pending:
            return False
        name, what = self.pending.pop(0)
        if isinstance(what, Path):
            run_dir, config, resume = (
                what,
                TrainConfig.from_dict(read_history(what)["config"]),
                True,
            )
        else:
            run_dir, config, resume = new_run_dir(name, self.runs_root), what, False
        self._job.start(lambda: training_job(config, run_dir, resume, source, cache))
        self.active, self.active_config = run_dir, config
        self.live = curve_data(read_history(run_dir)) if resume else CurveData()
        self.live.end = None
        self.last_batch = None
        self._started = time.perf_counter()
        self.busy_changed.emit(True)
        return True

    def stop(self) -> int:
        """Stop the training run (it ends within a second) and drop the queue; how many dropped."""
        dropped = len(self.pending)
        self.pending.clear()
        self._job.cancel()
        return dropped

    def is_busy(self) -> bool:
        return self._job.is_busy() or bool(self.pending)

    def is_training(self) -> bool:
        return self._job.is_busy()

    def shutdown(self) -> None:
        self.pending.clear()
        self._job.wait()

    def progress(self) -> tuple[int, int, str]:
        """(done, total, text) of the training run: epoch, batch and time left."""
        event = self.last_batch
        first, epochs, batches = self.planned
        if event is None or self.active is None:
            return 0, 0, f"{self.active.name}: loading the data…" if self.active else ""
        total = max((epochs - first + 1) * batches, 1)
        done = (event.epoch - first) * batches + event.batch
        left = (time.perf_counter() - self._started) / max(done, 1) * (total - done)
        queued = f" (+{len(self.pending)} queued)" if self.pending else ""
        return (
            done,
            total,
            (
                f"{self.active.name}{queued} · epoch {event.epoch} of {epochs} · "
                f"batch {event.batch} of {event.batches} · {duration(left)} left"
            ),
        )

    # -- job events ---------------------------------------------------------------------------

    def _on_job_event_received(self, event: Any) -> None:
        if isinstance(event, BatchDone):
            self.last_batch = event
            if is_recorded(event):  # the batches history.json keeps: the same curve after
                self.live.add_batch(*batch_row(event))
            self.batch_done.emit(event)
        elif isinstance(event, JobStarted):
            self.run_started.emit(event.run_dir)
        elif isinstance(event, RunStarted):
            self.planned = (event.first_epoch, event.epochs, event.batches_per_epoch)
            self._started = time.perf_counter()
            self.message.emit(
                f"Training {self.active.name}: {event.n_train:,} images, {event.n_val:,} held "
                f"out for validation, {event.threads} torch thread(s).",
                False,
            )
        elif isinstance(event, EpochDone):
            self.live.add_epoch(event_to_dict(event))
            self.epoch_done.emit(self.active)
        elif isinstance(event, RunEnded):
            self.live.set_end(event.state, event.epoch)
            self.message.emit(
                f"{self.active.name} {event.state}: {event.reason} ({duration(event.seconds)}).",
                event.state in ("diverged", "stalled"),
            )

    def _on_job_job_ended(self, cancelled: bool) -> None:
        run_dir, self.active = self.active, None
        if run_dir is None:
            return
        history = read_history(run_dir)
        state, reason = str(history.get("state", "stopped")), str(history.get("reason", ""))
        if cancelled:
            done = len(history.get("epochs", []))
            self.live.set_end("stopped", done)
            self.message.emit(
                f"{run_dir.name} stopped after epoch {done}; its checkpoint and "
                "history are kept (select it and press Resume).",
                False,
            )
        self.run_ended.emit(run_dir, state, reason)  # the view may start the next run here
        if not self.is_busy():
            self.busy_changed.emit(False)

    def _on_job_job_failed(self, exc: Exception) -> None:
        run_dir, self.active = self.active, None
        self.pending.clear()
        if run_dir is not None and run_dir.is_dir() and not any(run_dir.iterdir()):
            run_dir.rmdir()  # the run never started (no data): leave no empty folder behind
            run_dir = None
        self.message.emit(f"Training failed: {exc}", True)
        self.run_failed.emit(run_dir, exc)
        self.busy_changed.emit(False)
