"""Background jobs: a worker QObject on its own QThread runs one core call, one job at a time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)


class _Worker(QObject):
    """Runs the call on the worker thread; never touches widgets, only emits copies of results."""

    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, call: Callable[[], Any]):
        super().__init__()
        self._call = call

    @Slot()
    def run(self) -> None:
        try:
            result = self._call()
        except Exception as exc:  # reported to the window, which says what went wrong
            log.info("background job failed: %s", exc)
            self.failed.emit(exc)
            return
        self.finished.emit(result)


class JobRunner(QObject):
    """Starts a call on a background thread; `job_finished(result)` or `job_failed(exception)`.

    A second start while one job runs is refused (returns False): one job of a kind at a time.
    """

    job_finished = Signal(object)
    job_failed = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None

    def is_busy(self) -> bool:
        return self._thread is not None

    def start(self, call: Callable[[], Any]) -> bool:
        if self._thread is not None:
            return False
        thread = QThread()
        worker = _Worker(call)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(self._on_worker_finished)
        worker.failed.connect(self._on_worker_failed)
        self._thread, self._worker = thread, worker
        thread.start()
        return True

    def wait(self, milliseconds: int = 60_000) -> None:
        """Let a running job end (these jobs cannot stop half way), then stop its thread."""
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(milliseconds)
            self._release()

    def _release(self) -> None:
        thread = self._thread
        self._thread = self._worker = None  # Python owns both: dropped here, freed by Python
        if thread is not None:
            thread.quit()
            thread.wait()

    @Slot(object)
    def _on_worker_finished(self, result: Any) -> None:
        if self.sender() is not self._worker:  # a job that wait() already gave up on
            return
        self._release()
        self.job_finished.emit(result)

    @Slot(object)
    def _on_worker_failed(self, error: Exception) -> None:
        if self.sender() is not self._worker:
            return
        self._release()
        self.job_failed.emit(error)
