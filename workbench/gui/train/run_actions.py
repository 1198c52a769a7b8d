"""What the Train view does to saved runs: rename, delete, use one as the model (ONNX)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from workbench.core.training.runs import delete_run, kept_checkpoint, rename_run
from workbench.gui.jobs.stream_worker import StreamJob


@dataclass(frozen=True)
class Exported:
    run_dir: Path
    onnx_path: Path
    epoch: int
    card: dict[str, Any]


def export_job(run_dir: Path, data_folder: Path | None, verify: bool) -> Iterator[Exported]:
    """Export the run's last checkpoint to RUN/RUN.onnx with its card (test metrics if data)."""
    from workbench.core.model.checkpoint import load_network
    from workbench.core.model.publish import write_model
    from workbench.core.training.runs import read_history

    kept = kept_checkpoint(run_dir)  # the last, or the best one early stopping kept
    if kept is None:
        raise ValueError(f"{run_dir.name} has no checkpoint yet (one is saved after each epoch)")
    epoch, path = kept
    net, _ = load_network(path)
    target = run_dir / f"{run_dir.name}.onnx"
    card = write_model(net, target, read_history(run_dir), data_folder, verify=verify)
    yield Exported(run_dir, target, epoch, card)


class RunActions:
    """Mixed into TrainView: uses its runs panel, data panel, status line and signals."""

    def _init_actions(self) -> None:
        self._export = StreamJob(parent=self)
        self._export.event_received.connect(self._on_export_event_received)
        self._export.job_failed.connect(self._on_export_job_failed)
        self._export.job_ended.connect(self._on_export_job_ended)
        self.exported: Exported | None = None
        self._exporting: Path | None = None  # the run being exported now
        self._use_next: Path | None = None  # "Use this model" pressed meanwhile: exported next

    def _shutdown_actions(self) -> None:
        self._export.wait()

    def rename_run(self, run_dir: Path, new_name: str) -> Path | None:
        """Rename a saved run (its folder); not the one training or queued."""
        run_dir = Path(run_dir)
        if run_dir == self.active:
            self._say("A run cannot be renamed while it trains.", error=True)
            self.refresh_runs()
            return None
        try:
            renamed = rename_run(run_dir, new_name)
        except OSError as exc:
            self._say(f"Could not rename {run_dir.name}: {exc}", error=True)
            self.refresh_runs()
            return None
        self.refresh_runs()
        self.runs.select_paths([renamed])
        self._say(f"Renamed {run_dir.name} to {renamed.name}.")
        return renamed

    def delete_runs(self, chosen: list[Path], confirm: bool = True) -> int:
        """Delete saved runs (asks first unless `confirm` is False); returns how many."""
        chosen = [Path(p) for p in chosen if Path(p) != self.active]
        if not chosen:
            return 0
        if confirm:
            names = ", ".join(p.name for p in chosen[:5]) + (" …" if len(chosen) > 5 else "")
            answer = QMessageBox.question(
                self,
                "Delete runs",
                f"Delete {len(chosen)} run(s) with their checkpoints and history?\n{names}",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return 0
        deleted = 0
        for path in chosen:
            try:
                delete_run(path)
                deleted += 1
            except (OSError, ValueError) as exc:
                self._say(f"Could not delete {path.name}: {exc}", error=True)
        if self.scrubber.run_dir in chosen:
            self.scrubber.set_run(None)
        self.refresh_runs()
        self.curves.show_runs([])
        return deleted

    def use_run(self, run_dir: Path) -> bool:
        """Export the run to ONNX (and measure it on the test set) in the background; then
        `model_chosen(onnx path)`. Pressed again while one exports, the newest run asked for is
        exported next (a click is never dropped); the status line says what happens when."""
        run_dir = Path(run_dir)
        if self._export.is_busy():
            self._use_next = run_dir
            self._say(
                f"Still exporting {self._exporting.name}; {run_dir.name} is exported next and "
                "then becomes the model instead."
            )
            return True
        panel = self.data_panel
        folder = panel.folder if panel.in_memory is None and panel.is_ready() else None
        verify = panel.verify
        measured = " and measuring it on the test set" if folder is not None else ""
        self._say(
            f"Exporting {run_dir.name} to ONNX{measured}. When that is done it becomes the "
            "model of the Draw, Load and Evaluate views (the Evaluate view then re-evaluates "
            "the test set with it); until then the current model stays."
        )
        self._exporting = run_dir
        return self._export.start(lambda: export_job(run_dir, folder, verify))

    def _on_export_event_received(self, item: Exported) -> None:
        self.exported = item
        test = item.card.get("test", {}).get("accuracy")
        score = f", test accuracy {test:.2%}" if test is not None else ""
        self._say(
            f"The model is now {item.run_dir.name} (epoch {item.epoch}{score}), exported to "
            f"{item.onnx_path.name}: the Draw and Load views read with it, and the Evaluate "
            "view re-evaluates the test set with it."
        )
        self.model_chosen.emit(item.onnx_path)

    def _on_export_job_ended(self, _cancelled: bool) -> None:
        self._exporting = None
        QTimer.singleShot(0, self._use_queued)  # after the job has let go of its thread

    def _use_queued(self) -> None:
        run_dir, self._use_next = self._use_next, None
        if run_dir is not None and run_dir.is_dir():
            self.use_run(run_dir)

    def _on_export_job_failed(self, exc: Exception) -> None:
        name = self._exporting.name if self._exporting is not None else "the run"
        self._say(
            f"Could not export {name}: {html.unescape(str(exc))}. The model is unchanged.",
            error=True,
        )
        self._exporting = None
        QTimer.singleShot(0, self._use_queued)
