"""Run a core generator (training, evaluation, download) or one call on a QThread.

The worker iterates the generator off the UI thread and never touches widgets. Events are emitted
as they come, except that events of a "progress" kind are throttled to about 10 a second; the
newest one is always delivered before anything else so the UI never shows stale progress.
Cancelling sets a flag that the worker checks between two events; it then closes the generator,
which is how every core generator is cancelled. A single call (open a model, read a photo) runs
as a generator of one item whose result arrives once the thread has stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)


class _StreamWorker(QObject):
    event = Signal(object)
    ended = Signal(bool)  # True when the generator was cancelled
    failed = Signal(object)

    def __init__(
        self, make: Callable[[], Iterator[Any]], is_progress: Callable[[Any], bool], interval: float
    ):
        super().__init__()
        self._make = make
        self._is_progress = is_progress
        self._interval = interval
        self.cancel_requested = threading.Event()

    @Slot()
    def run(self) -> None:
        generator = None
        try:
            generator = self._make()
            last_emit, pending = 0.0, None
            for item in generator:
                if self.cancel_requested.is_set():
                    generator.close()
                    self.ended.emit(True)
                    return
                if self._is_progress(item):
                    now = time.monotonic()
                    if now - last_emit < self._interval:
                        pending = item
                        continue
                    last_emit, pending = now, None
                elif pending is not None:
                    self.event.emit(pending)
                    pending = None
                self.event.emit(item)
            if pending is not None:
                self.event.emit(pending)
            self.ended.emit(False)
        except Exception as exc:  # the window reports it; the job ends
            log.exception("background job failed")
            if generator is not None:
                generator.close()
            self.failed.emit(exc)


class StreamJob(QObject):
    """One background job at a time: `start(make)` or `start_call(call)`, `cancel()`, `wait()`.

    Signals: `event_received(item)`, `job_ended(cancelled: bool)`, `job_failed(exception)`, and
    for `start_call` `job_finished(result)` (after the thread has stopped, before `job_ended`).
    """

    event_received = Signal(object)
    job_ended = Signal(bool)
    job_failed = Signal(object)
    job_finished = Signal(object)

    def __init__(
        self,
        is_progress: Callable[[Any], bool] = lambda item: False,
        interval: float = 0.1,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._is_progress = is_progress
        self._interval = interval
        self._thread: QThread | None = None
        self._worker: _StreamWorker | None = None
        self._call_result: list[Any] | None = None  # a start_call job's result, once it came

    def is_busy(self) -> bool:
        return self._thread is not None

    def start(self, make: Callable[[], Iterator[Any]]) -> bool:
        """Start iterating `make()` on a new thread; False if a job is already running."""
        return self._start(make, None)

    def start_call(self, call: Callable[[], Any]) -> bool:
        """Run `call()` on a new thread; its result comes as `job_finished(result)`."""

        def one_result() -> Iterator[Any]:
            yield call()

        return self._start(one_result, [])

    def _start(self, make: Callable[[], Iterator[Any]], call_result: list[Any] | None) -> bool:
        if self._thread is not None:
            return False
        thread = QThread()
        worker = _StreamWorker(make, self._is_progress, self._interval)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.event.connect(self._on_worker_event)
        worker.ended.connect(self._on_worker_ended)
        worker.failed.connect(self._on_worker_failed)
        self._thread, self._worker, self._call_result = thread, worker, call_result
        thread.start()
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel_requested.set()

    def wait(self, milliseconds: int = 30_000) -> bool:
        """Cancel and block until the thread has stopped (for closeEvent and test teardown)."""
        if self._thread is None:
            return True
        self.cancel()
        thread = self._thread
        thread.quit()
        stopped = thread.wait(milliseconds)
        if not stopped:
            # One step that cannot be interrupted (drawing a data set, say) is still running:
            # a QThread destroyed while it runs aborts the whole process, so wait it out.
            log.warning(
                "a background step outlived the cancel by %d ms; waiting for it", milliseconds
            )
            thread.wait()
        self._release()
        return stopped

    def _release(self) -> None:
        thread = self._thread
        self._thread = self._worker = None
        if thread is not None:
            thread.quit()
            thread.wait()

    @Slot(object)
    def _on_worker_event(self, item: Any) -> None:
        if self._call_result is None:
            self.event_received.emit(item)
        elif self.sender() is self._worker:
            self._call_result.append(item)

    @Slot(bool)
    def _on_worker_ended(self, cancelled: bool) -> None:
        result, self._call_result = self._call_result, None
        self._release()
        if result and not cancelled:
            self.job_finished.emit(result[0])
        self.job_ended.emit(cancelled)

    @Slot(object)
    def _on_worker_failed(self, exc: Exception) -> None:
        self._release()
        self.job_failed.emit(exc)
