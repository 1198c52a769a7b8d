"""The Train view: set up a run, watch its curves live, keep and compare runs, use one as the model.

Each run trains in its own process (core/training/process.py), whose events a StreamJob thread
reads (core/training/job.py); this view only starts, shows and stops it, so the window keeps its
core and its GIL while the other core trains.

Wiring into the main window: put `TrainView()` in the Train tab, connect `model_chosen(Path)` to
the window's open_model, call `set_input(image)` with the current digit, and call
`confirm_close(self)` from closeEvent.
"""

from __future__ import annotations

import dataclasses
import html
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core import paths
from workbench.core.training.comparisons import comparison_settings
from workbench.core.training.config import TrainConfig
from workbench.core.training.curve import overlay
from workbench.core.training.experiment_notes import NOTES
from workbench.core.training.job import DataHandOff, DataSource
from workbench.core.training.runs import list_summaries, summarise
from workbench.gui.train.curves import CurvesPanel
from workbench.gui.train.data_panel import DataPanel
from workbench.gui.train.epoch_scrubber import EpochScrubber
from workbench.gui.train.experiment_note import ExperimentNote
from workbench.gui.train.run_actions import RunActions
from workbench.gui.train.runs_table import RunsPanel
from workbench.gui.train.train_form import TrainForm
from workbench.gui.train.training_queue import TrainingQueue

CURVE_INTERVAL = 0.2  # seconds between two redraws of the live curves
FRAME_MS = 100  # while training, the view draws what changed at most this often


class TrainView(RunActions, QWidget):
    """Signals: run_started(Path), run_finished(Path, state), training_changed(bool),
    model_chosen(Path) (an exported run's ONNX file), data_folder_changed(Path)."""

    run_started = Signal(Path)
    run_finished = Signal(Path, str)
    training_changed = Signal(bool)
    model_chosen = Signal(Path)
    data_folder_changed = Signal(Path)

    def __init__(
        self,
        parent: QWidget | None = None,
        data_folder: Path | None = None,
        verify: bool = True,
        runs_root: Path | None = None,
    ):
        super().__init__(parent)
        self.runs_root = Path(runs_root) if runs_root else paths.runs_dir()
        self.source = DataSource(Path(data_folder) if data_folder else paths.data_dir(), verify)
        self.cache = DataHandOff()
        self.trainer = TrainingQueue(self.runs_root, self)
        self._group: list[Path] | None = None  # runs of the comparison training now, overlaid
        self._experiment: str | None = None  # the experiment those runs are, for its note
        self._drawn = 0.0  # when the live curves were last redrawn
        self._dirty: set[str] = set()  # what the next frame draws: "batch", "epoch", "row"
        self._frame_timer = QTimer(self, interval=FRAME_MS)
        self._frame_timer.timeout.connect(self._on_frame_timer_timeout)

        self.data_panel = DataPanel(self.source.folder, verify)
        self.form = TrainForm()
        self.form.setFixedWidth(330)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("No run is training")
        self.progress.setValue(0)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.curves = CurvesPanel()
        self.scrubber = EpochScrubber()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.curves, "Curves")
        self.tabs.addTab(self.scrubber, "Across epochs")
        self.runs = RunsPanel()
        self.note = ExperimentNote()
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.tabs)
        right.addWidget(self.runs)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        column = QVBoxLayout()
        column.addWidget(self.progress)
        column.addWidget(self.status)
        column.addWidget(self.note)
        column.addWidget(right, 1)
        body = QHBoxLayout()
        body.addWidget(self.form)
        body.addLayout(column, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.data_panel)
        layout.addLayout(body, 1)
        self._init_actions()
        self._wire()
        self.refresh_runs()
        self.data_panel.check()

    def _wire(self) -> None:
        self.form.start_requested.connect(self._on_form_start_requested)
        self.form.stop_requested.connect(self.stop)
        self.form.comparison_requested.connect(self.queue_comparison)
        self.runs.selection_changed.connect(self._on_runs_selection_changed)
        self.runs.resume_requested.connect(self.resume)
        self.runs.rename_requested.connect(self.rename_run)
        self.runs.delete_requested.connect(self.delete_runs)
        self.runs.use_requested.connect(self.use_run)
        self.data_panel.data_ready.connect(self._on_data_panel_data_ready)
        self.data_panel.folder_changed.connect(self._on_data_panel_folder_changed)
        self.trainer.run_started.connect(self._on_trainer_run_started)
        self.trainer.batch_done.connect(self._on_trainer_batch_done)
        self.trainer.epoch_done.connect(self._on_trainer_epoch_done)
        self.trainer.run_ended.connect(self._on_trainer_run_ended)
        self.trainer.run_failed.connect(self._on_trainer_run_failed)
        self.trainer.message.connect(self._say)
        self.trainer.busy_changed.connect(self._on_trainer_busy_changed)

    @property
    def active(self) -> Path | None:
        return self.trainer.active

    # -- commands (buttons, the window, tests, scripts) ---------------------------------------

    def set_data_source(
        self,
        folder: Path | None = None,
        verify: bool = True,
        images: np.ndarray | None = None,
        labels: np.ndarray | None = None,
    ) -> None:
        """Train from an MNIST folder (checked first), or from arrays (tests, scripts)."""
        self.cache.forget()
        if images is not None:
            self.source = DataSource(folder, verify, np.asarray(images), np.asarray(labels))
            self.data_panel.set_arrays(len(images))
        else:
            self.source = DataSource(Path(folder) if folder else paths.data_dir(), verify)
            self.data_panel.use_folder(self.source.folder, verify)

    def set_input(self, image: np.ndarray | None) -> None:
        """The current digit (28×28, ink 1 on paper 0), for the feature maps across epochs."""
        self.scrubber.set_input(image)

    def start(self, config: TrainConfig | None = None, name: str | None = None) -> bool:
        """Queue a run of `config` (default: the form's); False if the config is bad."""
        try:
            config = config if config is not None else self.form.config()
            config.validate()
        except ValueError as exc:
            self._say(str(exc), True)
            return False
        if not self._data_usable():
            return False
        self.trainer.add(name or self.form.run_name() or _auto_name(config), config)
        self._group = None
        self._start_next()
        return True

    def start_default_run(
        self, data_folder: Path | None = None, epochs: int | None = None, verify: bool = True
    ) -> bool:
        """The default LeNet-5 run (benchmarks, scripts), from `data_folder` if given."""
        if data_folder is not None:
            self.set_data_source(Path(data_folder), verify)
        config = TrainConfig()
        return self.start(dataclasses.replace(config, epochs=epochs) if epochs else config)

    def queue_comparison(self, comparison: str) -> list[str]:
        """Queue the runs of a ready-made comparison on the form's config; their names."""
        try:
            base = self.form.config()
        except ValueError as exc:
            self._say(str(exc), True)
            return []
        if not self._data_usable():
            return []
        runs = comparison_settings(comparison, base.to_dict())
        for name, settings in runs:
            self.trainer.add(name, TrainConfig.from_dict(settings))
        self._group = []
        self._experiment = comparison if comparison in NOTES else None
        self.note.clear_note()
        self._say(
            f"Comparing {comparison}: {len(runs)} runs queued, trained one after another "
            f"with seed {base.seed}."
        )
        self._start_next()
        return [name for name, _ in runs]

    def resume(self, run_dir: Path) -> bool:
        """Continue a stopped run from its last checkpoint."""
        summary = summarise(run_dir)
        if not summary.can_resume() or Path(run_dir) == self.active:
            self._say(f"{summary.name} cannot be resumed ({summary.state}).", True)
            return False
        self.trainer.add_resume(Path(run_dir))
        self._group = None
        self._start_next()
        return True

    def stop(self) -> None:
        """Stop the run that trains now (within a second) and drop the queued ones."""
        dropped = self.trainer.stop()
        self._say("Stopping…" + (f" ({dropped} queued runs dropped)" if dropped else ""))
        self.refresh_runs()

    def is_training(self) -> bool:
        return self.trainer.is_busy()

    def shutdown(self) -> None:
        """Stop everything and wait for the threads (closeEvent, test teardown)."""
        self.trainer.shutdown()
        self.data_panel.shutdown()
        self.scrubber.shutdown()
        self._shutdown_actions()

    def confirm_close(self, parent: QWidget | None = None) -> bool:
        """For closeEvent: ask while a run trains; on yes (or when idle) stop cleanly."""
        if self.is_training():
            answer = QMessageBox.question(
                parent or self,
                "Training is running",
                "A run is training. Stop it and close? Its history and its last finished "
                "epoch's checkpoint are kept, and it can be resumed later.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self.shutdown()
        return True

    def refresh_runs(self) -> None:
        self.runs.set_runs(
            list_summaries(self.runs_root), self.active, [name for name, _ in self.trainer.pending]
        )
        self.runs.set_busy_paths({self.active} if self.active else set())

    def _data_usable(self) -> bool:
        """Ready, or being checked (the run starts when it is ready); else say why not."""
        if self.data_panel.is_ready() or self.data_panel.is_busy():
            return True
        self._say("The training data is not ready: see the line at the top.", True)
        return False

    def _start_next(self) -> None:
        if self.trainer.is_training() or not self.trainer.pending:
            return
        if not self.data_panel.is_ready():
            if self.data_panel.is_busy():
                self._say("Checking the training data; the run starts when it is ready.")
                return  # data_ready starts it
            self.trainer.pending.clear()
            self._say("The training data is not ready: see the line at the top.", True)
            return
        self.trainer.start_next(self.source, self.cache)
        self.form.set_running(True)
        self.progress.setRange(0, 0)
        self.progress.setFormat(self.trainer.progress()[2])
        self.refresh_runs()

    # -- training events ----------------------------------------------------------------------

    def _on_trainer_run_started(self, run_dir: Path) -> None:
        if self._group is not None:
            self._group.append(run_dir)
        self.refresh_runs()
        self.runs.select_paths([run_dir], emit=False)
        self._show_curves(self._group if self._group and len(self._group) > 1 else [run_dir])
        self.scrubber.set_run(run_dir)
        self.run_started.emit(run_dir)

    def _on_trainer_batch_done(self, _event: object) -> None:
        self._dirty.add("batch")  # drawn by the next frame, never here: events come in bursts
        if self.active is not None and self.runs.summary(self.active) is None:
            self._dirty.add("row")  # its history.json exists now: list it from its first batch

    def _on_trainer_epoch_done(self, run_dir: Path) -> None:
        self._dirty.update(("epoch", "row"))

    def _on_frame_timer_timeout(self) -> None:
        """Draw what changed, a bounded amount per frame, so a burst of events never piles up
        into one long stall: curves at most 5 times a second, the epoch's table row a frame
        after its points."""
        run_dir, dirty = self.active, self._dirty
        if run_dir is None:
            dirty.clear()
            return
        now = time.monotonic()
        if "epoch" in dirty or ("batch" in dirty and now - self._drawn >= CURVE_INTERVAL):
            self.curves.update_run(run_dir, self.trainer.live)
            self._drawn = now
            dirty.discard("epoch")
        elif "row" in dirty:
            dirty.discard("row")
            if self.runs.summary(run_dir) is None:
                self.refresh_runs()
                if not self.runs.selected_paths():
                    self.runs.select_paths([run_dir], emit=False)
            else:
                self.runs.update_run(summarise(run_dir))
            if self.scrubber.run_dir == run_dir:
                self.scrubber.refresh_epochs()
        if "batch" in dirty:
            dirty.discard("batch")
            done, total, text = self.trainer.progress()
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress.setFormat(text)

    def _on_trainer_run_ended(self, run_dir: Path, state: str, reason: str) -> None:
        self._dirty.clear()
        self.curves.update_run(run_dir, self.trainer.live)
        done = self.progress.value() / max(self.progress.maximum(), 1)
        self.progress.setRange(0, 100)
        self.progress.setValue(100 if state == "finished" else max(0, round(100 * done)))
        self.progress.setFormat(f"{run_dir.name}: {state}")
        self.form.set_running(False)
        self.refresh_runs()
        self.run_finished.emit(run_dir, state)
        self._start_next()
        if self._experiment and self._group and not self.trainer.pending and not self.active:
            self.note.show_runs(self._experiment, self._group)  # every arm has run: the note
            self._experiment = None

    def _on_trainer_run_failed(self, run_dir: Path | None, exc: Exception) -> None:
        from workbench.core.data.mnist import DataCorrupt

        if isinstance(exc, DataCorrupt):
            self.cache.forget()
            self.data_panel.use_folder(self.data_panel.folder)  # names the file, offers a fetch
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("Training failed")
        self.form.set_running(False)
        self.refresh_runs()
        if run_dir is not None:
            self.run_finished.emit(run_dir, "failed")

    def _on_trainer_busy_changed(self, busy: bool) -> None:
        if busy:
            self._frame_timer.start()
        else:
            self._frame_timer.stop()
        self.form.set_running(busy)
        self.training_changed.emit(busy)

    # -- selection and curves -----------------------------------------------------------------

    def _on_runs_selection_changed(self, chosen: list[Path]) -> None:
        if chosen:
            self._show_curves(chosen)
            self.scrubber.set_run(chosen[0])

    def _show_curves(self, chosen: list[Path]) -> None:
        trainer = self.trainer
        runs, title, epochs = overlay(chosen, self.active, trainer.live, trainer.active_config)
        self.curves.show_runs(runs, title, epochs)

    # -- data and messages --------------------------------------------------------------------

    def _on_data_panel_data_ready(self, _folder: Path) -> None:
        self._start_next()

    def _on_data_panel_folder_changed(self, folder: Path) -> None:
        if not self.source.in_memory and folder != self.source.folder:
            self.source = DataSource(folder, self.data_panel.verify)
            self.cache.forget()
        self.data_folder_changed.emit(folder)

    def _on_form_start_requested(self) -> None:
        self.start()

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#a01010" if error else "#333"
        self.status.setText(f"<span style='color:{colour}'>{html.escape(text)}</span>")


def _auto_name(config: TrainConfig) -> str:
    from workbench.core.training.comparisons import number

    rate = number(config.learning_rate)
    return f"{config.preset}-{config.activation}-{config.optimizer}-lr{rate}"
